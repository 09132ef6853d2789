/**
 * The multi-host testbed (scripts/testbed): hosts 1..N as network and mount namespaces with
 * their own sshd and dockerd, and their own /etc/kolla, /var/lib/kolla and /var/log/kolla
 * (the rest of the filesystem is this machine's). `ensureTestbed` brings it up once per
 * worker (idempotent, fast when it is already up); the rest names its parts for tests.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import type { InventoryHost } from '../../src/engine/hosts.js';

export const TESTBED_ROOT = '/var/lib/kolla-testbed';
export const TESTBED_KEY = `${TESTBED_ROOT}/id_ed25519`;
export const TESTBED_KNOWN_HOSTS = `${TESTBED_ROOT}/known_hosts`;
export const TESTBED_TLS = {
  ca: `${TESTBED_ROOT}/tls/ca.pem`,
  cert: `${TESTBED_ROOT}/tls/cert.pem`,
  key: `${TESTBED_ROOT}/tls/key.pem`,
};
/** In the testbed's subnet, with no host behind it. */
export const NO_HOST_ADDRESS = '10.77.0.99';
/** A virtual IP on the testbed's bridge: never a host's own address (scripts/testbed keeps .240 up free). */
export const TESTBED_VIP = '10.77.0.250';

const SCRIPT = fileURLToPath(new URL('../../scripts/testbed', import.meta.url));

let up: Promise<void> | undefined;
let upCount = 0;

/** `scripts/testbed up n`, once per worker (a larger n later brings up the extra hosts). */
export function ensureTestbed(n = 3): Promise<void> {
  if (up && n <= upCount) return up;
  upCount = n;
  up = testbed(['up', String(n)]).then(() => undefined);
  return up;
}

/** Run scripts/testbed with arguments; resolves to its stdout. */
export function testbed(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT, ...args], { timeout: 540_000 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`scripts/testbed ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export function testbedAddress(i: number): string {
  return `10.77.0.${10 + i}`;
}

export function testbedSocket(i: number): string {
  return `${TESTBED_ROOT}/${i}/docker.sock`;
}

/** An inventory entry for testbed host i, reached over SSH as root with the testbed key. */
export function testbedHost(i: number, overrides: Partial<InventoryHost> = {}): InventoryHost {
  return {
    name: `tb${i}`,
    address: testbedAddress(i),
    connection: 'ssh',
    port: 22,
    user: 'root',
    identityFile: TESTBED_KEY,
    dockerSocket: testbedSocket(i),
    lockDir: `${TESTBED_ROOT}/${i}/locks`,
    groups: [],
    vars: {},
    ...overrides,
  };
}

/** The host's engine straight through its socket (no SSH), for assertions. */
export function testbedDocker(i: number): Dockerode {
  return new Dockerode({ socketPath: testbedSocket(i) });
}

/** Host i's persistent mount namespace (its own /etc/kolla, /var/lib/kolla, /var/log/kolla). */
export function testbedMntns(i: number): string {
  return `/run/kolla-testbed/mnt/${i}`;
}

/** Start a process inside host i, as its sshd and dockerd run: in its mount and network namespaces. */
export function inHost(i: number, cmd: string, args: string[]): ChildProcess {
  return spawn('nsenter', [`--mount=${testbedMntns(i)}`, `--net=/run/netns/kolla-tb${i}`, cmd, ...args], {
    stdio: 'ignore',
  });
}

export interface HostRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a shell command on host i as root over SSH (so in that host's own view of the filesystem). */
export function onHost(i: number, command: string): Promise<HostRun> {
  const args = [
    '-i',
    TESTBED_KEY,
    '-o',
    `UserKnownHostsFile=${TESTBED_KNOWN_HOSTS}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    `root@${testbedAddress(i)}`,
    command,
  ];
  return new Promise((resolve) => {
    execFile('ssh', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
