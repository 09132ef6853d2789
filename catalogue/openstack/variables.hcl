# kolla/openstack: globals-style inputs, as in kolla-ansible's globals.yml.

variable "api_interface_address" {
  type        = string
  default     = "127.0.0.1"
  description = "Address the APIs, MariaDB, RabbitMQ and memcached listen on (kolla-ansible's api_interface_address). Each host also carries it as vars.api_interface_address."
}

variable "openstack_release" {
  type        = string
  default     = "zed"
  description = "The tag of the images kolla builds (kolla-ansible's openstack_release)."
}

variable "openstack_region_name" {
  type        = string
  default     = "RegionOne"
  description = "The region of the endpoints (kolla-ansible's openstack_region_name)."
}

variable "openstack_service_workers" {
  type        = number
  default     = 2
  description = "API worker processes per service (kolla-ansible: the number of CPUs, at most 5)."
}

variable "enable_glance" {
  type        = bool
  default     = true
  description = "Deploy Glance (kolla-ansible's enable_glance)."
}

variable "fernet_token_expiry" {
  type        = number
  default     = 86400
  description = "Keystone token lifetime in seconds ([token] expiration; an override file wins)."
}

variable "keystone_image_full" {
  type        = string
  default     = null
  description = "Run keystone from this image instead of the one kolla builds (kolla-ansible's keystone_image_full)."
}

variable "healthcheck_interval" {
  type        = string
  default     = "30s"
  description = "Healthcheck interval of every service (kolla-ansible's default_container_healthcheck_interval, 30 s). Gates do not wait for it: kolla probes a started container itself. It sets how soon Docker marks a failing container unhealthy, and the CPU the checks cost."
}

variable "healthcheck_start_period" {
  type        = string
  default     = "5s"
  description = "Grace period after a start before failed healthchecks count (kolla-ansible's default_container_healthcheck_start_period, 5 s; a success counts at once: kolla probes itself right after the start)."
}

variable "node_custom_config" {
  type        = string
  default     = "config"
  description = "The operator's override files, relative to the root module's folder, in kolla-ansible's layout (global.conf, <service>.conf, <service>/<file>, <service>/<host>/<file>)."
}

variable "config_overrides" {
  type        = map(map(map(any)))
  default     = {}
  description = "Inline overrides, one more layer after the files of node_custom_config (they win): file name as kolla-ansible's config directory names it → section → key → value, e.g. { \"nova.conf\" = { DEFAULT = { cpu_allocation_ratio = 16 } } }. The files: galera.cnf, keystone.conf, keystone-uwsgi.ini, glance-api.conf, placement.conf, placement-api-uwsgi.ini, nova.conf, neutron.conf, ml2_conf.ini, linuxbridge_agent.ini, dhcp_agent.ini, metadata_agent.ini. A name no config file reads is a warning."
}

variable "base_image_template" {
  type        = string
  default     = "docker/base/Dockerfile.j2"
  description = "The Dockerfile template of the base image (relative to this module, or absolute)."
}

variable "volume_prefix" {
  type        = string
  default     = ""
  description = "Put before every Docker volume name of the module: a second deployment on the same engine (a test beside the real one) keeps its data apart."
}

variable "docker_registry" {
  type        = string
  default     = null
  description = "Pull the images from this registry instead of building them (kolla-ansible's docker_registry), e.g. quay.io. Images are then <docker_registry>/<docker_namespace>/<name>:<openstack_tag>, with kolla-ansible's names (mariadb-server, keystone, glance-api...)."
}

variable "docker_namespace" {
  type        = string
  default     = "openstack.kolla"
  description = "The registry namespace of the images (kolla-ansible's docker_namespace)."
}

variable "openstack_tag" {
  type        = string
  default     = null
  description = "The tag of pulled images (kolla-ansible's openstack_tag; default openstack_release)."
}

variable "service_hosts" {
  type        = map(list(string))
  default     = {}
  description = "Where a service runs, by kolla-ansible's group name (mariadb, memcached, rabbitmq, keystone, glance-api, placement-api, nova-api, nova-compute, neutron-server, neutron-dhcp-agent, kolla-toolbox, loadbalancer), overriding the default: the root's group of that name, else group.control (kolla-toolbox: every host)."
}

variable "enable_nova" {
  type        = bool
  default     = true
  description = "Deploy Nova and, with it, Placement (kolla-ansible's enable_nova and enable_placement)."
}

variable "enable_neutron" {
  type        = bool
  default     = true
  description = "Deploy Neutron with ML2 and linuxbridge agents (kolla-ansible's enable_neutron)."
}

variable "nova_compute_virt_type" {
  type        = string
  default     = "fake"
  description = "The compute driver: fake (nova's FakeDriver, no guest runs: fast, for CI) or qemu (libvirt with TCG) — kolla-ansible's nova_compute_virt_type."
}

variable "neutron_physical_networks" {
  type        = map(string)
  default     = { physnet1 = "kolla-phy0" }
  description = "Flat provider networks and the host interface each is bridged to (kolla-ansible's neutron_external_interface for physnet1). A missing interface is made as a veth pair whose peer is <name>p."
}

variable "neutron_enable_vxlan" {
  type        = bool
  default     = false
  description = "VXLAN tenant networks between the hosts (over each host's vars.tunnel_interface_address, else api_interface_address)."
}

variable "kolla_internal_vip_address" {
  type        = string
  default     = null
  description = "The virtual IP of the APIs and MariaDB (kolla-ansible's kolla_internal_vip_address). Set, the deployment gains haproxy and keepalived on the loadbalancer hosts (kolla-ansible's enable_haproxy, enable_keepalived): every endpoint, the services' database connection and the clients go through the VIP; each service still listens on its host's own vars.api_interface_address. The hosts need net.ipv4.ip_nonlocal_bind=1. Unset (the all-in-one), everything uses api_interface_address."
}

variable "keepalived_interface" {
  type        = string
  default     = null
  description = "The interface VRRP runs on and the VIP is added to, on every loadbalancer host (kolla-ansible's keepalived_interface); default the first loadbalancer host's vars.api_interface."
}

variable "keepalived_virtual_router_id" {
  type        = number
  default     = 51
  description = "The VRRP router id, unique on the network segment (kolla-ansible's keepalived_virtual_router_id)."
}
