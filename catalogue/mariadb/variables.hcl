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

variable "root_password" {
  type        = string
  sensitive   = true
  description = "MariaDB's root password (kolla-ansible's database_password)."
}

variable "databases" {
  type        = map(object({ user = string, password = string }))
  default     = {}
  description = "The services' databases, by schema name: the account that uses each and its password (a secret). Planned as database blocks: created, updated (ALTER USER), drift when dropped by hand."
}

variable "volume_prefix" {
  type        = string
  default     = ""
  description = "Put before every Docker volume name of the module: a second deployment on the same engine (a test beside the real one) keeps its data apart."
}

variable "cluster_name" {
  type        = string
  default     = "openstack"
  description = "The Galera cluster's name (kolla-ansible's database_cluster_name), used when `hosts` has more than one host."
}

variable "sync_timeout" {
  type        = string
  default     = "600s"
  description = "In a Galera cluster: how long a node may take to start, receive its state transfer and be Synced (kolla-ansible's wait for the WSREP sync): its healthcheck's start_period and apply's health_timeout. A large database needs more."
}
