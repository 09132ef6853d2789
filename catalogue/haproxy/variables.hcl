variable "image" {
  type        = string
  description = "The image reference the service runs (kolla-ansible's haproxy_image_full)."
}

variable "hosts" {
  type        = list(string)
  description = "Where it runs: host names (kolla-ansible's loadbalancer group)."
}

variable "vip_address" {
  type        = string
  description = "The virtual IP the frontends listen on (kolla-ansible's kolla_internal_vip_address); keepalived moves it between the hosts, which need net.ipv4.ip_nonlocal_bind=1 to bind it while they do not hold it."
}

variable "frontends" {
  type = map(object({
    port     = number
    mode     = string
    backends = list(object({ host = string, address = string, port = number, backup = optional(bool, false) }))
    options  = optional(list(string), [])
  }))
  default     = {}
  description = "The load-balanced services by name (kolla-ansible's haproxy dict of each service role): the port on the VIP, mode \"http\" or \"tcp\", the backends (host name, address, port, and backup = true for a server used only while no other is up; each checked by haproxy) and extra haproxy lines (optional) for the section (e.g. \"balance source\", \"option httpchk GET /\"). Each becomes a `listen` section of services.d/ (/etc/haproxy/services.d/frontends.cfg)."
  validation {
    condition     = alltrue([for f in values(var.frontends) : contains(["http", "tcp"], f.mode)])
    error_message = "A frontend's mode is \"http\" or \"tcp\"."
  }
}

variable "stats_port" {
  type        = number
  default     = 1984
  description = "Port of haproxy's stats page on each host's own address (kolla-ansible's haproxy_stats_port); user openstack, password the secret haproxy_password."
}

variable "monitor_port" {
  type        = number
  default     = 61313
  description = "Port of haproxy's monitor URI on each host's address and the VIP (kolla-ansible's haproxy_monitor_port): 200 while haproxy runs. The container's healthcheck and keepalived's track script curl it."
}

variable "max_connections" {
  type        = number
  default     = 4000
  description = "haproxy's global maxconn (kolla-ansible's haproxy_max_connections, 40000 there). haproxy needs about two open files per connection and refuses to start when the container's hard limit (dockerd's) is lower: 40000 needs more than 80000."
}

variable "timeouts" {
  type = object({ connect = string, client = string, server = string, check = string })
  default = {
    connect = "10s"
    client  = "1m"
    server  = "1m"
    check   = "10s"
  }
  description = "haproxy's defaults timeouts (kolla-ansible's haproxy_*_timeout)."
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
    start_period = "5s"
    timeout      = "30s"
  }
  description = "Healthcheck timings (kolla-ansible's default_container_healthcheck_*)."
}
