# kolla-ansible's glance role: the API with file storage on a volume, its Keystone
# registration (service-ks-register) and its schema.

service "glance" {
  hosts = var.hosts

  config "glance-api.conf" {
    template  = "templates/glance-api.conf.j2"
    overrides = ["${var.globals.overrides_dir}/global.conf", "${var.globals.overrides_dir}/glance.conf", "${var.globals.overrides_dir}/glance/glance-api.conf", "${var.globals.overrides_dir}/glance/${host.name}/glance-api.conf"]
    format    = "ini"
    override_values = lookup(var.config_overrides, "glance-api.conf", {})
    dest      = "/etc/glance/glance-api.conf"
    owner     = "glance"
    perm      = "0600"
  }

  # kolla-ansible's service-ks-register: the image service, its endpoints, and the glance
  # user with the admin role in the service project, through the openstack SDK in the
  # toolbox image. KOLLA_CONFIG = "{}": the toolbox copies none of glance's files.
  bootstrap "ks_register" {
    image   = var.toolbox_image
    command = "kolla_ks_register --service glance --type image --endpoint internal=${var.url} --endpoint public=${var.url} --user glance --project service --role admin"
    environment = merge(var.admin_env, {
      KOLLA_CONFIG        = "{}"
      KS_SERVICE_PASSWORD = var.glance_keystone_password
    })
  }

  bootstrap "db_sync" {
    image    = var.image
    migrates = ["glance"]
    command  = "glance-manage db_sync"
    volumes  = ["kolla_logs:/var/log/kolla/"]
  }

  container "glance_api" {
    image        = var.image
    command      = "glance-api"
    environment  = var.globals.common_env
    volumes      = ["glance:/var/lib/glance/", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    listen_ports = [9292]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_curl http://${host.vars.api_interface_address}:9292"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = var.globals.healthcheck.start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }
}

volume "glance" {
  name  = "${var.globals.volume_prefix}glance"
  hosts = var.hosts
}
