/**
 * The catalogue against the hand-written all-in-one: examples/all-in-one (a root module of a
 * few lines calling kolla/openstack) renders exactly the containers, config files, bootstraps,
 * volumes and images of examples/all-in-one-by-hand (466 lines), and a deployment made from the
 * hand-written form moves onto the catalogue with examples/all-in-one/moved.hcl: every resource
 * moves, and the plan replaces, restarts and runs nothing.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { expand } from '../../../src/expand/expand.js';
import type { Instance } from '../../../src/expand/instances.js';
import { SecretMasker } from '../../../src/states/secret-mask.js';
import { applyMoves } from '../../../src/states/moves.js';
import { deployed, planOf, type Desired } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const NAMES = [
  'database_password',
  'keystone_admin_password',
  'keystone_database_password',
  'glance_database_password',
  'glance_keystone_password',
  'rabbitmq_password',
  'rabbitmq_cluster_cookie',
  'memcache_secret_key',
];
/** Key sets (Keystone's Fernet and credential keys): readSecrets gives each key as `NAME[i]`. */
const KEY_SETS = ['keystone_fernet_keys', 'keystone_credential_keys'];
for (const k of KEY_SETS) for (const i of [0, 1, 2]) NAMES.push(`${k}[${i}]`);
const VALUES = Object.fromEntries(NAMES.map((n, i) => [n, `secret-${i}-value`]));

/** The all-in-one with the services the hand-written form has: no nova, placement or neutron. */
function controlPlaneOnly(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-aio-'));
  cpSync(path.join(ROOT, 'examples/all-in-one'), dir, {
    recursive: true,
    filter: (f) => !/kolla\.(state|secrets)|\.kolla$/.test(path.basename(f)),
  });
  const main = path.join(dir, 'main.hcl');
  writeFileSync(
    main,
    readFileSync(main, 'utf8').replace(
      '  nova_compute_virt_type = var.nova_compute_virt_type\n',
      '  nova_compute_virt_type = var.nova_compute_virt_type\n  enable_nova           = false\n  enable_neutron        = false\n',
    ),
  );
  return dir;
}

async function load(
  example: string,
  prefix: string,
): Promise<Desired & { moves: { from: string; to: string }[] }> {
  const secretValues = Object.fromEntries(NAMES.map((n) => [prefix + n, VALUES[n]!]));
  const dir = example === 'all-in-one' ? controlPlaneOnly() : path.join(ROOT, 'examples', example);
  const r = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const e = expand(r.config!, r.diagnostics);
  if (example === 'all-in-one') rmSync(dir, { recursive: true, force: true });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return {
    instances: e.instances,
    outputs: e.outputs,
    masker: new SecretMasker(r.config!.secretValues),
    moves: r.config!.stateEdits.moves,
  };
}

/** What makes an instance the same thing on its host, whatever its address. */
const identity = (i: Instance): string =>
  `${i.kind} ${i.host} ${
    i.kind === 'container' || i.kind === 'volume'
      ? i.spec.name
      : i.kind === 'config'
        ? i.path
        : i.kind === 'image'
          ? i.name
          : `${i.service}/${i.name}`
  }`;
const content = (i: Instance): unknown => {
  const {
    address: _a,
    dependsOn: _d,
    range: _r,
    migratesRange: _m,
    ...rest
  } = i as Instance & { range?: unknown; migratesRange?: unknown };
  return rest;
};

describe('kolla/openstack against the hand-written all-in-one', () => {
  it('renders the same instances, under module addresses', async () => {
    const hand = await load('all-in-one-by-hand', '');
    const cat = await load('all-in-one', 'module.openstack.');
    expect(hand.instances.length).toBeGreaterThan(30);
    const byId = new Map(cat.instances.map((i) => [identity(i), i]));
    expect([...byId.keys()].sort()).toEqual(hand.instances.map(identity).sort());
    for (const i of hand.instances) expect(content(byId.get(identity(i))!), i.address).toEqual(content(i));
    expect(cat.instances.find((i) => i.kind === 'container' && i.spec.name === 'keystone')?.address).toBe(
      'module.openstack.module.keystone.service.keystone.container.keystone["aio"]',
    );
  });

  it('moves a deployment of the hand-written form with moved.hcl: nothing replaced, restarted or run', async () => {
    const hand = await load('all-in-one-by-hand', '');
    const cat = await load('all-in-one', 'module.openstack.');
    const before = deployed(hand);
    const moved = applyMoves(before.state, cat.moves);
    expect(moved.problems).toEqual([]);
    // Images keep their addresses (image.NAME["host"]): everything else moves.
    expect(moved.moved.length).toBe(hand.instances.filter((i) => i.kind !== 'image').length);
    const { plan, diagnostics } = planOf(cat, moved.state, before.world);
    expect(diagnostics).toEqual([]);
    expect(plan.changes.filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.address}`)).toEqual(
      [],
    );
    expect(plan.drift).toEqual([]);
    // Without the moved blocks the same plan would destroy every hand-written address.
    const unmoved = planOf(cat, before.state, before.world).plan;
    expect(unmoved.changes.filter((c) => c.action === 'delete').length).toBeGreaterThan(20);
  });

  it("docker_registry: images pulled under kolla-ansible's names, none built", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-pull-'));
    try {
      cpSync(path.join(ROOT, 'examples/all-in-one'), dir, { recursive: true });
      writeFileSync(
        path.join(dir, 'main.hcl'),
        readFileSync(path.join(dir, 'main.hcl'), 'utf8').replace(
          '  nova_compute_virt_type = var.nova_compute_virt_type\n',
          '  nova_compute_virt_type = var.nova_compute_virt_type\n  docker_registry       = "registry.example:4000"\n  openstack_tag         = "zed-debian"\n',
        ),
      );
      const r = await loadConfig({ dir, env: {}, syntaxCache: false });
      const e = expand(r.config!, r.diagnostics);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const images = e.instances.flatMap((i) => (i.kind === 'container' ? [i.spec.image] : [])).sort();
      expect(images).toEqual(
        [
          'glance-api',
          'keystone',
          'kolla-toolbox',
          'mariadb-server',
          'memcached',
          'neutron-dhcp-agent',
          'neutron-linuxbridge-agent',
          'neutron-metadata-agent',
          'neutron-server',
          'nova-api',
          'nova-compute',
          'nova-conductor',
          'nova-scheduler',
          'placement-api',
          'rabbitmq',
        ].map((n) => `registry.example:4000/openstack.kolla/${n}:zed-debian`),
      );
      expect(e.instances.filter((i) => i.kind === 'image')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a second compute host: its nova_compute and linuxbridge agent are created, discover_computes runs again, nothing else on the first host changes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-compute-'));
    const hosts = (computes: string): string => `
host "ctl1" {
  address = "10.0.0.11"
  groups  = ["control", "network", "compute"]
  vars    = { api_interface_address = "10.0.0.11" }
}
${computes}
module "openstack" {
  source                = "kolla/openstack"
  api_interface_address = "10.0.0.11"
}`;
    const second = `
host "cmp1" {
  address = "10.0.0.21"
  groups  = ["compute"]
  vars    = { api_interface_address = "10.0.0.21" }
}`;
    const loadHere = async (): Promise<Desired> => {
      const r = await loadConfig({ dir, env: {}, syntaxCache: false });
      const e = expand(r.config!, r.diagnostics);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      return { instances: e.instances, outputs: e.outputs, masker: new SecretMasker(r.config!.secretValues) };
    };
    try {
      writeFileSync(path.join(dir, 'main.hcl'), hosts(''));
      const before = deployed(await loadHere());
      writeFileSync(path.join(dir, 'main.hcl'), hosts(second));
      const { plan, diagnostics } = planOf(await loadHere(), before.state, before.world);
      expect(diagnostics).toEqual([]);
      const changed = plan.changes.filter((c) => c.action !== 'noop');
      // On the first host only the task runs again (its condition now lists both hosts).
      expect(changed.filter((c) => c.host === 'ctl1').map((c) => `${c.action} ${c.address}`)).toEqual([
        'run module.openstack.module.nova.service.nova_conductor.task.discover_computes',
      ]);
      const task = changed.find((c) => c.kind === 'task')!;
      expect(task.attrs).toContainEqual(
        expect.objectContaining({ path: 'until', after: 'kolla_nova_wait_computes cmp1 ctl1' }),
      );
      // The new host's services reach RabbitMQ where it runs, not at their own address.
      const conf = (await loadHere()).instances.find(
        (i) =>
          i.kind === 'config' &&
          i.host === 'cmp1' &&
          i.service === 'nova_compute' &&
          i.path.endsWith('nova.conf'),
      ) as Instance & { kind: 'config' };
      expect(conf.content).toMatch(/^transport_url = rabbit:\/\/openstack:.*@10\.0\.0\.11:5672\/\/$/m);
      expect(conf.content).toContain('my_ip = 10.0.0.21');
      const onNew = changed.filter((c) => c.host === 'cmp1' && c.kind === 'container');
      expect(
        onNew.map((c) => `${c.action} ${(c.after as { spec: { name: string } }).spec.name}`).sort(),
      ).toEqual(['create kolla_toolbox', 'create neutron_linuxbridge_agent', 'create nova_compute']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('nova_compute_virt_type = qemu adds nova_libvirt (root, not privileged: capabilities) beside nova_compute', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-qemu-'));
    try {
      writeFileSync(
        path.join(dir, 'main.hcl'),
        `
host "aio" {
  address    = "127.0.0.1"
  connection = "local"
  groups     = ["control", "network", "compute"]
  vars       = { api_interface_address = "127.0.0.1" }
}
module "openstack" {
  source                 = "kolla/openstack"
  nova_compute_virt_type = "qemu"
}`,
      );
      const r = await loadConfig({ dir, env: {}, syntaxCache: false });
      const e = expand(r.config!, r.diagnostics);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const container = (name: string) =>
        e.instances.find((i) => i.kind === 'container' && i.spec.name === name) as
          (Instance & { kind: 'container' }) | undefined;
      const libvirt = container('nova_libvirt')!;
      expect(libvirt.spec.privileged).toBe(false);
      expect(libvirt.spec.pid_mode).toBe('host');
      expect(libvirt.spec.cap_add).toEqual(expect.arrayContaining(['SYS_ADMIN', 'NET_ADMIN']));
      expect(libvirt.spec.volumes).toEqual(
        expect.arrayContaining(['libvirtd:/var/lib/libvirt', 'nova_compute:/var/lib/nova/']),
      );
      const compute = container('nova_compute')!;
      expect(compute.spec.volumes).toEqual(expect.arrayContaining(['libvirtd:/var/lib/libvirt']));
      expect(compute.dependsOn).toContain(libvirt.address);
      const conf = e.instances.find(
        (i) => i.kind === 'config' && i.service === 'nova_compute' && i.path.endsWith('/nova.conf'),
      ) as Instance & { kind: 'config' };
      expect(conf.content).toContain('compute_driver = libvirt.LibvirtDriver');
      expect(conf.content).toContain('connection_uri = qemu+tcp://127.0.0.1/system');
      expect(conf.content).toContain('virt_type = qemu');
      // The fake driver has none of it.
      writeFileSync(
        path.join(dir, 'main.hcl'),
        readFileSync(path.join(dir, 'main.hcl'), 'utf8').replace('"qemu"', '"fake"'),
      );
      const r2 = await loadConfig({ dir, env: {}, syntaxCache: false });
      const e2 = expand(r2.config!, r2.diagnostics);
      expect(e2.instances.some((i) => i.address.includes('nova_libvirt'))).toBe(false);
      expect(e2.instances.some((i) => i.address.includes('volume.libvirtd'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("service_hosts and the root's service groups place services, as kolla-ansible's inventory", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-groups-'));
    try {
      writeFileSync(
        path.join(dir, 'main.hcl'),
        `
host "ctl1" {
  address = "10.0.0.11"
  groups  = ["control"]
  vars    = { api_interface_address = "10.0.0.11" }
}
host "db1" {
  address = "10.0.0.21"
  vars    = { api_interface_address = "10.0.0.21" }
}
group "memcached" { hosts = ["db1"] }
module "openstack" {
  source                = "kolla/openstack"
  api_interface_address = "10.0.0.11"
  service_hosts         = { mariadb = ["db1"] }
}`,
      );
      const r = await loadConfig({ dir, env: {}, syntaxCache: false });
      const e = expand(r.config!, r.diagnostics);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const where = (name: string): string[] =>
        e.instances.filter((i) => i.kind === 'container' && i.spec.name === name).map((i) => i.host);
      expect(where('mariadb')).toEqual(['db1']);
      expect(where('memcached')).toEqual(['db1']);
      expect(where('keystone')).toEqual(['ctl1']);
      expect(where('kolla_toolbox')).toEqual(['ctl1', 'db1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
