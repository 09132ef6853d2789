# kolla-ansible's mariadb role (one node): the server, its data volume, and the bootstrap that
# creates the data directory, the root password and the services' databases.

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

  # Kolla's mariadb bootstrap (data directory, root password) and the databases and users of
  # the services (kolla-ansible's "Creating <service> database" tasks): idempotent.
  bootstrap "databases" {
    image   = var.image
    command = "kolla_mariadb_bootstrap"
    environment = {
      DB_ROOT_PASSWORD = var.root_password
      DB_SERVICES      = join(" ", var.databases)
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
}

volume "mariadb" {
  name  = "${var.volume_prefix}mariadb"
  hosts = var.hosts
}
