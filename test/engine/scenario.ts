/**
 * A small two-service configuration for end-to-end tests, with knobs for every change
 * class: an environment value (replace), the restart policy (in place), the config file
 * (restart), the image, and a healthcheck that can be made to fail.
 */
export interface Knobs {
  project: string;
  configDir: string;
  env?: string;
  restart?: string;
  greeting?: string;
  image?: string;
  failHealth?: boolean;
  withApp?: boolean;
  copyOnce?: boolean;
  /** Seconds the app takes to become healthy. */
  slowHealthS?: number;
}

export function scenario(k: Knobs): Record<string, string> {
  const image = k.image ?? 'kolla-test/busybox:1';
  const app =
    k.withApp === false
      ? ''
      : `
service "app" {
  hosts      = group.all
  depends_on = [service.db]

  config "app.conf" {
    content = "greeting = \${var.greeting}\\n"
    dest    = "/etc/app/app.conf"
  }

  container "${k.project}_app" {
    image       = "${image}"
    kolla_start = false
    command     = ["sh", "-c", "${k.slowHealthS ? `sleep ${k.slowHealthS} && ` : ''}touch /tmp/ok && exec sleep 2147483647"]
    environment = { MODE = "${k.env ?? 'one'}"${k.copyOnce ? ', KOLLA_CONFIG_STRATEGY = "COPY_ONCE"' : ''} }
    restart_policy = "${k.restart ?? 'unless-stopped'}"
    health_timeout = "${k.slowHealthS ? k.slowHealthS + 20 : 8}s"
    stop_timeout   = "1s"
    healthcheck {
      test     = ${k.failHealth ? '["CMD", "false"]' : '["CMD", "test", "-f", "/tmp/ok"]'}
      interval = "1s"
      retries  = 2${
        k.slowHealthS
          ? `
      start_period = "${k.slowHealthS + 10}s"`
          : ''
      }
    }
  }
}
`;
  return {
    'main.hcl': `
kolla {
  project    = "${k.project}"
  config_dir = "${k.configDir}"
  settle_time = "1s"
}

variable "greeting" {
  type    = string
  default = "${k.greeting ?? 'hello'}"
}

host "local" {
  address    = "127.0.0.1"
  connection = "local"
}

volume "${k.project}_data" {}

service "db" {
  hosts = group.all
  container "${k.project}_db" {
    image   = "kolla-test/busybox:1"
    command = ["sh", "-c", "touch /data/ok && exec sleep 2147483647"]
    volumes = ["${k.project}_data:/data"]
    stop_timeout = "1s"
    healthcheck {
      test     = ["CMD", "test", "-f", "/data/ok"]
      interval = "1s"
      retries  = 10
    }
  }
}
${app}
output "project" {
  value = "${k.project}"
}
`,
  };
}
