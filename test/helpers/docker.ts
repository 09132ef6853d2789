/**
 * Shared setup for tests against the real Docker engine: make sure the engine and the
 * local test images exist (scripts/ensure-test-env.sh, once per worker), give each test
 * file its own project label, and clean up everything carrying that label.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import type { ContainerSpec } from '../../src/expand/instances.js';
import type { ContainerMeta } from '../../src/providers/docker/container-options.js';
import { projectFilter } from '../../src/providers/docker/labels.js';
import { specHash } from '../../src/providers/docker/spec-hash.js';
import { LocalTransport } from '../../src/transport/local.js';

export const IMAGE_1 = 'kolla-test/busybox:1';
export const IMAGE_2 = 'kolla-test/busybox:2';

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-test-env.sh', import.meta.url));

let ready: Promise<Dockerode> | undefined;

/** Run the environment script (once per worker) and return a client for the local engine. */
export function ensureDocker(): Promise<Dockerode> {
  ready ??= new Promise<void>((resolve, reject) => {
    execFile('bash', [ENSURE_SCRIPT], { timeout: 280_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${ENSURE_SCRIPT} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve();
    });
  }).then(async () => {
    const docker = await new LocalTransport().docker();
    await docker.ping();
    return docker;
  });
  return ready;
}

/** A project name no other test file (or earlier run) uses; Docker-name-safe. */
export function uniqueProject(tag: string): string {
  return `kt-${tag}-${randomBytes(3).toString('hex')}`;
}

/** Remove every container (with its anonymous volumes) and volume labelled with the project. */
export async function cleanupProject(docker: Dockerode, project: string): Promise<void> {
  const filters = { label: [projectFilter(project)] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
  const { Volumes } = await docker.listVolumes({ filters });
  await Promise.all(
    (Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => {}),
    ),
  );
}

/** A minimal valid spec on the test image; override what the test is about. */
export function testSpec(name: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name,
    image: IMAGE_1,
    environment: {},
    volumes: [],
    ports: [],
    privileged: false,
    cap_add: [],
    security_opt: [],
    labels: {},
    restart_policy: 'no',
    ulimits: [],
    tmpfs: [],
    init: false,
    memory: 0,
    cpu_shares: 0,
    health_timeout: '30s',
    ...overrides,
  };
}

/** Meta for a spec in a project, with its real spec hash. */
export function testMeta(project: string, spec: ContainerSpec, address?: string): ContainerMeta {
  return { project, address: address ?? `service.test.container.${spec.name}`, specHash: specHash(spec) };
}

/**
 * Docker's own health status once it has probed: kolla's gate opens on its own probe, before
 * Docker's first one, so a test that wants Docker's verdict waits for it (up to `timeoutMs`).
 */
export async function dockerHealth(
  inspect: () => Promise<{ State: { Health?: { Status: string } | undefined } }>,
  timeoutMs = 60_000,
): Promise<string | undefined> {
  const t0 = Date.now();
  for (;;) {
    const s = (await inspect()).State.Health?.Status;
    if (s !== 'starting' || Date.now() - t0 > timeoutMs) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
}
