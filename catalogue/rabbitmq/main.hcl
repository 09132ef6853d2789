# kolla-ansible's rabbitmq role.
# One host: one node, rabbit@localhost.
# More than one: a cluster of them all, as kolla-ansible's: the same Erlang cookie on every
# node, classic config peer discovery listing every node, each named rabbit@<its host's
# api_interface_address> (long names), cluster_partition_handling = pause_minority, and quorum
# queues as the default queue type of the vhost / (input quorum_queues). The nodes start one
# at a time (serial = 1), the first in hosts order first: it finds no peer and starts alone;
# each other node joins the running ones. A node is healthy when its RabbitMQ application runs
# (its AMQP listener is open), so a rolling change restarts one node at a time and never takes
# the cluster below a majority (docs/HA.md).
# The openstack user is a rabbitmq_user resource (docs/RABBITMQ-USERS.md): made with
# rabbitmqctl once the first node is healthy, its password never written to a file.
# definitions.json, loaded at every boot, holds the vhost / only (its default queue type in a
# cluster); that a definitions file is configured also keeps RabbitMQ from seeding its default
# guest user on a new node.

locals {
  cluster = length(var.hosts) > 1
}

service "rabbitmq" {
  hosts  = var.hosts
  serial = 1
  quorum = true

  config "rabbitmq-env.conf" {
    template = "templates/rabbitmq-env.conf.j2"
    dest     = "/etc/rabbitmq/rabbitmq-env.conf"
    owner    = "rabbitmq"
    perm     = "0600"
  }

  config "rabbitmq.conf" {
    template = "templates/rabbitmq.conf.j2"
    dest     = "/etc/rabbitmq/rabbitmq.conf"
    owner    = "rabbitmq"
    perm     = "0600"
  }

  # The vhost / only (no user: the rabbitmq_user below). Also what keeps a new node from
  # creating guest/guest: RabbitMQ seeds its default user and vhost only when no definitions
  # are configured to load.
  config "definitions.json" {
    template = "templates/definitions.json.j2"
    dest     = "/etc/rabbitmq/definitions.json"
    owner    = "rabbitmq"
    perm     = "0600"
  }

  config "erlang.cookie" {
    content   = var.cluster_cookie
    dest      = "/var/lib/rabbitmq/.erlang.cookie"
    owner     = "rabbitmq"
    perm      = "0400"
    sensitive = true
  }

  container "rabbitmq" {
    image        = var.image
    command      = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    environment  = var.common_env
    volumes      = ["rabbitmq:/var/lib/rabbitmq", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    stop_timeout = "60s"
    listen_ports = local.cluster ? [5672, var.cluster_port, var.epmd_port] : [5672]

    # A cluster: a joining node may wait for its peers' tables before it runs.
    health_timeout = local.cluster ? var.start_timeout : null
    healthcheck {
      # The node's AMQP listener: RabbitMQ opens it at the end of its boot (after the node
      # joined the cluster, or started it) and closes it when its application stops (also
      # when pause_minority pauses it), so it says what kolla-ansible's `rabbitmq-diagnostics
      # check_running` says, at a fraction of the cost (that starts an Erlang VM: about one
      # CPU-second a run; docs/HA.md).
      test         = ["CMD-SHELL", "healthcheck_listen beam.smp 5672"]
      interval     = var.healthcheck.interval
      retries      = var.healthcheck.retries
      start_period = local.cluster ? var.start_timeout : var.healthcheck.start_period
      timeout      = var.healthcheck.timeout
    }
  }

  # One resource for the cluster, on the first host's node (users, vhosts and permissions are
  # shared by every node of a RabbitMQ cluster; the kind places it on the service's first
  # host). A broker deployed before this block, whose definitions.json made the user with the
  # same password, tags and permissions, is adopted: no change.
  rabbitmq_user "openstack" {
    container   = "rabbitmq"
    password    = var.rabbitmq_password
    tags        = ["administrator"]
    vhost       = "/"
    permissions = { configure = ".*", write = ".*", read = ".*" }
  }
}

volume "rabbitmq" {
  name  = "${var.volume_prefix}rabbitmq"
  hosts = var.hosts
}

output "addresses" {
  value       = [for h in var.hosts : "${try(hosts[h].vars.api_interface_address, hosts[h].address)}:5672"]
  description = "Every node's AMQP address, host:port, in hosts order."
}

output "transport_url" {
  value       = "rabbit://${join(",", [for h in var.hosts : "openstack:${var.rabbitmq_password}@${try(hosts[h].vars.api_interface_address, hosts[h].address)}:5672"])}//"
  sensitive   = true
  description = "oslo.messaging's transport_url with every node, as the openstack user on the vhost /."
}
