# kolla-ansible's rabbitmq role (one node).

service "rabbitmq" {
  hosts = var.hosts

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
    listen_ports = [5672]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_listen beam.smp 5672"]
      interval     = var.healthcheck.interval
      retries      = var.healthcheck.retries
      start_period = var.healthcheck.start_period
      timeout      = var.healthcheck.timeout
    }
  }
}

volume "rabbitmq" {
  name  = "${var.volume_prefix}rabbitmq"
  hosts = var.hosts
}
