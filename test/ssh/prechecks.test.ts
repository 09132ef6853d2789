/**
 * Prechecks on testbed hosts: all pass on clean hosts; a port held by a process that is not
 * kolla's fails the port check on that host only; a port held by the project's own
 * container passes; Docker API and disk thresholds; `kolla prechecks --json`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { prepare } from '../../src/engine/prepare.js';
import { HostConnections } from '../../src/engine/hosts.js';
import {
  checkHosts,
  healthcheckPorts,
  listeningPorts,
  parseProcNet,
  runPrechecks,
} from '../../src/engine/prechecks.js';
import type { Config } from '../../src/config/config.js';
import type { Expansion } from '../../src/expand/expand.js';
import { ADDRESS_LABEL, PROJECT_LABEL } from '../../src/providers/docker/labels.js';
import { buildOnce, configDir, kolla } from '../helpers/kolla.js';
import { cleanupProject, ensureDocker, IMAGE_1, uniqueProject } from '../helpers/docker.js';
import {
  ensureTestbed,
  inHost,
  testbedDocker,
  testbedSocket,
  TESTBED_KEY,
  TESTBED_KNOWN_HOSTS,
} from '../helpers/testbed.js';

const project = uniqueProject('pre');
const PORT = 18000 + Math.floor(Math.random() * 1000);
const etc = `/tmp/${project}-etc`;
let dir: string;
let config: Config;
let expansion: Expansion;
const held: ChildProcess[] = [];

function hcl(): string {
  const host = (i: number, groups: string): string => `
host "tb${i}" {
  address       = "10.77.0.${10 + i}"
  identity_file = "${TESTBED_KEY}"
  docker_socket = "${testbedSocket(i)}"
  groups        = [${groups}]
}`;
  return `
kolla {
  project    = "${project}"
  config_dir = "${etc}"
}
${host(1, '"web"')}
${host(2, '"web"')}

service "web" {
  hosts = group.web
  container "${project}_web" {
    image        = "${IMAGE_1}"
    kolla_start  = false
    command      = ["httpd", "-f", "-p", "${PORT}"]
    network_mode = "host"
    healthcheck {
      test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${PORT}/"]
      interval = "1s"
    }
  }
}
`;
}

function conns(): HostConnections {
  return new HostConnections(new Map(config.hosts.map((h) => [h.name, h])), {
    knownHostsFile: TESTBED_KNOWN_HOSTS,
  });
}

/** Wait until something listens on PORT in host i (read as prechecks read it). */
async function waitListening(i: number): Promise<void> {
  const c = conns();
  try {
    for (let n = 0; n < 50; n++) {
      if ((await listeningPorts(c.get(`tb${i}`))).has(`tcp/${PORT}`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await c.closeAll();
  }
  throw new Error(`nothing listens on ${PORT} in host ${i}`);
}

beforeAll(async () => {
  await ensureDocker();
  await ensureTestbed(3);
  dir = configDir({ 'main.hcl': hcl() });
  const p = await prepare({ dir, vars: [] });
  expect([...p.diagnostics]).toEqual([]);
  config = p.config!;
  expansion = p.expansion!;
}, 600_000);

afterAll(async () => {
  for (const c of held) c.kill();
  for (const i of [1, 2]) await cleanupProject(testbedDocker(i), project);
  rmSync(etc, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('prechecks', () => {
  it('pass on clean hosts', async () => {
    const c = conns();
    try {
      expect(await runPrechecks(config, expansion, c)).toEqual([]);
      const reports = await checkHosts(config, expansion, c);
      expect(reports.map((r) => r.host)).toEqual(['tb1', 'tb2']);
      const tb1 = reports[0]!;
      expect(tb1.checks.map((x) => [x.check, x.ok])).toEqual([
        ['reachable', true],
        ['docker-api', true],
        ['ports', true],
        ['disk', true],
      ]);
      expect(tb1.checks[2]!.detail).toBe(`free or held by this project: ${PORT}/tcp`);
      expect(tb1.checks[3]!.detail).toMatch(
        /GiB free under \/var\/lib\/kolla-testbed\/1\/docker \(DockerRootDir\)/,
      );
    } finally {
      await c.closeAll();
    }
  });

  it('fail the port check on the host where another process holds the port', async () => {
    const nc = inHost(1, '/bin/busybox', ['nc', '-l', '-p', String(PORT)]);
    held.push(nc);
    const c = conns();
    try {
      await waitListening(1);
      const ds = await runPrechecks(config, expansion, c);
      expect(ds).toHaveLength(1);
      expect(ds[0]).toMatchObject({
        severity: 'error',
        summary: 'Precheck "ports" failed on host "tb1"',
        address: `service.web.container.${project}_web["tb1"]`,
      });
      expect(ds[0]!.detail).toContain(
        `port ${PORT}/tcp is already in use on the host, and not by a container of this project`,
      );
      expect(ds[0]!.detail).toContain('(from its healthcheck)');
    } finally {
      nc.kill();
      await c.closeAll();
    }
  });

  it('pass when the port is held by the project container at the same address', async () => {
    const docker = testbedDocker(2);
    const name = `${project}_web`;
    const ctr = await docker.createContainer({
      name,
      Image: IMAGE_1,
      Cmd: ['httpd', '-f', '-p', String(PORT)],
      Labels: { [PROJECT_LABEL]: project, [ADDRESS_LABEL]: `service.web.container.${name}["tb2"]` },
      HostConfig: { NetworkMode: 'host' },
    });
    const c = conns();
    try {
      await ctr.start();
      await waitListening(2);
      expect(await runPrechecks(config, expansion, c)).toEqual([]);
    } finally {
      await c.closeAll();
      await ctr.remove({ force: true });
    }
  });

  it('fail the Docker API and disk checks under their thresholds', async () => {
    const c = conns();
    try {
      const ds = await runPrechecks(config, expansion, c, { minApiVersion: '9.0', minFreeBytes: 1e18 });
      expect(ds.map((d) => d.summary).sort()).toEqual([
        'Precheck "disk" failed on host "tb1"',
        'Precheck "disk" failed on host "tb2"',
        'Precheck "docker-api" failed on host "tb1"',
        'Precheck "docker-api" failed on host "tb2"',
      ]);
      expect(ds.find((d) => d.summary.includes('docker-api'))!.detail).toMatch(
        /^the Docker engine speaks API 1\.\d+ \(Docker .*\); kolla needs 9\.0 or newer/,
      );
    } finally {
      await c.closeAll();
    }
  });

  it('report an unreachable host as a failed reachable check', async () => {
    const p = await prepare({ dir, vars: [] });
    const cfg = p.config!;
    cfg.hosts = cfg.hosts.map((h) => (h.name === 'tb2' ? { ...h, address: '10.77.0.99' } : h));
    const c = new HostConnections(new Map(cfg.hosts.map((h) => [h.name, h])), {
      knownHostsFile: TESTBED_KNOWN_HOSTS,
      connectTimeoutMs: 3000,
    });
    try {
      const ds = await runPrechecks(cfg, p.expansion!, c);
      expect(ds).toHaveLength(1);
      expect(ds[0]!.summary).toBe('Precheck "reachable" failed on host "tb2"');
      expect(ds[0]!.detail).toMatch(/^host "tb2" \(root@10\.77\.0\.99:22\): unreachable/);
    } finally {
      await c.closeAll();
    }
  });

  it('run alone as `kolla prechecks`', async () => {
    buildOnce();
    const env = { KOLLA_KNOWN_HOSTS: TESTBED_KNOWN_HOSTS };
    const ok = await kolla(['prechecks'], { cwd: dir, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('All prechecks passed on 2 hosts.');
    expect(ok.stdout).toMatch(/tb1:\n {2}✓ reachable {2}ssh root@10\.77\.0\.11:22, Docker /);

    const nc = inHost(2, '/bin/busybox', ['nc', '-l', '-p', String(PORT)]);
    held.push(nc);
    try {
      await waitListening(2);
      const bad = await kolla(['prechecks', '--json'], { cwd: dir, env });
      expect(bad.code).toBe(1);
      const r = JSON.parse(bad.stdout) as {
        ok: boolean;
        hosts: { host: string; ok: boolean }[];
        diagnostics: { summary: string }[];
      };
      expect(r.ok).toBe(false);
      expect(r.hosts.map((h) => [h.host, h.ok])).toEqual([
        ['tb1', true],
        ['tb2', false],
      ]);
      expect(r.diagnostics.map((d) => d.summary)).toEqual(['Precheck "ports" failed on host "tb2"']);
    } finally {
      nc.kill();
    }
  });
});

describe('port hints', () => {
  it('reads ports from healthcheck commands', () => {
    expect(healthcheckPorts(['CMD', 'wget', '-q', 'http://127.0.0.1:8080/api.conf'])).toEqual([8080]);
    expect(healthcheckPorts(['CMD-SHELL', 'curl -f http://{{ api_interface_address }}:5000/v3'])).toEqual([
      5000,
    ]);
    expect(healthcheckPorts(['CMD-SHELL', 'healthcheck_listen mysqld 3306'])).toEqual([3306]);
    expect(healthcheckPorts(['CMD-SHELL', 'curl http://[::1]:9292 && nc -z localhost:11211'])).toEqual([
      9292, 11211,
    ]);
    expect(healthcheckPorts(['CMD', 'test', '-f', '/data/ok'])).toEqual([]);
    expect(healthcheckPorts(['CMD-SHELL', 'date +%H:%M'])).toEqual([]);
  });

  it('parses /proc/net listeners', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 0B004D0A:0016 0100004D0A:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
    ].join('\n');
    expect(parseProcNet(text, '0A')).toEqual([8080]);
  });
});
