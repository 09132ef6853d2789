# hello: two small services on the local Docker engine.
#   store — keeps a named volume and reports healthy once it has written to it;
#   web   — busybox httpd serving a page rendered from a template; starts after store.
# Images are built locally from Debian's busybox-static: scripts/build-test-images.sh.

kolla {
  project    = "hello"
  config_dir = "/etc/kolla/hello"
}

variable "greeting" {
  type        = string
  default     = "Hello from kolla"
  description = "Text of the page web serves."
}

variable "web_port" {
  type    = number
  default = 8080
  validation {
    condition     = var.web_port > 1024 && var.web_port < 65536
    error_message = "web_port must be an unprivileged port (1025-65535)."
  }
}

locals {
  image = "kolla-test/busybox:1"
}

host "local" {
  address    = "127.0.0.1"
  connection = "local"
  groups     = ["web"]
}

volume "hello_data" {
  hosts = group.all
}

service "store" {
  hosts = group.all

  container "hello_store" {
    image   = local.image
    command = ["sh", "-c", "date > /data/started && exec sleep 2147483647"]
    volumes = ["hello_data:/data"]
    healthcheck {
      test     = ["CMD", "test", "-f", "/data/started"]
      interval = "1s"
      retries  = 30
    }
  }
}

service "web" {
  hosts      = group.web
  depends_on = [service.store]

  config "index.html" {
    template = "templates/index.html.j2"
    dest     = "/var/www/index.html"
    perm     = "0644"
  }

  container "hello_web" {
    image        = local.image
    kolla_start  = false # busybox has no kolla_start: httpd serves the delivered files directly
    command      = ["httpd", "-f", "-p", "${var.web_port}", "-h", "/var/lib/kolla/config_files"]
    network_mode = "host"
    volumes      = ["hello_data:/data:ro"]
    healthcheck {
      test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${var.web_port}/index.html"]
      interval = "1s"
      retries  = 30
    }
  }
}

output "url" {
  value = "http://${hosts.local.address}:${var.web_port}/index.html"
}
