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

variable "server_image" {
  type        = string
  description = "The neutron_server image."
}

variable "linuxbridge_agent_image" {
  type        = string
  description = "The neutron_linuxbridge_agent image."
}

variable "dhcp_agent_image" {
  type        = string
  description = "The neutron_dhcp_agent image."
}

variable "metadata_agent_image" {
  type        = string
  description = "The neutron_metadata_agent image."
}

variable "network_hosts" {
  type        = list(string)
  description = "Where the DHCP and metadata agents run (kolla-ansible's network group)."
}

variable "compute_hosts" {
  type        = list(string)
  description = "The compute hosts: the linuxbridge agent runs on them and on the network hosts."
}

variable "url" {
  type        = string
  description = "Neutron's endpoint, e.g. http://10.0.0.10:9696."
}

variable "nova_metadata_host" {
  type        = string
  description = "Where nova's metadata API listens (port 8775)."
}

variable "physical_networks" {
  type        = map(string)
  default     = { physnet1 = "kolla-phy0" }
  description = "Flat provider networks and the host interface each is bridged to (kolla-ansible's neutron_external_interface as physnet1). An interface that does not exist is made as one end of a veth pair (the other end is <name>p): a host-preparation bootstrap, planned like any other."
}

variable "enable_vxlan" {
  type        = bool
  default     = false
  description = "VXLAN tenant networks between the hosts, over each host's vars.tunnel_interface_address (or api_interface_address)."
}

variable "neutron_database_password" {
  type        = string
  sensitive   = true
  description = "The neutron database user's password (passwords.yml: neutron_database_password)."
}

variable "neutron_keystone_password" {
  type        = string
  sensitive   = true
  description = "The neutron Keystone user's password (passwords.yml: neutron_keystone_password)."
}

variable "nova_keystone_password" {
  type        = string
  sensitive   = true
  description = "The nova Keystone user's password, with which neutron tells nova of port events (passwords.yml: nova_keystone_password)."
}

variable "metadata_secret" {
  type        = string
  sensitive   = true
  description = "The shared secret of the metadata proxy (passwords.yml: metadata_secret)."
}
