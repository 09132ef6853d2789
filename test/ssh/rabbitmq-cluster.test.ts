/**
 * The catalogue's rabbitmq module as a RabbitMQ cluster on the three testbed hosts (tb1, tb2,
 * tb3): every node named rabbit@<its address>, classic config peer discovery, the same Erlang
 * cookie; the nodes start one at a time (serial = 1), tb1 alone first. Every node sees 3
 * running nodes, a message published on one node is counted on the others (a quorum queue),
 * the vhost / has quorum queues as its default, and a plan after apply is a no-op. A node
 * restarted by hand rejoins; a node stopped by hand is drift that apply starts again; a
 * rolling change of rabbitmq.conf restarts one node at a time, the cluster never below two
 * running nodes. With one host (tb2) the module renders exactly the all-in-one's files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cleanupProject, ensureDocker } from '../helpers/docker.js';
import { execWithStdin } from '../../src/providers/docker/sql-exec.js';
import { EXPORT_DEFINITIONS } from '../../src/providers/docker/rabbitmqctl.js';
import { parseDefinitions } from '../../src/kinds/rabbitmq-user.js';
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

const PROJECT = 'rabbitc';
const CONFIG_DIR = '/etc/kolla/rabbitc';
const HOSTS = [1, 2, 3] as const;
const NODES = HOSTS.map((i) => `rabbit@${testbedAddress(i)}`);
const env = { KOLLA_KNOWN_HOSTS: TESTBED_KNOWN_HOSTS };
const vars = ['-var', `catalogue=${path.join(ROOT, 'catalogue')}`, '-var', `testbed_dir=${TESTBED_ROOT}`];
let dir: string;

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
# A tag of its own: this machine's kolla/rabbitmq:zed (the all-in-one's) stays as it is.
image "rabbitmq" {
  template = "\${var.catalogue}/openstack/docker/rabbitmq/Dockerfile.j2"
  parent   = image.base
  tag      = "rabbit-test"
}

secret "rabbitmq_password" {}
secret "rabbitmq_cluster_cookie" {}

module "rabbitmq" {
  source            = "kolla/rabbitmq"
  image             = image.rabbitmq
  hosts             = [${HOSTS.map((i) => `"tb${i}"`).join(', ')}]
  rabbitmq_password = secret.rabbitmq_password
  cluster_cookie    = secret.rabbitmq_cluster_cookie
  volume_prefix     = "rabbitc_"
  extra_config      = {}
}

output "addresses" {
  value = module.rabbitmq.addresses
}

output "transport_url" {
  value     = module.rabbitmq.transport_url
  sensitive = true
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

/** rabbitmqctl (or another CLI tool of the image) in host i's rabbitmq container. */
async function ctl(i: number, args: string[], tool = 'rabbitmqctl'): Promise<string> {
  const r = await dockerOn(i, ['exec', 'rabbitmq', tool, ...args]);
  expect(r.code, `tb${i}: ${tool} ${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(0);
  return r.stdout;
}

/** The running nodes host i's node sees (rabbitmqctl cluster_status), or undefined when it does not answer. */
async function runningNodes(i: number): Promise<string[] | undefined> {
  const r = await dockerOn(
    i,
    ['exec', 'rabbitmq', 'rabbitmqctl', 'cluster_status', '--formatter', 'json'],
    30_000,
  );
  if (r.code !== 0) return undefined;
  try {
    return ((JSON.parse(r.stdout) as { running_nodes?: string[] }).running_nodes ?? []).slice().sort();
  } catch {
    return undefined;
  }
}

/** Wait (polling, at most `limitMs`) until every node sees all three running; the time it took. */
async function waitForCluster(limitMs: number): Promise<number> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < limitMs) {
    // Cheap first (a rabbitmqctl run starts an Erlang VM): every node's AMQP port open.
    const open = await Promise.all(HOSTS.map((i) => amqpOpen(i)));
    if (!open.every(Boolean)) {
      last = open.map((o, n) => `tb${n + 1}: AMQP ${o ? 'open' : 'closed'}`).join('; ');
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    const seen: (string[] | undefined)[] = [];
    for (const i of HOSTS) seen.push(await runningNodes(i));
    last = seen.map((s, n) => `tb${n + 1}: ${s ? s.join(',') : 'no answer'}`).join('; ');
    if (seen.every((s) => s !== undefined && s.length === 3)) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
  }
  const logs: string[] = [];
  for (const i of HOSTS) {
    const l = await dockerOn(i, ['logs', '--tail', '15', 'rabbitmq']);
    logs.push(`--- tb${i}:\n${l.stdout}${l.stderr}`);
  }
  throw new Error(`the cluster is not back after ${limitMs} ms: ${last}\n${logs.join('\n')}`);
}

/** Whether host i's AMQP port accepts a connection (its node's application runs). */
function amqpOpen(i: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: testbedAddress(i), port: 5672, timeout: 1000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

/** The messages of the queue as host i's node counts them. */
async function messages(i: number, queue: string): Promise<{ type: string; messages: number } | undefined> {
  const out = await ctl(i, ['list_queues', '-p', '/', 'name', 'type', 'messages', '--formatter', 'json']);
  const q = (JSON.parse(out) as { name: string; type: string; messages: number }[]).find(
    (x) => x.name === queue,
  );
  return q && { type: q.type, messages: q.messages };
}

/**
 * The queue as host i sees it once its count reached `want`: list_queues reports the
 * message count from statistics the broker refreshes every few seconds, so a message just
 * published may still count 0 (up to `timeoutMs`; then what it last saw).
 */
async function messagesOnceCounted(
  i: number,
  queue: string,
  want: number,
  timeoutMs = 30_000,
): Promise<{ type: string; messages: number } | undefined> {
  const t0 = Date.now();
  for (;;) {
    const m = await messages(i, queue);
    if (m?.messages === want || Date.now() - t0 > timeoutMs) return m;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function startedAt(i: number): Promise<number> {
  const c = await testbedDocker(i).getContainer('rabbitmq').inspect();
  return Date.parse(c.State.StartedAt);
}

async function noOpPlan(): Promise<void> {
  const p = await kolla(['plan', '-detailed-exitcode', ...vars], { cwd: dir, env });
  ok(p);
  expect(p.stdout).toContain('No changes.');
}

beforeAll(async () => {
  await ensureDocker();
  await ensureTestbed(3);
  // The image is built by the apply FROM debian:bookworm (made here when missing).
  execFileSync('bash', [path.join(ROOT, 'scripts/debian-base.sh')], { stdio: 'ignore', timeout: 900_000 });
  buildOnce();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-rabbitc-'));
  writeFileSync(path.join(dir, 'main.hcl'), MAIN);
  // Nothing of an earlier run left on the hosts: containers, volumes, config files.
  for (const i of HOSTS) {
    await cleanupProject(testbedDocker(i), PROJECT);
    const r = await onHost(i, `rm -rf ${CONFIG_DIR}`);
    expect(r.code, r.stderr).toBe(0);
  }
  ok(await kolla(['secrets', 'generate', ...vars], { cwd: dir, env }));
}, 900_000);

afterAll(async () => {
  for (const i of HOSTS) {
    await cleanupProject(testbedDocker(i), PROJECT);
    await onHost(i, `rm -rf ${CONFIG_DIR}`);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('rabbitmq from the catalogue as a cluster on tb1, tb2 and tb3', () => {
  it('applies: tb1 starts alone, tb2 and tb3 join one at a time; every node sees 3 running nodes', async () => {
    const t0 = Date.now();
    const r = await kolla(['apply', '-auto-approve', ...vars], { cwd: dir, env });
    const applyMs = Date.now() - t0;
    ok(r);
    expect(r.stdout).toMatch(/Apply complete! Resources: \d+ added/);

    const started: number[] = [];
    for (const i of HOSTS) {
      const c = await testbedDocker(i).getContainer('rabbitmq').inspect();
      expect(c.State.Running, `rabbitmq on tb${i}`).toBe(true);
      expect(c.Config.Healthcheck?.Test).toEqual(['CMD-SHELL', 'healthcheck_listen beam.smp 5672']);
      started.push(Date.parse(c.State.StartedAt));
      expect(await runningNodes(i)).toEqual(NODES);
      const conf = await onHost(
        i,
        `cat ${CONFIG_DIR}/rabbitmq/rabbitmq.conf ${CONFIG_DIR}/rabbitmq/rabbitmq-env.conf`,
      );
      for (const [n, node] of NODES.entries())
        expect(conf.stdout).toContain(`cluster_formation.classic_config.nodes.${n + 1} = ${node}\n`);
      expect(conf.stdout).toContain(`RABBITMQ_NODENAME=rabbit@${testbedAddress(i)}\n`);
      expect(conf.stdout).toContain('cluster_partition_handling = pause_minority\n');
    }
    // serial = 1: tb1 first, then tb2, then tb3.
    expect(started[0]!).toBeLessThan(started[1]!);
    expect(started[1]!).toBeLessThan(started[2]!);
    // tb1 found no peer and started the cluster; the others joined a running node.
    const first = await dockerOn(1, ['logs', 'rabbitmq']);
    expect(first.stdout + first.stderr).toContain(
      'Node database directory at /var/lib/rabbitmq/mnesia/rabbit@10.77.0.11 is empty',
    );
    expect(first.stdout + first.stderr).not.toContain('selected for auto-clustering');
    for (const i of [2, 3]) {
      const log = await dockerOn(i, ['logs', 'rabbitmq']);
      expect(log.stdout + log.stderr).toMatch(/Node 'rabbit@10\.77\.0\.\d+' selected for auto-clustering/);
    }
    // Same cookie everywhere (the cluster formed), and the module's outputs list every node.
    const out = await kolla(['output', '--json'], {
      cwd: dir,
      env: { ...env, KOLLA_VAR_catalogue: path.join(ROOT, 'catalogue'), KOLLA_VAR_testbed_dir: TESTBED_ROOT },
    });
    ok(out);
    const outputs = JSON.parse(out.stdout) as Record<string, { value: unknown; sensitive?: boolean }>;
    expect(outputs['addresses']?.value).toEqual(HOSTS.map((i) => `${testbedAddress(i)}:5672`));
    expect(outputs['transport_url']?.sensitive).toBe(true);
    console.log(`rabbitmq-cluster: apply of a 3-node cluster (image built and sent) ${applyMs} ms`);

    await noOpPlan();
    // The refresh's read reaches a node of long names (rabbit@10.77.0.1x) through erl_call:
    // only users, vhosts and permissions (rabbitmqctl's export would hold rabbit_version too).
    for (const i of HOSTS) {
      const r = await execWithStdin(testbedDocker(i), 'rabbitmq', EXPORT_DEFINITIONS, '', {
        timeoutMs: 60_000,
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(Object.keys(JSON.parse(r.stdout) as object).sort(), `tb${i}`).toEqual([
        'permissions',
        'users',
        'vhosts',
      ]);
      expect(parseDefinitions(r.stdout).users.has('openstack'), `tb${i}`).toBe(true);
    }
  }, 900_000);

  it('a message published on tb1 is counted on tb2 and tb3 (a quorum queue on every node); the vhost / defaults to quorum queues', async () => {
    await ctl(1, [
      'eval',
      'rabbit_amqqueue:declare(rabbit_misc:r(<<"/">>, queue, <<"kolla_test">>), true, false, [{<<"x-queue-type">>, longstr, <<"quorum">>}], none, <<"kolla-test">>).',
    ]);
    expect(
      await ctl(1, [
        'eval',
        'rabbit_basic:publish(rabbit_misc:r(<<"/">>, exchange, <<>>), <<"kolla_test">>, [], <<"hello from tb1">>).',
      ]),
    ).toContain('ok');
    for (const i of HOSTS)
      expect(await messagesOnceCounted(i, 'kolla_test', 1)).toEqual({ type: 'quorum', messages: 1 });
    const status = await ctl(3, ['quorum_status', 'kolla_test', '--formatter', 'json'], 'rabbitmq-queues');
    const members = [...new Set([...status.matchAll(/rabbit@[\d.]+/g)].map((m) => m[0]))].sort();
    expect(members).toEqual(NODES);
    // The vhost's metadata is the cluster's (one node is enough to ask).
    expect(await ctl(2, ['eval', 'rabbit_vhost:lookup(<<"/">>).'])).toMatch(
      /default_queue_type => <<"quorum">>/,
    );
  }, 120_000);

  it('a node restarted by hand (docker restart on tb2) rejoins, and the plan is a no-op', async () => {
    const t0 = Date.now();
    ok(await dockerOn(2, ['restart', 'rabbitmq'], 120_000));
    await waitForCluster(180_000);
    console.log(`rabbitmq-cluster: tb2 back in the cluster ${Date.now() - t0} ms after docker restart`);
    expect(await messagesOnceCounted(3, 'kolla_test', 1)).toEqual({ type: 'quorum', messages: 1 });
    await noOpPlan();
  }, 300_000);

  it('a node stopped by hand (tb3) is drift: apply starts it and it rejoins', async () => {
    ok(await dockerOn(3, ['stop', 'rabbitmq'], 120_000));
    const p = await kolla(['plan', '-detailed-exitcode', ...vars], { cwd: dir, env });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toContain('container.rabbitmq["tb3"]: container rabbitmq is exited');
    expect(p.stdout).toMatch(/Plan: 0 to add, 0 to change, 0 to destroy, 1 to restart\./);
    const t0 = Date.now();
    ok(await kolla(['apply', '-auto-approve', ...vars], { cwd: dir, env }));
    await waitForCluster(120_000);
    console.log(`rabbitmq-cluster: tb3 started by apply and back in the cluster in ${Date.now() - t0} ms`);
    await noOpPlan();
  }, 300_000);

  it('a rolling change of rabbitmq.conf restarts one node at a time; the cluster never below 2 running nodes', async () => {
    writeFileSync(
      path.join(dir, 'main.hcl'),
      MAIN.replace(
        'extra_config      = {}',
        'extra_config      = { "collect_statistics_interval" = "10000" }',
      ),
    );
    const before = await Promise.all(HOSTS.map((i) => startedAt(i)));

    // While the apply runs: every 250 ms, which nodes accept AMQP connections; and, one node
    // after the other, how many running nodes the node asked sees (cluster_status).
    let done = false;
    let minOpen = 3;
    let minRunning = 3;
    const samples: string[] = [];
    const probe = (async () => {
      while (!done) {
        const open = (await Promise.all(HOSTS.map((i) => amqpOpen(i)))).filter(Boolean).length;
        minOpen = Math.min(minOpen, open);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const poll = (async () => {
      for (let n = 0; !done; n++) {
        const i = HOSTS[n % 3]!;
        const seen = await runningNodes(i);
        if (seen !== undefined) {
          minRunning = Math.min(minRunning, seen.length);
          samples.push(`tb${i}:${seen.length}`);
        } else samples.push(`tb${i}:-`);
      }
    })();
    const t0 = Date.now();
    const r = await kolla(['apply', '-auto-approve', ...vars], { cwd: dir, env });
    const rollMs = Date.now() - t0;
    done = true;
    await Promise.all([probe, poll]);
    ok(r);
    expect(r.stdout).toMatch(/Apply complete! Resources: 0 added, 3 changed, 0 destroyed, 3 restarted\./);
    console.log(
      `rabbitmq-cluster: rolling rabbitmq.conf change ${rollMs} ms; fewest nodes accepting AMQP ${minOpen}, fewest running nodes seen ${minRunning} (${samples.join(' ')})`,
    );
    expect(minOpen).toBeGreaterThanOrEqual(2);
    expect(minRunning).toBeGreaterThanOrEqual(2);
    expect(samples.some((s) => !s.endsWith('-'))).toBe(true);

    // Each node restarted, one after the other (tb1, tb2, tb3), after the apply began.
    const after = await Promise.all(HOSTS.map((i) => startedAt(i)));
    for (const [n, t] of after.entries()) expect(t, `tb${n + 1}`).toBeGreaterThan(before[n]!);
    expect(after[0]!).toBeLessThan(after[1]!);
    expect(after[1]!).toBeLessThan(after[2]!);
    for (const i of HOSTS) {
      const conf = await onHost(i, `cat ${CONFIG_DIR}/rabbitmq/rabbitmq.conf`);
      expect(conf.stdout).toContain('collect_statistics_interval = 10000\n');
    }
    await waitForCluster(60_000);
    // The quorum queue kept its message through the restarts.
    expect(await messagesOnceCounted(2, 'kolla_test', 1)).toEqual({ type: 'quorum', messages: 1 });
    await noOpPlan();
  }, 600_000);

  it('destroys the cluster', async () => {
    ok(await kolla(['destroy', '-auto-approve', ...vars], { cwd: dir, env }));
    for (const i of HOSTS)
      await expect(
        testbedDocker(i).getContainer('rabbitmq').inspect(),
        `rabbitmq on tb${i}`,
      ).rejects.toThrow();
  }, 300_000);
});

/** The same module with one host: the all-in-one's files, byte for byte as before the cluster. */
describe('rabbitmq from the catalogue on one host', () => {
  it('renders the one-node files of the all-in-one (no cluster settings)', async () => {
    const single = mkdtempSync(path.join(os.tmpdir(), 'kolla-rabbitc1-'));
    const out = path.join(single, 'out');
    try {
      const config = MAIN.replace(/hosts {13}= \[[^\]]*\]/, 'hosts             = ["tb2"]');
      expect(config).toContain('hosts             = ["tb2"]');
      writeFileSync(path.join(single, 'main.hcl'), config);
      ok(await kolla(['secrets', 'generate', ...vars], { cwd: single, env }));
      const secrets = JSON.parse(readFileSync(path.join(single, 'kolla.secrets.json'), 'utf8')) as Record<
        string,
        string
      >;
      ok(await kolla(['render', '--out', out, ...vars], { cwd: single, env }));
      const file = (name: string): string => readFileSync(path.join(out, 'tb2', 'rabbitmq', name), 'utf8');
      const a = testbedAddress(2);
      expect(file('rabbitmq-env.conf')).toBe(
        [
          '# One node on an all-in-one: its name does not depend on the host name resolving.',
          'RABBITMQ_NODENAME=rabbit@localhost',
          'RABBITMQ_LOG_BASE=/var/log/kolla/rabbitmq',
          'RABBITMQ_DIST_PORT=25672',
          '# The distribution port on loopback only (kolla-ansible pins it to the api address; the node',
          '# is rabbit@localhost, so rabbitmqctl reaches it there), and no scheduler busy-waiting, as',
          "# kolla-ansible's defaults.",
          'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+S 2:2 +sbwt none +sbwtdcpu none +sbwtdio none -kernel inet_dist_use_interface {127,0,0,1}"',
          '',
          `export ERL_EPMD_ADDRESS=${a}`,
          'export ERL_EPMD_PORT=4369',
          '',
        ].join('\n'),
      );
      expect(file('rabbitmq.conf')).toBe(
        [
          `listeners.tcp.1 = ${a}:5672`,
          'cluster_partition_handling = pause_minority',
          'load_definitions = /etc/rabbitmq/definitions.json',
          'log.console = true',
          'log.console.level = info',
          '',
          'cluster_formation.peer_discovery_backend = rabbit_peer_discovery_classic_config',
          'cluster_formation.classic_config.nodes.1 = rabbit@localhost',
          '',
        ].join('\n'),
      );
      expect(file('definitions.json')).toBe(
        [
          '{',
          '  "vhosts": [',
          '    {"name": "/"}',
          '  ],',
          '  "users": [],',
          '  "permissions": [],',
          '  "policies": []',
          '}',
          '',
        ].join('\n'),
      );
      // The user is a rabbitmq_user resource now: its password is in no config file.
      expect(secrets['rabbitmq_password']).toBeTruthy();
      for (const f of ['rabbitmq-env.conf', 'rabbitmq.conf', 'definitions.json'])
        expect(file(f)).not.toContain(secrets['rabbitmq_password']);
    } finally {
      rmSync(single, { recursive: true, force: true });
    }
  }, 120_000);
});
