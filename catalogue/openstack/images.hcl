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
image "placement_api" {
  template = "docker/placement-api/Dockerfile.j2"
  parent   = image.openstack_base
  tag      = var.openstack_release
}
image "nova_base" {
  template = "docker/nova-base/Dockerfile.j2"
  parent   = image.openstack_base
  tag      = var.openstack_release
}
image "nova_api" {
  template = "docker/nova-api/Dockerfile.j2"
  parent   = image.nova_base
  tag      = var.openstack_release
}
image "nova_scheduler" {
  template = "docker/nova-scheduler/Dockerfile.j2"
  parent   = image.nova_base
  tag      = var.openstack_release
}
image "nova_conductor" {
  template = "docker/nova-conductor/Dockerfile.j2"
  parent   = image.nova_base
  tag      = var.openstack_release
}
image "nova_compute" {
  template = "docker/nova-compute/Dockerfile.j2"
  parent   = image.nova_base
  tag      = var.openstack_release
}
image "neutron_base" {
  template = "docker/neutron-base/Dockerfile.j2"
  parent   = image.openstack_base
  tag      = var.openstack_release
}
image "neutron_server" {
  template = "docker/neutron-server/Dockerfile.j2"
  parent   = image.neutron_base
  tag      = var.openstack_release
}
image "neutron_linuxbridge_agent" {
  template = "docker/neutron-linuxbridge-agent/Dockerfile.j2"
  parent   = image.neutron_base
  tag      = var.openstack_release
}
image "neutron_dhcp_agent" {
  template = "docker/neutron-dhcp-agent/Dockerfile.j2"
  parent   = image.neutron_base
  tag      = var.openstack_release
}
image "neutron_metadata_agent" {
  template = "docker/neutron-metadata-agent/Dockerfile.j2"
  parent   = image.neutron_base
  tag      = var.openstack_release
}
image "nova_libvirt" {
  template = "docker/nova-libvirt/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
image "haproxy" {
  template = "docker/haproxy/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
image "keepalived" {
  template = "docker/keepalived/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
