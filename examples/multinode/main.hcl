# multinode: OpenStack's control plane on three controllers, as kolla-ansible's multinode inventory
# with kolla_internal_vip_address makes it: MariaDB as a Galera cluster, a RabbitMQ cluster,
# memcached and Keystone on every controller, haproxy on the VIP and keepalived moving it,
# Glance on the first controller (its file store is local). `scripts/testbed up 3` creates
# the three hosts on one machine (network and mount namespaces, each with its own sshd and
# dockerd); README's "High availability" says how to run it.

kolla {
  project    = "ha"
  config_dir = "/etc/kolla/ha"
}

variable "vip" {
  type        = string
  default     = "10.77.0.250"
  description = "The virtual IP (kolla-ansible's kolla_internal_vip_address): a free address on the hosts' network."
}

variable "subnet" {
  type        = string
  default     = "10.77.0"
  description = "First three octets of the hosts' addresses (.11, .12, .13: the testbed's)."
}

variable "testbed_dir" {
  type        = string
  default     = "/var/lib/kolla-testbed"
  description = "scripts/testbed's directory: the SSH key, and each host's Docker socket and lock dir."
}

variable "enable_compute" {
  type        = bool
  default     = false
  description = "Add Placement, Nova and Neutron (their APIs behind the VIP too)."
}

locals {
  controllers = ["ctl1", "ctl2", "ctl3"]
}

host "ctl1" {
  address       = "${var.subnet}.11"
  identity_file = "${var.testbed_dir}/id_ed25519"
  docker_socket = "${var.testbed_dir}/1/docker.sock"
  lock_dir      = "${var.testbed_dir}/1/locks"
  groups        = ["control", "network", "compute"]
  vars          = { api_interface = "veth0", api_interface_address = "${var.subnet}.11" }
}

host "ctl2" {
  address       = "${var.subnet}.12"
  identity_file = "${var.testbed_dir}/id_ed25519"
  docker_socket = "${var.testbed_dir}/2/docker.sock"
  lock_dir      = "${var.testbed_dir}/2/locks"
  groups        = ["control"]
  vars          = { api_interface = "veth0", api_interface_address = "${var.subnet}.12" }
}

host "ctl3" {
  address       = "${var.subnet}.13"
  identity_file = "${var.testbed_dir}/id_ed25519"
  docker_socket = "${var.testbed_dir}/3/docker.sock"
  lock_dir      = "${var.testbed_dir}/3/locks"
  groups        = ["control"]
  vars          = { api_interface = "veth0", api_interface_address = "${var.subnet}.13" }
}

group "glance-api" { hosts = ["ctl1"] }

module "openstack" {
  source                     = "kolla/openstack"
  kolla_internal_vip_address = var.vip
  enable_nova                = var.enable_compute
  enable_neutron             = var.enable_compute
}

output "keystone_url" { value = module.openstack.keystone_url }
output "glance_url" { value = module.openstack.glance_url }
output "admin_openrc" { value = module.openstack.admin_openrc }
output "clouds_yaml" { value = module.openstack.clouds_yaml }
output "admin_password" {
  value     = module.openstack.admin_password
  sensitive = true
}
