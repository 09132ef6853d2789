/**
 * The catalogue's mariadb module as a Galera cluster on the three testbed hosts (tb1, tb2,
 * tb3): the first host bootstraps a new cluster, the others join one at a time (serial = 1),
 * each healthy once Synced. Every node sees a cluster of 3, a row written on one node is read
 * on the others, and a plan after apply is a no-op. After all three servers are killed at once
 * (SIGKILL, a power loss), starting them again (docs/HA.md) brings the cluster back with every
 * committed row. After a crash of one node and then of the other two, `kolla mariadb-recovery`
 * finds the most advanced node, starts the cluster from it and then the others, which catch
 * up: no committed row is lost. A first node whose volume is made again joins the others
 * (while they run) and never starts a new, empty cluster (while they are stopped). With one host (tb2) the same module and image run
 * the plain MariaDB of the all-in-one: no wsrep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupProject, ensureDocker } from '../helpers/docker.js';
import { buildOnce, kolla, ROOT, type RunResult } from '../helpers/kolla.js';
import {
  ensureTestbed,
  onHost,
  testbedAddress,
  testbedDocker,
  testbedSocket,
  TESTBED_KNOWN_HOSTS,
  TESTBED_ROOT,
} from '../helpers/testbed.js';

const PROJECT = 'galera';
const BOOTSTRAP = 'module.mariadb.service.mariadb.bootstrap.databases';
const CONFIG_DIR = '/etc/kolla/galera';
const HOSTS = [1, 2, 3] as const;
const env = { KOLLA_KNOWN_HOSTS: TESTBED_KNOWN_HOSTS };
const vars = ['-var', `catalogue=${path.join(ROOT, 'catalogue')}`, '-var', `testbed_dir=${TESTBED_ROOT}`];
let dir: string;
let rootPassword: string;

const MAIN = `
kolla {
  project    = "${PROJECT}"
  config_dir = "${CONFIG_DIR}"
}

variable "catalogue" {
  type        = string
  description = "kolla's catalogue folder (the images' templates)."
}

variable "testbed_dir" {
  type        = string
  description = "scripts/testbed's directory (each host's key, Docker socket and lock dir)."
}
${HOSTS.map(
  (i) => `
host "tb${i}" {
  address       = "${testbedAddress(i)}"
  identity_file = "\${var.testbed_dir}/id_ed25519"
  docker_socket = "\${var.testbed_dir}/${i}/docker.sock"
  lock_dir      = "\${var.testbed_dir}/${i}/locks"
  vars          = { api_interface_address = "${testbedAddress(i)}" }
}
`,
).join('')}
image "base" {
  template = "\${var.catalogue}/openstack/docker/base/Dockerfile.j2"
  tag      = "zed"
}
# A tag of its own: this machine's kolla/mariadb:zed (the all-in-one's) stays as it is.
image "mariadb" {
  template = "\${var.catalogue}/openstack/docker/mariadb/Dockerfile.j2"
  parent   = image.base
  tag      = "galera-test"
}

secret "database_password" {}
secret "app_password" {}

module "mariadb" {
  source        = "kolla/mariadb"
  image         = image.mariadb
  hosts         = [${HOSTS.map((i) => `"tb${i}"`).join(', ')}]
  overrides_dir = "\${path.root}/config"
  root_password = secret.database_password
  databases     = { app = { user = "app", password = secret.app_password } }
  volume_prefix = "galera_"
  # A node that cannot join fails the apply in 2 minutes (the hazard cases below); a state
  # transfer of this small database takes seconds.
  sync_timeout  = "120s"
}
`;

function ok(r: RunResult): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`).toBe(0);
}

/** The docker CLI against host i's engine. */
function dockerOn(i: number, args: string[], timeout = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile('docker', ['-H', `unix://${testbedSocket(i)}`, ...args], { timeout }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, signal: null, stdout, stderr });
    });
  });
}

/** One SQL statement on host i's server (as root, over TCP on its address): its rows, tab-separated. */
async function sql(i: number, query: string): Promise<string> {
  const r = await dockerOn(i, [
    'exec',
    '-e',
    `MYSQL_PWD=${rootPassword}`,
    'mariadb',
    'mariadb',
    '-uroot',
    `-h${testbedAddress(i)}`,
    '-N',
    '-B',
    '-e',
    query,
  ]);
  expect(r.code, `tb${i}: ${query}\n${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

async function status(i: number, name: string): Promise<string> {
  return (await sql(i, `SHOW GLOBAL STATUS LIKE '${name}'`)).split('\t')[1] ?? '';
}

async function noOpPlan(): Promise<void> {
  const p = await kolla(['plan', '-detailed-exitcode', ...vars], { cwd: dir, env });
  ok(p);
  expect(p.stdout).toContain('No changes.');
}

/** Wait (polling, at most `limitMs`) until the nodes are Synced in a Primary Component of their number. */
async function waitForCluster(limitMs: number, nodes: readonly number[] = HOSTS): Promise<void> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < limitMs) {
    const states: string[] = [];
    for (const i of nodes) {
      const r = await dockerOn(i, ['exec', 'mariadb', 'kolla_mariadb_healthcheck']);
      states.push(`tb${i}: ${r.stdout.trim() || r.stderr.trim()}`);
    }
    last = states.join('; ');
    if (states.every((s) => s.includes('Synced') && s.includes(`size=${nodes.length}`))) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const logs: string[] = [];
  for (const i of nodes) {
    const l = await dockerOn(i, ['logs', '--tail', '15', 'mariadb']);
    logs.push(`--- tb${i}:\n${l.stdout}${l.stderr}`);
  }
  throw new Error(`the cluster is not back after ${limitMs} ms: ${last}\n${logs.join('\n')}`);
}

/** Host i's grastate.dat (its mariadb container's volume, the server stopped or not). */
async function grastate(i: number): Promise<string> {
  const g = await dockerOn(i, [
    'run',
    '--rm',
    '--entrypoint',
    'cat',
    '-v',
    'galera_mariadb:/var/lib/mysql',
    'kolla/mariadb:galera-test',
    '/var/lib/mysql/grastate.dat',
  ]);
  return g.stdout;
}

beforeAll(async () => {
  await ensureDocker();
  await ensureTestbed(3);
  // The images are built by the apply FROM debian:bookworm (made here when missing).
  execFileSync('bash', [path.join(ROOT, 'scripts/debian-base.sh')], { stdio: 'ignore', timeout: 900_000 });
  buildOnce();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-galera-'));
  writeFileSync(path.join(dir, 'main.hcl'), MAIN);
  // Nothing of an earlier run left on the hosts: containers, volumes, config files.
  for (const i of HOSTS) {
    await cleanupProject(testbedDocker(i), PROJECT);
    const r = await onHost(i, `rm -rf ${CONFIG_DIR}`);
    expect(r.code, r.stderr).toBe(0);
  }
  ok(await kolla(['secrets', 'generate', ...vars], { cwd: dir, env }));
  const secrets = JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')) as Record<
    string,
    string
  >;
  rootPassword = secrets['database_password']!;
}, 900_000);

afterAll(async () => {
  for (const i of HOSTS) {
    await cleanupProject(testbedDocker(i), PROJECT);
    await onHost(i, `rm -rf ${CONFIG_DIR}`);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('mariadb from the catalogue as a Galera cluster on tb1, tb2 and tb3', () => {
  it('applies: the first node bootstraps, the others join one at a time, all Synced in a cluster of 3', async () => {
    const t0 = Date.now();
    const r = await kolla(['apply', '-auto-approve', ...vars], { cwd: dir, env });
    const applyMs = Date.now() - t0;
    ok(r);
    expect(r.stdout).toMatch(/Apply complete! Resources: \d+ added/);

    const started: number[] = [];
    for (const i of HOSTS) {
      const c = await testbedDocker(i).getContainer('mariadb').inspect();
      expect(c.State.Running, `mariadb on tb${i}`).toBe(true);
      // Its healthcheck passes (kolla's own probe opened the gate; Docker's may not have run yet).
      expect(c.Config.Healthcheck?.Test).toEqual(['CMD-SHELL', 'kolla_mariadb_healthcheck']);
      ok(await dockerOn(i, ['exec', 'mariadb', 'kolla_mariadb_healthcheck']));
      started.push(Date.parse(c.State.StartedAt));
      expect(await status(i, 'wsrep_cluster_size')).toBe('3');
      expect(await status(i, 'wsrep_local_state_comment')).toBe('Synced');
      expect(await status(i, 'wsrep_cluster_status')).toBe('Primary');
      const cnf = await onHost(i, `cat ${CONFIG_DIR}/mariadb/galera.cnf`);
      expect(cnf.stdout).toContain(
        `wsrep_cluster_address = gcomm://${HOSTS.map((h) => `${testbedAddress(h)}:4567`).join(',')}`,
      );
      expect(cnf.stdout).toContain(`wsrep_node_address = ${testbedAddress(i)}:4567`);
    }
    // serial = 1: tb1 (the new cluster) first, then tb2, then tb3.
    expect(started[0]!).toBeLessThan(started[1]!);
    expect(started[1]!).toBeLessThan(started[2]!);
    const first = await dockerOn(1, ['logs', 'mariadb']);
    expect(first.stdout + first.stderr).toContain('starting a new cluster');
    for (const i of [2, 3]) {
      const log = await dockerOn(i, ['logs', 'mariadb']);
      expect(log.stdout + log.stderr).toContain('joining the cluster');
    }
    // The bootstrap's database and user exist on every node (state transfer).
    for (const i of HOSTS)
      expect(await sql(i, "SELECT COUNT(*) FROM mysql.user WHERE User = 'app'")).toBe('1');
    console.log(`galera: apply of a 3-node cluster ${applyMs} ms`);

    await noOpPlan();
  }, 1_800_000);

  it('replicates: a row written on one node is read on the others', async () => {
    await sql(1, 'CREATE TABLE app.t (id INT PRIMARY KEY, host VARCHAR(16))');
    await sql(1, "INSERT INTO app.t VALUES (1, 'tb1')");
    await sql(3, "INSERT INTO app.t VALUES (3, 'tb3')");
    for (const i of HOSTS)
      expect(await sql(i, 'SELECT id, host FROM app.t ORDER BY id')).toBe('1\ttb1\n3\ttb3');
  });

  it('comes back with every committed row after all three servers are killed at once', async () => {
    const values = Array.from({ length: 200 }, (_, n) => `(${100 + n}, 'tb${(n % 3) + 1}')`);
    for (const i of HOSTS) {
      const part = values.filter((_, n) => n % 3 === i - 1);
      await sql(i, `INSERT INTO app.t VALUES ${part.join(', ')}`);
    }
    const before = await sql(2, 'SELECT COUNT(*) FROM app.t');
    expect(before).toBe('202');

    // Power loss: SIGKILL on every server at the same moment.
    const killed = await Promise.all(HOSTS.map((i) => dockerOn(i, ['kill', '-s', 'KILL', 'mariadb'])));
    for (const k of killed) expect(k.code, k.stderr).toBe(0);
    for (const i of HOSTS) {
      const c = await testbedDocker(i).getContainer('mariadb').inspect();
      expect(c.State.Running, `mariadb on tb${i} after the kill`).toBe(false);
    }
    // No node may bootstrap alone: none is safe_to_bootstrap (the cluster did not shut down cleanly).
    for (const i of HOSTS) {
      const g = await dockerOn(i, [
        'run',
        '--rm',
        '--entrypoint',
        'cat',
        '-v',
        'galera_mariadb:/var/lib/mysql',
        'kolla/mariadb:galera-test',
        '/var/lib/mysql/grastate.dat',
      ]);
      expect(g.stdout).toContain('safe_to_bootstrap: 0');
    }

    // The recovery (docs/HA.md): start the servers on every host at once; pc.recovery brings
    // back the last Primary Component once all its members are back.
    const t0 = Date.now();
    const startedAgain = await Promise.all(HOSTS.map((i) => dockerOn(i, ['start', 'mariadb'])));
    for (const s of startedAgain) expect(s.code, s.stderr).toBe(0);
    await waitForCluster(300_000);
    console.log(`galera: the cluster back ${Date.now() - t0} ms after the servers were started again`);

    for (const i of HOSTS) expect(await sql(i, 'SELECT COUNT(*) FROM app.t')).toBe(before);
    await noOpPlan();
  }, 600_000);

  it('after a crash of one node and then of the other two, kolla mariadb-recovery starts the cluster from the most advanced node and then the others', async () => {
    // A wrong container name is refused before any host is touched.
    const wrong = await kolla(['mariadb-recovery', '--container', 'mariadbb', ...vars], { cwd: dir, env });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('did you mean "mariadb"');

    // tb3 dies first; tb1 and tb2 go on committing; then they die too. tb3 is behind.
    ok(await dockerOn(3, ['kill', '-s', 'KILL', 'mariadb']));
    const later = Array.from({ length: 50 }, (_, n) => `(${400 + n}, 'late')`);
    await sql(1, `INSERT INTO app.t VALUES ${later.join(', ')}`);
    const before = await sql(2, 'SELECT COUNT(*) FROM app.t');
    expect(before).toBe('252');
    const killed = await Promise.all([1, 2].map((i) => dockerOn(i, ['kill', '-s', 'KILL', 'mariadb'])));
    for (const k of killed) ok(k);

    const t0 = Date.now();
    const r = await kolla(['mariadb-recovery', '--json', ...vars], { cwd: dir, env });
    ok(r);
    console.log(`galera: kolla mariadb-recovery ${Date.now() - t0} ms`);
    const out = JSON.parse(r.stdout) as {
      result: string;
      bootstrapHost: string;
      nodes: {
        host: string;
        found: string;
        uuid: string;
        seqno: number;
        bootstrapped: boolean;
        started: boolean;
      }[];
    };
    expect(out.result).toBe('bootstrapped');
    expect(out.nodes.map((n) => n.host)).toEqual(['tb1', 'tb2', 'tb3']);
    const seqno = Object.fromEntries(out.nodes.map((n) => [n.host, n.seqno]));
    expect(new Set(out.nodes.map((n) => n.uuid)).size).toBe(1);
    expect(seqno['tb3']!).toBeLessThan(seqno['tb1']!);
    expect(seqno['tb1']).toBe(seqno['tb2']);
    // The highest seqno, the first in hosts order on a tie.
    expect(out.bootstrapHost).toBe('tb1');
    expect(out.nodes.map((n) => n.bootstrapped)).toEqual([true, false, false]);
    expect(out.nodes.every((n) => n.found === 'stopped' && n.started)).toBe(true);
    expect(r.stderr).toContain('tb1: the most advanced node');
    console.log(`galera: recovered seqnos ${out.nodes.map((n) => `${n.host}=${n.seqno}`).join(' ')}`);
    const log = await dockerOn(1, ['logs', '--since', '2m', 'mariadb']);
    expect(log.stdout + log.stderr).toContain('grastate.dat says safe_to_bootstrap');

    await waitForCluster(120_000);
    for (const i of HOSTS) expect(await sql(i, 'SELECT COUNT(*) FROM app.t')).toBe(before);
    await noOpPlan();

    // Run again on a healthy cluster: nothing to do.
    const again = await kolla(['mariadb-recovery', ...vars], { cwd: dir, env });
    ok(again);
    expect(again.stdout).toContain('nothing done');
  }, 600_000);

  it("the first node's volume removed while the others run: apply makes it again, the node joins by state transfer, every row on all three", async () => {
    const before = await sql(2, 'SELECT COUNT(*) FROM app.t');
    ok(await dockerOn(1, ['rm', '-f', 'mariadb']));
    ok(await dockerOn(1, ['volume', 'rm', 'galera_mariadb']));
    // The bootstrap runs again too (as when its inputs change): on the empty volume, with the
    // cluster running, it must not make a data directory of its own.
    const r = await kolla(['apply', '-auto-approve', `-replace=${BOOTSTRAP}`, ...vars], { cwd: dir, env });
    ok(r);
    await waitForCluster(120_000);
    const log = await dockerOn(1, ['logs', 'mariadb']);
    expect(log.stdout + log.stderr).toContain('joining the cluster');
    expect(log.stdout + log.stderr).not.toContain('starting a new cluster');
    for (const i of HOSTS) expect(await sql(i, 'SELECT COUNT(*) FROM app.t')).toBe(before);
    await noOpPlan();
  }, 600_000);

  it("the first node's volume removed while the other two are stopped: no new, empty cluster (the apply fails); after kolla mariadb-recovery and apply, every row is there", async () => {
    const before = await sql(2, 'SELECT COUNT(*) FROM app.t');
    ok(await dockerOn(1, ['rm', '-f', 'mariadb']));
    ok(await dockerOn(1, ['volume', 'rm', 'galera_mariadb']));
    // A clean stop, tb3 last. (tb1 was lost first, abruptly: Galera marks no node safe_to_bootstrap.)
    ok(await dockerOn(2, ['stop', 'mariadb'], 120_000));
    ok(await dockerOn(3, ['stop', 'mariadb'], 120_000));
    console.log(`galera: tb3's grastate.dat after the stops:\n${await grastate(3)}`);

    // The bootstrap runs again too (as when its inputs change, or when a new host is put
    // first): on the empty volume, with no peer, it must not make the data of a new cluster.
    const failed = await kolla(['apply', '-auto-approve', `-replace=${BOOTSTRAP}`, ...vars], {
      cwd: dir,
      env,
    });
    expect(failed.code, failed.stdout.slice(-3000)).not.toBe(0);
    expect(failed.stderr).toContain("this is not the cluster's first deploy");
    expect(failed.stderr).toContain('Rollback complete.');

    // The others back: kolla mariadb-recovery starts the cluster from the more advanced of
    // tb2 and tb3 (tb1 has no container after the rollback: left out), then apply makes tb1,
    // which joins by state transfer.
    const rec = await kolla(['mariadb-recovery', '--json', ...vars], { cwd: dir, env });
    ok(rec);
    const out = JSON.parse(rec.stdout) as {
      result: string;
      bootstrapHost: string;
      nodes: { host: string; found: string; seqno?: number }[];
    };
    expect(out.result).toBe('bootstrapped');
    expect(out.nodes.map((n) => [n.host, n.found])).toEqual([
      ['tb1', 'missing'],
      ['tb2', 'stopped'],
      ['tb3', 'stopped'],
    ]);
    expect(['tb2', 'tb3']).toContain(out.bootstrapHost);
    await waitForCluster(120_000, [2, 3]);
    ok(await kolla(['apply', '-auto-approve', ...vars], { cwd: dir, env }));
    await waitForCluster(120_000);
    const log = await dockerOn(1, ['logs', 'mariadb']);
    expect(log.stdout + log.stderr).toContain('joining the cluster');
    for (const i of HOSTS) expect(await sql(i, 'SELECT COUNT(*) FROM app.t')).toBe(before);
    await noOpPlan();
  }, 900_000);

  it('destroys the cluster', async () => {
    ok(await kolla(['destroy', '-auto-approve', ...vars], { cwd: dir, env }));
    for (const i of HOSTS)
      await expect(testbedDocker(i).getContainer('mariadb').inspect(), `mariadb on tb${i}`).rejects.toThrow();
  }, 300_000);
});

/** The same module with one host (tb2): the plain MariaDB of the all-in-one, with the same image. */
describe('mariadb from the catalogue on one host', () => {
  let single: string;
  beforeAll(async () => {
    single = mkdtempSync(path.join(os.tmpdir(), 'kolla-galera1-'));
    const config = MAIN.replace(`project    = "${PROJECT}"`, `project    = "${PROJECT}1"`)
      .replace(`config_dir = "${CONFIG_DIR}"`, `config_dir = "${CONFIG_DIR}1"`)
      .replace(/hosts {9}= \[[^\]]*\]/, 'hosts         = ["tb2"]')
      .replace('volume_prefix = "galera_"', 'volume_prefix = "galera1_"');
    expect(config).toContain('hosts         = ["tb2"]');
    expect(config).toContain('volume_prefix = "galera1_"');
    writeFileSync(path.join(single, 'main.hcl'), config);
    await cleanupProject(testbedDocker(2), `${PROJECT}1`);
    ok(await kolla(['secrets', 'generate', ...vars], { cwd: single, env }));
  }, 300_000);
  afterAll(async () => {
    await cleanupProject(testbedDocker(2), `${PROJECT}1`);
    await onHost(2, `rm -rf ${CONFIG_DIR}1`);
    rmSync(single, { recursive: true, force: true });
  });

  it('runs without wsrep, healthy by its port, and a plan after apply is a no-op', async () => {
    ok(await kolla(['apply', '-auto-approve', ...vars], { cwd: single, env }));
    const c = await testbedDocker(2).getContainer('mariadb').inspect();
    expect(c.State.Running).toBe(true);
    expect(c.Config.Healthcheck?.Test).toEqual(['CMD-SHELL', 'healthcheck_listen mariadbd 3306']);
    ok(await dockerOn(2, ['exec', 'mariadb', 'healthcheck_listen', 'mariadbd', '3306']));
    const cnf = await onHost(2, `cat ${CONFIG_DIR}1/mariadb/galera.cnf`);
    expect(cnf.stdout).not.toContain('wsrep');
    const secrets = JSON.parse(readFileSync(path.join(single, 'kolla.secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    rootPassword = secrets['database_password']!;
    expect(await sql(2, "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")).toBe('wsrep_on\tOFF');
    expect(await sql(2, "SELECT COUNT(*) FROM mysql.user WHERE User = 'app'")).toBe('1');
    const p = await kolla(['plan', '-detailed-exitcode', ...vars], { cwd: single, env });
    ok(p);
    expect(p.stdout).toContain('No changes.');
  }, 600_000);
});
