# kolla-ansible's nova and nova-cell roles: the API (compute and metadata) and the scheduler,
# one cell whose conductor owns the cell's database, and nova-compute on the compute hosts
# (the fake driver, or libvirt with qemu). The conductor's bootstraps set the cells up in
# kolla-ansible's order; a task discovers every compute host into the cell once it is up.

locals {
  # Every service on every host (compute hosts too) talks to RabbitMQ where it runs.
  transport_url = "rabbit://${join(",", [for h in var.globals.rabbitmq_hosts : "openstack:${var.rabbitmq_password}@${hosts[h].vars.api_interface_address}:5672"])}//"
  # A service checked by its RabbitMQ connection may take a while under load (privsep,
  # iptables, the first RPC round): failures count only after this (kolla's own probe still
  # opens the gate at the first success).
  rpc_start_period = "120s"
  overrides = [for f in ["global.conf", "nova.conf"] : "${var.globals.overrides_dir}/${f}"]
  # The libvirt driver (qemu): libvirtd in nova_libvirt, which nova_compute reaches over TCP.
  libvirt = var.compute_virt_type != "fake"
}

# The cell: the conductor, with the cell's database as [database]. Its bootstraps run first
# (the API waits for them): the API database, cell0 and its mapping, the cell, the schemas.
service "nova_conductor" {
  hosts = var.hosts

  config "nova.conf" {
    template  = "templates/nova.conf.j2"
    overrides = concat(local.overrides, ["${var.globals.overrides_dir}/nova/nova-conductor.conf", "${var.globals.overrides_dir}/nova/${host.name}/nova.conf"])
    format    = "ini"
    override_values = lookup(var.config_overrides, "nova.conf", {})
    dest      = "/etc/nova/nova.conf"
    owner     = "nova"
    perm      = "0600"
  }

  # service-ks-register: the compute service, its endpoints and the nova user.
  bootstrap "ks_register" {
    image   = var.toolbox_image
    command = "kolla_ks_register --service nova --type compute --endpoint internal=${var.url}/v2.1 --endpoint public=${var.url}/v2.1 --user nova --project service --role admin --role service"
    environment = merge(var.admin_env, {
      KOLLA_CONFIG        = "{}"
      KS_SERVICE_PASSWORD = var.nova_keystone_password
    })
  }

  bootstrap "api_db_sync" {
    image    = var.conductor_image
    migrates = ["nova_api"]
    command  = "nova-manage api_db sync"
    volumes  = ["kolla_logs:/var/log/kolla/"]
  }

  bootstrap "map_cell0" {
    image   = var.conductor_image
    command = "kolla_nova_map_cell0"
    volumes = ["kolla_logs:/var/log/kolla/"]
  }

  bootstrap "create_cell" {
    image   = var.conductor_image
    command = "kolla_nova_create_cell ${var.cell_name}"
    volumes = ["kolla_logs:/var/log/kolla/"]
  }

  # Without --local_cell: the cell's database and cell0's (through its mapping).
  bootstrap "db_sync" {
    image    = var.conductor_image
    migrates = ["nova", "nova_cell0"]
    command  = "nova-manage db sync"
    volumes  = ["kolla_logs:/var/log/kolla/"]
  }

  container "nova_conductor" {
    image        = var.conductor_image
    command      = "nova-conductor"
    environment  = var.globals.common_env
    volumes      = ["kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_port nova-conductor 5672"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = local.rpc_start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }

  # kolla-ansible's wait_discover_computes + discover_computes: once every compute host's
  # nova-compute is up in the cell, map the hosts into the cell. A compute host added to the
  # inventory changes the condition, so the next apply discovers it.
  task "discover_computes" {
    container  = "nova_conductor"
    depends_on = [service.nova_compute]
    until      = "kolla_nova_wait_computes ${join(" ", sort(var.compute_hosts))}"
    retries    = 30
    delay      = "5s"
    command    = "nova-manage cell_v2 discover_hosts --by-service"
  }
}

# The API (compute :8774 and metadata :8775, eventlet) and the scheduler: cell0 as [database].
service "nova" {
  hosts      = var.hosts
  depends_on = [service.nova_conductor]

  config "nova-api.conf" {
    container = "nova_api"
    template  = "templates/nova.conf.j2"
    overrides = concat(local.overrides, ["${var.globals.overrides_dir}/nova/nova-api.conf", "${var.globals.overrides_dir}/nova/${host.name}/nova.conf"])
    format    = "ini"
    override_values = lookup(var.config_overrides, "nova.conf", {})
    dest      = "/etc/nova/nova.conf"
    owner     = "nova"
    perm      = "0600"
  }

  config "nova-scheduler.conf" {
    container = "nova_scheduler"
    template  = "templates/nova.conf.j2"
    overrides = concat(local.overrides, ["${var.globals.overrides_dir}/nova/nova-scheduler.conf", "${var.globals.overrides_dir}/nova/${host.name}/nova.conf"])
    format    = "ini"
    override_values = lookup(var.config_overrides, "nova.conf", {})
    dest      = "/etc/nova/nova.conf"
    owner     = "nova"
    perm      = "0600"
  }

  container "nova_api" {
    image        = var.api_image
    command      = "nova-api"
    environment  = var.globals.common_env
    volumes      = ["kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    privileged   = true
    listen_ports = [8774, 8775]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_curl http://${host.vars.api_interface_address}:8774"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = var.globals.healthcheck.start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }

  container "nova_scheduler" {
    image        = var.scheduler_image
    command      = "nova-scheduler"
    environment  = var.globals.common_env
    volumes      = ["kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_port nova-scheduler 5672"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = local.rpc_start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }
}

# libvirtd with qemu (TCG) on every compute host, for the libvirt driver: root, host network
# and pid namespace, guests' disks and consoles on the nova_compute volume it shares with
# nova_compute. Not `privileged`: a root container cannot be on a host whose capability
# bounding set lacks one (CAP_SYS_RESOURCE here); the capabilities it needs instead.
service "nova_libvirt" {
  hosts   = var.compute_hosts
  enabled = local.libvirt

  config "libvirtd.conf" {
    template  = "templates/libvirtd.conf.j2"
    overrides = ["${var.globals.overrides_dir}/nova/libvirtd.conf"]
    dest      = "/etc/libvirt/libvirtd.conf"
    owner     = "root"
    perm      = "0600"
  }

  config "qemu.conf" {
    template  = "templates/qemu.conf.j2"
    overrides = ["${var.globals.overrides_dir}/nova/qemu.conf"]
    dest      = "/etc/libvirt/qemu.conf"
    owner     = "root"
    perm      = "0600"
  }

  container "nova_libvirt" {
    image        = var.libvirt_image
    command      = "libvirtd --listen"
    environment  = var.globals.common_env
    volumes      = ["/run:/run", "/dev:/dev", "libvirtd:/var/lib/libvirt", "nova_compute:/var/lib/nova/", "nova_libvirt_qemu:/etc/libvirt/qemu", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    pid_mode     = "host"
    cap_add      = ["SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_NICE", "IPC_LOCK", "MKNOD", "SYS_RAWIO", "DAC_READ_SEARCH", "SYS_CHROOT"]
    listen_ports = [16509]
    healthcheck {
      test         = ["CMD-SHELL", "virsh -c qemu+tcp://${host.vars.api_interface_address}/system version"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = var.globals.healthcheck.start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }
}

volume "libvirtd" {
  name  = "${var.globals.volume_prefix}libvirtd"
  hosts = local.libvirt ? var.compute_hosts : []
}
volume "nova_libvirt_qemu" {
  name  = "${var.globals.volume_prefix}nova_libvirt_qemu"
  hosts = local.libvirt ? var.compute_hosts : []
}

# nova-compute on every compute host (no database: it reaches the cell through the conductor).
service "nova_compute" {
  hosts      = var.compute_hosts
  depends_on = [service.nova_conductor, service.nova_libvirt]

  config "nova.conf" {
    template  = "templates/nova.conf.j2"
    overrides = concat(local.overrides, ["${var.globals.overrides_dir}/nova/nova-compute.conf", "${var.globals.overrides_dir}/nova/${host.name}/nova.conf"])
    format    = "ini"
    override_values = lookup(var.config_overrides, "nova.conf", {})
    dest      = "/etc/nova/nova.conf"
    owner     = "nova"
    perm      = "0600"
  }

  container "nova_compute" {
    image        = var.compute_image
    command      = "nova-compute"
    environment  = var.globals.common_env
    volumes = concat(
      ["nova_compute:/var/lib/nova/", "kolla_logs:/var/log/kolla/"],
      local.libvirt ? ["libvirtd:/var/lib/libvirt", "/run:/run", "/dev:/dev"] : [],
    )
    network_mode = "host"
    privileged   = true
    ipc_mode     = "host"
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_port nova-compute 5672"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = local.rpc_start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }
}

volume "nova_compute" {
  name  = "${var.globals.volume_prefix}nova_compute"
  hosts = var.compute_hosts
}

output "url" {
  value       = "${var.url}/v2.1"
  description = "Nova's compute endpoint."
}
