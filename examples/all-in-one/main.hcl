# An OpenStack all-in-one from kolla's catalogue — MariaDB, memcached, RabbitMQ, Keystone,
# Glance and the kolla_toolbox with the openstack client (OpenStack Zed from Debian
# bookworm's packages) — as kolla-ansible's all-in-one inventory and globals.yml deploy it.
# examples/all-in-one-by-hand is the same cloud with every service written out (466 lines);
# moved.hcl moves a deployment of that form onto this one without restarting anything.
#
#   kolla build --chdir examples/all-in-one              # images FROM debian:bookworm
#   kolla secrets generate --chdir examples/all-in-one   # or: kolla secrets import passwords.yml
#   kolla apply --chdir examples/all-in-one -auto-approve
#   docker exec kolla_toolbox openstack token issue      # OS_CLOUD=kolla-admin in the toolbox

kolla {
  project    = "openstack"
  config_dir = "/etc/kolla"
}

variable "api_interface_address" {
  type        = string
  default     = "127.0.0.1"
  description = "Where the APIs, MariaDB, RabbitMQ and memcached listen (kolla-ansible's api_interface_address)."
}

variable "keystone_image_full" {
  type    = string
  default = null
}

variable "nova_compute_virt_type" {
  type        = string
  default     = "fake"
  description = "fake (nova's FakeDriver) or qemu (libvirt with TCG: real guests)."
}

variable "volume_prefix" {
  type    = string
  default = ""
}

host "aio" {
  address    = "127.0.0.1"
  connection = "local"
  groups     = ["control", "network", "compute", "storage", "monitoring"]
  vars       = { api_interface = "lo", api_interface_address = var.api_interface_address }
}

module "openstack" {
  source                 = "kolla/openstack"
  api_interface_address  = var.api_interface_address
  keystone_image_full    = var.keystone_image_full
  nova_compute_virt_type = var.nova_compute_virt_type
  volume_prefix          = var.volume_prefix
}

output "keystone_url" { value = module.openstack.keystone_url }
output "glance_url" { value = module.openstack.glance_url }
output "admin_openrc" { value = module.openstack.admin_openrc }
output "clouds_yaml" { value = module.openstack.clouds_yaml }
output "openstack_client" { value = "docker exec kolla_toolbox openstack token issue" }
output "services" { value = module.openstack.services }
output "admin_password" {
  value     = module.openstack.admin_password
  sensitive = true
}
