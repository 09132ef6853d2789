/**
 * The graph of desired instances: one node per instance, one edge per dependency, one
 * "Dependency cycle" diagnostic per cycle (with the addresses on it and the services to
 * fix), and the DOT drawing `kolla graph` prints.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Diagnostics } from '../../../src/diags/diagnostic.js';
import type { ContainerInstance, Instance } from '../../../src/expand/instances.js';
import { instanceGraph, toDot } from '../../../src/graph/instance-graph.js';
import { kindOf } from '../../../src/kinds/registry.js';
import { ctr, expandHcl, removeConfigs } from '../expand/helpers.js';

afterAll(removeConfigs);

const CYCLE = `
host "h1" {
  address = "10.0.0.1"
}
host "h2" {
  address = "10.0.0.2"
}
host "h3" {
  address = "10.0.0.3"
}

service "keystone" {
  hosts      = group.all
  depends_on = [service.glance]
  container "keystone" { image = "keystone" }
  container "keystone_ssh" { image = "keystone-ssh" }
}

service "glance" {
  hosts      = group.all
  depends_on = [service.keystone]
  container "glance_api" { image = "glance-api" }
}
`;

function container(address: string, dependsOn: string[], service = 's'): ContainerInstance {
  return { address, kind: 'container', host: 'h1', dependsOn, service } as unknown as ContainerInstance;
}

describe('instanceGraph', () => {
  it('has a node per instance and an edge per dependency, in dependency order', async () => {
    const e = await expandHcl(`
host "h1" {
  address = "127.0.0.1"
}
volume "data" {}
service "db" {
  hosts = group.all
  container "db" {
    image   = "mariadb"
    volumes = ["data:/var/lib/mysql"]
  }
}
service "web" {
  hosts      = group.all
  depends_on = [service.db]
  config "index.html" {
    content = "hello"
    dest    = "/var/www/index.html"
  }
  container "web" { image = "nginx" }
}`);
    expect(e.messages()).toEqual([]);
    const g = e.graph!;
    expect(g.nodes().sort()).toEqual(e.addresses().sort());
    expect(g.edges().sort()).toEqual(
      [
        [ctr('db', 'db', 'h1'), 'volume.data["h1"]'],
        [ctr('web', 'web', 'h1'), ctr('db', 'db', 'h1')],
        [ctr('web', 'web', 'h1'), 'service.web.config["index.html"]["h1"]'],
        [ctr('web', 'web', 'h1'), 'service.web.container.web.config_json["h1"]'],
      ].sort(),
    );
    const order = g.topoOrder();
    expect(order.indexOf('volume.data["h1"]')).toBeLessThan(order.indexOf(ctr('db', 'db', 'h1')));
    expect(order.indexOf(ctr('db', 'db', 'h1'))).toBeLessThan(order.indexOf(ctr('web', 'web', 'h1')));
    expect(order[order.length - 1]).toBe(ctr('web', 'web', 'h1'));
  });

  it('reports a depends_on cycle between services once, however many hosts, with its addresses', async () => {
    const e = await expandHcl(CYCLE);
    expect(e.messages()).toEqual([
      'main.hcl:22:13: Dependency cycle: service.glance.container.glance_api["h1"] → service.keystone.container.keystone["h1"] → service.glance.container.glance_api["h1"]',
    ]);
    expect(e.diagnostics[0]!.detail).toBe(
      'The services service.glance → service.keystone → service.glance wait for each other. Break the cycle by removing one of their depends_on references.',
    );
  });

  it('reports a three-service cycle with every service on it', async () => {
    const e = await expandHcl(`
host "h1" {
  address = "127.0.0.1"
}
service "a" {
  hosts      = group.all
  depends_on = [service.c]
  container "a" { image = "x" }
}
service "b" {
  hosts      = group.all
  depends_on = [service.a]
  container "b" { image = "x" }
}
service "c" {
  hosts      = group.all
  depends_on = [service.b]
  container "c" { image = "x" }
}`);
    expect(e.diagnostics).toHaveLength(1);
    expect(e.diagnostics[0]!.summary).toBe(
      'Dependency cycle: service.a.container.a["h1"] → service.c.container.c["h1"] → service.b.container.b["h1"] → service.a.container.a["h1"]',
    );
    expect(e.diagnostics[0]!.detail).toContain('service.a → service.c → service.b → service.a');
  });

  it('reports separate cycles separately', () => {
    const instances: Instance[] = [
      container('a', ['b']),
      container('b', ['a']),
      container('x', ['y'], 't'),
      container('y', ['x'], 't'),
      container('z', ['a']),
    ];
    const diags = new Diagnostics();
    instanceGraph(instances, diags);
    expect(diags.map((d) => d.summary)).toEqual([
      'Dependency cycle: a → b → a',
      'Dependency cycle: x → y → x',
    ]);
  });
});

describe('toDot', () => {
  it('draws every node with a shape per kind and every edge', async () => {
    const e = await expandHcl(`
host "h1" {
  address = "127.0.0.1"
}
volume "data" {}
image "app" { template = "Dockerfile.j2" }
service "app" {
  hosts = group.all
  bootstrap "init" { image = image.app }
  container "app" {
    image   = image.app
    volumes = ["data:/data"]
  }
}`);
    expect(e.messages()).toEqual([]);
    const dot = toDot(e.instances, e.graph!, (k) => kindOf(k).shape);
    expect(dot.startsWith('digraph kolla {\n')).toBe(true);
    expect(dot.endsWith('}\n')).toBe(true);
    expect(dot).toContain('  "volume.data[\\"h1\\"]" [shape = cylinder];');
    expect(dot).toContain('  "image.app[\\"h1\\"]" [shape = box3d];');
    expect(dot).toContain('  "service.app.bootstrap.init" [shape = component];');
    expect(dot).toContain('  "service.app.container.app[\\"h1\\"]" [shape = box];');
    expect(dot).toContain('  "service.app.container.app[\\"h1\\"]" -> "service.app.bootstrap.init";');
    expect(dot).toContain('  "service.app.container.app[\\"h1\\"]" -> "image.app[\\"h1\\"]";');
    expect(dot).toContain('  "service.app.container.app[\\"h1\\"]" -> "volume.data[\\"h1\\"]";');
    expect(dot.match(/ -> /g)).toHaveLength(e.graph!.edges().length);
  });
});
