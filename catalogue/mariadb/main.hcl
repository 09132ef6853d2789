# kolla-ansible's mariadb role: the server, its data volume, the bootstrap that creates the data
# directory and the root password, and the services' databases as planned database blocks.
# One host: a plain MariaDB.
# More than one: a Galera cluster of them all (galera.cnf's wsrep_*), in kolla-ansible's order:
# the bootstrap initialises the data directory on the first host, whose server starts a new
# cluster (--wsrep-new-cluster, by kolla_mariadb_start: no peer answers, no grastate.dat yet,
# and the bootstrap's first-deploy marker kolla_new_cluster); the others then start one at a
# time (serial = 1), each joining by state transfer and healthy only once Synced in a Primary
# component. Later starts join a running peer, or bootstrap from the node whose grastate.dat
# says safe_to_bootstrap (docs/HA.md: recovery after all nodes stopped at once).

locals {
  galera = length(var.hosts) > 1
}

service "mariadb" {
  hosts  = var.hosts
  serial = 1
  quorum = true

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
    command      = local.galera ? "kolla_mariadb_start" : "/usr/sbin/mariadbd"
    environment  = local.galera ? merge(var.common_env, { GALERA_FIRST_NODE = host.name == var.hosts[0] ? "yes" : "no" }) : var.common_env
    # /backup: kolla backup create, and the backups apply takes before a migration (docs/DATABASES.md).
    volumes      = ["mariadb:/var/lib/mysql", "mariadb_backup:/backup", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    stop_timeout = "60s"
    listen_ports = local.galera ? [3306, 4567] : [3306]

    # Galera: a joining node is healthy once its state transfer is done and it is Synced.
    health_timeout = local.galera ? var.sync_timeout : null
    healthcheck {
      # Galera: Synced in a Primary component (kolla-ansible's clustercheck).
      test         = ["CMD-SHELL", local.galera ? "kolla_mariadb_healthcheck" : "healthcheck_listen mariadbd 3306"]
      interval     = var.healthcheck.interval
      retries      = var.healthcheck.retries
      start_period = local.galera ? var.sync_timeout : var.healthcheck.start_period
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

volume "mariadb_backup" {
  name  = "${var.volume_prefix}mariadb_backup"
  hosts = var.hosts
}
