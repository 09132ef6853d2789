# kolla-ansible's keystone role: the API (uwsgi), the Fernet and credential key repositories,
# and its bootstrap in kolla-ansible's order. The key repositories are kolla secrets (key
# sets, passed in as fernet_keys and credential_keys), rendered as one sensitive config file
# per key: every controller gets the same keys (kolla-ansible copies them between nodes), a
# token issued by one is accepted by every other, and `kolla secrets rotate` rotates them as
# a planned change. Files are named as keystone's repository names them: 0 the staged key,
# the highest number the primary (docs/HA.md, "Keystone keys").

service "keystone" {
  hosts = var.hosts
  # On several controllers a change (a config file, the keys, the image) goes one host at a
  # time, each health-gated before the next: the others keep answering behind the VIP.
  serial = 1

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

  # The key repositories: files 0 (staged), 1 (secondary), 2 (primary) of each, copied in by
  # kolla_start into the image's /etc/keystone/{fernet,credential}-keys (keystone, 0700).
  config "fernet-key-0" {
    content   = var.fernet_keys[0]
    dest      = "/etc/keystone/fernet-keys/0"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }
  config "fernet-key-1" {
    content   = var.fernet_keys[1]
    dest      = "/etc/keystone/fernet-keys/1"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }
  config "fernet-key-2" {
    content   = var.fernet_keys[2]
    dest      = "/etc/keystone/fernet-keys/2"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }

  config "credential-key-0" {
    content   = var.credential_keys[0]
    dest      = "/etc/keystone/credential-keys/0"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }
  config "credential-key-1" {
    content   = var.credential_keys[1]
    dest      = "/etc/keystone/credential-keys/1"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }
  config "credential-key-2" {
    content   = var.credential_keys[2]
    dest      = "/etc/keystone/credential-keys/2"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }

  # Kolla's keystone bootstrap, in order: the schema, then the admin user and project, region
  # and identity endpoints (keystone-manage bootstrap; the password comes from the
  # environment). The key repositories are config files (above), not bootstraps.
  bootstrap "db_sync" {
    image    = var.image
    migrates = ["keystone"]
    command  = "keystone-manage db_sync"
    volumes  = ["kolla_logs:/var/log/kolla/"]
  }

  bootstrap "bootstrap" {
    image   = var.image
    command = "keystone-manage bootstrap --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone --bootstrap-admin-url ${var.globals.keystone_internal_url} --bootstrap-internal-url ${var.globals.keystone_internal_url} --bootstrap-public-url ${var.public_url} --bootstrap-region-id ${var.globals.openstack_region_name}"
    environment = {
      OS_BOOTSTRAP_PASSWORD = var.keystone_admin_password
    }
    volumes = ["kolla_logs:/var/log/kolla/"]
  }

  container "keystone" {
    image        = var.image
    command      = "uwsgi --ini /etc/keystone/keystone-uwsgi.ini"
    environment  = var.globals.common_env
    volumes      = ["kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    listen_ports = [5000]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_curl http://${host.vars.api_interface_address}:5000/v3"]
      interval     = var.globals.healthcheck.interval
      retries      = var.globals.healthcheck.retries
      start_period = var.globals.healthcheck.start_period
      timeout      = var.globals.healthcheck.timeout
    }
  }

  # Credentials are encrypted with the credential repository's primary key. When the keys
  # change (kolla secrets rotate --force of the credential key set) they are re-encrypted with
  # the new primary, so that the next rotation may drop the old one. Hosts with the old and
  # the new keys read both while an apply rolls (the new primary was the staged key).
  task "credential_migrate" {
    container = "keystone"
    command   = "keystone-manage credential_migrate"
    triggers  = [sha256(join(" ", var.credential_keys))]
  }
}

removed {
  # Deployments made before the keys became secrets have them on these volumes: they are
  # forgotten, not removed (their keys are no longer used; `docker volume rm` them by hand).
  from = volume.keystone_fernet_tokens
}
removed {
  from = volume.keystone_credential_keys
}

output "url" {
  value       = "${var.public_url}/v3"
  description = "Keystone's public v3 endpoint."
}
