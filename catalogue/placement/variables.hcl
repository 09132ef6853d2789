variable "image" {
  type        = string
  description = "The image reference the service runs (kolla-ansible's <service>_image_full)."
}

variable "hosts" {
  type        = list(string)
  description = "Where it runs: host names (kolla-ansible's inventory group of the service)."
}

variable "common_env" {
  type        = map(string)
  default     = { KOLLA_CONFIG_STRATEGY = "COPY_ALWAYS" }
  description = "Environment of every container (kolla-ansible's KOLLA_CONFIG_STRATEGY)."
}

variable "healthcheck" {
  type    = object({ interval = string, retries = number, start_period = string, timeout = string })
  default = {
    interval     = "5s"
    retries      = 3
    start_period = "30s"
    timeout      = "30s"
  }
  description = "Healthcheck timings (kolla-ansible's default_container_healthcheck_*)."
}

variable "overrides_dir" {
  type        = string
  description = "The operator's override files, in kolla-ansible's layout (global.conf, <service>.conf, <service>/<file>, <service>/<host>/<file>): kolla-ansible's node_custom_config."
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

variable "keystone_internal_url" {
  type        = string
  description = "Keystone's internal endpoint, e.g. http://10.0.0.10:5000 (kolla-ansible's keystone_internal_url)."
}

variable "database_address" {
  type        = string
  description = "Where MariaDB listens (kolla-ansible's database_address)."
}

variable "openstack_region_name" {
  type        = string
  default     = "RegionOne"
  description = "The region of the endpoints (kolla-ansible's openstack_region_name)."
}

variable "openstack_service_workers" {
  type        = number
  default     = 2
  description = "API worker processes (kolla-ansible's openstack_service_workers)."
}

variable "admin_env" {
  type        = map(string)
  sensitive   = true
  description = "The OS_* environment of the admin client that registers the service."
}

variable "memcache_secret_key" {
  type        = string
  sensitive   = true
  description = "The key of memcached's token cache (passwords.yml: memcache_secret_key)."
}

variable "memcached_hosts" {
  type        = list(string)
  description = "The hosts memcached runs on (each host's vars.api_interface_address is used)."
}

variable "url" {
  type        = string
  description = "Placement's endpoint, e.g. http://10.0.0.10:8780."
}

variable "placement_database_password" {
  type        = string
  sensitive   = true
  description = "The placement database user's password (passwords.yml: placement_database_password)."
}

variable "placement_keystone_password" {
  type        = string
  sensitive   = true
  description = "The placement Keystone user's password (passwords.yml: placement_keystone_password)."
}
