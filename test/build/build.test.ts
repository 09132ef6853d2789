// kolla build against the real engine and the real local registry: a parent/child/grandchild
// chain of busybox-based images built in order (independent ones in parallel), unchanged
// images skipped, a changed grandparent rebuilding its descendants, --no-cache,
// --template-override, --push with a pull back, wrong credentials, and a failing RUN.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILD_HASH_LABEL,
  KOLLA_VERSION_LABEL,
  buildHashOf,
  ensureImages,
  imageBuildStates,
  type BuildEvent,
} from '../../src/build/index.js';
import { kollaVersion } from '../../src/version.js';
import { ensureDocker } from '../helpers/docker.js';
import { buildOnce, configDir, kolla, writeFiles } from '../helpers/kolla.js';
import {
  REGISTRY,
  REGISTRY_USER,
  loadConfig,
  registryPassword,
  removeImages,
  removeLabelled,
  writeSecrets,
} from './helpers.js';

const run = randomBytes(3).toString('hex');
const NS = `kolla-build-test-${run}`;
const ref = (name: string, tag = 'latest'): string => `${REGISTRY}/${NS}/${name}:${tag}`;

const MAIN = `
registry "local" {
  address  = "${REGISTRY}"
  username = "${REGISTRY_USER}"
  password = secret.registry_password
}
secret "registry_password" {}

image "a" {
  template   = "a/Dockerfile.j2"
  registry   = registry.local
  repository = "${NS}/a"
  labels     = { "kolla-test.run" = "${run}" }
}
image "b" {
  template   = "b/Dockerfile.j2"
  parent     = image.a
  registry   = registry.local
  repository = "${NS}/b"
  tags       = ["v1"]
  labels     = { team = "build-test", "kolla-test.run" = "${run}" }
}
# No parent argument: found from the FROM line, as kolla-build does.
image "c" {
  template   = "c/Dockerfile.j2"
  registry   = registry.local
  repository = "${NS}/c"
  args       = { GREETING = "hello" }
  labels     = { "kolla-test.run" = "${run}" }
}
# Independent of the chain: built while a is.
image "d" {
  template   = "d/Dockerfile.j2"
  registry   = registry.local
  repository = "${NS}/d"
  labels     = { "kolla-test.run" = "${run}" }
}
`;

const files = (token: string): Record<string, string> => ({
  'main.hcl': MAIN,
  // Sleeps make the parallel builds overlap; the token keeps the engine's layer cache from
  // answering for a RUN of an earlier test run.
  'a/Dockerfile.j2': `FROM kolla-test/busybox:1\nRUN sleep 1 && echo a-${token} > /a\n`,
  'a/payload.txt': 'payload\n',
  'b/Dockerfile.j2': `FROM {{ parent }}\n{% block b_extra %}{% endblock %}\nRUN echo b > /b\n`,
  'c/Dockerfile.j2': `FROM {{ image.b }}\nARG GREETING\nRUN echo "$GREETING" > /c\n`,
  'd/Dockerfile.j2': `FROM kolla-test/busybox:1\nRUN sleep 1 && echo d-${token} > /d\n`,
});

let docker: Dockerode;
let dir: string;

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  dir = configDir(files(run));
  writeSecrets(dir, { registry_password: registryPassword() });
});

afterAll(async () => {
  if (!docker) return;
  await removeImages(docker, [`${REGISTRY}/${NS}/`, `${NS}/`]);
  // Images replaced by rebuilds lost their tags: find them by this run's label.
  await removeLabelled(docker, `kolla-test.run=${run}`);
});

async function labelsOf(r: string): Promise<Record<string, string>> {
  return (await docker.getImage(r).inspect()).Config.Labels ?? {};
}

async function idOf(r: string): Promise<string> {
  return (await docker.getImage(r).inspect()).Id;
}

describe('kolla build: order, parallelism, the build hash', () => {
  const ids: Record<string, string> = {};

  it('builds parent → child → grandchild in order, independent images in parallel', async () => {
    const config = await loadConfig(dir);
    const events: { t: number; e: BuildEvent }[] = [];
    const r = await ensureImages(config, ['c', 'd'], {
      docker,
      threads: 2,
      onEvent: (e) => events.push({ t: Date.now(), e }),
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.images.map((i) => [i.name, i.status])).toEqual([
      ['a', 'built'],
      ['b', 'built'],
      ['c', 'built'],
      ['d', 'built'],
    ]);
    const at = (type: BuildEvent['type'], name: string): number => {
      const nameOf = (e: BuildEvent): string | undefined =>
        e.type === 'done' ? e.result.name : 'name' in e ? e.name : undefined;
      const hit = events.find((x) => x.e.type === type && nameOf(x.e) === name);
      if (!hit) throw new Error(`no ${type} event for ${name}`);
      return hit.t;
    };
    const doneOf = (name: string): number =>
      events.find((x) => x.e.type === 'done' && x.e.result.name === name)!.t;
    // a and d have no parent in the graph: both start before either finishes.
    expect(at('building', 'd')).toBeLessThan(doneOf('a'));
    expect(at('building', 'a')).toBeLessThan(doneOf('d'));
    // The chain is sequential.
    expect(at('building', 'b')).toBeGreaterThanOrEqual(doneOf('a'));
    expect(at('building', 'c')).toBeGreaterThanOrEqual(doneOf('b'));
    // Step lines arrive as progress.
    expect(
      events.some((x) => x.e.type === 'step' && x.e.name === 'c' && /RUN echo "\$GREETING"/.test(x.e.text)),
    ).toBe(true);

    for (const n of ['a', 'b', 'c', 'd']) {
      const labels = await labelsOf(ref(n));
      expect(labels[BUILD_HASH_LABEL]).toBe(r.images.find((i) => i.name === n)!.hash);
      expect(labels[KOLLA_VERSION_LABEL]).toBe(kollaVersion());
      ids[n] = await idOf(ref(n));
    }
    expect((await labelsOf(ref('b')))['team']).toBe('build-test');
    // The extra tag is on the same image.
    expect(await idOf(ref('b', 'v1'))).toBe(ids['b']);
    // The build hash API agrees with the label.
    expect(await buildHashOf(config, 'c')).toBe((await labelsOf(ref('c')))[BUILD_HASH_LABEL]);
  });

  it('leaves unchanged images alone', async () => {
    const config = await loadConfig(dir);
    const states = await imageBuildStates(config, ['c', 'd'], { docker });
    expect(states.map((s) => [s.name, s.upToDate])).toEqual([
      ['a', true],
      ['b', true],
      ['c', true],
      ['d', true],
    ]);
    const r = await ensureImages(config, ['c', 'd'], { docker });
    expect(r.images.map((i) => i.status)).toEqual(['up-to-date', 'up-to-date', 'up-to-date', 'up-to-date']);
    for (const i of r.images) expect(i.id).toBe(ids[i.name]);
  });

  it('rebuilds the descendants of a changed grandparent, and only them', async () => {
    writeFiles(dir, { 'a/payload.txt': 'payload 2\n' }); // a context file, not the template
    const config = await loadConfig(dir);
    const states = await imageBuildStates(config, ['c', 'd'], { docker });
    expect(Object.fromEntries(states.map((s) => [s.name, s.reason ?? 'ok']))).toEqual({
      a: 'changed',
      b: 'changed',
      c: 'changed',
      d: 'ok',
    });
    const r = await ensureImages(config, ['c', 'd'], { docker });
    expect(Object.fromEntries(r.images.map((i) => [i.name, i.status]))).toEqual({
      a: 'built',
      b: 'built',
      c: 'built',
      d: 'up-to-date',
    });
    for (const n of ['a', 'b', 'c']) {
      const id = await idOf(ref(n));
      expect(id).not.toBe(ids[n]);
      ids[n] = id;
    }
    // The grandchild was built FROM the new child.
    const history = await docker.getImage(ref('c')).history();
    expect(history.map((h: { Id: string }) => h.Id)).toContain(ids['b']);
  });

  it('rebuilds a child whose parent image was replaced with the same hash', async () => {
    // --no-cache on the parent alone gives it a new ID with the same build hash.
    const res = await kolla(['build', '^b$', '--no-cache'], { cwd: dir });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/image\.a: Up to date/);
    expect(res.stdout).toMatch(/image\.b: Built after/);
    const newB = await idOf(ref('b'));
    expect(newB).not.toBe(ids['b']);
    ids['b'] = newB;
    const config = await loadConfig(dir);
    const states = await imageBuildStates(config, ['c'], { docker });
    expect(states.find((s) => s.name === 'c')).toMatchObject({ upToDate: false, reason: 'parent-changed' });
    const again = await kolla(['build', 'c'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/image\.c: Built after/);
  });

  it('--template-override replaces a block of the template', async () => {
    writeFiles(dir, {
      'override.j2':
        '{% extends parent_template %}\n{% block b_extra %}RUN echo overridden > /o{% endblock %}\n',
    });
    const only = await kolla(['build', '^b$', '--template-override', 'override.j2', '--template-only'], {
      cwd: dir,
    });
    expect(only.code).toBe(0);
    const rendered = readFileSync(path.join(dir, '.kolla/build/b/Dockerfile'), 'utf8');
    expect(rendered).toBe(`FROM ${ref('a')}\nRUN echo overridden > /o\nRUN echo b > /b\n`);

    const built = await kolla(['build', '^b$', '--template-override', 'override.j2', '--json'], { cwd: dir });
    expect(built.code).toBe(0);
    const out = JSON.parse(built.stdout) as { images: { name: string; status: string }[] };
    expect(out.images.find((i) => i.name === 'b')?.status).toBe('built');
    const history = (await docker.getImage(ref('b')).history()) as { CreatedBy: string }[];
    expect(history.some((h) => h.CreatedBy.includes('echo overridden > /o'))).toBe(true);
    // Back to the plain template: b is rebuilt without the block.
    const plain = await kolla(['build', '^b$'], { cwd: dir });
    expect(plain.stdout).toMatch(/image\.b: Built after/);
  });

  it('--list-images and --list-dependencies', async () => {
    const list = await kolla(['build', 'c', '--list-images'], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n').filter(Boolean)).toEqual([
      `a  ${ref('a')}`,
      `b  ${ref('b')}`,
      `c  ${ref('c')}`,
    ]);
    const dot = await kolla(['build', '--list-dependencies'], { cwd: dir });
    expect(dot.code).toBe(0);
    expect(dot.stdout).toContain('"a" -> "b";');
    expect(dot.stdout).toContain('"b" -> "c";');
    expect(dot.stdout).not.toContain('-> "d"');
  });
});

describe('kolla build --push', () => {
  it('pushes with the registry block credentials; the image pulls back with the same ID', async () => {
    const res = await kolla(['build', '--push'], { cwd: dir });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    for (const n of ['a', 'b', 'c', 'd']) expect(res.stdout).toContain(`image.${n}: Pushed ${ref(n)}`);
    expect(res.stdout).toContain(`image.b: Pushed ${ref('b', 'v1')}`);

    const id = await idOf(ref('c'));
    await docker.getImage(ref('c')).remove();
    expect(
      await docker
        .getImage(ref('c'))
        .inspect()
        .catch(() => undefined),
    ).toBeUndefined();

    // The registry requires the credentials...
    await expect(pull(ref('c'))).rejects.toThrow(
      /no basic auth credentials|unauthorized|authentication required/i,
    );
    // ...and with them the same image comes back.
    await pull(ref('c'), { username: REGISTRY_USER, password: registryPassword(), serveraddress: REGISTRY });
    expect(await idOf(ref('c'))).toBe(id);
  });

  it('wrong credentials give a clear error that does not show the password', async () => {
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    writeSecrets(dir, { registry_password: wrong });
    try {
      const res = await kolla(['build', 'a', '--push'], { cwd: dir });
      expect(res.code).toBe(1);
      const all = res.stdout + res.stderr;
      expect(res.stderr).toContain(
        `image.a: registry.local (${REGISTRY}) refused the credentials of user "${REGISTRY_USER}"`,
      );
      expect(all).not.toContain(wrong);
      expect(all).not.toContain(registryPassword());
      expect(res.stdout).toMatch(/Build failed: 0 built, 1 up to date, 1 not pushed\./);
    } finally {
      writeSecrets(dir, { registry_password: registryPassword() });
    }
  });
});

describe('kolla build: a failing image', () => {
  it('shows the last 50 lines of its log and the log file, and skips its children', async () => {
    const fdir = configDir({
      'main.hcl': `
image "f" {
  template   = "f/Dockerfile.j2"
  repository = "${NS}/f"
  labels     = { "kolla-test.run" = "${run}" }
}
image "g" {
  template   = "g/Dockerfile.j2"
  parent     = image.f
  repository = "${NS}/g"
  labels     = { "kolla-test.run" = "${run}" }
}
image "h" {
  template   = "h/Dockerfile.j2"
  repository = "${NS}/h"
  labels     = { "kolla-test.run" = "${run}" }
}
`,
      'f/Dockerfile.j2': `FROM kolla-test/busybox:1\nRUN for i in $(seq 1 80); do echo line-$i-${run}; done; exit 3\n`,
      'g/Dockerfile.j2': 'FROM {{ parent }}\nRUN echo never\n',
      'h/Dockerfile.j2': `FROM kolla-test/busybox:1\nRUN echo h-${run} > /h\n`,
    });
    const res = await kolla(['build'], { cwd: fdir });
    expect(res.code).toBe(1);
    const logFile = path.join(fdir, '.kolla/build/logs/f.log');
    expect(res.stdout).toContain(`image.f: Build failed after`);
    expect(res.stdout).toContain('returned a non-zero code: 3');
    expect(res.stdout).toContain(`Full log: ${logFile}`);
    expect(res.stdout).toContain('Last 50 lines of the build log:');
    expect(res.stdout).toContain(`| line-80-${run}`);
    expect(res.stdout).not.toContain(`| line-20-${run}`);
    expect(res.stdout).toContain('image.g: Skipped: parent image.f failed');
    // An unrelated image still builds.
    expect(res.stdout).toMatch(/image\.h: Built after/);
    expect(res.stdout).toMatch(/Build failed: 1 built, 0 up to date, 1 failed, 1 skipped\./);
    expect(res.stderr).toContain(`image.f: The command`);
    expect(res.stderr).toContain(`(log: ${logFile})`);
    expect(existsSync(logFile)).toBe(true);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain(`line-1-${run}`);
    expect(log).toContain(`line-80-${run}`);

    const json = await kolla(['build', '--json'], { cwd: fdir });
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout) as {
      ok: boolean;
      images: {
        name: string;
        status: string;
        reason: string | null;
        log_file: string | null;
        log_tail: string[];
      }[];
    };
    expect(out.ok).toBe(false);
    const f = out.images.find((i) => i.name === 'f')!;
    expect(f).toMatchObject({ status: 'failed', log_file: logFile });
    expect(f.log_tail).toHaveLength(50);
    expect(out.images.find((i) => i.name === 'g')).toMatchObject({
      status: 'skipped',
      reason: 'parent image.f failed',
    });
    expect(out.images.find((i) => i.name === 'h')?.status).toBe('up-to-date');
  });
});

function pull(
  r: string,
  authconfig?: { username: string; password: string; serveraddress: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.pull(r, authconfig ? { authconfig } : {}, (err: Error | null, stream?: NodeJS.ReadableStream) => {
      if (err) return reject(err);
      docker.modem.followProgress(stream!, (e: Error | null, out: { error?: string }[]) => {
        const failed = e ?? out.find((o) => o.error !== undefined)?.error;
        if (failed) reject(failed instanceof Error ? failed : new Error(failed));
        else resolve();
      });
    });
  });
}
