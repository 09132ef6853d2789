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

variable "public_url" {
  type        = string
  description = "Keystone's public endpoint, e.g. http://10.0.0.10:5000 (kolla-ansible's keystone_public_url)."
}

variable "fernet_token_expiry" {
  type        = number
  default     = 86400
  description = "Token lifetime in seconds ([token] expiration)."
}

variable "keystone_admin_password" {
  type        = string
  sensitive   = true
  description = "The admin user's password (passwords.yml: keystone_admin_password)."
}

variable "keystone_database_password" {
  type        = string
  sensitive   = true
  description = "The keystone database user's password (passwords.yml: keystone_database_password)."
}

variable "rabbitmq_password" {
  type        = string
  sensitive   = true
  description = "The openstack RabbitMQ user's password (passwords.yml: rabbitmq_password)."
}

variable "fernet_keys" {
  type        = list(string)
  sensitive   = true
  description = "The Fernet token keys, in key-repository order: the staged key, the secondary key, the primary key (a secret of type fernet_keys; kolla secrets rotate rotates it)."
  validation {
    condition     = length(var.fernet_keys) == 3
    error_message = "The keystone module renders 3 Fernet keys (max_active_keys 3): the secret's count must be 3 (kolla secrets generate resizes a key set to its count)."
  }
}

variable "credential_keys" {
  type        = list(string)
  sensitive   = true
  description = "The credential encryption keys, in key-repository order: staged, secondary, primary (a secret of type credential_keys)."
  validation {
    condition     = length(var.credential_keys) == 3
    error_message = "The keystone module renders 3 credential keys (keystone's fixed max_active_keys for credentials): the secret's count must be 3 (kolla secrets generate resizes a key set to its count)."
  }
}
