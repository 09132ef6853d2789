# all-in-one: an OpenStack control plane on one host, as kolla-ansible's all-in-one inventory
# deploys it — MariaDB, memcached, RabbitMQ, Keystone and Glance (OpenStack Zed from Debian
# bookworm's packages), plus the kolla_toolbox with the openstack client — with host
# networking, config templates layered with operator overrides, and secrets.
#
#   kolla build --chdir examples/all-in-one              # images FROM debian:bookworm
#   kolla secrets generate --chdir examples/all-in-one   # kolla.secrets.json (0600)
#   kolla apply --chdir examples/all-in-one -auto-approve
#   docker exec kolla_toolbox openstack token issue      # OS_CLOUD=kolla-admin in the toolbox
#
# scripts/demo-openstack.sh does all of it on a fresh machine.

kolla {
  project    = "openstack"
  config_dir = "/etc/kolla"
}

variable "api_interface_address" {
  type        = string
  default     = "127.0.0.1"
  description = "Address the APIs, MariaDB, RabbitMQ and memcached listen on (kolla-ansible's api_interface_address). Any 127.x.y.z works on one machine."
}

variable "openstack_release" {
  type    = string
  default = "zed"
}

variable "openstack_region_name" {
  type    = string
  default = "RegionOne"
}

variable "openstack_service_workers" {
  type        = number
  default     = 2
  description = "API worker processes per service (kolla-ansible: the number of CPUs, at most 5)."
}

variable "enable_glance" {
  type    = bool
  default = true
}

variable "fernet_token_expiry" {
  type        = number
  default     = 86400
  description = "Keystone token lifetime in seconds ([token] expiration; overrides/keystone.conf wins)."
}

variable "keystone_image_full" {
  type        = string
  default     = null
  description = "Run keystone from this image instead of the one kolla builds (kolla-ansible's keystone_image_full), e.g. a tagged variant."
}

variable "healthcheck_interval" {
  type        = string
  default     = "30s"
  description = "Healthcheck interval of every service (kolla-ansible's default_container_healthcheck_interval)."
}

variable "healthcheck_start_period" {
  type        = string
  default     = "5s"
  description = "Grace period after a start before failed healthchecks count (kolla-ansible's default_container_healthcheck_start_period)."
}

locals {
  api_address         = var.api_interface_address
  keystone_public_url = "http://${local.api_address}:5000"
  # kolla-ansible's keystone_internal_url / admin URL: one address on an all-in-one.
  keystone_internal_url = local.keystone_public_url
  glance_url            = "http://${local.api_address}:9292"
  database_address      = local.api_address
  common_env            = { KOLLA_CONFIG_STRATEGY = "COPY_ALWAYS" }
  healthcheck = {
    interval     = var.healthcheck_interval
    retries      = 3
    start_period = var.healthcheck_start_period
    timeout      = "30s"
  }
  # The services' databases and accounts: database blocks of service "mariadb".
  databases = merge(
    { keystone = { user = "keystone", password = secret.keystone_database_password } },
    var.enable_glance ? { glance = { user = "glance", password = secret.glance_database_password } } : {},
  )
  # Admin credentials of the openstack client in the toolbox (the OS_* of admin-openrc.sh).
  admin_env = {
    OS_AUTH_URL             = local.keystone_internal_url
    OS_USERNAME             = "admin"
    OS_PASSWORD             = secret.keystone_admin_password
    OS_PROJECT_NAME         = "admin"
    OS_USER_DOMAIN_NAME     = "Default"
    OS_PROJECT_DOMAIN_NAME  = "Default"
    OS_REGION_NAME          = var.openstack_region_name
    OS_IDENTITY_API_VERSION = "3"
    OS_INTERFACE            = "internal"
  }
}

secret "database_password" {}
secret "keystone_admin_password" {}
secret "keystone_database_password" {}
secret "glance_database_password" {}
secret "glance_keystone_password" {}
secret "rabbitmq_password" {}
secret "rabbitmq_cluster_cookie" {}
secret "memcache_secret_key" {}
# Keystone's Fernet token and credential key repositories (staged, secondary, primary): the
# same on every keystone host; `kolla secrets rotate keystone_fernet_keys` rotates them.
secret "keystone_fernet_keys" { type = "fernet_keys" }
secret "keystone_credential_keys" { type = "credential_keys" }

host "aio" {
  address    = "127.0.0.1"
  connection = "local"
  groups     = ["control", "network", "compute", "storage", "monitoring"]
  vars       = { api_interface = "lo", api_interface_address = var.api_interface_address }
}

# Inventory groups, as in kolla-ansible's all-in-one file.
group "control" {}
group "common" { children = ["control", "network", "compute", "storage", "monitoring"] }
group "kolla-toolbox" { children = ["common"] }
group "mariadb" { children = ["control"] }
group "memcached" { children = ["control"] }
group "rabbitmq" { children = ["control"] }
group "keystone" { children = ["control"] }
group "glance" { children = ["control"] }
group "glance-api" { children = ["glance"] }

volume "mariadb" { hosts = group.mariadb }
volume "mariadb_backup" { hosts = group.mariadb }
volume "rabbitmq" { hosts = group.rabbitmq }
# Deployments made before the keys became secrets had them on volumes: forgotten, not removed.
removed { from = volume.keystone_fernet_tokens }
removed { from = volume.keystone_credential_keys }
volume "glance" { hosts = group.glance-api }
volume "kolla_logs" { hosts = group.all }

# Images: `kolla build` (apply builds missing ones too). The base is examples/base.
image "base" {
  template = "../base/Dockerfile.j2"
  tag      = var.openstack_release
}
image "openstack_base" {
  template = "docker/openstack-base/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
image "mariadb" {
  template = "docker/mariadb/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
image "memcached" {
  template = "docker/memcached/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
image "rabbitmq" {
  template = "docker/rabbitmq/Dockerfile.j2"
  parent   = image.base
  tag      = var.openstack_release
}
image "keystone" {
  template = "docker/keystone/Dockerfile.j2"
  parent   = image.openstack_base
  tag      = var.openstack_release
}
image "glance_api" {
  template = "docker/glance-api/Dockerfile.j2"
  parent   = image.openstack_base
  tag      = var.openstack_release
}
image "kolla_toolbox" {
  template = "docker/kolla-toolbox/Dockerfile.j2"
  parent   = image.openstack_base
  tag      = var.openstack_release
}

# kolla-ansible's common role: the toolbox container, with the admin credentials that
# post-deploy writes (admin-openrc.sh, clouds.yaml) — here under <config_dir>/kolla_toolbox/
# on the host (mode 0600) and in the container, where OS_CLOUD selects them.
service "kolla_toolbox" {
  hosts = group.kolla-toolbox

  config "clouds.yaml" {
    template  = "templates/clouds.yaml.j2"
    format    = "yaml"
    dest      = "/etc/openstack/clouds.yaml"
    sensitive = true
  }

  config "admin-openrc.sh" {
    template  = "templates/admin-openrc.sh.j2"
    dest      = "/root/admin-openrc.sh"
    sensitive = true
  }

  container "kolla_toolbox" {
    image        = image.kolla_toolbox
    command      = "sleep infinity"
    environment  = merge(local.common_env, { OS_CLOUD = "kolla-admin" })
    network_mode = "host"
    volumes      = ["kolla_logs:/var/log/kolla/"]
    stop_timeout = "2s"
  }
}

service "mariadb" {
  hosts  = group.mariadb
  serial = 1 # one host at a time, as the catalogue's (Galera when there are several)
  quorum = true # a rolling change never leaves the cluster without a majority (docs/HA.md)

  config "galera.cnf" {
    template  = "templates/mariadb/galera.cnf.j2"
    overrides = ["overrides/galera.cnf", "overrides/mariadb/${host.name}/galera.cnf"]
    format    = "ini"
    dest      = "/etc/mysql/my.cnf"
    owner     = "mysql"
    perm      = "0600"
  }

  # Kolla's mariadb bootstrap (data directory, root password): idempotent.
  bootstrap "databases" {
    image   = image.mariadb
    command = "kolla_mariadb_bootstrap"
    environment = {
      DB_ROOT_PASSWORD = secret.database_password
    }
    volumes = ["mariadb:/var/lib/mysql", "kolla_logs:/var/log/kolla/"]
  }

  container "mariadb" {
    image        = image.mariadb
    command      = "/usr/sbin/mariadbd"
    environment  = local.common_env
    volumes      = ["mariadb:/var/lib/mysql", "mariadb_backup:/backup", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    stop_timeout = "60s"
    listen_ports = [3306]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_listen mariadbd 3306"]
      interval     = local.healthcheck.interval
      retries      = local.healthcheck.retries
      start_period = local.healthcheck.start_period
      timeout      = local.healthcheck.timeout
    }
  }

  # The services' schemas and accounts, refreshed from the live server and planned.
  database "openstack" {
    for_each       = local.databases
    container      = "mariadb"
    user           = each.value.user
    password       = each.value.password
    admin_password = secret.database_password
  }
}

service "memcached" {
  hosts = group.memcached

  container "memcached" {
    image        = image.memcached
    kolla_start  = true
    command      = "/usr/bin/memcached -l ${local.api_address} -p 11211 -c 5000 -m 256"
    environment  = local.common_env
    network_mode = "host"
    volumes      = ["kolla_logs:/var/log/kolla/"]
    listen_ports = [11211]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_listen memcached 11211"]
      interval     = local.healthcheck.interval
      retries      = local.healthcheck.retries
      start_period = local.healthcheck.start_period
      timeout      = local.healthcheck.timeout
    }
  }
}

service "rabbitmq" {
  hosts  = group.rabbitmq
  serial = 1
  quorum = true

  config "rabbitmq-env.conf" {
    template = "templates/rabbitmq/rabbitmq-env.conf.j2"
    dest     = "/etc/rabbitmq/rabbitmq-env.conf"
    owner    = "rabbitmq"
    perm     = "0600"
  }

  config "rabbitmq.conf" {
    template = "templates/rabbitmq/rabbitmq.conf.j2"
    dest     = "/etc/rabbitmq/rabbitmq.conf"
    owner    = "rabbitmq"
    perm     = "0600"
  }

  config "definitions.json" {
    template = "templates/rabbitmq/definitions.json.j2"
    dest     = "/etc/rabbitmq/definitions.json"
    owner    = "rabbitmq"
    perm     = "0600"
  }

  config "erlang.cookie" {
    content   = secret.rabbitmq_cluster_cookie
    dest      = "/var/lib/rabbitmq/.erlang.cookie"
    owner     = "rabbitmq"
    perm      = "0400"
    sensitive = true
  }

  container "rabbitmq" {
    image        = image.rabbitmq
    command      = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    environment  = local.common_env
    volumes      = ["rabbitmq:/var/lib/rabbitmq", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    stop_timeout = "60s"
    listen_ports = [5672]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_listen beam.smp 5672"]
      interval     = local.healthcheck.interval
      retries      = local.healthcheck.retries
      start_period = local.healthcheck.start_period
      timeout      = local.healthcheck.timeout
    }
  }

  # The openstack user (docs/RABBITMQ-USERS.md); definitions.json holds the vhost / only.
  rabbitmq_user "openstack" {
    container   = "rabbitmq"
    password    = secret.rabbitmq_password
    tags        = ["administrator"]
    vhost       = "/"
    permissions = { configure = ".*", write = ".*", read = ".*" }
  }
}

service "keystone" {
  hosts      = group.keystone
  serial     = 1
  depends_on = [service.mariadb, service.memcached]

  config "keystone.conf" {
    template  = "templates/keystone/keystone.conf.j2"
    overrides = ["overrides/global.conf", "overrides/keystone.conf", "overrides/keystone/keystone.conf", "overrides/keystone/${host.name}/keystone.conf"]
    format    = "ini"
    dest      = "/etc/keystone/keystone.conf"
    owner     = "keystone"
    perm      = "0600"
  }

  config "keystone-uwsgi.ini" {
    template  = "templates/keystone/keystone-uwsgi.ini.j2"
    overrides = ["overrides/keystone/keystone-uwsgi.ini"]
    format    = "ini"
    dest      = "/etc/keystone/keystone-uwsgi.ini"
    owner     = "keystone"
    perm      = "0600"
  }

  # The key repositories, the same on every host: files 0 (staged), 1 (secondary), 2 (primary).
  config "fernet-key-0" {
    content   = secret.keystone_fernet_keys[0]
    dest      = "/etc/keystone/fernet-keys/0"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }
  config "fernet-key-1" {
    content   = secret.keystone_fernet_keys[1]
    dest      = "/etc/keystone/fernet-keys/1"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }
  config "fernet-key-2" {
    content   = secret.keystone_fernet_keys[2]
    dest      = "/etc/keystone/fernet-keys/2"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }

  config "credential-key-0" {
    content   = secret.keystone_credential_keys[0]
    dest      = "/etc/keystone/credential-keys/0"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }
  config "credential-key-1" {
    content   = secret.keystone_credential_keys[1]
    dest      = "/etc/keystone/credential-keys/1"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }
  config "credential-key-2" {
    content   = secret.keystone_credential_keys[2]
    dest      = "/etc/keystone/credential-keys/2"
    owner     = "keystone"
    perm      = "0600"
    sensitive = true
  }

  # Kolla's keystone bootstrap, in order: the schema, then the admin user and project, region
  # and identity endpoints (keystone-manage bootstrap; the password comes from the environment).
  bootstrap "db_sync" {
    image    = image.keystone
    migrates = ["keystone"]
    command  = "keystone-manage db_sync"
    volumes  = ["kolla_logs:/var/log/kolla/"]
  }

  bootstrap "bootstrap" {
    image   = image.keystone
    command = "keystone-manage bootstrap --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone --bootstrap-admin-url ${local.keystone_internal_url} --bootstrap-internal-url ${local.keystone_internal_url} --bootstrap-public-url ${local.keystone_public_url} --bootstrap-region-id ${var.openstack_region_name}"
    environment = {
      OS_BOOTSTRAP_PASSWORD = secret.keystone_admin_password
    }
    volumes = ["kolla_logs:/var/log/kolla/"]
  }

  container "keystone" {
    image        = coalesce(var.keystone_image_full, image.keystone)
    command      = "uwsgi --ini /etc/keystone/keystone-uwsgi.ini"
    environment  = local.common_env
    volumes      = ["kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    listen_ports = [5000]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_curl ${local.keystone_public_url}/v3"]
      interval     = local.healthcheck.interval
      retries      = local.healthcheck.retries
      start_period = local.healthcheck.start_period
      timeout      = local.healthcheck.timeout
    }
  }

  # Credentials are re-encrypted with the primary credential key whenever the keys change.
  task "credential_migrate" {
    container = "keystone"
    command   = "keystone-manage credential_migrate"
    triggers  = [sha256(join(" ", secret.keystone_credential_keys))]
  }
}

service "glance" {
  hosts      = group.glance-api
  enabled    = var.enable_glance
  depends_on = [service.mariadb, service.keystone, service.rabbitmq]

  config "glance-api.conf" {
    template  = "templates/glance/glance-api.conf.j2"
    overrides = ["overrides/global.conf", "overrides/glance.conf", "overrides/glance/glance-api.conf", "overrides/glance/${host.name}/glance-api.conf"]
    format    = "ini"
    dest      = "/etc/glance/glance-api.conf"
    owner     = "glance"
    perm      = "0600"
  }

  # kolla-ansible's service-ks-register: the image service, its endpoints, and the glance
  # user with the admin role in the service project, through the openstack SDK in the
  # toolbox image. KOLLA_CONFIG = "{}": the toolbox copies none of glance's files.
  bootstrap "ks_register" {
    image   = image.kolla_toolbox
    command = "kolla_ks_register --service glance --type image --endpoint internal=${local.glance_url} --endpoint public=${local.glance_url} --user glance --project service --role admin"
    environment = merge(local.admin_env, {
      KOLLA_CONFIG         = "{}"
      KS_SERVICE_PASSWORD = secret.glance_keystone_password
    })
  }

  bootstrap "db_sync" {
    image    = image.glance_api
    migrates = ["glance"]
    command  = "glance-manage db_sync"
    volumes  = ["kolla_logs:/var/log/kolla/"]
  }

  container "glance_api" {
    image        = image.glance_api
    command      = "glance-api"
    environment  = local.common_env
    volumes      = ["glance:/var/lib/glance/", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    listen_ports = [9292]
    healthcheck {
      test         = ["CMD-SHELL", "healthcheck_curl ${local.glance_url}"]
      interval     = local.healthcheck.interval
      retries      = local.healthcheck.retries
      start_period = local.healthcheck.start_period
      timeout      = local.healthcheck.timeout
    }
  }
}

output "keystone_url" {
  value = "${local.keystone_public_url}/v3"
}

output "glance_url" {
  value = var.enable_glance ? local.glance_url : null
}

output "admin_openrc" {
  value       = "${kolla.config_dir}/kolla_toolbox/admin-openrc.sh"
  description = "kolla-ansible's post-deploy admin-openrc.sh (mode 0600)."
}

output "clouds_yaml" {
  value       = "${kolla.config_dir}/kolla_toolbox/clouds.yaml"
  description = "clouds.yaml with the kolla-admin cloud (mode 0600)."
}

output "openstack_client" {
  value = "docker exec kolla_toolbox openstack token issue"
}

output "admin_password" {
  value     = secret.keystone_admin_password
  sensitive = true
}

output "services" {
  value = [for s in ["mariadb", "memcached", "rabbitmq", "keystone", "glance"] : s if s != "glance" || var.enable_glance]
}
