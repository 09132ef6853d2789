# all-in-one: the OpenStack control plane's shape on one host, as kolla-ansible's
# all-in-one inventory deploys it — MariaDB, memcached, RabbitMQ, Keystone and Glance,
# with host networking, config templates layered with operator overrides, and secrets.

kolla {
  project    = "openstack"
  config_dir = "/etc/kolla"
}

variable "api_interface_address" {
  type        = string
  default     = "127.0.0.1"
  description = "Address the APIs listen on (kolla-ansible's api_interface_address)."
}

variable "openstack_release" {
  type    = string
  default = "zed"
}

variable "enable_glance" {
  type    = bool
  default = true
}

locals {
  keystone_public_url = "http://${var.api_interface_address}:5000"
  database_address    = var.api_interface_address
  common_env          = { KOLLA_CONFIG_STRATEGY = "COPY_ALWAYS" }
}

secret "database_password" {}
secret "keystone_admin_password" {}
secret "keystone_database_password" {}
secret "glance_database_password" {}
secret "glance_keystone_password" {}
secret "rabbitmq_password" {}
secret "memcache_secret_key" {}

host "aio" {
  address    = "127.0.0.1"
  connection = "local"
  groups     = ["control", "network", "compute", "storage", "monitoring"]
  vars       = { api_interface = "lo" }
}

# Inventory groups, as in kolla-ansible's all-in-one file.
group "control" {}
group "mariadb" { children = ["control"] }
group "memcached" { children = ["control"] }
group "rabbitmq" { children = ["control"] }
group "keystone" { children = ["control"] }
group "glance" { children = ["control"] }
group "glance-api" { children = ["glance"] }

volume "mariadb" { hosts = group.mariadb }
volume "rabbitmq" { hosts = group.rabbitmq }
volume "glance" { hosts = group.glance-api }
volume "kolla_logs" { hosts = group.all }

image "base" {
  template = "docker/base/Dockerfile.j2"
  tag      = var.openstack_release
}
image "openstack_base" {
  template = "docker/openstack-base/Dockerfile.j2"
  parent   = "image.base"
  tag      = var.openstack_release
}
image "mariadb" {
  template = "docker/mariadb/Dockerfile.j2"
  parent   = "image.base"
  tag      = var.openstack_release
}
image "memcached" {
  template = "docker/memcached/Dockerfile.j2"
  parent   = "image.base"
  tag      = var.openstack_release
}
image "rabbitmq" {
  template = "docker/rabbitmq/Dockerfile.j2"
  parent   = "image.base"
  tag      = var.openstack_release
}
image "keystone" {
  template = "docker/keystone/Dockerfile.j2"
  parent   = "image.openstack_base"
  tag      = var.openstack_release
}
image "glance_api" {
  template = "docker/glance-api/Dockerfile.j2"
  parent   = "image.openstack_base"
  tag      = var.openstack_release
}

service "mariadb" {
  hosts = group.mariadb

  config "galera.cnf" {
    template  = "templates/mariadb/galera.cnf.j2"
    overrides = ["overrides/galera.cnf", "overrides/mariadb/${host.name}/galera.cnf"]
    format    = "ini"
    dest      = "/etc/mysql/my.cnf"
    owner     = "mysql"
    perm      = "0600"
  }

  bootstrap "databases" {
    image       = image.mariadb
    environment = {
      DB_ROOT_PASSWORD = secret.database_password
      KOLLA_BOOTSTRAP  = ""
    }
    volumes = ["mariadb:/var/lib/mysql", "kolla_logs:/var/log/kolla/"]
  }

  container "mariadb" {
    image        = image.mariadb
    command      = "/usr/bin/mysqld_safe"
    environment  = local.common_env
    volumes      = ["mariadb:/var/lib/mysql", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    healthcheck {
      test     = ["CMD-SHELL", "healthcheck_listen mariadbd 3306"]
      interval = "5s"
      retries  = 30
    }
  }
}

service "memcached" {
  hosts = group.memcached

  container "memcached" {
    image        = image.memcached
    kolla_start  = true
    command      = "/usr/bin/memcached -u memcache -l ${var.api_interface_address} -p 11211 -m 64"
    environment  = local.common_env
    network_mode = "host"
    volumes      = ["kolla_logs:/var/log/kolla/"]
    healthcheck {
      test = ["CMD-SHELL", "healthcheck_listen memcached 11211"]
    }
  }
}

service "rabbitmq" {
  hosts = group.rabbitmq

  config "rabbitmq.conf" {
    template = "templates/rabbitmq/rabbitmq.conf.j2"
    dest     = "/etc/rabbitmq/rabbitmq.conf"
    owner    = "rabbitmq"
  }

  container "rabbitmq" {
    image        = image.rabbitmq
    command      = "/usr/sbin/rabbitmq-server"
    environment  = merge(local.common_env, { RABBITMQ_DEFAULT_PASS = secret.rabbitmq_password })
    volumes      = ["rabbitmq:/var/lib/rabbitmq", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    healthcheck {
      test     = ["CMD-SHELL", "healthcheck_port beam.smp 5672"]
      interval = "10s"
      retries  = 30
    }
  }
}

service "keystone" {
  hosts      = group.keystone
  depends_on = [service.mariadb, service.memcached]

  config "keystone.conf" {
    template  = "templates/keystone/keystone.conf.j2"
    overrides = ["overrides/global.conf", "overrides/keystone.conf", "overrides/keystone/${host.name}/keystone.conf"]
    format    = "ini"
    dest      = "/etc/keystone/keystone.conf"
    owner     = "keystone"
    perm      = "0600"
  }

  bootstrap "db_sync" {
    image       = image.keystone
    command     = "keystone-manage db_sync"
    environment = { KOLLA_BOOTSTRAP = "" }
  }

  bootstrap "bootstrap" {
    image   = image.keystone
    command = "keystone-manage bootstrap --bootstrap-password ${secret.keystone_admin_password} --bootstrap-public-url ${local.keystone_public_url} --bootstrap-region-id RegionOne"
  }

  container "keystone" {
    image        = image.keystone
    command      = "/usr/bin/keystone-wsgi-public --port 5000 --host ${var.api_interface_address}"
    environment  = local.common_env
    volumes      = ["kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    healthcheck {
      test     = ["CMD-SHELL", "healthcheck_curl ${local.keystone_public_url}/v3"]
      interval = "5s"
      retries  = 30
    }
  }
}

service "glance" {
  hosts      = group.glance-api
  enabled    = var.enable_glance
  depends_on = [service.keystone, service.rabbitmq]

  config "glance-api.conf" {
    template  = "templates/glance/glance-api.conf.j2"
    overrides = ["overrides/global.conf", "overrides/glance.conf", "overrides/glance/glance-api.conf"]
    format    = "ini"
    dest      = "/etc/glance/glance-api.conf"
    owner     = "glance"
  }

  bootstrap "db_sync" {
    image   = image.glance_api
    command = "glance-manage db_sync"
  }

  container "glance_api" {
    image        = image.glance_api
    command      = "/usr/bin/glance-api"
    environment  = local.common_env
    volumes      = ["glance:/var/lib/glance/", "kolla_logs:/var/log/kolla/"]
    network_mode = "host"
    healthcheck {
      test     = ["CMD-SHELL", "healthcheck_curl http://${var.api_interface_address}:9292"]
      interval = "5s"
      retries  = 30
    }
  }
}

output "keystone_url" {
  value = "${local.keystone_public_url}/v3"
}

output "services" {
  value = [for s in ["mariadb", "memcached", "rabbitmq", "keystone", "glance"] : s if s != "glance" || var.enable_glance]
}
