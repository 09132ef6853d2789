/**
 * Group placement with kolla-ansible's inventory semantics: a host is in the groups it
 * names, in groups that list it, and in every group whose `children` contain one of those,
 * transitively; `all` holds every host, in declaration order.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ctr, expandHcl, removeConfigs } from './helpers.js';

afterAll(removeConfigs);

const INVENTORY = `
host "c1" {
  address = "10.0.0.1"
  groups  = ["control"]
}
host "n1" {
  address = "10.0.0.2"
  groups  = ["network"]
}
host "k1" {
  address = "10.0.0.3"
  groups  = ["compute", "network"]
}
host "s1" {
  address = "10.0.0.4"
}

group "control" {}
group "neutron" { children = ["network"] }
group "neutron-server" { children = ["control"] }
group "openstack" { children = ["neutron", "neutron-server"] }
group "storage" { hosts = ["s1"] }
group "everything" {
  children = ["openstack"]
  hosts    = ["s1", "c1"]
}
group "empty" {}
`;

describe('group placement', () => {
  it('resolves direct, listed and nested children groups; all is implicit', async () => {
    const e = await expandHcl(INVENTORY);
    expect(e.messages()).toEqual([]);
    const g = e.config!.groups;
    expect(g['all']).toEqual(['c1', 'n1', 'k1', 's1']);
    expect(g['control']).toEqual(['c1']);
    // named only in hosts' groups, never declared with a block
    expect(g['network']).toEqual(['n1', 'k1']);
    expect(g['compute']).toEqual(['k1']);
    expect(g['neutron']).toEqual(['n1', 'k1']);
    expect(g['neutron-server']).toEqual(['c1']);
    // two levels of children
    expect(g['openstack']).toEqual(['c1', 'n1', 'k1']);
    expect(g['storage']).toEqual(['s1']);
    // members listed and members through children, once each, in declaration order
    expect(g['everything']).toEqual(['c1', 'n1', 'k1', 's1']);
    expect(g['empty']).toEqual([]);
  });

  it('gives each host every group it ends up in (host.groups in expressions and templates)', async () => {
    const e = await expandHcl(`${INVENTORY}
service "agent" {
  hosts = group.openstack
  container "agent" {
    image       = "busybox"
    environment = { GROUPS = join(",", sort(host.groups)) }
  }
}`);
    expect(e.messages()).toEqual([]);
    const groupsOf = (h: string): string[] =>
      e
        .config!.hosts.find((x) => x.name === h)!
        .groups.slice()
        .sort();
    expect(groupsOf('c1')).toEqual(['all', 'control', 'everything', 'neutron-server', 'openstack']);
    expect(groupsOf('k1')).toEqual(['all', 'compute', 'everything', 'network', 'neutron', 'openstack']);
    expect(groupsOf('s1')).toEqual(['all', 'everything', 'storage']);
    expect(e.container(ctr('agent', 'agent', 'n1')).spec.environment['GROUPS']).toBe(
      'all,everything,network,neutron,openstack',
    );
  });

  it('places a service on the hosts of its group, in host declaration order', async () => {
    const e = await expandHcl(`${INVENTORY}
service "neutron_server" {
  hosts = group.neutron-server
  container "neutron_server" { image = "neutron-server" }
}
service "ovs" {
  hosts = group.neutron
  container "openvswitch" { image = "ovs" }
}`);
    expect(e.messages()).toEqual([]);
    expect(e.addresses()).toEqual([
      ctr('neutron_server', 'neutron_server', 'c1'),
      ctr('ovs', 'openvswitch', 'n1'),
      ctr('ovs', 'openvswitch', 'k1'),
    ]);
  });

  it('accepts host names and host objects, keeps their order and drops repeats', async () => {
    const e = await expandHcl(`${INVENTORY}
service "web" {
  hosts = [hosts.k1, "c1", "k1"]
  container "web" { image = "nginx" }
}`);
    expect(e.messages()).toEqual([]);
    expect(e.addresses()).toEqual([ctr('web', 'web', 'k1'), ctr('web', 'web', 'c1')]);
  });

  it('places everything on group.all', async () => {
    const e = await expandHcl(`${INVENTORY}
service "cron" {
  hosts = group.all
  container "cron" { image = "cron" }
}`);
    expect(e.instances.map((i) => i.host)).toEqual(['c1', 'n1', 'k1', 's1']);
  });

  it('warns about a service placed on an empty group', async () => {
    const e = await expandHcl(`${INVENTORY}
service "nothing" {
  hosts = group.empty
  container "x" { image = "x" }
}`);
    expect(e.diagnostics.hasErrors()).toBe(false);
    expect(e.messages()).toEqual(['main.hcl:30:11: Service "nothing" is placed on no hosts']);
    expect(e.instances).toEqual([]);
  });

  it('reports a cycle in children with its path', async () => {
    const e = await expandHcl(`
host "h1" {
  address = "10.0.0.1"
  groups  = ["a"]
}
group "a" { children = ["b"] }
group "b" { children = ["c"] }
group "c" { children = ["a"] }
`);
    expect(e.messages()).toEqual(['main.hcl:6:7: Cycle in group children: a → b → c → a']);
  });

  it('reports unknown child groups and unknown member hosts with suggestions', async () => {
    const e = await expandHcl(`
host "control01" {
  address = "10.0.0.1"
  groups  = ["control"]
}
group "api" { children = ["contrl"] }
group "db" { hosts = ["control1"] }
`);
    expect(e.messages()).toEqual([
      'main.hcl:6:26: Unknown group "contrl" in children of group "api"; did you mean "control"?',
      'main.hcl:7:22: Unknown host "control1" in group "db"; did you mean "control01"?',
    ]);
  });

  it('reports an undeclared group used for placement', async () => {
    const e = await expandHcl(`${INVENTORY}
service "web" {
  hosts = group.contrl
  container "web" { image = "nginx" }
}`);
    expect(e.messages()).toEqual([
      'main.hcl:30:16: Reference to undeclared group "contrl"; did you mean "control"?',
    ]);
  });

  it('lets try() fall back when an optional group does not exist', async () => {
    const e = await expandHcl(`${INVENTORY}
service "web" {
  hosts = try(group.monitoring, group.control)
  container "web" { image = "nginx" }
}`);
    expect(e.messages()).toEqual([]);
    expect(e.addresses()).toEqual([ctr('web', 'web', 'c1')]);
  });

  it('places volumes with the same values as services: host objects, groups, names', async () => {
    const e = await expandHcl(`${INVENTORY}
volume "a" { hosts = [host.c1] }
volume "b" { hosts = group.network }
volume "c" { hosts = ["s1"] }
service "web" {
  hosts = [host.c1]
  container "web" {
    image   = "nginx"
    volumes = ["a:/a"]
  }
}`);
    expect(e.messages()).toEqual([]);
    expect(e.addresses().filter((a) => a.startsWith('volume.'))).toEqual([
      'volume.a["c1"]',
      'volume.b["n1"]',
      'volume.b["k1"]',
      'volume.c["s1"]',
    ]);
  });

  it('reports an invalid volume once, not again in every container that mounts it', async () => {
    const e = await expandHcl(`${INVENTORY}
volume "a" { hosts = [host.nope] }
service "web" {
  hosts = [host.c1]
  container "web" {
    image   = "nginx"
    volumes = ["a:/a"]
  }
}`);
    expect(e.messages()).toEqual(['main.hcl:29:27: Reference to undeclared host "nope"']);
  });
});
