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

variable "admin_env" {
  type        = map(string)
  sensitive   = true
  description = "The OS_* environment of the admin client that registers the service."
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

variable "api_image" {
  type        = string
  description = "The nova_api image."
}

variable "scheduler_image" {
  type        = string
  description = "The nova_scheduler image."
}

variable "conductor_image" {
  type        = string
  description = "The nova_conductor image."
}

variable "compute_image" {
  type        = string
  description = "The nova_compute image."
}

variable "libvirt_image" {
  type        = string
  default     = null
  description = "The nova_libvirt image (the qemu driver only)."
}

variable "compute_hosts" {
  type        = list(string)
  description = "Where nova_compute runs (kolla-ansible's compute group); each is discovered into the cell after it registers."
}

variable "compute_virt_type" {
  type        = string
  default     = "fake"
  description = "The compute driver: fake (nova's FakeDriver: no guest runs) or qemu (libvirt, TCG) — kolla-ansible's nova_compute_virt_type."
  validation {
    condition     = contains(["fake", "qemu"], var.compute_virt_type)
    error_message = "compute_virt_type is fake or qemu."
  }
}

variable "url" {
  type        = string
  description = "Nova's compute endpoint without the version, e.g. http://10.0.0.10:8774."
}

variable "glance_url" {
  type        = string
  description = "Glance's endpoint, e.g. http://10.0.0.10:9292."
}

variable "neutron_url" {
  type        = string
  default     = null
  description = "Neutron's endpoint when neutron is deployed (nova then plugs ports and proxies metadata)."
}

variable "cell_name" {
  type        = string
  default     = "cell1"
  description = "The name of the cell the conductor and the computes form."
}

variable "nova_database_password" {
  type        = string
  sensitive   = true
  description = "The nova database user's password, for the cell and cell0 databases (passwords.yml: nova_database_password)."
}

variable "nova_api_database_password" {
  type        = string
  sensitive   = true
  description = "The nova_api database user's password (passwords.yml: nova_api_database_password)."
}

variable "nova_keystone_password" {
  type        = string
  sensitive   = true
  description = "The nova Keystone user's password (passwords.yml: nova_keystone_password)."
}

variable "placement_keystone_password" {
  type        = string
  sensitive   = true
  description = "The placement Keystone user's password, with which nova reports to placement (passwords.yml: placement_keystone_password)."
}

variable "neutron_keystone_password" {
  type        = string
  default     = ""
  sensitive   = true
  description = "The neutron Keystone user's password, with which nova manages ports (passwords.yml: neutron_keystone_password)."
}

variable "metadata_secret" {
  type        = string
  default     = ""
  sensitive   = true
  description = "The shared secret of the metadata proxy (passwords.yml: metadata_secret)."
}
