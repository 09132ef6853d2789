# kolla-ansible's loadbalancer role, its haproxy half: haproxy on every host of the group,
# listening on the VIP (bound even where the VIP is not: net.ipv4.ip_nonlocal_bind=1), with
# the global settings in haproxy.cfg and the services' sections in services.d/. Each host's
# own address is host.vars.api_interface_address, else the host's address. The stats page
# (user openstack) takes its password from the secret haproxy_password (kolla-ansible's name).
# Frontends are a map of { port, mode, backends, options }; kolla/keepalived moves the VIP
# (track_urls = module.haproxy.monitor_url). The services.d snippet is one file with a
# `listen` section per frontend (kolla's config blocks are fixed, one per file).

locals {
  addresses = { for h in var.hosts : h => try(hosts[h].vars.api_interface_address, hosts[h].address) }
}

secret "haproxy_password" {}

volume "haproxy_socket" {
  hosts = var.hosts
}

service "haproxy" {
  hosts = var.hosts

  config "haproxy.cfg" {
    template = "templates/haproxy.cfg.j2"
    dest     = "/etc/haproxy/haproxy.cfg"
    perm     = "0600"
  }

  config "frontends.cfg" {
    template = "templates/frontends.cfg.j2"
    dest     = "/etc/haproxy/services.d/frontends.cfg"
    perm     = "0600"
  }

  container "haproxy" {
    image        = var.image
    command      = "/usr/sbin/haproxy -W -db -p /run/haproxy.pid -f /etc/haproxy/haproxy.cfg -f /etc/haproxy/services.d/"
    environment  = var.common_env
    network_mode = "host"
    volumes      = ["haproxy_socket:/var/lib/kolla/haproxy/", "kolla_logs:/var/log/kolla/"]
    listen_ports = concat([var.stats_port, var.monitor_port], [for f in values(var.frontends) : f.port])
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_curl http://${local.addresses[host.name]}:${var.monitor_port}"]
      interval     = var.healthcheck.interval
      retries      = var.healthcheck.retries
      start_period = var.healthcheck.start_period
      timeout      = var.healthcheck.timeout
    }
  }
}

output "vip_address" {
  value       = var.vip_address
  description = "The virtual IP the frontends listen on."
}

output "monitor_url" {
  value       = { for h in var.hosts : h => "http://${local.addresses[h]}:${var.monitor_port}/" }
  description = "Each host's haproxy monitor URI (200 while haproxy runs), by host name: what keepalived's track script checks."
}

output "urls" {
  value       = { for k, f in var.frontends : k => "${f.mode == "http" ? "http" : "tcp"}://${var.vip_address}:${f.port}" }
  description = "Each frontend's address on the VIP, by name."
}
