# A deployment made from examples/all-in-one (every service written by hand) moves onto the
# catalogue with these blocks: the state follows the new addresses, and no container is
# replaced or restarted (the rendering is the same). Harmless when there is nothing to move.

moved {
  from = service.kolla_toolbox
  to   = module.openstack.module.kolla_toolbox.service.kolla_toolbox
}
moved {
  from = service.mariadb
  to   = module.openstack.module.mariadb.service.mariadb
}
moved {
  from = service.memcached
  to   = module.openstack.module.memcached.service.memcached
}
moved {
  from = service.rabbitmq
  to   = module.openstack.module.rabbitmq.service.rabbitmq
}
moved {
  from = service.keystone
  to   = module.openstack.module.keystone.service.keystone
}
moved {
  from = service.glance
  to   = module.openstack.module.glance.service.glance
}
moved {
  from = volume.mariadb
  to   = module.openstack.module.mariadb.volume.mariadb
}
moved {
  from = volume.mariadb_backup
  to   = module.openstack.module.mariadb.volume.mariadb_backup
}
moved {
  from = volume.rabbitmq
  to   = module.openstack.module.rabbitmq.volume.rabbitmq
}
moved {
  from = volume.keystone_fernet_tokens
  to   = module.openstack.module.keystone.volume.keystone_fernet_tokens
}
moved {
  from = volume.keystone_credential_keys
  to   = module.openstack.module.keystone.volume.keystone_credential_keys
}
moved {
  from = volume.glance
  to   = module.openstack.module.glance.volume.glance
}
moved {
  from = volume.kolla_logs
  to   = module.openstack.volume.kolla_logs
}
