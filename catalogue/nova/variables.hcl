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

variable "rabbitmq_hosts" {
  type        = list(string)
  description = "The hosts RabbitMQ runs on (each host's vars.api_interface_address is used): the transport URL of every service on every host, compute hosts included."
}

variable "memcached_hosts" {
  type        = list(string)
  description = "The hosts memcached runs on (each host's vars.api_interface_address is used)."
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

variable "volume_prefix" {
  type        = string
  default     = ""
  description = "Put before every Docker volume name of the module: a second deployment on the same engine (a test beside the real one) keeps its data apart."
}
