# rolling: three hosts in control / network / compute groups, reached over SSH, as in
# kolla-ansible's multinode inventory. `scripts/testbed up 3` creates such hosts on one
# machine (network namespaces with their own sshd and dockerd).

kolla {
  project    = "multinode"
  config_dir = "/etc/kolla/multinode"
}

variable "ssh_key" {
  type    = string
  default = "~/.ssh/id_ed25519"
}

variable "subnet" {
  type        = string
  default     = "10.77.0"
  description = "First three octets of the testbed's addresses."
}

variable "testbed_dir" {
  type        = string
  default     = ""
  description = "scripts/testbed's directory, where each of its hosts has its own Docker socket (they share this machine's /run)."
}

locals {
  image = "kolla-test/busybox:1"
  # Each testbed host's dockerd listens on its own socket (see scripts/testbed); its
  # /etc/kolla and /var/lib/kolla (config files, host locks) are its own already.
  socket = { for i in [1, 2, 3] : "node${i}" => var.testbed_dir == "" ? "/var/run/docker.sock" : "${var.testbed_dir}/${i}/docker.sock" }
}

host "node1" {
  address       = "${var.subnet}.11"
  identity_file = var.ssh_key
  docker_socket = local.socket["node1"]
  groups        = ["control", "network"]
  vars          = { api_interface = "veth0" }
}

host "node2" {
  address       = "${var.subnet}.12"
  identity_file = var.ssh_key
  docker_socket = local.socket["node2"]
  groups        = ["compute"]
}

host "node3" {
  address       = "${var.subnet}.13"
  identity_file = var.ssh_key
  docker_socket = local.socket["node3"]
  groups        = ["compute"]
}

group "api" { children = ["control"] }
group "agents" { children = ["network", "compute"] }

volume "data" { hosts = group.control }

service "api" {
  hosts = group.api

  config "api.conf" {
    template = "templates/api.conf.j2"
    dest     = "/etc/api/api.conf"
  }

  container "api" {
    image        = local.image
    kolla_start  = false
    command      = ["httpd", "-f", "-p", "8080", "-h", "/var/lib/kolla/config_files"]
    network_mode = "host"
    volumes      = ["data:/data"]
    healthcheck {
      test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/api.conf"]
      interval = "1s"
      retries  = 30
    }
  }
}

service "agent" {
  hosts      = group.agents
  depends_on = [service.api]
  serial     = 1

  container "agent" {
    image        = local.image
    network_mode = "host"
    command     = "sh -c 'while true; do wget -q -O /dev/null http://${hosts.node1.address}:8080/api.conf; sleep 5; done'"
    environment = { NODE = host.name, GROUPS = join(",", host.groups) }
  }
}

output "api_url" {
  value = "http://${hosts.node1.address}:8080/api.conf"
}
