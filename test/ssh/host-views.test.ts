/**
 * Each testbed host has its own /etc/kolla (scripts/testbed: a mount namespace per host, in
 * which its sshd and dockerd run): the config files the real kolla binary writes for one host
 * are not another host's, nor this machine's, and each host's containers see their own. Also
 * what a virtual IP needs: a host may bind an address it does not hold (ip_nonlocal_bind), and
 * the VIP, once added, is reached over the bridge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { PROJECT_LABEL } from '../../src/providers/docker/labels.js';
import { cleanupProject, ensureDocker, IMAGE_1, uniqueProject } from '../helpers/docker.js';
import { buildOnce, configDir, kolla, type RunResult } from '../helpers/kolla.js';
import {
  ensureTestbed,
  onHost,
  testbedDocker,
  testbedSocket,
  TESTBED_KEY,
  TESTBED_KNOWN_HOSTS,
  TESTBED_ROOT,
  TESTBED_VIP,
} from '../helpers/testbed.js';

const project = uniqueProject('views');
const BOTH = `${project}_both`;
const ONE = `${project}_one`;
const env = { KOLLA_KNOWN_HOSTS: TESTBED_KNOWN_HOSTS };
let dir: string;

// The kolla block's config_dir is left at its default, /etc/kolla, as is each host's lock_dir.
const MAIN = `
kolla { project = "${project}" }

${[1, 2]
  .map(
    (i) => `host "tb${i}" {
  address       = "10.77.0.${10 + i}"
  identity_file = "${TESTBED_KEY}"
  docker_socket = "${testbedSocket(i)}"
  groups        = [${i === 1 ? '"both", "one"' : '"both"'}]
}`,
  )
  .join('\n')}

service "both" {
  hosts = group.both
  config "app.conf" {
    template = "app.conf.j2"
    dest     = "/etc/app/app.conf"
  }
  container "${BOTH}" {
    image       = "${IMAGE_1}"
    kolla_start = false
    command     = ["sleep", "100000"]
  }
}

service "one" {
  hosts = group.one
  config "one.conf" {
    content = "only on tb1\\n"
    dest    = "/etc/one/one.conf"
  }
  container "${ONE}" {
    image       = "${IMAGE_1}"
    kolla_start = false
    command     = ["sleep", "100000"]
  }
}
`;

function ok(r: RunResult): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`).toBe(0);
}

async function containerCat(i: number, name: string, file: string): Promise<string> {
  const exec = await testbedDocker(i)
    .getContainer(name)
    .exec({ Cmd: ['cat', file], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d));
  await new Promise((r) => stream.on('end', r));
  // Docker's multiplexed stream: an 8-byte header before each frame.
  const buf = Buffer.concat(chunks);
  let out = '';
  for (let o = 0; o + 8 <= buf.length;) {
    const n = buf.readUInt32BE(o + 4);
    out += buf.subarray(o + 8, o + 8 + n).toString();
    o += 8 + n;
  }
  return out;
}

async function cleanHosts(): Promise<void> {
  for (const i of [1, 2]) {
    await cleanupProject(testbedDocker(i), project).catch(() => {});
    await onHost(i, `rm -rf /etc/kolla/${BOTH} /etc/kolla/${ONE}`);
  }
}

beforeAll(async () => {
  await ensureDocker();
  await ensureTestbed(3);
  buildOnce();
  dir = configDir({ 'main.hcl': MAIN, 'app.conf.j2': 'host = {{ host.name }}\n' });
  ok(await kolla(['apply', '-auto-approve'], { cwd: dir, env }));
}, 900_000);

afterAll(async () => {
  await cleanHosts();
  rmSync(dir, { recursive: true, force: true });
});

describe('each testbed host has its own /etc/kolla', () => {
  it('keeps the config files kolla writes for host 1 off host 2 and off this machine', async () => {
    const one = await onHost(1, `cat /etc/kolla/${ONE}/one.conf`);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe('only on tb1\n');
    const two = await onHost(2, `ls -A /etc/kolla; test ! -e /etc/kolla/${ONE}`);
    expect(two.code, two.stdout + two.stderr).toBe(0);
    expect(two.stdout.split('\n')).not.toContain(ONE);
    expect(existsSync(`/etc/kolla/${ONE}`)).toBe(false);
    expect(existsSync(`/etc/kolla/${BOTH}`)).toBe(false);
    // Where host 1's /etc/kolla really is, on this machine.
    expect(existsSync(`${TESTBED_ROOT}/1/etc-kolla/${ONE}/one.conf`)).toBe(true);
    expect(existsSync(`${TESTBED_ROOT}/2/etc-kolla/${ONE}`)).toBe(false);
  });

  it('gives the same path on two hosts different files, and each host its own in its containers', async () => {
    for (const i of [1, 2]) {
      const r = await onHost(i, `cat /etc/kolla/${BOTH}/app.conf`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`host = tb${i}\n`);
      // The host's dockerd bind-mounts the host's /etc/kolla/<container>/, not another's.
      expect(await containerCat(i, BOTH, '/var/lib/kolla/config_files/app.conf')).toBe(`host = tb${i}\n`);
    }
    expect(await containerCat(1, ONE, '/var/lib/kolla/config_files/one.conf')).toBe('only on tb1\n');
  });

  it("keeps each host's locks in its own /var/lib/kolla (the default lock_dir), released after the apply", async () => {
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dir, env });
    expect(p.code, p.stdout + p.stderr).toBe(0);
    for (const i of [1, 2]) {
      const r = await onHost(i, 'stat -c %d:%i /var/lib/kolla/locks && ls -A /var/lib/kolla/locks');
      expect(r.code, r.stderr).toBe(0);
      const [id, ...files] = r.stdout.trim().split('\n');
      const own = statSync(`${TESTBED_ROOT}/${i}/var-lib-kolla/locks`);
      expect(id).toBe(`${own.dev}:${own.ino}`);
      expect(files).not.toContain(`${project}.lock`);
    }
  });
});

describe('room for a virtual IP', () => {
  const PORT = 18000 + Math.floor(Math.random() * 1000);
  const web = (i: number): string => `${project}_vip${i}`;

  afterAll(() => {
    try {
      execFileSync('ip', ['-n', 'kolla-tb1', 'addr', 'del', `${TESTBED_VIP}/24`, 'dev', 'veth0'], {
        stdio: 'ignore',
      });
    } catch {
      // not added
    }
  });

  it('lets every host bind the VIP it does not hold, and serves it from the host that holds it', async () => {
    for (const i of [1, 2]) {
      const c = await testbedDocker(i).createContainer({
        name: web(i),
        Image: IMAGE_1,
        Labels: { [PROJECT_LABEL]: project },
        Cmd: ['sh', '-c', `mkdir /w && echo tb${i} > /w/id && exec httpd -f -p ${TESTBED_VIP}:${PORT} -h /w`],
        HostConfig: { NetworkMode: 'host' },
      });
      await c.start();
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const i of [1, 2]) {
      expect((await testbedDocker(i).getContainer(web(i)).inspect()).State.Running).toBe(true);
    }
    execFileSync('ip', ['-n', 'kolla-tb1', 'addr', 'add', `${TESTBED_VIP}/24`, 'dev', 'veth0']);
    const res = await fetch(`http://${TESTBED_VIP}:${PORT}/id`);
    expect(await res.text()).toBe('tb1\n');
  });

  it('has no route past the bridge', () => {
    expect(() =>
      execFileSync('ip', ['-n', 'kolla-tb1', 'route', 'get', '192.0.2.1'], { stdio: 'pipe' }),
    ).toThrow(/unreachable/i);
  });
});
