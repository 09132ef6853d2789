/**
 * OpenStack's control plane in high availability on the testbed's three hosts, from
 * examples/multinode (the catalogue's openstack module with kolla_internal_vip_address): MariaDB as
 * a Galera cluster of 3, a RabbitMQ cluster of 3, memcached and Keystone on every host,
 * Glance on the first, haproxy on the VIP and keepalived moving it. Checked with the real
 * `openstack` client (the kolla_toolbox) and by clients on this machine through the VIP:
 *
 * - tokens and an image round trip through the VIP; endpoints on the VIP; a no-op plan;
 * - a rolling Keystone config change and a rolling MariaDB restart (serial = 1, each host
 *   health-gated) with two client loops running through the VIP (`curl` POSTs to
 *   /v3/auth/tokens every 100 ms from this machine, and `openstack token issue` one after the
 *   other in a toolbox): zero failed requests, counted and printed; Galera never below 2 nodes;
 * - the VIP holder's network going down: the VIP moves within seconds and tokens are issued
 *   through it; `kolla plan` says the host is unreachable and plans nothing for it nor
 *   anything destructive, and refuses a rolling MariaDB change that would leave Galera
 *   without a majority (quorum = true); once it is back, `kolla apply` brings it in sync (clusters of 3
 *   again) and the next plan is a no-op;
 * - a power loss of the database (all three MariaDB servers killed at once): `kolla
 *   mariadb-recovery` starts the cluster from the most advanced node, no committed row is lost
 *   (counted before and after), and Keystone answers through the VIP again.
 *
 * More Galera cases and RabbitMQ's rejoin are in test/ssh/galera.test.ts and
 * test/ssh/rabbitmq-cluster.test.ts (the same modules).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupProject, ensureDocker } from '../helpers/docker.js';
import { buildOnce, kolla, ROOT, type RunResult } from '../helpers/kolla.js';
import {
  ensureTestbed,
  onHost,
  testbedDocker,
  testbedSocket,
  TESTBED_KNOWN_HOSTS,
  TESTBED_ROOT,
  TESTBED_VIP,
} from '../helpers/testbed.js';

const PROJECT = 'ha';
const CONFIG_DIR = '/etc/kolla/ha';
const HOSTS = [1, 2, 3] as const;
const env = { KOLLA_KNOWN_HOSTS: TESTBED_KNOWN_HOSTS };
const vars = ['-var', `vip=${TESTBED_VIP}`, '-var', `testbed_dir=${TESTBED_ROOT}`];
let dir: string;
let rootPassword: string;

function ok(r: RunResult): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-4000)}`).toBe(0);
}

/** The docker CLI against host i's engine. */
function dockerOn(i: number, args: string[], timeout = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile('docker', ['-H', `unix://${testbedSocket(i)}`, ...args], { timeout }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, signal: null, stdout, stderr });
    });
  });
}

/** The real openstack client in host i's toolbox (clouds.yaml's kolla-admin: the VIP). */
function openstack(i: number, args: string[]): Promise<RunResult> {
  return dockerOn(i, ['exec', '-e', 'OS_CLOUD=kolla-admin', 'kolla_toolbox', 'openstack', ...args]);
}

async function sql(i: number, query: string): Promise<string> {
  const r = await dockerOn(i, [
    'exec',
    '-e',
    `MYSQL_PWD=${rootPassword}`,
    'mariadb',
    'mariadb',
    '-uroot',
    '-N',
    '-B',
    '-e',
    query,
  ]);
  expect(r.code, `ctl${i}: ${query}\n${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

async function galeraSize(i: number): Promise<number> {
  return Number((await sql(i, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'")).split('\t')[1]);
}

async function rabbitNodes(i: number): Promise<number> {
  const r = await dockerOn(i, ['exec', 'rabbitmq', 'rabbitmqctl', 'cluster_status', '--formatter', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { running_nodes: string[] }).running_nodes.length;
}

/** The hosts holding the VIP (read in their network namespaces). */
function vipHolders(): number[] {
  return HOSTS.filter((i) =>
    execFileSync('ip', ['-n', `kolla-tb${i}`, '-o', '-4', 'addr', 'show', 'dev', 'veth0'])
      .toString()
      .includes(` ${TESTBED_VIP}/`),
  );
}

/** One token request through the VIP on a new connection (curl, from this machine): true when issued (201). */
function tokenViaVip(): Promise<boolean> {
  return tokenCode().then((c) => c === '201');
}

/** The same request's HTTP status ("000": no answer; curl's exit status follows, e.g. "000 curl 28" for a timeout). */
function tokenCode(): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-m',
        '60',
        '-X',
        'POST',
        '-H',
        'Content-Type: application/json',
        '-d',
        `@${path.join(dir, 'auth.json')}`,
        `http://${TESTBED_VIP}:5000/v3/auth/tokens`,
      ],
      (err, stdout) =>
        resolve(`${stdout.trim()}${err && typeof err.code === 'number' ? ` curl ${err.code}` : ''}`),
    );
  });
}

interface Counts {
  issued: number;
  failed: number;
}

/**
 * While `during` runs: `curl` token requests through the VIP every 100 ms from this machine,
 * and `openstack token issue` one after the other in host `clientHost`'s toolbox. Counts both.
 */
async function tokensWhile(
  clientHost: number,
  during: () => Promise<void>,
): Promise<{ curl: Counts; client: Counts }> {
  const curl = { issued: 0, failed: 0 };
  const client = { issued: 0, failed: 0 };
  const failures: string[] = [];
  let done = false;
  const curlLoop = (async () => {
    while (!done) {
      const t = new Date().toISOString();
      const code = await tokenCode();
      if (code === '201') curl.issued++;
      else {
        curl.failed++;
        failures.push(`curl ${t}: HTTP ${code}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const clientLoop = (async () => {
    while (!done) {
      const r = await openstack(clientHost, ['token', 'issue', '-f', 'value', '-c', 'expires']);
      if (r.code === 0 && r.stdout.trim() !== '') client.issued++;
      else {
        client.failed++;
        failures.push(`openstack ${new Date().toISOString()}: ${r.stderr.trim().split('\n').pop()}`);
      }
    }
  })();
  try {
    await during();
  } finally {
    done = true;
    await Promise.all([curlLoop, clientLoop]);
  }
  if (failures.length) {
    console.log(`ha: failed requests:\n${failures.join('\n')}`);
    // What haproxy saw (its log lines for keystone that are not a 201 or a check).
    for (const i of HOSTS) {
      const l = await dockerOn(i, ['logs', '--since', '10m', 'haproxy']);
      const lines = (l.stdout + l.stderr)
        .split('\n')
        .filter((x) => x.includes('keystone') && !x.includes(' 201 '));
      if (lines.length) console.log(`ha: haproxy on ctl${i}:\n${lines.slice(-15).join('\n')}`);
    }
  }
  return { curl, client };
}

/** Restart events in apply's output, in order: which host's container of `name` restarted when. */
function rollingOrder(stdout: string, name: string): string[] {
  const re = new RegExp(`container\\.${name}\\["(ctl\\d)"\\]: (Restarting|Restart complete)`, 'g');
  return [...stdout.matchAll(re)].map((m) => `${m[1]} ${m[2] === 'Restarting' ? 'start' : 'done'}`);
}

async function noOpPlan(): Promise<void> {
  const p = await kolla(['plan', '-detailed-exitcode', ...vars], { cwd: dir, env });
  ok(p);
  expect(p.stdout).toContain('No changes.');
}

/** Host i's link to the testbed bridge up or down (from this machine: SSH goes through it). */
function link(i: number, state: 'up' | 'down'): void {
  execFileSync('ip', ['-n', `kolla-tb${i}`, 'link', 'set', 'veth0', state]);
}

async function clean(): Promise<void> {
  for (const i of HOSTS) {
    link(i, 'up');
    await onHost(i, `ip addr del ${TESTBED_VIP}/32 dev veth0 2>/dev/null; rm -rf ${CONFIG_DIR}; true`);
    await cleanupProject(testbedDocker(i), PROJECT);
    // Unlabelled leftovers of the same names (an older haproxy test) would be in the way.
    for (const v of ['kolla_logs', 'haproxy_socket'])
      await testbedDocker(i)
        .getVolume(v)
        .remove()
        .catch(() => {});
  }
}

beforeAll(async () => {
  await ensureDocker();
  await ensureTestbed(3);
  // The images are built by the apply FROM debian:bookworm (made here when missing).
  execFileSync('bash', [path.join(ROOT, 'scripts/debian-base.sh')], { stdio: 'ignore', timeout: 900_000 });
  buildOnce();
  await clean();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-ha-'));
  copyFileSync(path.join(ROOT, 'examples/multinode/main.hcl'), path.join(dir, 'main.hcl'));
  ok(await kolla(['secrets', 'generate', ...vars], { cwd: dir, env }));
  const secrets = JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')) as Record<
    string,
    string
  >;
  rootPassword = secrets['module.openstack.database_password']!;
  const auth = {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: {
            name: 'admin',
            domain: { name: 'Default' },
            password: secrets['module.openstack.keystone_admin_password'],
          },
        },
      },
      scope: { project: { name: 'admin', domain: { name: 'Default' } } },
    },
  };
  writeFileSync(path.join(dir, 'auth.json'), JSON.stringify(auth), { mode: 0o600 });
}, 1_800_000);

afterAll(async () => {
  for (const i of HOSTS) link(i, 'up');
  if (dir) {
    const d = await kolla(['destroy', '-auto-approve', '--include-volumes', ...vars], { cwd: dir, env });
    if (d.code !== 0) console.log(`ha: destroy failed:\n${d.stderr}`);
    rmSync(dir, { recursive: true, force: true });
  }
  await clean();
}, 600_000);

describe('OpenStack control plane in HA on ctl1..ctl3 (examples/multinode)', () => {
  it('deploys: Galera and RabbitMQ clusters of 3, Keystone on every host, the VIP on one, tokens through it', async () => {
    const t0 = Date.now();
    const r = await kolla(['apply', '-auto-approve', ...vars], { cwd: dir, env });
    const applyMs = Date.now() - t0;
    ok(r);
    expect(r.stdout).toMatch(/Apply complete! Resources: \d+ added/);
    console.log(`ha: cold apply of the HA control plane on 3 hosts ${applyMs} ms`);

    for (const i of HOSTS) {
      const names = (await dockerOn(i, ['ps', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean);
      expect(names.sort(), `ctl${i}`).toEqual(
        expect.arrayContaining([
          'haproxy',
          'keepalived',
          'keystone',
          'kolla_toolbox',
          'mariadb',
          'memcached',
          'rabbitmq',
        ]),
      );
      expect(names.includes('glance_api'), `glance_api on ctl${i}`).toBe(i === 1);
      expect(await galeraSize(i)).toBe(3);
      expect(await rabbitNodes(i)).toBe(3);
      // The services reach MariaDB through the VIP; each listens on its host's own address.
      const conf = await onHost(
        i,
        `cat ${CONFIG_DIR}/keystone/keystone.conf ${CONFIG_DIR}/keystone/keystone-uwsgi.ini`,
      );
      expect(conf.stdout).toContain(`@${TESTBED_VIP}:3306/keystone`);
      expect(conf.stdout).toContain(`http-socket = 10.77.0.1${i}:5000`);
      const fe = await onHost(i, `cat ${CONFIG_DIR}/haproxy/frontends.cfg`);
      expect(fe.stdout).toContain(`bind ${TESTBED_VIP}:5000`);
      expect(fe.stdout).toMatch(/server ctl2 10\.77\.0\.12:3306 check .* backup/);
    }
    expect(vipHolders()).toHaveLength(1);

    const endpoints = await openstack(2, ['endpoint', 'list', '-f', 'value', '-c', 'URL']);
    ok(endpoints);
    const urls = endpoints.stdout.split('\n').filter(Boolean);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const u of urls) expect(u).toContain(`//${TESTBED_VIP}:`);
    for (const i of HOSTS) ok(await openstack(i, ['token', 'issue', '-f', 'value', '-c', 'id']));
    expect(await tokenViaVip()).toBe(true);

    await noOpPlan();
  }, 3_600_000);

  it('round-trips an image through Glance on the VIP', async () => {
    ok(
      await dockerOn(3, [
        'exec',
        'kolla_toolbox',
        'sh',
        '-c',
        'head -c 3000000 /dev/urandom > /tmp/ha-image.raw',
      ]),
    );
    ok(
      await openstack(3, [
        'image',
        'create',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--file',
        '/tmp/ha-image.raw',
        'ha-image',
      ]),
    );
    ok(await openstack(2, ['image', 'save', '--file', '/tmp/ha-image.back', 'ha-image']));
    const sums: string[] = [];
    for (const [i, f] of [
      [3, '/tmp/ha-image.raw'],
      [2, '/tmp/ha-image.back'],
    ] as const) {
      const s = await dockerOn(i, ['exec', 'kolla_toolbox', 'sha256sum', f]);
      ok(s);
      sums.push(s.stdout.split(' ')[0]!);
    }
    expect(sums[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(sums[1]).toBe(sums[0]);
    const show = await openstack(2, ['image', 'show', 'ha-image', '-f', 'value', '-c', 'status']);
    expect(show.stdout.trim()).toBe('active');
  }, 600_000);

  it('changes Keystone config one host at a time with zero failed token requests', async () => {
    mkdirSync(path.join(dir, 'config'), { recursive: true });
    writeFileSync(path.join(dir, 'config', 'keystone.conf'), '[DEFAULT]\nmax_param_size = 65\n');
    const p = await kolla(['plan', ...vars], { cwd: dir, env });
    ok(p);
    for (const h of ['ctl1', 'ctl2', 'ctl3'])
      expect(p.stdout).toContain(
        `module.keystone.service.keystone.container.keystone["${h}"] will be restarted`,
      );

    let apply: RunResult | undefined;
    const t0 = Date.now();
    const counts = await tokensWhile(3, async () => {
      await new Promise((r) => setTimeout(r, 2000));
      apply = await kolla(['apply', '-auto-approve', ...vars], { cwd: dir, env });
      await new Promise((r) => setTimeout(r, 2000));
    });
    ok(apply!);
    console.log(
      `ha: rolling Keystone config change ${Date.now() - t0} ms; curl: ${counts.curl.issued} issued, ${counts.curl.failed} failed; ` +
        `openstack token issue: ${counts.client.issued} issued, ${counts.client.failed} failed`,
    );
    // One host at a time: each restart is done before the next begins.
    expect(rollingOrder(apply!.stdout + apply!.stderr, 'keystone')).toEqual([
      'ctl1 start',
      'ctl1 done',
      'ctl2 start',
      'ctl2 done',
      'ctl3 start',
      'ctl3 done',
    ]);
    expect(counts.curl.issued).toBeGreaterThan(10);
    expect(counts.client.issued).toBeGreaterThan(3);
    expect(counts.curl.failed).toBe(0);
    expect(counts.client.failed).toBe(0);
    for (const i of HOSTS)
      expect((await onHost(i, `cat ${CONFIG_DIR}/keystone/keystone.conf`)).stdout).toContain(
        'max_param_size = 65',
      );
    await noOpPlan();
  }, 1_200_000);

  it('restarts MariaDB one host at a time with zero failed token requests, the cluster never below 2', async () => {
    writeFileSync(path.join(dir, 'config', 'galera.cnf'), '[mysqld]\nmax_connect_errors = 1000001\n');
    let apply: RunResult | undefined;
    let minSize = 3;
    let watching = true;
    // Galera's size seen from ctl3 (restarted last) until its own restart begins.
    const watch = (async () => {
      while (watching) {
        const r = await dockerOn(
          3,
          [
            'exec',
            '-e',
            `MYSQL_PWD=${rootPassword}`,
            'mariadb',
            'mariadb',
            '-uroot',
            '-N',
            '-B',
            '-e',
            "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'",
          ],
          10_000,
        );
        if (r.code === 0) minSize = Math.min(minSize, Number(r.stdout.trim().split('\t')[1]));
        await new Promise((res) => setTimeout(res, 500));
      }
    })();
    const t0 = Date.now();
    const counts = await tokensWhile(3, async () => {
      await new Promise((r) => setTimeout(r, 2000));
      const child = kolla(['apply', '-auto-approve', ...vars], { cwd: dir, env });
      apply = await child;
      await new Promise((r) => setTimeout(r, 2000));
    });
    watching = false;
    await watch;
    ok(apply!);
    console.log(
      `ha: rolling MariaDB restart ${Date.now() - t0} ms; curl: ${counts.curl.issued} issued, ${counts.curl.failed} failed; ` +
        `openstack token issue: ${counts.client.issued} issued, ${counts.client.failed} failed; smallest cluster seen ${minSize}`,
    );
    expect(rollingOrder(apply!.stdout + apply!.stderr, 'mariadb')).toEqual([
      'ctl1 start',
      'ctl1 done',
      'ctl2 start',
      'ctl2 done',
      'ctl3 start',
      'ctl3 done',
    ]);
    expect(minSize).toBeGreaterThanOrEqual(2);
    expect(counts.curl.issued).toBeGreaterThan(10);
    expect(counts.curl.failed).toBe(0);
    expect(counts.client.failed).toBe(0);
    for (const i of HOSTS) expect(await galeraSize(i)).toBe(3);
    await noOpPlan();
  }, 1_200_000);

  it('moves the VIP when its holder loses its network; plan leaves that host out; apply brings it back', async () => {
    const [holder] = vipHolders();
    expect(holder).toBeDefined();
    const h = holder!;
    const t0 = Date.now();
    link(h, 'down');
    let moved = -1;
    while (Date.now() - t0 < 30_000) {
      const now = vipHolders().filter((i) => i !== h);
      if (now.length === 1) {
        moved = Date.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(moved, 'the VIP moved to another host').toBeGreaterThanOrEqual(0);
    let firstToken = -1;
    while (Date.now() - t0 < 120_000) {
      if (await tokenViaVip()) {
        firstToken = Date.now() - t0;
        break;
      }
    }
    expect(firstToken, 'a token through the VIP after the failover').toBeGreaterThanOrEqual(0);
    const after = { issued: 0, failed: 0 };
    for (let n = 0; n < 10; n++) {
      if (await tokenViaVip()) after.issued++;
      else after.failed++;
    }
    console.log(
      `ha: ctl${h} lost its network: the VIP moved after ${moved} ms, first token through it after ${firstToken} ms; ` +
        `then ${after.issued} issued, ${after.failed} failed`,
    );
    expect(after.issued).toBe(10);

    const p = await kolla(['plan', '-detailed-exitcode', ...vars], { cwd: dir, env });
    expect(p.code, p.stderr + p.stdout).toBe(2);
    expect(p.stdout + p.stderr).toContain(`Unreachable: host ctl${h} is left out`);
    expect(p.stdout).not.toContain(`["ctl${h}"] will`);
    expect(p.stdout).not.toMatch(/will be destroyed|must be replaced/);

    // A rolling MariaDB change now would stop one of the two members left: refused (quorum).
    const galeraCnf = path.join(dir, 'config', 'galera.cnf');
    const cnf = readFileSync(galeraCnf, 'utf8');
    writeFileSync(galeraCnf, '[mysqld]\nmax_connect_errors = 1000002\n');
    const q = await kolla(['plan', ...vars], { cwd: dir, env });
    writeFileSync(galeraCnf, cnf);
    expect(q.code, q.stdout).toBe(1);
    expect(q.stderr).toContain(
      'Quorum: module.openstack.module.mariadb.service.mariadb needs a majority of its 3 hosts running',
    );
    expect(q.stderr).toContain(`ctl${h} is unreachable`);

    link(h, 'up');
    // Back on the network: SSH answers again.
    const back = Date.now();
    while (Date.now() - back < 60_000) {
      if ((await onHost(h, 'true')).code === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const outageMs = Date.now() - t0;
    const a = await kolla(['apply', '-auto-approve', ...vars], { cwd: dir, env });
    ok(a);
    // The clusters heal: every node Synced in a Galera of 3, RabbitMQ of 3.
    const sizesNow = async (): Promise<string> => {
      let s = '';
      for (const i of HOSTS)
        s += `${await galeraSize(i).catch(() => 0)}/${await rabbitNodes(i).catch(() => 0)} `;
      return s.trim();
    };
    const waitHealed = async (limitMs: number): Promise<string> => {
      const since = Date.now();
      let s = '';
      while (Date.now() - since < limitMs) {
        s = await sizesNow();
        if (s === '3/3 3/3 3/3') break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      return s;
    };
    let sizes = await waitHealed(90_000);
    if (sizes !== '3/3 3/3 3/3' && (await rabbitNodes(h).catch(() => 0)) < 3) {
      // An outage longer than RabbitMQ's net_ticktime (60 s) can leave the node it cut off
      // partitioned from the others (pause_minority does not always bring it back: RabbitMQ's
      // own behaviour, docs/HA.md), and kolla does not detect that yet. The operator's remedy,
      // through kolla: replace that node's container; it rejoins on boot.
      console.log(
        `ha: RabbitMQ on ctl${h} stayed partitioned after a ${outageMs} ms outage (${sizes}); kolla apply -replace`,
      );
      ok(
        await kolla(
          [
            'apply',
            '-auto-approve',
            '-replace',
            `module.openstack.module.rabbitmq.service.rabbitmq.container.rabbitmq["ctl${h}"]`,
            ...vars,
          ],
          { cwd: dir, env },
        ),
      );
      sizes = await waitHealed(120_000);
    }
    expect(sizes).toBe('3/3 3/3 3/3');
    await noOpPlan();
    ok(await openstack(h, ['token', 'issue', '-f', 'value', '-c', 'id']));
  }, 1_200_000);

  it('recovers Galera after all three servers are killed at once (kolla mariadb-recovery) with no committed row lost', async () => {
    // Committed rows: projects made through the VIP by the real client, and rows written by SQL.
    for (const n of [1, 2, 3]) ok(await openstack(n, ['project', 'create', `ha-project-${n}`]));
    await sql(1, 'CREATE DATABASE IF NOT EXISTS hacheck');
    await sql(1, 'CREATE TABLE hacheck.t (id INT PRIMARY KEY, host VARCHAR(8))');
    for (const i of HOSTS) {
      const rows = Array.from({ length: 100 }, (_, n) => `(${i * 1000 + n}, 'ctl${i}')`);
      await sql(i, `INSERT INTO hacheck.t VALUES ${rows.join(', ')}`);
    }
    const count = async (i: number): Promise<string> =>
      sql(
        i,
        "SELECT (SELECT COUNT(*) FROM hacheck.t), (SELECT COUNT(*) FROM keystone.project WHERE name LIKE 'ha-project-%'), (SELECT COUNT(*) FROM keystone.local_user)",
      );
    const before = await count(2);
    expect(before.split('\t').slice(0, 2)).toEqual(['300', '3']);

    // A power loss: SIGKILL on every server at the same moment.
    const killed = await Promise.all(HOSTS.map((i) => dockerOn(i, ['kill', '-s', 'KILL', 'mariadb'])));
    for (const k of killed) ok(k);
    const t0 = Date.now();
    const r = await kolla(['mariadb-recovery', '--json', ...vars], { cwd: dir, env });
    ok(r);
    const out = JSON.parse(r.stdout) as {
      result: string;
      bootstrapHost: string;
      nodes: { host: string; seqno: number }[];
    };
    expect(out.result).toBe('bootstrapped');
    let sizes: number[] = [];
    while (Date.now() - t0 < 300_000) {
      sizes = [];
      for (const i of HOSTS) sizes.push(await galeraSize(i).catch(() => 0));
      if (sizes.every((n) => n === 3)) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    expect(sizes).toEqual([3, 3, 3]);
    const recoveredMs = Date.now() - t0;
    for (const i of HOSTS) expect(await count(i)).toBe(before);
    // Keystone answers through the VIP again, with the projects made before.
    let issued = false;
    const t1 = Date.now();
    while (!issued && Date.now() - t1 < 120_000) issued = await tokenViaVip();
    expect(issued).toBe(true);
    const projects = await openstack(2, ['project', 'list', '-f', 'value', '-c', 'Name']);
    ok(projects);
    for (const n of [1, 2, 3]) expect(projects.stdout).toContain(`ha-project-${n}`);
    console.log(
      `ha: Galera after a power loss: kolla mariadb-recovery from ${out.bootstrapHost} (seqnos ${out.nodes.map((n) => `${n.host}=${n.seqno}`).join(', ')}), ` +
        `cluster of 3 after ${recoveredMs} ms, tokens through the VIP after ${Date.now() - t0} ms; rows ${before} before and after`,
    );
    await noOpPlan();
  }, 900_000);
});
