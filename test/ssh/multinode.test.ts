/**
 * End to end over SSH: the real kolla binary deploys examples/rolling onto three testbed
 * hosts (control/network on node1, compute on node2 and node3), every Docker call and file
 * going through each host's one SSH connection; then a plan is a no-op and prechecks pass
 * with the project's own containers holding their ports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupProject, dockerHealth, ensureDocker } from '../helpers/docker.js';
import { buildOnce, kolla, ROOT, type RunResult } from '../helpers/kolla.js';
import {
  ensureTestbed,
  onHost,
  testbedDocker,
  TESTBED_KEY,
  TESTBED_KNOWN_HOSTS,
  TESTBED_ROOT,
} from '../helpers/testbed.js';

const PROJECT = 'multinode';
const CONFIG_DIR = '/etc/kolla/multinode';
const env = { KOLLA_KNOWN_HOSTS: TESTBED_KNOWN_HOSTS };
const vars = ['-var', `ssh_key=${TESTBED_KEY}`, '-var', `testbed_dir=${TESTBED_ROOT}`];
let dir: string;

/**
 * The example with each host's Docker socket settable for the testbed (whose hosts share
 * this machine's /run, so each engine has its own socket path). A no-op once the example
 * itself has the `testbed_dir` variable.
 */
export function adaptForTestbed(hcl: string): string {
  if (hcl.includes('testbed_dir')) return hcl;
  const variable = `
variable "testbed_dir" {
  type        = string
  default     = ""
  description = "scripts/testbed's directory, where each of its hosts has its own Docker socket."
}
`;
  return hcl
    .replace(/(\nlocals \{)/, `${variable}$1`)
    .replace(
      /host "node(\d+)" \{\n/g,
      (m, n: string) =>
        `${m}  docker_socket = var.testbed_dir == "" ? "/var/run/docker.sock" : "\${var.testbed_dir}/${n}/docker.sock"\n`,
    );
}

function ok(r: RunResult): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`).toBe(0);
}

beforeAll(async () => {
  await ensureDocker();
  await ensureTestbed(3);
  buildOnce();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-multinode-'));
  cpSync(path.join(ROOT, 'examples', 'rolling'), dir, { recursive: true });
  const main = path.join(dir, 'main.hcl');
  writeFileSync(main, adaptForTestbed(readFileSync(main, 'utf8')));
  // A fresh state here: nothing of an earlier run may be left on the hosts (each has its own
  // /etc/kolla).
  for (const i of [1, 2, 3]) {
    await cleanupProject(testbedDocker(i), PROJECT);
    const r = await onHost(i, `rm -rf ${CONFIG_DIR}`);
    expect(r.code, r.stderr).toBe(0);
  }
}, 900_000);

afterAll(async () => {
  // Nothing left running on the hosts (their engines would restart it).
  for (const i of [1, 2, 3]) await cleanupProject(testbedDocker(i), PROJECT);
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/rolling on three SSH hosts', () => {
  it('applies, then plans no changes', async () => {
    const t0 = Date.now();
    const r = await kolla(['apply', '-auto-approve', ...vars], { cwd: dir, env });
    const applyMs = Date.now() - t0;
    ok(r);
    expect(r.stdout + r.stderr).toMatch(/Apply complete! Resources: \d+ added/);

    expect(await dockerHealth(() => testbedDocker(1).getContainer('api').inspect())).toBe('healthy');
    for (const i of [1, 2, 3]) {
      const agent = await testbedDocker(i).getContainer('agent').inspect();
      expect(agent.State.Running).toBe(true);
      expect(agent.Config.Env).toContain(`NODE=node${i}`);
    }
    // The api container uses host networking on node1: it listens on node1's address.
    const res = await fetch('http://10.77.0.11:8080/api.conf');
    expect(await res.text()).toBe('[DEFAULT]\nhost = node1\nagents = node1,node2,node3\n');
    // kolla wrote its config files on node1 only (config_dir is per host on the testbed).
    const api = await onHost(1, `cat ${CONFIG_DIR}/api/api.conf`);
    expect(api.stdout).toBe('[DEFAULT]\nhost = node1\nagents = node1,node2,node3\n');
    for (const i of [2, 3]) expect((await onHost(i, `test -e ${CONFIG_DIR}/api`)).code).toBe(1);

    const t1 = Date.now();
    const p = await kolla(['plan', '-detailed-exitcode', ...vars], { cwd: dir, env });
    const planMs = Date.now() - t1;
    ok(p);
    expect(p.stdout).toContain('No changes.');
    console.log(`multinode over SSH: apply ${applyMs} ms, no-op plan ${planMs} ms`);
  });

  it('passes prechecks with its own containers holding their ports', async () => {
    const r = await kolla(['prechecks', ...vars], { cwd: dir, env });
    ok(r);
    expect(r.stdout).toContain('All prechecks passed on 3 hosts.');
    expect(r.stdout).toContain('free or held by this project: 8080/tcp');
  });
});
