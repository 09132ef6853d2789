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

variable "cluster_port" {
  type        = number
  default     = 25672
  description = "The Erlang distribution port the nodes of a cluster (and rabbitmqctl) talk on (kolla-ansible's rabbitmq_cluster_port)."
}

variable "epmd_port" {
  type        = number
  default     = 4369
  description = "The Erlang port mapper's port (kolla-ansible's rabbitmq_epmd_port)."
}

variable "quorum_queues" {
  type        = bool
  default     = true
  description = "In a cluster (more than one host): the vhost / is made with quorum queues as its default queue type (definitions.json's default_queue_type), so a durable queue declared without x-queue-type is replicated on every node. RabbitMQ 3.10 keeps non-durable and auto-delete queues classic, and sets it only when it creates the vhost (a new cluster)."
}

variable "start_timeout" {
  type        = string
  default     = "180s"
  description = "In a cluster: how long a node may take to start and join the others (its healthcheck's start_period and apply's health_timeout)."
}

variable "extra_config" {
  type        = map(string)
  default     = {}
  description = "More rabbitmq.conf settings, key = value (kolla-ansible's rabbitmq_extra_config). A change restarts the nodes one at a time."
}
