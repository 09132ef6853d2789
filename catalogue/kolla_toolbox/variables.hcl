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

variable "keystone_internal_url" {
  type        = string
  description = "Keystone's internal endpoint, e.g. http://10.0.0.10:5000 (kolla-ansible's keystone_internal_url)."
}

variable "openstack_region_name" {
  type        = string
  default     = "RegionOne"
  description = "The region of the endpoints (kolla-ansible's openstack_region_name)."
}

variable "keystone_admin_password" {
  type        = string
  sensitive   = true
  description = "The admin user's password (passwords.yml: keystone_admin_password)."
}
