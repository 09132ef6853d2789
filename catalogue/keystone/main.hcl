# kolla-ansible's keystone role: the API (uwsgi), the Fernet and credential key repositories,
# and its bootstrap in kolla-ansible's order.

service "keystone" {
  hosts = var.hosts

  config "keystone.conf" {
    template  = "templates/keystone.conf.j2"
    overrides = ["${var.globals.overrides_dir}/global.conf", "${var.globals.overrides_dir}/keystone.conf", "${var.globals.overrides_dir}/keystone/keystone.conf", "${var.globals.overrides_dir}/keystone/${host.name}/keystone.conf"]
    format    = "ini"
    override_values = lookup(var.config_overrides, "keystone.conf", {})
    dest      = "/etc/keystone/keystone.conf"
    owner     = "keystone"
    perm      = "0600"
  }

  config "keystone-uwsgi.ini" {
    template  = "templates/keystone-uwsgi.ini.j2"
    overrides = ["${var.globals.overrides_dir}/keystone/keystone-uwsgi.ini"]
    format    = "ini"
    override_values = lookup(var.config_overrides, "keystone-uwsgi.ini", {})
    dest      = "/etc/keystone/keystone-uwsgi.ini"
    owner     = "keystone"
    perm      = "0600"
  }

  # Kolla's keystone bootstrap, in order: the schema, the key repositories on their volumes
  # (left alone when they already hold keys), then the admin user and project, region and
  # identity endpoints (keystone-manage bootstrap; the password comes from the environment).
  bootstrap "db_sync" {
    image    = var.image
    migrates = ["keystone"]
    command  = "keystone-manage db_sync"
    volumes  = ["kolla_logs:/var/log/kolla/"]
  }

  bootstrap "fernet_setup" {
    image   = var.image
    command = "keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone"
    volumes = ["keystone_fernet_tokens:/etc/keystone/fernet-keys", "kolla_logs:/var/log/kolla/"]
  }

  bootstrap "credential_setup" {
    image   = var.image
    command = "keystone-manage credential_setup --keystone-user keystone --keystone-group keystone"
    volumes = ["keystone_credential_keys:/etc/keystone/credential-keys", "kolla_logs:/var/log/kolla/"]
  }

  bootstrap "bootstrap" {
    image   = var.image
    command = "keystone-manage bootstrap --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone --bootstrap-admin-url ${var.globals.keystone_internal_url} --bootstrap-internal-url ${var.globals.keystone_internal_url} --bootstrap-public-url ${var.public_url} --bootstrap-region-id ${var.globals.openstack_region_name}"
    environment = {
      OS_BOOTSTRAP_PASSWORD = var.keystone_admin_password
    }
    volumes = ["keystone_fernet_tokens:/etc/keystone/fernet-keys", "keystone_credential_keys:/etc/keystone/credential-keys", "kolla_logs:/var/log/kolla/"]
  }

  container "keystone" {
    image        = var.image
    command      = "uwsgi --ini /etc/keystone/keystone-uwsgi.ini"
    environment  = var.globals.common_env
    volumes      = ["keystone_fernet_tokens:/etc/keystone/fernet-keys", "keystone_credential_keys:/etc/keystone/credential-keys", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    listen_ports = [5000]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_curl ${var.public_url}/v3"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = var.globals.healthcheck.start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }
}

volume "keystone_fernet_tokens" {
  name  = "${var.globals.volume_prefix}keystone_fernet_tokens"
  hosts = var.hosts
}
volume "keystone_credential_keys" {
  name  = "${var.globals.volume_prefix}keystone_credential_keys"
  hosts = var.hosts
}

output "url" {
  value       = "${var.public_url}/v3"
  description = "Keystone's public v3 endpoint."
}
