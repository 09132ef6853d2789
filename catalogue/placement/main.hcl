# kolla-ansible's placement role: the API (uwsgi) on :8780, its Keystone registration
# (service-ks-register) and its schema (placement-manage db sync).

service "placement" {
  hosts = var.hosts

  config "placement.conf" {
    template  = "templates/placement.conf.j2"
    overrides = ["${var.globals.overrides_dir}/global.conf", "${var.globals.overrides_dir}/placement.conf", "${var.globals.overrides_dir}/placement/placement.conf", "${var.globals.overrides_dir}/placement/${host.name}/placement.conf"]
    format    = "ini"
    override_values = lookup(var.config_overrides, "placement.conf", {})
    dest      = "/etc/placement/placement.conf"
    owner     = "placement"
    perm      = "0600"
  }

  config "placement-api-uwsgi.ini" {
    template  = "templates/placement-api-uwsgi.ini.j2"
    overrides = ["${var.globals.overrides_dir}/placement/placement-api-uwsgi.ini"]
    format    = "ini"
    override_values = lookup(var.config_overrides, "placement-api-uwsgi.ini", {})
    dest      = "/etc/placement/placement-api-uwsgi.ini"
    owner     = "placement"
    perm      = "0600"
  }

  bootstrap "ks_register" {
    image   = var.toolbox_image
    command = "kolla_ks_register --service placement --type placement --endpoint internal=${var.url} --endpoint public=${var.url} --user placement --project service --role admin"
    environment = merge(var.admin_env, {
      KOLLA_CONFIG        = "{}"
      KS_SERVICE_PASSWORD = var.placement_keystone_password
    })
  }

  bootstrap "db_sync" {
    image    = var.image
    migrates = ["placement"]
    command  = "placement-manage db sync"
    volumes  = ["kolla_logs:/var/log/kolla/"]
  }

  container "placement_api" {
    image        = var.image
    command      = "uwsgi --ini /etc/placement/placement-api-uwsgi.ini"
    environment  = var.globals.common_env
    volumes      = ["kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    listen_ports = [8780]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_curl http://${host.vars.api_interface_address}:8780"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = var.globals.healthcheck.start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }
}

output "url" {
  value       = var.url
  description = "Placement's endpoint."
}
