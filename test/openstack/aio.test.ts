/**
 * examples/all-in-one deployed for real — MariaDB, memcached, RabbitMQ, Keystone, Glance,
 * Placement, Nova (fake driver) and Neutron (linuxbridge) and the kolla_toolbox from Debian
 * bookworm's OpenStack Zed packages — and checked with the real openstack client in the
 * toolbox container (host networking):
 *
 *   - token issue, service list, endpoint list, an image uploaded, listed and downloaded byte
 *     for byte;
 *   - compute services and network agents up, the compute host discovered into the cell, a
 *     server ACTIVE on a flat provider network with an address from its subnet, then deleted;
 *   - nova_compute_virt_type = qemu: nova_libvirt (libvirtd, qemu TCG) beside nova_compute, a
 *     real guest (Debian's kernel, a busybox initramfs) boots, takes its DHCP lease from
 *     neutron and prints both on the console nova shows; then back to the fake driver;
 *   - a second compute host (testbed host 1, over SSH) added to the inventory: its
 *     nova_compute and linuxbridge agent start there, discover_computes maps it into the
 *     cell, a server is scheduled onto it, and no container of the first host restarts;
 *   - a VXLAN tenant network between the two hosts: a port bound on testbed host 1 (a veth
 *     plugged as nova plugs a guest) goes ACTIVE and both linuxbridge agents make the
 *     network's VXLAN device (its VNI, from each host's address); a DHCP client behind
 *     that port gets its address through the tunnel from the first host's DHCP agent;
 *   - the DHCP agent's namespace is the host's (/run/netns shared) and outlives its restart;
 *   - a second plan has no changes;
 *   - a changed `[token] expiration` override is an INI diff and a restart of keystone only,
 *     and new tokens expire accordingly;
 *   - an upgrade to a keystone image whose healthcheck fails is rolled back, and keystone
 *     still issues tokens;
 *   - an upgrade whose db_sync migrates: a failed one and one interrupted by kill -9 (then
 *     recovered by kolla apply) restore the backup taken before it; a successful one keeps
 *     its backup (backup list, backup restore);
 *   - keystone_database_password rotated: the account, keystone.conf and a keystone restart,
 *     set back by a failed apply, then applied while tokens are issued;
 *   - keystone's Fernet keys (kolla secrets) rotated: a token issued before still validates;
 *   - destroy keeps the volumes, and the next apply brings the same data back;
 *   - no secret value in any output or in the state.
 *
 * A copy of the example (with examples/base beside it) runs in a temp directory under its
 * own project and config_dir, on KOLLA_TEST_AIO_ADDRESS (default 10.77.0.1, this machine's
 * address on the testbed bridge, which the testbed hosts reach). Container and volume names are kolla-ansible's (mariadb, keystone,
 * …), so nothing else may deploy the all-in-one on this engine meanwhile: the test refuses
 * to start when another project holds them. The images are built by `kolla build` when
 * they are missing or stale (debian:bookworm by scripts/debian-base.sh) and kept for the
 * next run; everything else is removed at the end (destroy --include-volumes).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import tar from 'tar-fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_LABEL } from '../../src/providers/docker/labels.js';
import { flattenSecrets } from '../../src/secrets/secrets-file.js';
import { cleanupProject, dockerHealth, ensureDocker, uniqueProject } from '../helpers/docker.js';
import { ROOT, buildOnce, kolla, type RunResult } from '../helpers/kolla.js';
import {
  TESTBED_KEY,
  TESTBED_KNOWN_HOSTS,
  TESTBED_ROOT,
  ensureTestbed,
  testbedAddress,
  testbedDocker,
  testbedSocket,
} from '../helpers/testbed.js';

// The testbed's bridge address: its hosts (a second compute host) reach the services there.
const ADDRESS = process.env['KOLLA_TEST_AIO_ADDRESS'] ?? '10.77.0.1';
process.env['KOLLA_KNOWN_HOSTS'] = TESTBED_KNOWN_HOSTS;
const project = uniqueProject('aio');
const CONTAINERS = [
  'mariadb',
  'memcached',
  'rabbitmq',
  'keystone',
  'glance_api',
  'kolla_toolbox',
  'placement_api',
  'nova_api',
  'nova_scheduler',
  'nova_conductor',
  'nova_compute',
  'neutron_server',
  'neutron_linuxbridge_agent',
  'neutron_dhcp_agent',
  'neutron_metadata_agent',
];
/** The example's volumes, which this test's copy names with a prefix (volume_prefix, see beforeAll). */
const EXAMPLE_VOLUMES = [
  'mariadb',
  'mariadb_backup',
  'rabbitmq',
  'glance',
  'kolla_logs',
  'nova_compute',
  'neutron_metadata_socket',
];
const VOLUME_PREFIX = 'kt_';
const VOLUMES = EXAMPLE_VOLUMES.map((v) => VOLUME_PREFIX + v);
const BROKEN = `kolla/keystone:zed-broken-${project}`;
const UPGRADED = `kolla/keystone:zed-upgraded-${project}`;
/** The tiny guest scripts/guest-image.sh builds (kept between runs). */
const GUEST = '/var/lib/kolla-guest';

let docker: Dockerode;
let root: string; // temp dir holding all-in-one/ and base/
let dir: string; // the configuration
let etc: string; // its config_dir
let secrets: Record<string, string> = {};
const outputs: string[] = []; // every kolla output, checked for secrets at the end
const rotatedSecrets: string[] = []; // values given by kolla secrets rotate, checked too
let image: { id: string; sha256: string; bytes: Buffer } | undefined;
let dhcpNamespace: string | undefined; // the network's qdhcp- namespace, on the host
let vxlanGuestNamespace: string | undefined; // the VXLAN case's own namespace

function sh(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

async function run(args: string[]): Promise<RunResult> {
  const r = await kolla([...args, '--no-color'], { cwd: dir });
  outputs.push(r.stdout, r.stderr);
  return r;
}

function ok(r: RunResult): RunResult {
  expect(r.code, `kolla failed\nstderr:\n${r.stderr.slice(-6000)}\nstdout:\n${r.stdout.slice(-4000)}`).toBe(
    0,
  );
  return r;
}

/** Run a command in a container; stdout as a Buffer (image downloads), stderr as text. */
async function exec(
  container: string,
  cmd: string[],
  env: string[] = [],
): Promise<{ code: number; stdout: Buffer; out: string; stderr: string }> {
  const e = await docker
    .getContainer(container)
    .exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const o = new PassThrough();
  const x = new PassThrough();
  o.on('data', (d: Buffer) => out.push(d));
  x.on('data', (d: Buffer) => err.push(d));
  docker.modem.demuxStream(stream, o, x);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  const info = await e.inspect();
  const stdout = Buffer.concat(out);
  return { code: info.ExitCode ?? -1, stdout, out: stdout.toString(), stderr: Buffer.concat(err).toString() };
}

/** `openstack ARGS -f json` in the toolbox (OS_CLOUD=kolla-admin there), parsed. */
async function openstack<T = unknown>(...args: string[]): Promise<T> {
  const r = await exec('kolla_toolbox', ['openstack', ...args, '-f', 'json']);
  expect(r.code, `openstack ${args.join(' ')}:\n${r.stderr}\n${r.out}`).toBe(0);
  return JSON.parse(r.out) as T;
}

/** Retry a check while a service comes back (after a rollback restarted it). */
async function eventually<T>(f: () => Promise<T>, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() - t0 > timeoutMs) throw e;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function tokenLifetimeS(): Promise<number> {
  const t = await openstack<{ expires: string }>('token', 'issue');
  const expires = Date.parse(t.expires.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return (expires - Date.now()) / 1000;
}

/** The keystone schema's tables (root over the server's address). */
async function keystoneTables(): Promise<string[]> {
  const r = await exec(
    'mariadb',
    [
      'mariadb',
      '-uroot',
      `-h${ADDRESS}`,
      '-N',
      '-e',
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'keystone'",
    ],
    [`MYSQL_PWD=${secrets['module.openstack.database_password']}`],
  );
  expect(r.code, r.stderr).toBe(0);
  return r.out.split('\n').filter(Boolean);
}

/**
 * A keystone image variant whose `keystone-manage db_sync` also adds a table (an upgrade's
 * schema migration); `broken`: its healthcheck fails too.
 */
async function buildKeystoneVariant(tag: string, broken: boolean): Promise<void> {
  const ctx = mkdtempSync(path.join(root, 'variant-'));
  writeFileSync(
    path.join(ctx, 'kolla_test_migration'),
    [
      'import configparser, sqlalchemy',
      'c = configparser.ConfigParser(interpolation=None)',
      "c.read('/etc/keystone/keystone.conf')",
      "e = sqlalchemy.create_engine(c['database']['connection'])",
      'with e.begin() as conn:',
      "    conn.execute(sqlalchemy.text('CREATE TABLE IF NOT EXISTS kolla_test_upgrade (id INT)'))",
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(ctx, 'Dockerfile'),
    [
      'FROM kolla/keystone:zed',
      'USER root',
      'COPY kolla_test_migration /usr/local/lib/kolla_test_migration.py',
      `RUN mv /usr/bin/keystone-manage /usr/bin/keystone-manage.real && printf '%s\\n' '#!/bin/sh' 'set -e' '/usr/bin/keystone-manage.real "$@"' 'if [ "$1" = db_sync ]; then python3 /usr/local/lib/kolla_test_migration.py; fi' > /usr/bin/keystone-manage && chmod 755 /usr/bin/keystone-manage`,
      ...(broken
        ? [
            `RUN printf '#!/bin/sh\\necho "this build fails its healthcheck" >&2\\nexit 1\\n' > /usr/local/bin/healthcheck_curl`,
          ]
        : []),
      'USER keystone',
      '',
    ].join('\n'),
  );
  const stream: NodeJS.ReadableStream = await docker.buildImage(tar.pack(ctx) as unknown as Readable, {
    t: tag,
  });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, res: { error?: string }[]) => {
      const failed = res?.find((x) => x.error);
      if (err || failed) reject(err ?? new Error(failed?.error));
      else resolve();
    }),
  );
}

async function inspect(name: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch {
    return undefined;
  }
}

/** Containers and volumes of earlier runs of this test (killed before their cleanup). */
async function removeEarlierRuns(): Promise<void> {
  const mine = (labels: Record<string, string> | undefined): boolean =>
    (labels?.[PROJECT_LABEL] ?? '').startsWith('kt-aio-');
  for (const c of await docker.listContainers({ all: true, filters: { label: [PROJECT_LABEL] } }))
    if (mine(c.Labels)) await docker.getContainer(c.Id).remove({ force: true, v: true });
  for (const v of (await docker.listVolumes({ filters: { label: [PROJECT_LABEL] } })).Volumes ?? [])
    if (mine(v.Labels)) await docker.getVolume(v.Name).remove();
  // The second compute host's, on testbed host 1's engine.
  const tb = testbedDocker(1);
  for (const c of await tb.listContainers({ all: true, filters: { label: [PROJECT_LABEL] } }))
    if (mine(c.Labels)) await tb.getContainer(c.Id).remove({ force: true, v: true });
  for (const v of (await tb.listVolumes({ filters: { label: [PROJECT_LABEL] } })).Volumes ?? [])
    if (mine(v.Labels)) await tb.getVolume(v.Name).remove();
}

/** The all-in-one's names must be free: refuse to touch another project's deployment. */
async function checkNamesFree(): Promise<void> {
  for (const name of CONTAINERS) {
    const c = await inspect(name);
    if (c)
      throw new Error(
        `container ${name} exists (project ${c.Config.Labels?.[PROJECT_LABEL] ?? 'none'}): this test deploys the all-in-one under the same names; destroy that deployment first (e.g. kolla destroy --chdir examples/all-in-one)`,
      );
  }
  for (const name of VOLUMES) {
    const v = await docker
      .getVolume(name)
      .inspect()
      .catch(() => undefined);
    if (v)
      throw new Error(
        `volume ${name} exists (project ${v.Labels?.[PROJECT_LABEL] ?? 'none'}): this test would share it; remove that deployment's volumes first (kolla destroy --include-volumes)`,
      );
  }
}

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  await ensureTestbed(1);
  await removeEarlierRuns();
  await checkNamesFree();
  await sh('bash', [path.join(ROOT, 'scripts/debian-base.sh')], 900_000);

  root = mkdtempSync(path.join(os.tmpdir(), 'kolla-aio-'));
  etc = path.join(root, 'etc');
  mkdirSync(etc);
  dir = path.join(root, 'all-in-one');
  const skip = /(^|\/)(kolla\.secrets\.json|kolla\.state\.json.*|\.kolla|.*\.auto\.vars\.hcl)$/;
  cpSync(path.join(ROOT, 'examples/all-in-one'), dir, { recursive: true, filter: (src) => !skip.test(src) });
  cpSync(path.join(ROOT, 'examples/base'), path.join(root, 'base'), { recursive: true });
  const main = readFileSync(path.join(dir, 'main.hcl'), 'utf8');
  const patched = main
    .replace('project    = "openstack"', `project    = "${project}"`)
    .replace('config_dir = "/etc/kolla"', `config_dir = "${etc}"`)
    // Inputs of the profile only this test sets: its own volume names, a keystone image to
    // break an apply with, and VXLAN tenant networks (between this host and the testbed's).
    .replace(
      '  nova_compute_virt_type = var.nova_compute_virt_type\n',
      '  nova_compute_virt_type = var.nova_compute_virt_type\n' +
        '  volume_prefix          = var.volume_prefix\n' +
        '  keystone_image_full    = var.keystone_image_full\n' +
        '  neutron_enable_vxlan   = true\n',
    );
  expect(patched).toContain(project);
  expect(patched).toContain(etc);
  expect(patched).toContain('volume_prefix          = var.volume_prefix');
  expect(patched).toContain('source                 = "kolla/openstack"');
  writeFileSync(path.join(dir, 'main.hcl'), patched);
  writeFileSync(
    path.join(dir, 'test.hcl'),
    'variable "volume_prefix" { default = "" }\nvariable "keystone_image_full" {\n  type    = string\n  default = null\n}\n',
  );
  // Its own volumes: a deployment of the example (scripts/demo.sh) keeps its data in the
  // example's volume names, even while scripts/test.sh has its containers out of the way.
  writeFileSync(
    path.join(dir, 'test.auto.vars.hcl'),
    `api_interface_address = "${ADDRESS}"\nvolume_prefix = "${VOLUME_PREFIX}"\n`,
  );

  ok(await run(['secrets', 'generate']));
  // A key set (keystone's Fernet and credential keys) as one entry per key: NAME[i].
  secrets = flattenSecrets(JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')));
  // Up to date in a second when the images exist; from nothing about 6 minutes.
  const t0 = Date.now();
  ok(await run(['build']));
  const s = Math.round((Date.now() - t0) / 1000);
  if (s > 10) process.stderr.write(`aio: kolla build took ${s}s\n`);
}, 3_000_000);

afterAll(async () => {
  // The DHCP agent's namespace is the host's: it outlives the agent's container.
  for (const ns of [dhcpNamespace, vxlanGuestNamespace]) {
    if (ns) await sh('ip', ['netns', 'delete', ns], 30_000).catch(() => {});
  }
  if (dir) {
    const r = await kolla(['destroy', '-auto-approve', '--include-volumes', '--no-color'], { cwd: dir });
    if (r.code !== 0) process.stderr.write(`aio: destroy failed:\n${r.stderr}\n`);
  }
  if (docker) {
    await cleanupProject(docker, project);
    for (const i of [BROKEN, UPGRADED])
      await docker
        .getImage(i)
        .remove()
        .catch(() => {});
  }
  if (root) rmSync(root, { recursive: true, force: true });
}, 600_000);

describe('OpenStack all-in-one', () => {
  it('deploys, and writes admin-openrc.sh and clouds.yaml (0600)', async () => {
    const r = ok(await run(['apply', '-auto-approve']));
    expect(r.stdout).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/);
    expect(r.stdout).toContain(`keystone_url = "http://${ADDRESS}:5000/v3"`);
    expect(r.stdout).toContain('admin_password = (sensitive)');
    for (const name of CONTAINERS) {
      const c = await inspect(name);
      expect(c?.State.Running, name).toBe(true);
      expect(c?.Config.Labels?.[PROJECT_LABEL]).toBe(project);
      // kolla's gate opened on its own probe; Docker's verdict follows at its interval.
      if (name !== 'kolla_toolbox')
        expect(await dockerHealth(() => docker.getContainer(name).inspect()), name).toBe('healthy');
    }
    const tb = path.join(etc, 'kolla_toolbox');
    for (const f of ['admin-openrc.sh', 'clouds.yaml']) {
      const st = readFileSync(path.join(tb, f), 'utf8');
      expect(st).toContain(secrets['module.openstack.keystone_admin_password']);
      expect(statSync(path.join(tb, f)).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(path.join(tb, 'admin-openrc.sh'), 'utf8')).toContain(
      `export OS_AUTH_URL='http://${ADDRESS}:5000'`,
    );
    const out = ok(await run(['output', 'admin_openrc']));
    expect(out.stdout.trim()).toBe(path.join(tb, 'admin-openrc.sh'));
  }, 1_200_000);

  it('keystone issues tokens and lists the identity and image services and their endpoints', async () => {
    const token = await openstack<{ id: string; project_id: string; user_id: string }>('token', 'issue');
    expect(token.id).toMatch(/^gAAAAA/); // a Fernet token
    const services = await openstack<{ Name: string; Type: string }[]>('service', 'list');
    expect(services.map((s) => `${s.Name}:${s.Type}`).sort()).toEqual([
      'glance:image',
      'keystone:identity',
      'neutron:network',
      'nova:compute',
      'placement:placement',
    ]);
    const endpoints = await openstack<
      { 'Service Name': string; Interface: string; URL: string; Region: string }[]
    >('endpoint', 'list');
    const shown = endpoints.map((e) => `${e['Service Name']} ${e.Interface} ${e.URL} ${e.Region}`).sort();
    expect(shown).toEqual([
      `glance internal http://${ADDRESS}:9292 RegionOne`,
      `glance public http://${ADDRESS}:9292 RegionOne`,
      `keystone admin http://${ADDRESS}:5000 RegionOne`,
      `keystone internal http://${ADDRESS}:5000 RegionOne`,
      `keystone public http://${ADDRESS}:5000 RegionOne`,
      `neutron internal http://${ADDRESS}:9696 RegionOne`,
      `neutron public http://${ADDRESS}:9696 RegionOne`,
      `nova internal http://${ADDRESS}:8774/v2.1 RegionOne`,
      `nova public http://${ADDRESS}:8774/v2.1 RegionOne`,
      `placement internal http://${ADDRESS}:8780 RegionOne`,
      `placement public http://${ADDRESS}:8780 RegionOne`,
    ]);
    // The glance user of service-ks-register has the admin role in the service project.
    const roles = await openstack<{ Role: string; User: string; Project: string }[]>(
      'role',
      'assignment',
      'list',
      '--user',
      'glance',
      '--project',
      'service',
      '--names',
    );
    expect(roles.map((x) => x.Role)).toEqual(['admin']);
  }, 300_000);

  it('glance stores an image on its volume and gives back the same bytes', async () => {
    const bytes = randomBytes(256 * 1024);
    const local = mkdtempSync(path.join(root, 'upload-'));
    writeFileSync(path.join(local, 'upload.img'), bytes);
    await docker
      .getContainer('kolla_toolbox')
      .putArchive(tar.pack(local) as unknown as Readable, { path: '/tmp' });
    const created = await openstack<{ id: string }>(
      'image',
      'create',
      '--disk-format',
      'raw',
      '--container-format',
      'bare',
      '--file',
      '/tmp/upload.img',
      'aio-test-image',
    );
    const list = await openstack<{ ID: string; Name: string; Status: string }[]>('image', 'list');
    expect(list).toContainEqual({ ID: created.id, Name: 'aio-test-image', Status: 'active' });
    image = { id: created.id, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    await expectSameBytes();
    // The file store is the glance volume.
    const stored = await exec('glance_api', ['stat', '-c', '%s', `/var/lib/glance/images/${created.id}`]);
    expect(stored.out.trim()).toBe(String(bytes.length));
  }, 300_000);

  it('nova and neutron: services and agents up, a hypervisor, a server ACTIVE on a flat network', async () => {
    const compute = await openstack<{ Binary: string; Host: string; State: string; Status: string }[]>(
      'compute',
      'service',
      'list',
    );
    expect(compute.map((c) => `${c.Binary} ${c.Host} ${c.State}`).sort()).toEqual([
      'nova-compute aio up',
      'nova-conductor aio up',
      'nova-scheduler aio up',
    ]);
    const agents = await eventually(async () => {
      const a = await openstack<{ Binary: string; Host: string; Alive: boolean; State: boolean }[]>(
        'network',
        'agent',
        'list',
      );
      expect(a.every((x) => x.Alive)).toBe(true);
      return a;
    }, 120_000);
    expect(agents.map((a) => `${a.Binary} ${a.Host}`).sort()).toEqual([
      'neutron-dhcp-agent aio',
      'neutron-linuxbridge-agent aio',
      'neutron-metadata-agent aio',
    ]);
    // discover_computes (a task) mapped the compute host into the cell during the apply.
    const hypervisors = await openstack<{ 'Hypervisor Hostname': string; State: string }[]>(
      'hypervisor',
      'list',
    );
    expect(hypervisors.map((h) => `${h['Hypervisor Hostname']} ${h.State}`)).toEqual(['aio up']);

    const net = await openstack<{ id: string }>(
      'network',
      'create',
      '--share',
      '--provider-network-type',
      'flat',
      '--provider-physical-network',
      'physnet1',
      'aio-net',
    );
    await openstack(
      'subnet',
      'create',
      '--network',
      'aio-net',
      '--subnet-range',
      '10.77.100.0/24',
      '--allocation-pool',
      'start=10.77.100.10,end=10.77.100.99',
      '--gateway',
      'none',
      'aio-subnet',
    );
    await openstack('flavor', 'create', '--vcpus', '1', '--ram', '64', '--disk', '1', 'aio-tiny');
    const server = await openstack<{ id: string; status: string; addresses: Record<string, string[]> }>(
      'server',
      'create',
      '--flavor',
      'aio-tiny',
      '--image',
      image!.id,
      '--network',
      'aio-net',
      '--wait',
      'aio-server',
    );
    expect(server.status).toBe('ACTIVE');
    const addresses = server.addresses['aio-net'] ?? [];
    expect(addresses).toHaveLength(1);
    expect(addresses[0]).toMatch(/^10\.77\.100\.(\d+)$/);
    const last = Number(addresses[0]!.split('.')[3]);
    expect(last).toBeGreaterThanOrEqual(10);
    expect(last).toBeLessThanOrEqual(99);
    // The DHCP agent serves the network from a namespace that is the host's (its
    // /run/netns is shared, as kolla-ansible shares it), with an address of the subnet and the
    // metadata address, and the namespace outlives a restart of the agent.
    dhcpNamespace = `qdhcp-${net.id}`;
    const inNs = async (): Promise<string> =>
      sh('ip', ['netns', 'exec', dhcpNamespace!, 'ip', '-4', '-o', 'addr', 'show'], 30_000);
    expect(await sh('ip', ['netns', 'list'], 30_000)).toContain(dhcpNamespace);
    await eventually(async () => {
      const addrs = await inNs();
      expect(addrs).toMatch(/inet 10\.77\.100\.\d+\/24/);
      expect(addrs).toContain('inet 169.254.169.254/32');
    }, 120_000);
    await docker.getContainer('neutron_dhcp_agent').restart();
    expect(await inNs()).toMatch(/inet 10\.77\.100\.\d+\/24/);

    const del = await exec('kolla_toolbox', ['openstack', 'server', 'delete', '--wait', 'aio-server']);
    expect(del.code, del.stderr).toBe(0);
    const left = await openstack<unknown[]>('server', 'list');
    expect(left).toEqual([]);
  }, 600_000);

  it('qemu: with nova_compute_virt_type = qemu a real guest boots (TCG), takes its DHCP lease and says so on its console', async () => {
    // The guest: Debian's kernel and a busybox initramfs (scripts/guest-image.sh; kept in
    // /var/lib/kolla-guest once built), uploaded as aki, ari and a raw root with kernel_id,
    // ramdisk_id and os_command_line (nova 26.2.2 refuses an ami whose content is raw).
    await sh('bash', [path.join(ROOT, 'scripts/guest-image.sh'), GUEST], 900_000);
    const vars = path.join(dir, 'test.auto.vars.hcl');
    const fake = readFileSync(vars, 'utf8');
    writeFileSync(vars, `${fake}nova_compute_virt_type = "qemu"\n`);
    const t0 = Date.now();
    try {
      await bootGuest(t0);
    } finally {
      // Back to the fake driver for the rest, whatever happened: nova_libvirt goes,
      // nova_compute is replaced.
      await exec('kolla_toolbox', ['openstack', 'server', 'delete', '--wait', 'aio-guest']);
      writeFileSync(vars, fake);
      ok(await run(['apply', '-auto-approve']));
    }
    expect(await inspect('nova_libvirt')).toBeUndefined();
  }, 1_500_000);

  async function bootGuest(t0: number): Promise<void> {
    const p = ok(await run(['apply', '-auto-approve']));
    expect(p.stdout).toMatch(/Apply complete! Resources: [1-9]\d* added/);
    const libvirt = await inspect('nova_libvirt');
    expect(libvirt?.State.Running).toBe(true);
    expect(libvirt?.HostConfig.Privileged).toBe(false);
    const hv = await eventually(async () => {
      const h = await openstack<{ 'Hypervisor Type': string; State: string }[]>(
        'hypervisor',
        'list',
        '--long',
      );
      expect(h.map((x) => `${x['Hypervisor Type']} ${x.State}`)).toContain('QEMU up');
      return h;
    }, 180_000);
    expect(hv.length).toBeGreaterThan(0);

    await docker
      .getContainer('kolla_toolbox')
      .putArchive(
        tar.pack(GUEST, { entries: ['vmlinuz', 'initrd.img', 'root.img'] }) as unknown as Readable,
        {
          path: '/tmp',
        },
      );
    const aki = await openstack<{ id: string }>(
      'image',
      'create',
      '--disk-format',
      'aki',
      '--container-format',
      'aki',
      '--file',
      '/tmp/vmlinuz',
      'guest-aki',
    );
    const ari = await openstack<{ id: string }>(
      'image',
      'create',
      '--disk-format',
      'ari',
      '--container-format',
      'ari',
      '--file',
      '/tmp/initrd.img',
      'guest-ari',
    );
    await openstack(
      'image',
      'create',
      '--disk-format',
      'raw',
      '--container-format',
      'bare',
      '--file',
      '/tmp/root.img',
      '--property',
      `kernel_id=${aki.id}`,
      '--property',
      `ramdisk_id=${ari.id}`,
      '--property',
      'os_command_line=console=ttyS0 rdinit=/init',
      'guest',
    );
    await openstack('flavor', 'create', '--vcpus', '1', '--ram', '128', '--disk', '1', 'guest-small');
    const server = await openstack<{ id: string; status: string; addresses: Record<string, string[]> }>(
      'server',
      'create',
      '--flavor',
      'guest-small',
      '--image',
      'guest',
      '--network',
      'aio-net',
      '--wait',
      'aio-guest',
    );
    expect(server.status).toBe('ACTIVE');
    const address = server.addresses['aio-net']?.[0];
    expect(address).toMatch(/^10\.77\.100\.\d+$/);
    // Its console (nova reads the pty libvirtd made, through the shared /dev): the marker,
    // then the address neutron's DHCP agent leased it, which is the port's.
    const log = await eventually(async () => {
      const r = await exec('kolla_toolbox', ['openstack', 'console', 'log', 'show', 'aio-guest']);
      expect(r.out).toContain('KOLLA-GUEST-BOOTED');
      expect(r.out).toMatch(/KOLLA-GUEST-IP=/);
      return r.out;
    }, 240_000);
    expect(log).toContain(`KOLLA-GUEST-IP=${address}/24`);
    process.stderr.write(
      `aio: qemu driver applied and a guest booted to its lease in ${Math.round((Date.now() - t0) / 1000)}s\n`,
    );

    const del = await exec('kolla_toolbox', ['openstack', 'server', 'delete', '--wait', 'aio-guest']);
    expect(del.code, del.stderr).toBe(0);
  }

  it('a second compute host on the testbed is registered and discovered; nothing restarts on the first', async () => {
    const before = Object.fromEntries(await Promise.all(CONTAINERS.map(async (n) => [n, await inspect(n)])));
    // Testbed host 1 joins the compute group; it shares this machine's filesystem, so its
    // config files go to a config_dir of its own. The toolbox stays on the first host.
    const tbEtc = path.join(root, 'etc-tb1');
    writeFileSync(
      path.join(dir, 'compute.hcl'),
      `
host "tb1" {
  address       = "${testbedAddress(1)}"
  identity_file = "${TESTBED_KEY}"
  docker_socket = "${testbedSocket(1)}"
  lock_dir      = "${TESTBED_ROOT}/1/locks"
  config_dir    = "${tbEtc}"
  groups        = ["compute"]
  vars          = { api_interface = "veth0", api_interface_address = "${testbedAddress(1)}" }
}
group "kolla-toolbox" { hosts = ["aio"] }
`,
    );
    const p = ok(await run(['plan']));
    expect(p.stdout).toMatch(/nova_conductor\.task\.discover_computes will run/);
    expect(p.stdout).toContain(
      'until = "kolla_nova_wait_computes aio" -> "kolla_nova_wait_computes aio tb1"',
    );
    const onFirst = (p.stdout.match(/# \S+\["aio"\] (will|must) [^\n]*/g) ?? []).filter(
      (l) => !l.includes('config'),
    );
    expect(onFirst).toEqual([]);
    ok(await run(['apply', '-auto-approve']));

    for (const n of CONTAINERS) {
      const after = await inspect(n);
      expect(after?.Id, n).toBe(before[n]?.Id);
      expect(after?.State.StartedAt, n).toBe(before[n]?.State.StartedAt);
    }
    const remote = await testbedDocker(1).listContainers({
      filters: { label: [`${PROJECT_LABEL}=${project}`] },
    });
    expect(remote.map((c) => c.Names[0]).sort()).toEqual(['/neutron_linuxbridge_agent', '/nova_compute']);

    const compute = await openstack<{ Binary: string; Host: string; State: string }[]>(
      'compute',
      'service',
      'list',
      '--service',
      'nova-compute',
    );
    expect(compute.map((c) => `${c.Host} ${c.State}`).sort()).toEqual(['aio up', 'tb1 up']);
    const mapped = await exec('nova_conductor', ['nova-manage', 'cell_v2', 'list_hosts']);
    expect(mapped.code, mapped.stderr).toBe(0);
    expect(mapped.out).toMatch(/\| *cell1 *\| *[0-9a-f-]+ *\| *tb1 *\|/);
    const agents = await eventually(async () => {
      const a = await openstack<{ Binary: string; Host: string; Alive: boolean }[]>(
        'network',
        'agent',
        'list',
      );
      const lb = a.filter((x) => x.Binary === 'neutron-linuxbridge-agent');
      expect(lb.map((x) => `${x.Host} ${x.Alive}`).sort()).toEqual(['aio true', 'tb1 true']);
      return a;
    }, 120_000);
    expect(agents.length).toBe(4);

    // The scheduler places a server there (the cell knows the host), and its port binds to
    // the linuxbridge agent of tb1.
    const server = await openstack<{ id: string; status: string; 'OS-EXT-SRV-ATTR:host': string }>(
      'server',
      'create',
      '--flavor',
      'aio-tiny',
      '--image',
      image!.id,
      '--network',
      'aio-net',
      '--availability-zone',
      'nova:tb1',
      '--wait',
      'aio-server-tb1',
    );
    expect(server.status).toBe('ACTIVE');
    expect(server['OS-EXT-SRV-ATTR:host']).toBe('tb1');
    const port = await openstack<{ binding_host_id: string; binding_vif_type: string }[]>(
      'port',
      'list',
      '--server',
      server.id,
      '--long',
    );
    expect(port).toHaveLength(1);
    const del = await exec('kolla_toolbox', ['openstack', 'server', 'delete', '--wait', 'aio-server-tb1']);
    expect(del.code, del.stderr).toBe(0);
  }, 1_200_000);

  it("VXLAN between the hosts: a port bound on tb1 brings up the network's tunnel on both hosts (its VNI, each host's address)", async () => {
    const net = await openstack<{
      id: string;
      'provider:network_type': string;
      'provider:segmentation_id': number;
    }>('network', 'create', 'aio-vx');
    expect(net['provider:network_type']).toBe('vxlan');
    await openstack(
      'subnet',
      'create',
      '--network',
      'aio-vx',
      '--subnet-range',
      '10.77.101.0/24',
      '--gateway',
      'none',
      'aio-vx-subnet',
    );
    // A port bound to tb1, plugged as nova would plug a guest's: a tap device on tb1 (one end
    // of a veth pair), its other end with the port's MAC in a namespace of this test's own.
    // The DHCP agent's port of the network is on the first host.
    const port = await openstack<{ id: string; mac_address: string; fixed_ips: unknown }>(
      'port',
      'create',
      '--network',
      'aio-vx',
      '--host',
      'tb1',
      '--device-owner',
      'compute:kolla-test',
      'aio-vx-port',
    );
    const ip = /10\.77\.101\.\d+/.exec(JSON.stringify(port.fixed_ips))?.[0];
    expect(ip).toBeDefined();
    const tap = `tap${port.id.slice(0, 11)}`;
    vxlanGuestNamespace = 'kolla-aio-vxguest';
    await sh('ip', ['netns', 'add', vxlanGuestNamespace], 30_000);
    await sh(
      'ip',
      [
        '-n',
        'kolla-tb1',
        'link',
        'add',
        tap,
        'type',
        'veth',
        'peer',
        'name',
        'vxg0',
        'netns',
        vxlanGuestNamespace,
      ],
      30_000,
    );
    await sh(
      'ip',
      ['-n', vxlanGuestNamespace, 'link', 'set', 'vxg0', 'address', port.mac_address, 'up'],
      30_000,
    );
    await sh('ip', ['-n', 'kolla-tb1', 'link', 'set', tap, 'up'], 30_000);
    // The agent makes the network's bridge for the tap, but leaves a compute port's tap to the
    // one that plugged it (nova's os-vif): into the bridge, as os-vif would.
    const bridge = `brq${net.id.slice(0, 11)}`;
    await eventually(async () => {
      await sh('ip', ['-n', 'kolla-tb1', 'link', 'set', tap, 'master', bridge], 30_000);
    }, 120_000);
    await eventually(async () => {
      const p = await openstack<{ status: string }>('port', 'show', port.id);
      expect(p.status).toBe('ACTIVE');
    }, 120_000);
    // The linuxbridge agents made the tunnel's ends: VNI of the network, from each host's address.
    const vni = `vxlan id ${net['provider:segmentation_id']}`;
    const onTb1 = await sh('ip', ['-n', 'kolla-tb1', '-d', 'link', 'show', 'type', 'vxlan'], 30_000);
    expect(onTb1).toContain(vni);
    expect(onTb1).toContain(`local ${testbedAddress(1)}`);
    const here = await sh('ip', ['-d', 'link', 'show', 'type', 'vxlan'], 30_000);
    expect(here).toContain(vni);
    expect(here).toContain(`local ${ADDRESS}`);
    // Traffic through the tunnel: a DHCP client behind the tap on tb1 gets the port's address
    // from the DHCP agent's dnsmasq on the first host (l2population's forwarding entries).
    const lease = await eventually(async () => {
      const out = await sh(
        'ip',
        [
          'netns',
          'exec',
          vxlanGuestNamespace!,
          'busybox',
          'udhcpc',
          '-i',
          'vxg0',
          '-n',
          '-q',
          '-t',
          '5',
          '-s',
          '/bin/true',
        ],
        60_000,
      );
      expect(out).toMatch(/lease of [\d.]+ obtained/);
      return out;
    }, 120_000);
    expect(lease).toContain(`lease of ${ip} obtained from 10.77.101.`);
    await sh('ip', ['netns', 'delete', vxlanGuestNamespace], 30_000);
    vxlanGuestNamespace = undefined;
    for (const args of [
      ['port', 'delete', port.id],
      ['network', 'delete', 'aio-vx'],
    ]) {
      const r = await exec('kolla_toolbox', ['openstack', ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
  }, 600_000);

  it('a second plan has no changes', async () => {
    const p = await run(['plan', '-detailed-exitcode']);
    expect(p.code, p.stdout).toBe(0);
    expect(p.stdout).toContain('No changes.');
  }, 120_000);

  it('a database account dropped by hand is drift, and apply re-creates it with its grants', async () => {
    const root = [`MYSQL_PWD=${secrets['module.openstack.database_password']}`];
    const sql = (q: string) => exec('mariadb', ['mariadb', '-uroot', `-h${ADDRESS}`, '-N', '-e', q], root);
    const drop = await sql("DROP USER 'glance'@'%'");
    expect(drop.code, drop.stderr).toBe(0);
    const p = await run(['plan', '-detailed-exitcode']);
    expect(p.code, p.stdout).toBe(2);
    expect(p.stdout).toContain("account 'glance'@'%' was dropped outside kolla");
    expect(p.stdout).toMatch(/database\.openstack\["glance"\] will be updated in-place/);
    // Only the account: no container or bootstrap is touched.
    expect(p.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy, 0 to restart\./);
    ok(await run(['apply', '-auto-approve']));
    const grants = await sql("SHOW GRANTS FOR 'glance'@'%'");
    expect(grants.out).toContain('GRANT ALL PRIVILEGES ON `glance`.*');
    // Glance logs in with it again.
    const images = await exec('kolla_toolbox', ['openstack', 'image', 'list', '-f', 'value', '-c', 'Name']);
    expect(images.code, images.stderr).toBe(0);
  }, 300_000);

  it('a changed [token] expiration restarts keystone only, and new tokens follow it', async () => {
    expect(await tokenLifetimeS()).toBeLessThanOrEqual(3600);
    const before = Object.fromEntries(await Promise.all(CONTAINERS.map(async (n) => [n, await inspect(n)])));
    writeFileSync(path.join(dir, 'config/keystone.conf'), '[token]\nexpiration = 7200\n');

    const p = ok(await run(['plan']));
    expect(p.stdout).toContain('-expiration = 3600');
    expect(p.stdout).toContain('+expiration = 7200');
    expect(p.stdout).toMatch(/service\.keystone\.container\.keystone\["aio"\] will be restarted/);
    expect(p.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy, 1 to restart');
    // No container but keystone is touched (keystone's bootstraps run again: their inputs
    // include the service's config files).
    const containerLines = p.stdout.match(/# \S*service\.\S+\.container\.[^\s]+ (will|must) [^\n]*/g) ?? [];
    expect(containerLines).toEqual([
      '# module.openstack.module.keystone.service.keystone.container.keystone["aio"] will be restarted',
    ]);

    ok(await run(['apply', '-auto-approve']));
    for (const n of CONTAINERS) {
      const after = await inspect(n);
      expect(after?.Id, n).toBe(before[n]?.Id);
      if (n === 'keystone') expect(after?.State.StartedAt).not.toBe(before[n]?.State.StartedAt);
      else expect(after?.State.StartedAt, n).toBe(before[n]?.State.StartedAt);
    }
    const lifetime = await tokenLifetimeS();
    expect(lifetime).toBeGreaterThan(7200 - 300);
    expect(lifetime).toBeLessThanOrEqual(7200);
  }, 600_000);

  it('an upgrade whose db_sync migrates and whose healthcheck fails is rolled back with its data: the table it added is gone, what was made before is there', async () => {
    // A project and a user made before the upgrade.
    const tag = randomBytes(3).toString('hex');
    const projectName = `kt-upgrade-${tag}`;
    await openstack('project', 'create', projectName);
    await openstack(
      'user',
      'create',
      '--project',
      projectName,
      '--password',
      randomBytes(9).toString('hex'),
      `kt-user-${tag}`,
    );
    await buildKeystoneVariant(BROKEN, true);
    const before = await inspect('keystone');

    const p = ok(await run(['plan', '-var', `keystone_image_full=${BROKEN}`]));
    expect(p.stdout).toContain('(backs up keystone first: a rollback restores the backup)');
    const r = await run(['apply', '-auto-approve', '-var', `keystone_image_full=${BROKEN}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/container keystone is unhealthy/);
    expect(r.stderr).toContain('this build fails its healthcheck');
    expect(r.stdout + r.stderr).toMatch(/rolled back/);
    // The schema was migrated (the variant's db_sync ran), then restored first.
    expect(r.stdout + r.stderr).toContain('backed up keystone as ');
    expect(r.stdout + r.stderr).toMatch(
      /rollback: restore keystone on aio from backup \S+ \(taken before \S+keystone\.bootstrap\.db_sync\)/,
    );
    expect(await keystoneTables()).not.toContain('kolla_test_upgrade');
    const after = await inspect('keystone');
    expect(after?.Id).toBe(before?.Id);
    expect(after?.Image).toBe(before?.Image);
    expect(after?.State.Running).toBe(true);

    const token = await eventually(() => openstack<{ id: string }>('token', 'issue'), 120_000);
    expect(token.id).toMatch(/^gAAAAA/);
    expect((await openstack<{ name: string }>('project', 'show', projectName)).name).toBe(projectName);
    expect((await openstack<{ name: string }>('user', 'show', `kt-user-${tag}`)).name).toBe(`kt-user-${tag}`);
    const again = await run(['plan', '-detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
  }, 900_000);

  it('a kill -9 of kolla after the migration and before the health gate, then kolla apply: the backup is restored first, the old keystone runs, nothing made before is lost', async () => {
    const tag = randomBytes(3).toString('hex');
    const projectName = `kt-crash-${tag}`;
    await openstack('project', 'create', projectName);
    await buildKeystoneVariant(UPGRADED, false);
    const before = await inspect('keystone');

    // KOLLA_TEST_CRASH_AT=after-bootstrap: kolla SIGKILLs itself once a bootstrap (keystone's
    // db_sync, the first to run) has exited: the schema is migrated, the journal is open.
    const crashed = await kolla(
      ['apply', '-auto-approve', '-var', `keystone_image_full=${UPGRADED}`, '--no-color'],
      { cwd: dir, env: { KOLLA_TEST_CRASH_AT: 'after-bootstrap' } },
    );
    outputs.push(crashed.stdout, crashed.stderr);
    expect(crashed.code, crashed.stdout + crashed.stderr).not.toBe(0);
    expect(crashed.stdout + crashed.stderr).toContain('backed up keystone as ');
    expect(await keystoneTables()).toContain('kolla_test_upgrade');

    const p = await run(['plan', '-detailed-exitcode']);
    expect(p.code, p.stdout).toBe(2);
    expect(p.stdout).toMatch(/interrupted/);

    const t0 = Date.now();
    const recovered = ok(await run(['apply', '-auto-approve']));
    process.stderr.write(`aio: recovery after kill -9 in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
    expect(recovered.stdout + recovered.stderr).toMatch(
      /restore keystone on aio from backup \S+ \(taken before \S+keystone\.bootstrap\.db_sync\)/,
    );
    expect(await keystoneTables()).not.toContain('kolla_test_upgrade');
    const after = await inspect('keystone');
    expect(after?.Image).toBe(before?.Image);
    expect(after?.State.Running).toBe(true);
    const token = await eventually(() => openstack<{ id: string }>('token', 'issue'), 120_000);
    expect(token.id).toMatch(/^gAAAAA/);
    expect((await openstack<{ name: string }>('project', 'show', projectName)).name).toBe(projectName);
    const again = await run(['plan', '-detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
  }, 900_000);

  it('a successful migrating upgrade keeps its backup, listed by kolla backup list, which backup restore brings back', async () => {
    await buildKeystoneVariant(UPGRADED, false);
    const t0 = Date.now();
    ok(await run(['apply', '-auto-approve', '-var', `keystone_image_full=${UPGRADED}`]));
    process.stderr.write(
      `aio: migrating keystone upgrade applied in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`,
    );
    expect(await keystoneTables()).toContain('kolla_test_upgrade');
    const list = ok(await run(['backup', 'list', '--json']));
    const servers = JSON.parse(list.stdout) as {
      servers: {
        container: string;
        backups: { id: string; reason: string; schemas: string[]; size: number }[];
      }[];
    };
    const mine = servers.servers
      .find((s) => s.container === 'mariadb')!
      .backups.filter((b) => /keystone\.bootstrap\.db_sync$/.test(b.reason));
    // The failed upgrade's and this one's.
    expect(mine.length).toBeGreaterThanOrEqual(2);
    const last = mine.at(-1)!;
    expect(last.schemas).toEqual(['keystone']);
    process.stderr.write(`aio: keystone backup ${last.id}: ${last.size} bytes\n`);

    const t1 = Date.now();
    const restored = ok(await run(['backup', 'restore', last.id, '-auto-approve']));
    process.stderr.write(`aio: keystone restore in ${((Date.now() - t1) / 1000).toFixed(1)}s\n`);
    expect(restored.stdout).toContain(`Restored keystone on aio (mariadb) from backup ${last.id}`);
    expect(await keystoneTables()).not.toContain('kolla_test_upgrade');

    // All the databases, as kolla-ansible's mariadb_backup would: timed for the note.
    const t2 = Date.now();
    const all = ok(await run(['backup', 'create']));
    process.stderr.write(
      `aio: backup of every database in ${((Date.now() - t2) / 1000).toFixed(1)}s: ${all.stdout
        .split('\n')
        .filter((l) => /^\s+\d{8}T/.test(l))
        .join(' | ')}\n`,
    );

    // Back to the image kolla builds (its db_sync runs again: backed up first, and passes).
    ok(await run(['apply', '-auto-approve']));
    const token = await eventually(() => openstack<{ id: string }>('token', 'issue'), 120_000);
    expect(token.id).toMatch(/^gAAAAA/);
    expect((await run(['plan', '-detailed-exitcode'])).code).toBe(0);
  }, 900_000);

  it('a rotated keystone_database_password: planned as the account, keystone.conf (masked) and a keystone restart; a failed apply sets the old password back; then tokens are issued throughout', async () => {
    const name = 'module.openstack.keystone_database_password';
    const old = secrets[name]!;
    ok(await run(['secrets', 'rotate', name]));
    const rotated = (
      JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')) as Record<string, string>
    )[name]!;
    expect(rotated).not.toBe(old);
    rotatedSecrets.push(rotated);
    const canLogin = async (pw: string) =>
      (
        await exec(
          'mariadb',
          ['mariadb', '-ukeystone', `-h${ADDRESS}`, '-N', '-e', 'SELECT 1'],
          [`MYSQL_PWD=${pw}`],
        )
      ).code === 0;

    const p = ok(await run(['plan']));
    expect(p.stdout).toMatch(/database\.openstack\["keystone"\] will be updated in-place/);
    expect(p.stdout).toMatch(/config\["keystone\.conf"\]\["aio"\] will be updated/);
    expect(p.stdout).toMatch(/service\.keystone\.container\.keystone\["aio"\] will be restarted/);
    expect(p.stdout).toContain('(sensitive)');
    // Together with an upgrade that fails its health gate: everything is rolled back, the
    // account's password too (the old one logs in again, as keystone's config still says).
    const failed = await run(['apply', '-auto-approve', '-var', `keystone_image_full=${BROKEN}`]);
    expect(failed.code).toBe(1);
    expect(failed.stdout + failed.stderr).toMatch(/rolled back/);
    expect(await canLogin(old)).toBe(true);
    expect(await canLogin(rotated)).toBe(false);
    expect((await eventually(() => openstack<{ id: string }>('token', 'issue'), 120_000)).id).toMatch(
      /^gAAAAA/,
    );

    // Then the rotation alone, with a client issuing tokens while it applies.
    let stop = false;
    let issued = 0;
    let refused = 0;
    const loop = (async () => {
      while (!stop) {
        const r = await exec('kolla_toolbox', ['openstack', 'token', 'issue', '-f', 'value', '-c', 'id']);
        if (r.code === 0) issued++;
        else refused++;
      }
    })();
    const t0 = Date.now();
    const applied = ok(await run(['apply', '-auto-approve']));
    const took = (Date.now() - t0) / 1000;
    stop = true;
    await loop;
    process.stderr.write(
      `aio: keystone_database_password rotated in ${took.toFixed(1)}s; tokens during the apply: ${issued} issued, ${refused} refused (one keystone: its restart)\n`,
    );
    expect(applied.stdout).toMatch(/Apply complete!/);
    // In order: the account's password, then keystone restarted on the file that holds it.
    const log = applied.stderr + applied.stdout;
    const at = (re: RegExp) => log.search(re);
    expect(at(/database\.openstack\["keystone"\]/)).toBeGreaterThanOrEqual(0);
    expect(at(/database\.openstack\["keystone"\]/)).toBeLessThan(at(/container\.keystone\["aio"\]/));
    expect(issued).toBeGreaterThan(0);
    expect(await canLogin(rotated)).toBe(true);
    expect(await canLogin(old)).toBe(false);
    expect((await eventually(() => openstack<{ id: string }>('token', 'issue'), 120_000)).id).toMatch(
      /^gAAAAA/,
    );
    expect((await run(['plan', '-detailed-exitcode'])).code).toBe(0);
  }, 900_000);

  it('rotated Fernet keys: the key files change (masked) and keystone restarts; a token issued before still validates, new ones are issued', async () => {
    const before = await openstack<{ id: string }>('token', 'issue');
    const validates = async (token: string): Promise<string> =>
      (
        await exec('kolla_toolbox', [
          'curl',
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-H',
          `X-Auth-Token: ${token}`,
          '-H',
          `X-Subject-Token: ${token}`,
          `http://${ADDRESS}:5000/v3/auth/tokens`,
        ])
      ).out.trim();
    expect(await validates(before.id)).toBe('200');
    const name = 'module.openstack.keystone_fernet_keys';
    ok(await run(['secrets', 'rotate', name]));
    const now = flattenSecrets(JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')));
    const keys = Object.entries(now)
      .filter(([k]) => k.startsWith(`${name}[`))
      .map(([, v]) => v);
    expect(keys.length).toBe(3);
    rotatedSecrets.push(...keys);
    const p = ok(await run(['plan']));
    expect(p.stdout).toMatch(/config\["fernet-key-0"\]\["aio"\] will be updated/);
    expect(p.stdout).toMatch(/service\.keystone\.container\.keystone\["aio"\] will be restarted/);
    ok(await run(['apply', '-auto-approve']));
    const after = await eventually(() => openstack<{ id: string }>('token', 'issue'), 120_000);
    expect(after.id).toMatch(/^gAAAAA/);
    // The old primary is still in the set: the token issued before the rotation validates.
    expect(await validates(before.id)).toBe('200');
    expect(await validates(after.id)).toBe('200');
    expect((await run(['plan', '-detailed-exitcode'])).code).toBe(0);
  }, 900_000);

  it('destroy keeps the volumes; the next apply brings the same data back', async () => {
    ok(await run(['destroy', '-auto-approve']));
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${PROJECT_LABEL}=${project}`] },
    });
    expect(left).toEqual([]);
    const volumes =
      (await docker.listVolumes({ filters: { label: [`${PROJECT_LABEL}=${project}`] } })).Volumes ?? [];
    expect(volumes.map((v) => v.Name).sort()).toEqual([...VOLUMES].sort());
    expect(readdirSync(path.join(etc, 'keystone'))).toEqual([]);

    ok(await run(['apply', '-auto-approve']));
    const list = await openstack<{ ID: string; Name: string }[]>('image', 'list');
    expect(list.map((i) => i.ID)).toContain(image?.id);
    await expectSameBytes();
    expect(await tokenLifetimeS()).toBeGreaterThan(7200 - 300);
  }, 1_200_000);

  it('never shows a secret value, in any output or in the state', () => {
    // 16 passwords and two key sets of 3 keys.
    expect(Object.values(secrets).length).toBe(22);
    const values = [...Object.values(secrets), ...rotatedSecrets];
    const state = readFileSync(path.join(dir, 'kolla.state.json'), 'utf8');
    const history = readdirSync(path.join(dir, 'kolla.state.json.history')).map((f) =>
      readFileSync(path.join(dir, 'kolla.state.json.history', f), 'utf8'),
    );
    for (const v of values) {
      for (const o of outputs) expect(o.includes(v)).toBe(false);
      expect(state.includes(v)).toBe(false);
      for (const h of history) expect(h.includes(v)).toBe(false);
    }
    expect(state).toContain('((secret.module.openstack.keystone_admin_password))');
  });
});

async function expectSameBytes(): Promise<void> {
  expect(image).toBeDefined();
  const saved = `/tmp/saved-${Date.now()}.img`;
  const r = await exec('kolla_toolbox', ['openstack', 'image', 'save', '--file', saved, image!.id]);
  expect(r.code, r.stderr).toBe(0);
  const sum = await exec('kolla_toolbox', ['sha256sum', saved]);
  expect(sum.out.split(/\s+/)[0]).toBe(image!.sha256);
  const cat = await exec('kolla_toolbox', ['cat', saved]);
  expect(cat.stdout.equals(image!.bytes)).toBe(true);
}
