# kolla-ansible's memcached role.

service "memcached" {
  hosts = var.hosts

  container "memcached" {
    image        = var.image
    kolla_start  = true
    command      = "/usr/bin/memcached -l ${coalesce(var.listen_address, try(host.vars.api_interface_address, host.address))} -p 11211 -c 5000 -m 256"
    environment  = var.common_env
    network_mode = "host"
    volumes      = ["kolla_logs:/var/log/kolla/"]
    listen_ports = [11211]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_listen memcached 11211"]
      interval     = var.healthcheck.interval
      retries      = var.healthcheck.retries
      start_period = var.healthcheck.start_period
      timeout      = var.healthcheck.timeout
    }
  }
}
