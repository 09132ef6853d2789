# kolla-ansible's mariadb role (one node): the server, its data volume, and the bootstrap that
# creates the data directory and the root password, and the services' databases as planned
# database blocks.

service "mariadb" {
  hosts = var.hosts

  config "galera.cnf" {
    template  = "templates/galera.cnf.j2"
    overrides = ["${var.overrides_dir}/galera.cnf", "${var.overrides_dir}/mariadb/${host.name}/galera.cnf"]
    format    = "ini"
    override_values = lookup(var.config_overrides, "galera.cnf", {})
    dest      = "/etc/mysql/my.cnf"
    owner     = "mysql"
    perm      = "0600"
  }

  # Kolla's mariadb bootstrap (data directory, root password): idempotent.
  bootstrap "databases" {
    image   = var.image
    command = "kolla_mariadb_bootstrap"
    environment = {
      DB_ROOT_PASSWORD = var.root_password
    }
    volumes = ["mariadb:/var/lib/mysql", "kolla_logs:/var/log/kolla/"]
  }

  container "mariadb" {
    image        = var.image
    command      = "/usr/sbin/mariadbd"
    environment  = var.common_env
    volumes      = ["mariadb:/var/lib/mysql", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    stop_timeout = "60s"
    listen_ports = [3306]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_listen mariadbd 3306"]
      interval     = var.healthcheck.interval
      retries      = var.healthcheck.retries
      start_period = var.healthcheck.start_period
      timeout      = var.healthcheck.timeout
    }
  }

  # The services' schemas and accounts, refreshed from the live server and planned.
  database "openstack" {
    for_each       = var.databases
    container      = "mariadb"
    user           = each.value.user
    password       = each.value.password
    admin_password = var.root_password
  }
}

volume "mariadb" {
  name  = "${var.volume_prefix}mariadb"
  hosts = var.hosts
}
