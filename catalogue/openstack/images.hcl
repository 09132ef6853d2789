# The images, built by `kolla build` (apply builds missing ones too) FROM debian:bookworm,
# in Kolla's layout (kolla_start, config.json, Kolla's uids). Shared by name: a root that
# declares an image of the same name (a registry, another template) takes precedence.
image "base" {
  template = var.base_image_template
  tag      = var.openstack_release
}
image "openstack_base" {
  template = "docker/openstack-base/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
image "mariadb" {
  template = "docker/mariadb/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
image "memcached" {
  template = "docker/memcached/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
image "rabbitmq" {
  template = "docker/rabbitmq/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
image "keystone" {
  template = "docker/keystone/Dockerfile.j2"
  parent   = image.openstack_base
  tag      = var.openstack_release
}
image "glance_api" {
  template = "docker/glance-api/Dockerfile.j2"
  parent   = image.openstack_base
  tag      = var.openstack_release
}
image "kolla_toolbox" {
  template = "docker/kolla-toolbox/Dockerfile.j2"
  parent   = image.openstack_base
  tag      = var.openstack_release
}
