# kolla-ansible's loadbalancer role, its keepalived half: one VRRP instance holding the VIP
# on one host of the group, unicast between the hosts' own addresses (kolla-ansible's default)
# or multicast, with the track script check_alive taking the VIP away from a host whose
# haproxy stops answering. Each host's own address is host.vars.api_interface_address, else its address.
# VRRP's PASS authentication uses the secret keepalived_password (kolla-ansible's name; 8
# characters, all keepalived reads). The container runs with host networking and NET_ADMIN,
# NET_BROADCAST, NET_RAW.

locals {
  addresses = { for h in var.hosts : h => try(hosts[h].vars.api_interface_address, hosts[h].address) }
  priority  = { for i, h in var.hosts : h => lookup(var.priorities, h, length(var.hosts) - i) }
}

secret "keepalived_password" {
  length = 8
}

service "keepalived" {
  hosts = var.hosts

  config "keepalived.conf" {
    template = "templates/keepalived.conf.j2"
    dest     = "/etc/keepalived/keepalived.conf"
    perm     = "0640"
  }

  container "keepalived" {
    image        = var.image
    command      = "/usr/sbin/keepalived -nldD -f /etc/keepalived/keepalived.conf"
    environment  = var.common_env
    network_mode = "host"
    cap_add      = ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"]
    volumes      = ["kolla_logs:/var/log/kolla/"]
  }
}

output "vip_address" {
  value       = var.vip_address
  description = "The virtual IP."
}

output "priority" {
  value       = local.priority
  description = "Each host's VRRP priority, by host name."
}
