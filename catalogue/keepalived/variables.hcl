variable "image" {
  type        = string
  description = "The image reference the service runs (kolla-ansible's keepalived_image_full)."
}

variable "hosts" {
  type        = list(string)
  description = "Where it runs: host names (kolla-ansible's loadbalancer group). The first has the highest VRRP priority unless `priorities` says otherwise."
}

variable "vip_address" {
  type        = string
  description = "The virtual IP keepalived holds on one host at a time (kolla-ansible's kolla_internal_vip_address), added as a /32 on `interface`."
}

variable "interface" {
  type        = string
  description = "The network interface VRRP runs on and the VIP is added to, on every host (kolla-ansible's api_interface / keepalived_interface)."
}

variable "virtual_router_id" {
  type        = number
  default     = 51
  description = "The VRRP router id, 0-255, unique on the network segment (kolla-ansible's keepalived_virtual_router_id)."
  validation {
    condition     = var.virtual_router_id >= 0 && var.virtual_router_id <= 255
    error_message = "virtual_router_id is between 0 and 255."
  }
}

variable "priorities" {
  type        = map(number)
  default     = {}
  description = "VRRP priority (1-254) by host name; a host not listed gets (number of hosts - its index), so the first host is the highest (kolla-ansible gives index + 1: the last host highest)."
}

variable "preempt" {
  type        = bool
  default     = false
  description = "Whether a host of higher priority takes the VIP back when it comes up (false: kolla-ansible's nopreempt, the VIP stays where it is until that host fails)."
}

variable "track_urls" {
  type        = map(string)
  default     = {}
  description = "By host name, a URL the track script check_alive curls every 2 seconds (e.g. module.haproxy.monitor_url): after 2 failures the host gives up the VIP, after 10 successes it may hold it again. A host not listed has no track script."
}

variable "traffic_mode" {
  type        = string
  default     = "unicast"
  description = "How VRRP advertisements travel (kolla-ansible's keepalived_traffic_mode): \"unicast\" from each host's address to the others', or \"multicast\" (224.0.0.18 on `interface`)."
  validation {
    condition     = contains(["unicast", "multicast"], var.traffic_mode)
    error_message = "traffic_mode is \"unicast\" or \"multicast\"."
  }
}

variable "advert_int" {
  type        = number
  default     = 1
  description = "Seconds between VRRP advertisements; a backup takes over after about three missed ones."
}

variable "common_env" {
  type        = map(string)
  default     = { KOLLA_CONFIG_STRATEGY = "COPY_ALWAYS" }
  description = "Environment of every container (kolla-ansible's KOLLA_CONFIG_STRATEGY)."
}
