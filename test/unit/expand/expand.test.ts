/**
 * Expansion into instances and their edges: explicit depends_on (a service waits for every
 * container of the services it names), and the implicit edges — a container waits for the
 * volumes it mounts, its config files and config.json, its image, and its service's
 * bootstrap tasks; a bootstrap runs once, on the first host of its service.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { BootstrapInstance, ConfigInstance } from '../../../src/expand/instances.js';
import { ctr, expandHcl, removeConfigs } from './helpers.js';

afterAll(removeConfigs);

const HOSTS = `
host "h1" {
  address = "10.0.0.1"
}
host "h2" {
  address = "10.0.0.2"
}
`;

const STACK = `${HOSTS}
volume "data" {}
image "app" {
  template = "docker/app/Dockerfile.j2"
  tag      = "1.0"
}

service "db" {
  hosts = group.all
  container "db" {
    image   = "mariadb:10"
    volumes = ["data:/var/lib/mysql"]
  }
}

service "api" {
  hosts      = ["h2", "h1"]
  depends_on = [service.db]
  serial     = 1

  config "api.conf" {
    content = "port = 8080\\n"
    dest    = "/etc/api/api.conf"
  }

  bootstrap "migrate" {
    image   = image.app
    command = "api-manage db_sync"
  }

  container "api" {
    image   = image.app
    command = "api --port 8080"
  }

  container "api_worker" {
    image       = "worker:1"
    kolla_start = false
    command     = ["worker", "--queue", "default"]
  }
}
`;

describe('expansion', () => {
  it('makes the instances of every service, volume and image on its hosts', async () => {
    const e = await expandHcl(STACK);
    expect(e.messages()).toEqual([]);
    expect(e.addresses().sort()).toEqual(
      [
        ctr('db', 'db', 'h1'),
        ctr('db', 'db', 'h2'),
        'service.api.config["api.conf"]["h2"]',
        'service.api.config["api.conf"]["h1"]',
        'service.api.container.api.config_json["h2"]',
        'service.api.container.api.config_json["h1"]',
        ctr('api', 'api', 'h2'),
        ctr('api', 'api', 'h1'),
        ctr('api', 'api_worker', 'h2'),
        ctr('api', 'api_worker', 'h1'),
        'service.api.bootstrap.migrate',
        'volume.data["h1"]',
        'volume.data["h2"]',
        'image.app["h2"]',
        'image.app["h1"]',
      ].sort(),
    );
  });

  it('volume → container: a container waits for the volume it mounts on its host', async () => {
    const e = await expandHcl(STACK);
    expect(e.get(ctr('db', 'db', 'h1')).dependsOn).toEqual(['volume.data["h1"]']);
    expect(e.get(ctr('db', 'db', 'h2')).dependsOn).toEqual(['volume.data["h2"]']);
    // a volume without hosts exists where it is mounted
    expect(e.get('volume.data["h1"]').dependsOn).toEqual([]);
  });

  it('config → container: a container waits for its config files and config.json', async () => {
    const e = await expandHcl(STACK);
    const api = e.container(ctr('api', 'api', 'h2'));
    expect(api.dependsOn).toContain('service.api.config["api.conf"]["h2"]');
    expect(api.dependsOn).toContain('service.api.container.api.config_json["h2"]');
    expect(api.dependsOn).not.toContain('service.api.config["api.conf"]["h1"]');
    const cfg = e.get('service.api.config["api.conf"]["h2"]') as ConfigInstance;
    expect(cfg).toMatchObject({ kind: 'config', container: 'api', content: 'port = 8080\n' });
    // the config.json tells kolla_start what to copy and what to run
    const json = JSON.parse((e.get('service.api.container.api.config_json["h2"]') as ConfigInstance).content);
    expect(json).toEqual({
      command: 'api --port 8080',
      config_files: [
        {
          source: '/var/lib/kolla/config_files/api.conf',
          dest: '/etc/api/api.conf',
          owner: 'root',
          perm: '0600',
        },
      ],
    });
    // a container without config blocks and without kolla_start gets none
    const worker = e.container(ctr('api', 'api_worker', 'h2'));
    expect(worker.dependsOn.filter((d) => d.includes('config'))).toEqual([]);
    expect(worker.spec.command).toEqual(['worker', '--queue', 'default']);
  });

  it('image → container: a container using image.NAME waits for that image on its host', async () => {
    const e = await expandHcl(STACK);
    expect(e.get(ctr('api', 'api', 'h1')).dependsOn).toContain('image.app["h1"]');
    expect(e.get(ctr('api', 'api_worker', 'h1')).dependsOn.some((d) => d.startsWith('image.'))).toBe(false);
    expect(e.get('image.app["h1"]')).toMatchObject({ kind: 'image', ref: 'kolla/app:1.0' });
    expect(e.container(ctr('api', 'api', 'h1')).spec.image).toBe('kolla/app:1.0');
  });

  it('depends_on: every container of a service waits for all containers of the services it names', async () => {
    const e = await expandHcl(STACK);
    for (const c of [ctr('api', 'api', 'h1'), ctr('api', 'api', 'h2'), ctr('api', 'api_worker', 'h1')]) {
      expect(e.get(c).dependsOn).toEqual(
        expect.arrayContaining([ctr('db', 'db', 'h1'), ctr('db', 'db', 'h2')]),
      );
    }
    // and the upstream does not wait for its dependents
    expect(e.get(ctr('db', 'db', 'h1')).dependsOn.some((d) => d.includes('service.api'))).toBe(false);
  });

  it('bootstrap: once, on the first host of the service, before its containers, after its upstream', async () => {
    const e = await expandHcl(STACK);
    const boot = e.get('service.api.bootstrap.migrate') as BootstrapInstance;
    expect(boot.kind).toBe('bootstrap');
    expect(boot.host).toBe('h2'); // first of hosts = ["h2", "h1"]
    expect(e.instances.filter((i) => i.kind === 'bootstrap')).toHaveLength(1);
    // bootstrap → containers of its service, on every host
    for (const c of [ctr('api', 'api', 'h1'), ctr('api', 'api', 'h2'), ctr('api', 'api_worker', 'h1')]) {
      expect(e.get(c).dependsOn).toContain('service.api.bootstrap.migrate');
    }
    // the bootstrap waits for the upstream service and for the config it runs with
    expect(boot.dependsOn).toEqual(
      expect.arrayContaining([
        ctr('db', 'db', 'h1'),
        ctr('db', 'db', 'h2'),
        'service.api.config["api.conf"]["h2"]',
        'service.api.container.api.config_json["h2"]',
      ]),
    );
    // a Kolla image runs the bootstrap command through kolla_start with the service's config
    expect(boot.spec.environment).toMatchObject({ KOLLA_BOOTSTRAP: '', KOLLA_COMMAND: 'api-manage db_sync' });
    expect(boot.spec.volumes).toContain('/etc/kolla/api/:/var/lib/kolla/config_files/:ro');
    expect(boot.spec.restart_policy).toBe('no');
  });

  it('bootstraps of one service run in the order they are written', async () => {
    const e = await expandHcl(`${HOSTS}
service "id" {
  hosts = group.all
  bootstrap "db_sync" { image = "id" }
  bootstrap "keys" {
    image        = "id"
    on_each_host = true
  }
  bootstrap "bootstrap" { image = "id" }
  container "id" { image = "id" }
}`);
    expect(e.messages()).toEqual([]);
    expect(e.get('service.id.bootstrap.db_sync').dependsOn).toEqual([]);
    // each host's run of an on_each_host bootstrap waits for the earlier ones, not for its siblings
    for (const h of ['h1', 'h2'])
      expect(e.get(`service.id.bootstrap.keys["${h}"]`).dependsOn).toEqual(['service.id.bootstrap.db_sync']);
    expect(e.get('service.id.bootstrap.bootstrap').dependsOn).toEqual([
      'service.id.bootstrap.db_sync',
      'service.id.bootstrap.keys["h1"]',
      'service.id.bootstrap.keys["h2"]',
    ]);
  });

  it('serial: the batch size is carried by each container of the service', async () => {
    const e = await expandHcl(`${STACK}
service "agent" {
  hosts  = group.all
  serial = "50%"
  container "agent" { image = "agent" }
}`);
    expect(e.messages()).toEqual([]);
    expect(e.container(ctr('api', 'api', 'h1')).serial).toBe(1);
    expect(e.container(ctr('agent', 'agent', 'h2')).serial).toBe('50%');
    expect(e.container(ctr('db', 'db', 'h1')).serial).toBeUndefined();
  });

  it.each([
    ['0', 'main.hcl:11:12: Invalid value for "serial" in service "web"'],
    ['"half"', 'main.hcl:11:12: Invalid value for "serial" in service "web"'],
  ])('serial = %s is an error', async (serial, message) => {
    const e = await expandHcl(`${HOSTS}
service "web" {
  hosts  = group.all
  serial = ${serial}
  container "web" { image = "nginx" }
}`);
    expect(e.messages()).toEqual([message]);
  });
});

describe('disabled services', () => {
  const CONFIG = `${HOSTS}
variable "enable_db" {
  type    = bool
  default = false
}

service "db" {
  hosts   = group.all
  enabled = var.enable_db
  bootstrap "init" { image = "mariadb" }
  container "db" { image = "mariadb" }
}

service "api" {
  hosts      = group.all
  depends_on = [service.db]
  container "api" { image = "api" }
}
`;

  it('have no instances, and their dependents drop the edge', async () => {
    const e = await expandHcl(CONFIG);
    expect(e.messages()).toEqual([]);
    expect(e.addresses()).toEqual([ctr('api', 'api', 'h1'), ctr('api', 'api', 'h2')]);
    expect(e.get(ctr('api', 'api', 'h1')).dependsOn).toEqual([]);
    expect(e.graph!.edges()).toEqual([]);
  });

  it('come back with their edges when enabled', async () => {
    const e = await expandHcl(CONFIG.replace('default = false', 'default = true'));
    expect(e.messages()).toEqual([]);
    expect(e.get(ctr('api', 'api', 'h1')).dependsOn).toEqual([ctr('db', 'db', 'h1'), ctr('db', 'db', 'h2')]);
    expect(e.get(ctr('db', 'db', 'h1')).dependsOn).toEqual(['service.db.bootstrap.init']);
  });

  it('report an enabled that is not a bool', async () => {
    const e = await expandHcl(CONFIG.replace('enabled = var.enable_db', 'enabled = "no"'));
    expect(e.messages()).toEqual(['main.hcl:16:13: Invalid value for "enabled" in service "db"']);
  });
});

describe('expansion diagnostics', () => {
  it('two containers with one name on one host, across services', async () => {
    const e = await expandHcl(`${HOSTS}
service "a" {
  hosts = group.all
  container "proxy" { image = "haproxy" }
}
service "b" {
  hosts = ["h2"]
  container "proxy" { image = "nginx" }
}`);
    expect(e.messages()).toEqual(['main.hcl:15:13: Two containers named "proxy" on host "h2"']);
    expect(e.diagnostics[0]!.detail).toContain(
      'service.a.container.proxy["h2"] and service.b.container.proxy["h2"]',
    );
  });

  it('a volume mounted on a host it is not placed on: one error', async () => {
    const e = await expandHcl(`${HOSTS}
volume "data" { hosts = ["h1"] }
service "a" {
  hosts = group.all
  container "a" {
    image   = "x"
    volumes = ["data:/data"]
  }
  container "b" {
    image   = "x"
    volumes = ["data:/data"]
  }
}`);
    expect(e.messages()).toEqual(['main.hcl:9:8: Volume "data" is not placed on host "h2"']);
  });

  it('a template with an undefined variable names the template file and line', async () => {
    const e = await expandHcl(
      `${HOSTS}
service "a" {
  hosts = ["h1"]
  config "a.conf" {
    template = "templates/a.conf.j2"
    dest     = "/etc/a.conf"
  }
  container "a" { image = "x" }
}`,
      { 'templates/a.conf.j2': '[DEFAULT]\nhost = {{ host.address }}\nport = {{ var.port }}\n' },
    );
    expect(e.messages()).toEqual([
      'templates/a.conf.j2:3:8: Error in template templates/a.conf.j2 at line 3',
    ]);
  });

  it('a template error without a line in it points at the template argument', async () => {
    const e = await expandHcl(
      `${HOSTS}
service "a" {
  hosts = ["h1"]
  config "a.conf" {
    template = "a.conf.j2"
    dest     = "/etc/a.conf"
  }
  container "a" { image = "x" }
}`,
      { 'a.conf.j2': '{% if true %}\nx = 1\n' },
    );
    expect(e.messages()).toEqual(['main.hcl:12:16: Error in template a.conf.j2']);
  });
});
