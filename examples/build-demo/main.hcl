# build-demo: `kolla build` with the Kolla-compatible base of examples/base and a memcached
# image on top, then a deploy of that image through its kolla_start:
#
#   kolla build --chdir examples/build-demo             # base (FROM debian:bookworm), memcached
#   kolla apply --chdir examples/build-demo -auto-approve
#
# debian:bookworm must be on the engine: scripts/debian-base.sh makes it with debootstrap.

kolla {
  project = "build-demo"
}

host "local" {
  address    = "127.0.0.1"
  connection = "local"
}

image "base" {
  template = "../base/Dockerfile.j2"
  tag      = "bookworm"
}

image "memcached" {
  template = "docker/memcached/Dockerfile.j2"
  parent   = image.base
  tag      = "bookworm"
  labels   = { "org.opencontainers.image.title" = "memcached" }
}

service "memcached" {
  hosts = group.all

  container "memcached" {
    image        = image.memcached
    kolla_start  = true
    command      = "/usr/bin/memcached -l 127.0.0.1 -p 11213 -m 64"
    network_mode = "host"
    healthcheck {
      test     = ["CMD-SHELL", "healthcheck_listen memcached 11213"]
      interval = "2s"
    }
  }
}
