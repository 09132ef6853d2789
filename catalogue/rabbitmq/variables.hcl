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

variable "rabbitmq_password" {
  type        = string
  sensitive   = true
  description = "The openstack user's password (kolla-ansible's rabbitmq_password)."
}

variable "cluster_cookie" {
  type        = string
  sensitive   = true
  description = "The Erlang cookie (kolla-ansible's rabbitmq_cluster_cookie)."
}

variable "volume_prefix" {
  type        = string
  default     = ""
  description = "Put before every Docker volume name of the module: a second deployment on the same engine (a test beside the real one) keeps its data apart."
}
