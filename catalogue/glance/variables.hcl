variable "image" {
  type        = string
  description = "The image reference the service runs (kolla-ansible's <service>_image_full)."
}

variable "hosts" {
  type        = list(string)
  description = "Where it runs: host names (kolla-ansible's inventory group of the service)."
}

variable "globals" {
  type = object({
    common_env                = map(string),
    healthcheck               = object({ interval = string, retries = number, start_period = string, timeout = string }),
    overrides_dir             = string,
    volume_prefix             = string,
    keystone_internal_url     = string,
    database_address          = string,
    memcached_hosts           = list(string),
    rabbitmq_hosts            = list(string),
    openstack_region_name     = string,
    openstack_service_workers = number
  })
  description = "The deployment-wide settings every OpenStack service shares, as kolla-ansible's globals.yml holds them (kolla/openstack builds it once): common_env (every container's environment: KOLLA_CONFIG_STRATEGY), healthcheck (default_container_healthcheck_*), overrides_dir (node_custom_config: global.conf, <service>.conf, <service>/<file>, <service>/<host>/<file>), volume_prefix, keystone_internal_url, database_address, memcached_hosts and rabbitmq_hosts (host names; each host's vars.api_interface_address is used), openstack_region_name, openstack_service_workers."
}

variable "config_overrides" {
  type        = map(map(map(any)))
  default     = {}
  description = "Inline overrides, by file name as kolla-ansible's config directory names it (e.g. { \"nova.conf\" = { DEFAULT = { cpu_allocation_ratio = 16 } } }): sections of keys, merged into that file after the override files (they win)."
}

variable "toolbox_image" {
  type        = string
  description = "The kolla_toolbox image, whose kolla_ks_register registers the service in Keystone."
}

variable "url" {
  type        = string
  description = "Glance's endpoint, e.g. http://10.0.0.10:9292."
}

variable "admin_env" {
  type        = map(string)
  sensitive   = true
  description = "The OS_* environment of the admin client that registers the service."
}

variable "glance_database_password" {
  type        = string
  sensitive   = true
  description = "The glance database user's password (passwords.yml: glance_database_password)."
}

variable "glance_keystone_password" {
  type        = string
  sensitive   = true
  description = "The glance Keystone user's password (passwords.yml: glance_keystone_password)."
}

variable "rabbitmq_password" {
  type        = string
  sensitive   = true
  description = "The openstack RabbitMQ user's password (passwords.yml: rabbitmq_password)."
}

variable "memcache_secret_key" {
  type        = string
  sensitive   = true
  description = "The key of memcached's token cache (passwords.yml: memcache_secret_key)."
}
