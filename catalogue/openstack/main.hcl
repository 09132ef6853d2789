# kolla/openstack: an OpenStack cloud — MariaDB, memcached, RabbitMQ, Keystone, Glance,
# Placement, Nova and Neutron (OpenStack Zed from Debian bookworm's packages), plus the
# kolla_toolbox with the openstack client — wired as kolla-ansible's site.yml wires its roles. Services go to the
# root's groups when it declares them (kolla-ansible's service groups: mariadb, keystone,
# glance-api...), else to group.control; the toolbox goes everywhere.

locals {
  # With kolla_internal_vip_address: every endpoint and the database connection go through
  # haproxy on the VIP (kolla-ansible's kolla_internal_fqdn); each service still listens on
  # its host's own vars.api_interface_address.
  ha                    = var.kolla_internal_vip_address != null
  api_address           = local.ha ? var.kolla_internal_vip_address : var.api_interface_address
  keystone_public_url   = "http://${local.api_address}:5000"
  keystone_internal_url = local.keystone_public_url
  glance_url            = "http://${local.api_address}:9292"
  placement_url         = "http://${local.api_address}:8780"
  nova_url              = "http://${local.api_address}:8774"
  neutron_url           = "http://${local.api_address}:9696"
  enable_placement      = var.enable_nova
  # The deployment-wide settings, as kolla-ansible's globals.yml holds them: one argument
  # of every OpenStack service module (its input "globals"); the infrastructure modules take
  # the few they read.
  globals = {
    common_env = { KOLLA_CONFIG_STRATEGY = "COPY_ALWAYS" }
    healthcheck = {
      interval     = var.healthcheck_interval
      retries      = 3
      start_period = var.healthcheck_start_period
      timeout      = "30s"
    }
    overrides_dir             = "${path.root}/${var.node_custom_config}"
    volume_prefix             = var.volume_prefix
    keystone_internal_url     = local.keystone_internal_url
    database_address          = local.api_address
    memcached_hosts           = local.hosts.memcached
    rabbitmq_hosts            = local.hosts.rabbitmq
    openstack_region_name     = var.openstack_region_name
    openstack_service_workers = var.openstack_service_workers
  }
  # The services' databases and accounts (kolla-ansible's "Creating <service> database" and
  # "... database user and setting permissions" tasks): database blocks of the mariadb module.
  databases = merge(
    { keystone = { user = "keystone", password = secret.keystone_database_password } },
    var.enable_glance ? { glance = { user = "glance", password = secret.glance_database_password } } : {},
    local.enable_placement ? { placement = { user = "placement", password = secret.placement_database_password } } : {},
    var.enable_nova ? {
      nova_api   = { user = "nova_api", password = secret.nova_api_database_password }
      nova       = { user = "nova", password = secret.nova_database_password }
      nova_cell0 = { user = "nova", password = secret.nova_database_password }
    } : {},
    var.enable_neutron ? { neutron = { user = "neutron", password = secret.neutron_database_password } } : {},
  )
  # Admin credentials of the openstack client (the OS_* of admin-openrc.sh).
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
  # The images: built by kolla (image blocks, images.hcl), or pulled from docker_registry
  # under kolla-ansible's names.
  pull = var.docker_registry != null
  pulled = {
    for k, n in {
      kolla_toolbox = "kolla-toolbox", mariadb = "mariadb-server", memcached = "memcached",
      rabbitmq = "rabbitmq", keystone = "keystone", glance_api = "glance-api",
      placement_api = "placement-api", nova_api = "nova-api", nova_scheduler = "nova-scheduler",
      nova_conductor = "nova-conductor", nova_compute = "nova-compute", nova_libvirt = "nova-libvirt",
      neutron_server = "neutron-server", neutron_linuxbridge_agent = "neutron-linuxbridge-agent",
      neutron_dhcp_agent = "neutron-dhcp-agent", neutron_metadata_agent = "neutron-metadata-agent",
      haproxy = "haproxy", keepalived = "keepalived"
    } : k => "${coalesce(var.docker_registry, "none")}/${var.docker_namespace}/${n}:${coalesce(var.openstack_tag, var.openstack_release)}"
  }
  images = {
    kolla_toolbox = local.pull ? local.pulled.kolla_toolbox : image.kolla_toolbox
    mariadb       = local.pull ? local.pulled.mariadb : image.mariadb
    memcached     = local.pull ? local.pulled.memcached : image.memcached
    rabbitmq      = local.pull ? local.pulled.rabbitmq : image.rabbitmq
    keystone      = local.pull ? local.pulled.keystone : image.keystone
    glance_api    = local.pull ? local.pulled.glance_api : image.glance_api
    placement_api = local.pull ? local.pulled.placement_api : image.placement_api
    nova_api       = local.pull ? local.pulled.nova_api : image.nova_api
    nova_scheduler = local.pull ? local.pulled.nova_scheduler : image.nova_scheduler
    nova_conductor = local.pull ? local.pulled.nova_conductor : image.nova_conductor
    nova_compute   = local.pull ? local.pulled.nova_compute : image.nova_compute
    nova_libvirt   = local.pull ? local.pulled.nova_libvirt : image.nova_libvirt
    neutron_server            = local.pull ? local.pulled.neutron_server : image.neutron_server
    neutron_linuxbridge_agent = local.pull ? local.pulled.neutron_linuxbridge_agent : image.neutron_linuxbridge_agent
    neutron_dhcp_agent        = local.pull ? local.pulled.neutron_dhcp_agent : image.neutron_dhcp_agent
    neutron_metadata_agent    = local.pull ? local.pulled.neutron_metadata_agent : image.neutron_metadata_agent
    haproxy                   = local.pull ? local.pulled.haproxy : image.haproxy
    keepalived                = local.pull ? local.pulled.keepalived : image.keepalived
  }
  # kolla-ansible's service groups: service_hosts, else the root's group of that name, else
  # the control group (the toolbox: every host).
  hosts = {
    toolbox   = lookup(var.service_hosts, "kolla-toolbox", try(group["kolla-toolbox"], group.all))
    mariadb   = lookup(var.service_hosts, "mariadb", try(group.mariadb, group.control))
    memcached = lookup(var.service_hosts, "memcached", try(group.memcached, group.control))
    rabbitmq  = lookup(var.service_hosts, "rabbitmq", try(group.rabbitmq, group.control))
    keystone  = lookup(var.service_hosts, "keystone", try(group.keystone, group.control))
    glance    = lookup(var.service_hosts, "glance-api", try(group["glance-api"], group.control))
    placement = lookup(var.service_hosts, "placement-api", try(group["placement-api"], group.control))
    nova      = lookup(var.service_hosts, "nova-api", try(group["nova-api"], group.control))
    compute   = lookup(var.service_hosts, "nova-compute", try(group["nova-compute"], group.compute, group.control))
    neutron   = lookup(var.service_hosts, "neutron-server", try(group["neutron-server"], group.control))
    network   = lookup(var.service_hosts, "neutron-dhcp-agent", try(group["neutron-dhcp-agent"], group.network, group.control))
    lb        = lookup(var.service_hosts, "loadbalancer", try(group.loadbalancer, group.control))
  }
  address = { for h in keys(hosts) : h => try(hosts[h].vars.api_interface_address, hosts[h].address) }
  # haproxy's frontends on the VIP (kolla-ansible's haproxy dicts of each role): every API on
  # all its hosts, checked by haproxy; a backend that refuses a connection is marked down at
  # once (observe layer4) and the request, held by haproxy (http-buffer-request), retried on
  # another (redispatch, retry-on), so a rolling restart loses no request. MariaDB: one active server, the others backups (kolla-ansible's
  # active/backup Galera, no multi-writer conflicts).
  api_frontend_options = [
    "option redispatch 1",
    "option http-buffer-request",
    "retry-on conn-failure empty-response response-timeout",
    "default-server observe layer4 error-limit 1 on-error mark-down",
  ]
  api_frontends = {
    keystone_internal = { port = 5000, hosts = local.hosts.keystone, check = "/v3", enabled = true }
    glance_api        = { port = 9292, hosts = local.hosts.glance, check = "/", enabled = var.enable_glance }
    placement_api     = { port = 8780, hosts = local.hosts.placement, check = "/", enabled = local.enable_placement }
    nova_api          = { port = 8774, hosts = local.hosts.nova, check = "/", enabled = var.enable_nova }
    nova_metadata     = { port = 8775, hosts = local.hosts.nova, check = "/", enabled = var.enable_nova }
    neutron_server    = { port = 9696, hosts = local.hosts.neutron, check = "/", enabled = var.enable_neutron }
  }
  frontends = merge(
    {
      for k, f in local.api_frontends : k => {
        port     = f.port
        mode     = "http"
        backends = [for h in f.hosts : { host = h, address = local.address[h], port = f.port }]
        options  = concat(["option httpchk GET ${f.check}"], local.api_frontend_options)
      } if f.enabled
    },
    {
      mariadb = {
        port     = 3306
        mode     = "tcp"
        backends = [for i, h in local.hosts.mariadb : { host = h, address = local.address[h], port = 3306, backup = i > 0 }]
        options = [
          "option clitcpka",
          "timeout client 3600s",
          "option srvtcpka",
          "timeout server 3600s",
          "option redispatch 1",
          "default-server observe layer4 error-limit 1 on-error mark-down",
        ]
      }
    },
  )
}

# kolla-ansible's passwords.yml, by the same names (kolla secrets import takes that file).
secret "database_password" {}
secret "keystone_admin_password" {}
secret "keystone_database_password" {}
secret "glance_database_password" {}
secret "glance_keystone_password" {}
secret "rabbitmq_password" {}
secret "rabbitmq_cluster_cookie" {}
secret "memcache_secret_key" {}
secret "placement_database_password" {}
secret "placement_keystone_password" {}
secret "nova_database_password" {}
secret "nova_api_database_password" {}
secret "nova_keystone_password" {}
secret "neutron_database_password" {}
secret "neutron_keystone_password" {}
secret "metadata_secret" {}

# Keystone's key repositories, the same on every controller (kolla-ansible makes them with
# fernet_setup/credential_setup and copies them between nodes). `kolla secrets rotate
# module.openstack.keystone_fernet_keys` rotates the token keys as keystone-manage
# fernet_rotate does; the credential keys need --force (see docs/HA.md, "Keystone keys").
secret "keystone_fernet_keys" { type = "fernet_keys" }
secret "keystone_credential_keys" { type = "credential_keys" }

volume "kolla_logs" {
  name  = "${var.volume_prefix}kolla_logs"
  hosts = group.all
}

# kolla-ansible's loadbalancer role: haproxy on the VIP and keepalived moving it.
module "haproxy" {
  source      = "kolla/haproxy"
  enabled     = local.ha
  image       = local.images.haproxy
  hosts       = local.hosts.lb
  vip_address = coalesce(var.kolla_internal_vip_address, "none")
  frontends   = local.frontends
  common_env  = local.globals.common_env
  healthcheck = local.globals.healthcheck
}

module "keepalived" {
  source            = "kolla/keepalived"
  enabled           = local.ha
  depends_on        = [module.haproxy]
  image             = local.images.keepalived
  hosts             = local.hosts.lb
  vip_address       = coalesce(var.kolla_internal_vip_address, "none")
  interface         = coalesce(var.keepalived_interface, try(hosts[local.hosts.lb[0]].vars.api_interface, "eth0"))
  virtual_router_id = var.keepalived_virtual_router_id
  track_urls        = local.ha ? module.haproxy.monitor_url : {}
  common_env        = local.globals.common_env
}

module "kolla_toolbox" {
  source                  = "kolla/kolla_toolbox"
  image                   = local.images.kolla_toolbox
  hosts                   = local.hosts.toolbox
  common_env              = local.globals.common_env
  healthcheck             = local.globals.healthcheck
  keystone_internal_url   = local.keystone_internal_url
  openstack_region_name   = var.openstack_region_name
  keystone_admin_password = secret.keystone_admin_password
}

module "mariadb" {
  source           = "kolla/mariadb"
  volume_prefix    = var.volume_prefix
  image            = local.images.mariadb
  hosts            = local.hosts.mariadb
  common_env       = local.globals.common_env
  healthcheck      = local.globals.healthcheck
  overrides_dir    = local.globals.overrides_dir
  config_overrides = var.config_overrides
  root_password    = secret.database_password
  databases        = local.databases
}

module "memcached" {
  source         = "kolla/memcached"
  image          = local.images.memcached
  hosts          = local.hosts.memcached
  common_env     = local.globals.common_env
  healthcheck    = local.globals.healthcheck
}

module "rabbitmq" {
  source            = "kolla/rabbitmq"
  volume_prefix     = var.volume_prefix
  image             = local.images.rabbitmq
  hosts             = local.hosts.rabbitmq
  common_env        = local.globals.common_env
  healthcheck       = local.globals.healthcheck
  rabbitmq_password = secret.rabbitmq_password
  cluster_cookie    = secret.rabbitmq_cluster_cookie
}

module "keystone" {
  source                     = "kolla/keystone"
  depends_on                 = [module.mariadb, module.memcached, module.keepalived]
  image                      = coalesce(var.keystone_image_full, local.images.keystone)
  hosts                      = local.hosts.keystone
  globals                    = local.globals
  config_overrides           = var.config_overrides
  public_url                 = local.keystone_public_url
  fernet_token_expiry        = var.fernet_token_expiry
  keystone_admin_password    = secret.keystone_admin_password
  keystone_database_password = secret.keystone_database_password
  rabbitmq_password          = secret.rabbitmq_password
  fernet_keys                = secret.keystone_fernet_keys
  credential_keys            = secret.keystone_credential_keys
}

module "glance" {
  source                   = "kolla/glance"
  enabled                  = var.enable_glance
  depends_on               = [module.mariadb, module.keystone, module.rabbitmq]
  image                    = local.images.glance_api
  toolbox_image            = local.images.kolla_toolbox
  hosts                    = local.hosts.glance
  globals                  = local.globals
  config_overrides         = var.config_overrides
  url                      = local.glance_url
  admin_env                = local.admin_env
  glance_database_password = secret.glance_database_password
  glance_keystone_password = secret.glance_keystone_password
  rabbitmq_password        = secret.rabbitmq_password
  memcache_secret_key      = secret.memcache_secret_key
}

module "placement" {
  source                      = "kolla/placement"
  enabled                     = local.enable_placement
  depends_on                  = [module.mariadb, module.keystone]
  image                       = local.images.placement_api
  toolbox_image               = local.images.kolla_toolbox
  hosts                       = local.hosts.placement
  globals                     = local.globals
  config_overrides            = var.config_overrides
  url                         = local.placement_url
  admin_env                   = local.admin_env
  placement_database_password = secret.placement_database_password
  placement_keystone_password = secret.placement_keystone_password
  memcache_secret_key         = secret.memcache_secret_key
}

module "nova" {
  source                      = "kolla/nova"
  enabled                     = var.enable_nova
  depends_on                  = [module.mariadb, module.keystone, module.rabbitmq, module.placement, module.glance]
  api_image                   = local.images.nova_api
  scheduler_image             = local.images.nova_scheduler
  conductor_image             = local.images.nova_conductor
  compute_image               = local.images.nova_compute
  libvirt_image               = var.nova_compute_virt_type == "fake" ? null : local.images.nova_libvirt
  toolbox_image               = local.images.kolla_toolbox
  hosts                       = local.hosts.nova
  compute_hosts               = local.hosts.compute
  compute_virt_type           = var.nova_compute_virt_type
  globals                     = local.globals
  config_overrides            = var.config_overrides
  url                         = local.nova_url
  glance_url                  = local.glance_url
  neutron_url                 = var.enable_neutron ? local.neutron_url : null
  admin_env                   = local.admin_env
  nova_database_password      = secret.nova_database_password
  nova_api_database_password  = secret.nova_api_database_password
  nova_keystone_password      = secret.nova_keystone_password
  placement_keystone_password = secret.placement_keystone_password
  neutron_keystone_password   = secret.neutron_keystone_password
  metadata_secret             = secret.metadata_secret
  rabbitmq_password           = secret.rabbitmq_password
  memcache_secret_key         = secret.memcache_secret_key
}

module "neutron" {
  source                    = "kolla/neutron"
  enabled                   = var.enable_neutron
  depends_on                = [module.mariadb, module.keystone, module.rabbitmq]
  server_image              = local.images.neutron_server
  linuxbridge_agent_image   = local.images.neutron_linuxbridge_agent
  dhcp_agent_image          = local.images.neutron_dhcp_agent
  metadata_agent_image      = local.images.neutron_metadata_agent
  toolbox_image             = local.images.kolla_toolbox
  hosts                     = local.hosts.neutron
  network_hosts             = local.hosts.network
  compute_hosts             = var.enable_nova ? local.hosts.compute : []
  physical_networks         = var.neutron_physical_networks
  enable_vxlan              = var.neutron_enable_vxlan
  globals                   = local.globals
  config_overrides          = var.config_overrides
  url                       = local.neutron_url
  nova_metadata_host        = local.api_address
  admin_env                 = local.admin_env
  neutron_database_password = secret.neutron_database_password
  neutron_keystone_password = secret.neutron_keystone_password
  nova_keystone_password    = secret.nova_keystone_password
  metadata_secret           = secret.metadata_secret
  rabbitmq_password         = secret.rabbitmq_password
  memcache_secret_key       = secret.memcache_secret_key
}

output "keystone_url" { value = module.keystone.url }
output "glance_url" { value = var.enable_glance ? local.glance_url : null }
output "admin_openrc" { value = module.kolla_toolbox.admin_openrc }
output "clouds_yaml" { value = module.kolla_toolbox.clouds_yaml }
output "admin_password" {
  value     = secret.keystone_admin_password
  sensitive = true
}
output "services" {
  value = concat(
    ["mariadb", "memcached", "rabbitmq", "keystone"],
    var.enable_glance ? ["glance"] : [],
    local.enable_placement ? ["placement"] : [],
    var.enable_nova ? ["nova"] : [],
    var.enable_neutron ? ["neutron"] : [],
  )
}
