# An OpenStack all-in-one from kolla's catalogue: MariaDB, memcached, RabbitMQ, Keystone,
# Glance and the kolla_toolbox (OpenStack Zed from Debian bookworm's packages), as
# kolla-ansible's all-in-one inventory and globals.yml deploy them. The same cloud as
# examples/all-in-one, where every service is written out by hand (466 lines).
#
#   kolla secrets generate --chdir examples/openstack   # or: kolla secrets import passwords.yml
#   kolla apply --chdir examples/openstack -auto-approve
#   docker exec kolla_toolbox openstack token issue

kolla {
  project = "openstack"
}

host "aio" {
  address    = "127.0.0.1"
  connection = "local"
  groups     = ["control", "network", "compute", "storage", "monitoring"]
  vars       = { api_interface = "lo", api_interface_address = "127.0.0.1" }
}

module "openstack" {
  source = "kolla/openstack"

  api_interface_address = "127.0.0.1"
  enable_glance         = true
}
