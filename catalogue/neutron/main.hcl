# kolla-ansible's neutron role with ML2 and linuxbridge (no Open vSwitch here): the server,
# its Keystone registration and schema; the linuxbridge agent on the network and compute
# hosts; the DHCP and metadata agents on the network hosts. Flat provider networks are
# bridged to host interfaces a host-preparation bootstrap makes (kolla-ansible's
# bootstrap-servers and neutron_external_interface).

locals {
  # Every service on every host (compute hosts too) talks to RabbitMQ where it runs.
  transport_url = "rabbit://${join(",", [for h in var.globals.rabbitmq_hosts : "openstack:${var.rabbitmq_password}@${hosts[h].vars.api_interface_address}:5672"])}//"
  # A service checked by its RabbitMQ connection may take a while under load (privsep,
  # iptables, the first RPC round): failures count only after this (kolla's own probe still
  # opens the gate at the first success).
  rpc_start_period = "120s"
  overrides     = [for f in ["global.conf", "neutron.conf"] : "${var.globals.overrides_dir}/${f}"]
  agent_hosts   = distinct(concat(var.network_hosts, var.compute_hosts))
  interfaces    = join(" ", [for net, iface in var.physical_networks : iface])
}

service "neutron_server" {
  hosts = var.hosts

  config "neutron.conf" {
    template  = "templates/neutron.conf.j2"
    overrides = concat(local.overrides, ["${var.globals.overrides_dir}/neutron/neutron-server.conf", "${var.globals.overrides_dir}/neutron/${host.name}/neutron.conf"])
    format    = "ini"
    override_values = lookup(var.config_overrides, "neutron.conf", {})
    dest      = "/etc/neutron/neutron.conf"
    owner     = "neutron"
    perm      = "0600"
  }

  config "ml2_conf.ini" {
    template  = "templates/ml2_conf.ini.j2"
    overrides = ["${var.globals.overrides_dir}/neutron/ml2_conf.ini", "${var.globals.overrides_dir}/neutron/${host.name}/ml2_conf.ini"]
    format    = "ini"
    override_values = lookup(var.config_overrides, "ml2_conf.ini", {})
    dest      = "/etc/neutron/plugins/ml2/ml2_conf.ini"
    owner     = "neutron"
    perm      = "0600"
  }

  bootstrap "ks_register" {
    image   = var.toolbox_image
    command = "kolla_ks_register --service neutron --type network --endpoint internal=${var.url} --endpoint public=${var.url} --user neutron --project service --role admin"
    environment = merge(var.admin_env, {
      KOLLA_CONFIG        = "{}"
      KS_SERVICE_PASSWORD = var.neutron_keystone_password
    })
  }

  bootstrap "db_sync" {
    image    = var.server_image
    migrates = ["neutron"]
    command  = "neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade head"
    volumes  = ["kolla_logs:/var/log/kolla/"]
  }

  container "neutron_server" {
    image        = var.server_image
    command      = "neutron-server --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini"
    environment  = var.globals.common_env
    volumes      = ["kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    listen_ports = [9696]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_curl http://${host.vars.api_interface_address}:9696"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = var.globals.healthcheck.start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }
}

service "neutron_linuxbridge_agent" {
  hosts      = local.agent_hosts
  depends_on = [service.neutron_server]

  config "neutron.conf" {
    template  = "templates/neutron.conf.j2"
    overrides = concat(local.overrides, ["${var.globals.overrides_dir}/neutron/neutron-linuxbridge-agent.conf", "${var.globals.overrides_dir}/neutron/${host.name}/neutron.conf"])
    format    = "ini"
    override_values = lookup(var.config_overrides, "neutron.conf", {})
    dest      = "/etc/neutron/neutron.conf"
    owner     = "neutron"
    perm      = "0600"
  }

  config "linuxbridge_agent.ini" {
    template  = "templates/linuxbridge_agent.ini.j2"
    overrides = ["${var.globals.overrides_dir}/neutron/linuxbridge_agent.ini", "${var.globals.overrides_dir}/neutron/${host.name}/linuxbridge_agent.ini"]
    format    = "ini"
    override_values = lookup(var.config_overrides, "linuxbridge_agent.ini", {})
    dest      = "/etc/neutron/plugins/ml2/linuxbridge_agent.ini"
    owner     = "neutron"
    perm      = "0600"
  }

  # Host preparation: each provider interface exists and is up (a veth pair when missing).
  bootstrap "provider_interfaces" {
    image        = var.linuxbridge_agent_image
    command      = "kolla_neutron_provider_interfaces ${local.interfaces}"
    user         = "root"
    cap_add      = ["NET_ADMIN"]
    on_each_host = true
  }

  # Host preparation: frames a neutron bridge forwards between two ports that are not a
  # guest's (a VXLAN tunnel, the DHCP agent's port) pass Docker's FORWARD policy.
  bootstrap "bridge_forwarding" {
    image        = var.linuxbridge_agent_image
    command      = "kolla_neutron_bridge_forward"
    user         = "root"
    cap_add      = ["NET_ADMIN", "NET_RAW"]
    on_each_host = true
  }

  # Host preparation: the host's /run/netns is a shared mount, so that the DHCP and metadata
  # agents' namespaces (a "/run/netns:/run/netns:shared" volume) are the host's.
  bootstrap "shared_netns" {
    image        = var.linuxbridge_agent_image
    command      = "kolla_neutron_shared_netns"
    user         = "root"
    cap_add      = ["SYS_ADMIN", "SYS_PTRACE", "SYS_CHROOT"] # mount, and enter the host's mount namespace
    pid_mode     = "host"
    on_each_host = true
  }

  container "neutron_linuxbridge_agent" {
    image        = var.linuxbridge_agent_image
    command      = "neutron-linuxbridge-agent --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/linuxbridge_agent.ini"
    environment  = var.globals.common_env
    volumes      = ["/lib/modules:/lib/modules:ro", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    privileged   = true
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_port neutron-linuxbridge-agent 5672"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = local.rpc_start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }
}

service "neutron_dhcp_agent" {
  hosts      = var.network_hosts
  depends_on = [service.neutron_server, service.neutron_linuxbridge_agent]

  config "neutron.conf" {
    template  = "templates/neutron.conf.j2"
    overrides = concat(local.overrides, ["${var.globals.overrides_dir}/neutron/neutron-dhcp-agent.conf", "${var.globals.overrides_dir}/neutron/${host.name}/neutron.conf"])
    format    = "ini"
    override_values = lookup(var.config_overrides, "neutron.conf", {})
    dest      = "/etc/neutron/neutron.conf"
    owner     = "neutron"
    perm      = "0600"
  }

  config "dhcp_agent.ini" {
    template  = "templates/dhcp_agent.ini.j2"
    overrides = ["${var.globals.overrides_dir}/neutron/dhcp_agent.ini", "${var.globals.overrides_dir}/neutron/${host.name}/dhcp_agent.ini"]
    format    = "ini"
    override_values = lookup(var.config_overrides, "dhcp_agent.ini", {})
    dest      = "/etc/neutron/dhcp_agent.ini"
    owner     = "neutron"
    perm      = "0600"
  }

  container "neutron_dhcp_agent" {
    image        = var.dhcp_agent_image
    command      = "neutron-dhcp-agent --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/dhcp_agent.ini"
    environment  = var.globals.common_env
    volumes      = ["neutron_metadata_socket:/var/lib/neutron/kolla/", "/run/netns:/run/netns:shared", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    privileged   = true
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_port neutron-dhcp-agent 5672"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = local.rpc_start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }
}

service "neutron_metadata_agent" {
  hosts      = var.network_hosts
  depends_on = [service.neutron_server, service.neutron_linuxbridge_agent]

  config "neutron.conf" {
    template  = "templates/neutron.conf.j2"
    overrides = concat(local.overrides, ["${var.globals.overrides_dir}/neutron/neutron-metadata-agent.conf", "${var.globals.overrides_dir}/neutron/${host.name}/neutron.conf"])
    format    = "ini"
    override_values = lookup(var.config_overrides, "neutron.conf", {})
    dest      = "/etc/neutron/neutron.conf"
    owner     = "neutron"
    perm      = "0600"
  }

  config "metadata_agent.ini" {
    template  = "templates/metadata_agent.ini.j2"
    overrides = ["${var.globals.overrides_dir}/neutron/metadata_agent.ini", "${var.globals.overrides_dir}/neutron/${host.name}/metadata_agent.ini"]
    format    = "ini"
    override_values = lookup(var.config_overrides, "metadata_agent.ini", {})
    dest      = "/etc/neutron/metadata_agent.ini"
    owner     = "neutron"
    perm      = "0600"
  }

  container "neutron_metadata_agent" {
    image        = var.metadata_agent_image
    command      = "neutron-metadata-agent --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/metadata_agent.ini"
    environment  = var.globals.common_env
    volumes      = ["neutron_metadata_socket:/var/lib/neutron/kolla/", "/run/netns:/run/netns:shared", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    privileged   = true
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_port neutron-metadata-agent 5672"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = local.rpc_start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }
}

volume "neutron_metadata_socket" {
  name  = "${var.globals.volume_prefix}neutron_metadata_socket"
  hosts = var.network_hosts
}

output "url" {
  value       = var.url
  description = "Neutron's endpoint."
}
