# OpenStack all-in-one from kolla's catalogue (MariaDB, memcached, RabbitMQ, Keystone, Glance,
# Placement, Nova, Neutron), as kolla-ansible's all-in-one inventory and globals.yml make it.
# Overrides in config/ as in /etc/kolla/config. Usage: README. By hand: ../all-in-one-by-hand.

kolla {
  project    = "openstack"
  config_dir = "/etc/kolla"
}

variable "api_interface_address" { default = "127.0.0.1" }
variable "nova_compute_virt_type" { default = "fake" } # or "qemu": real guests (TCG)

host "aio" {
  address    = "127.0.0.1"
  connection = "local"
  groups     = ["control", "network", "compute", "storage", "monitoring"]
  vars       = { api_interface = "lo", api_interface_address = var.api_interface_address }
}

module "openstack" {
  source                 = "kolla/openstack"
  api_interface_address  = var.api_interface_address
  nova_compute_virt_type = var.nova_compute_virt_type
}

output "keystone_url" { value = module.openstack.keystone_url }
output "admin_openrc" { value = module.openstack.admin_openrc }
output "clouds_yaml" { value = module.openstack.clouds_yaml }
output "admin_password" {
  value     = module.openstack.admin_password
  sensitive = true
}
