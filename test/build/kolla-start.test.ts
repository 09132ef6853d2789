// The Kolla-compatible base (examples/base) built by kolla build FROM debian:bookworm, and
// its kolla_start run for real: config files copied with owner and mode (COPY_ALWAYS and
// COPY_ONCE), permissions, the command exec'd as the child of PID 1 (dumb-init),
// KOLLA_COMMAND, kolla_extend_start with KOLLA_BOOTSTRAP, a non-root start through sudo, and
// the healthcheck helpers.
//
// debian:bookworm comes from scripts/debian-base.sh (debootstrap, a few minutes the first
// time); when that fails the tests fail. The base image keeps its reference between runs,
// so its build hash makes later runs skip the build.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImages } from '../../src/build/index.js';
import { configJson } from '../../src/expand/config-files.js';
import { PROJECT_LABEL } from '../../src/providers/docker/labels.js';
import { cleanupProject, ensureDocker, uniqueProject } from '../helpers/docker.js';
import { ROOT, configDir } from '../helpers/kolla.js';
import { loadConfig } from './helpers.js';

const BASE = 'kolla-test/kolla-base:latest';
const EXTEND = 'kolla-test/kolla-base-extend:latest';
const project = uniqueProject('kstart');
let docker: Dockerode;

function sh(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

beforeAll(async () => {
  docker = await ensureDocker();
  const started = Date.now();
  await sh('bash', [path.join(ROOT, 'scripts/debian-base.sh')], 600_000);
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (Number(secs) > 5) process.stderr.write(`debian-base.sh took ${secs}s\n`);
  const dir = configDir({
    'main.hcl': `
image "base" {
  template   = "${path.join(ROOT, 'examples/base/Dockerfile.j2')}"
  repository = "kolla-test/kolla-base"
}
image "extend" {
  template   = "extend/Dockerfile.j2"
  parent     = image.base
  repository = "kolla-test/kolla-base-extend"
}
`,
    'extend/Dockerfile.j2':
      'FROM {{ parent }}\nCOPY kolla_extend_start /usr/local/bin/kolla_extend_start\nRUN chmod 644 /usr/local/bin/kolla_extend_start\n',
    // As Kolla's: the bootstrap work, then exit; otherwise adjust ARGS.
    'extend/kolla_extend_start': [
      'if [[ "${!KOLLA_BOOTSTRAP[@]}" ]]; then',
      '    echo "bootstrap as $(id -un)"',
      '    echo bootstrap-done',
      '    exit 0',
      'fi',
      'ARGS="extended-arg"',
      '',
    ].join('\n'),
  });
  const before = await Promise.all([BASE, EXTEND].map((i) => idOf(i)));
  const r = await ensureImages(await loadConfig(dir), ['extend'], { docker, threads: 1 });
  const failed = r.images.find((i) => i.status !== 'built' && i.status !== 'up-to-date');
  if (!r.ok)
    throw new Error(
      `building the base failed: ${failed?.name}: ${failed?.error ?? r.diagnostics.map((d) => d.summary).join('; ')}\n${(failed?.logTail ?? []).join('\n')}`,
    );
  // A rebuild (examples/base changed) leaves the previous images untagged: remove them.
  for (const old of before.reverse()) {
    if (old !== undefined && !r.images.some((i) => i.id === old))
      await docker
        .getImage(old)
        .remove()
        .catch(() => {});
  }
}, 1_500_000);

afterAll(async () => {
  if (docker) await cleanupProject(docker, project);
});

async function idOf(ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch {
    return undefined;
  }
}

/** A host folder with config.json and the source files, mounted where kolla_start looks. */
function kollaConfig(
  command: string | undefined,
  files: { name: string; content: string; dest: string; owner: string; perm: string; optional?: boolean }[],
  permissions?: { path: string; owner: string; perm?: string; recurse?: boolean }[],
): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-start-'));
  const doc = JSON.parse(
    configJson(
      command,
      files.map((f) => ({ ...f, optional: f.optional ?? false })),
    ),
  ) as Record<string, unknown>;
  if (permissions) doc['permissions'] = permissions;
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(doc, null, 2));
  for (const f of files) if (!f.optional) writeFileSync(path.join(dir, f.name), f.content);
  return dir;
}

async function start(
  image: string,
  opts: { env?: Record<string, string>; binds?: string[]; user?: string },
): Promise<Dockerode.Container> {
  const c = await docker.createContainer({
    Image: image,
    Labels: { [PROJECT_LABEL]: project },
    Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(opts.user ? { User: opts.user } : {}),
    HostConfig: { Binds: opts.binds ?? [] },
  });
  await c.start();
  return c;
}

/** Run a command in the container: exit code and output (stdout and stderr together). */
async function exec(c: Dockerode.Container, cmd: string[]): Promise<{ code: number; out: string }> {
  const e = await c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const sink = { write: (b: Buffer) => chunks.push(b) } as unknown as NodeJS.WritableStream;
    docker.modem.demuxStream(stream, sink, sink);
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  const info = await e.inspect();
  return { code: info.ExitCode ?? -1, out: Buffer.concat(chunks).toString() };
}

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The PID of the process named `name` in the container, once it runs. */
function pidOf(c: Dockerode.Container, name: string): Promise<number> {
  return until(`${name} to run`, async () => {
    const r = await exec(c, ['pgrep', '-x', name]);
    return r.code === 0 ? Number(r.out.trim().split('\n')[0]) : undefined;
  });
}

async function logs(c: Dockerode.Container): Promise<string> {
  const buf = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  // Multiplexed frames: 8-byte header (stream, 0, 0, 0, size as uint32 BE), then the payload.
  let out = '';
  for (let i = 0; i + 8 <= buf.length;) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString();
    i += 8 + size;
  }
  return out;
}

async function waitExit(c: Dockerode.Container): Promise<number> {
  const r = (await c.wait()) as { StatusCode: number };
  return r.StatusCode;
}

async function stat(c: Dockerode.Container, file: string): Promise<string> {
  const r = await exec(c, ['stat', '-c', '%U:%G %a', file]);
  expect(r.code, r.out).toBe(0);
  return r.out.trim();
}

describe('kolla_start', () => {
  it('copies the files with owner and mode, applies permissions, and execs the command under PID 1', async () => {
    const cfg = kollaConfig(
      'sleep 1000',
      [
        { name: 'a.conf', content: 'a=1\n', dest: '/etc/test/a.conf', owner: 'kolla', perm: '0640' },
        { name: 'b.conf', content: 'b=1\n', dest: '/etc/test/sub/', owner: 'root:kolla', perm: '0600' },
        {
          name: 'missing.conf',
          content: '',
          dest: '/etc/test/missing.conf',
          owner: 'root',
          perm: '0600',
          optional: true,
        },
      ],
      [{ path: '/var/lib/data', owner: 'kolla:kolla', recurse: true }],
    );
    const data = mkdtempSync(path.join(os.tmpdir(), 'kolla-start-data-'));
    mkdirSync(path.join(data, 'deep'));
    writeFileSync(path.join(data, 'deep', 'file'), 'x');
    chmodSync(data, 0o755);
    const c = await start(BASE, {
      env: { KOLLA_CONFIG_STRATEGY: 'COPY_ALWAYS' },
      binds: [`${cfg}:/var/lib/kolla/config_files:ro`, `${data}:/var/lib/data`],
    });
    const sleepPid = await pidOf(c, 'sleep');

    expect(await stat(c, '/etc/test/a.conf')).toBe('kolla:kolla 640');
    expect(await stat(c, '/etc/test/sub/b.conf')).toBe('root:kolla 600');
    expect((await exec(c, ['cat', '/etc/test/a.conf'])).out).toBe('a=1\n');
    expect((await exec(c, ['test', '-e', '/etc/test/missing.conf'])).code).toBe(1);
    expect(await stat(c, '/var/lib/data')).toBe('kolla:kolla 755');
    expect(await stat(c, '/var/lib/data/deep/file')).toMatch(/^kolla:kolla /);

    // PID 1 is dumb-init; kolla_start exec'd the command, so it is PID 1's child.
    expect((await exec(c, ['cat', '/proc/1/comm'])).out.trim()).toBe('dumb-init');
    expect((await exec(c, ['ps', '-o', 'ppid=', '-p', String(sleepPid)])).out.trim()).toBe('1');
    expect((await exec(c, ['ps', '-o', 'user=', '-p', String(sleepPid)])).out.trim()).toBe('root');
    expect(await logs(c)).toContain("Running command: 'sleep 1000'");

    // COPY_ALWAYS: a restart copies the new content.
    writeFileSync(path.join(cfg, 'a.conf'), 'a=2\n');
    await c.restart({ t: 1 });
    await pidOf(c, 'sleep');
    expect((await exec(c, ['cat', '/etc/test/a.conf'])).out).toBe('a=2\n');
  });

  it('COPY_ONCE copies only at the first start', async () => {
    const cfg = kollaConfig('sleep 1000', [
      { name: 'a.conf', content: 'once\n', dest: '/etc/test/a.conf', owner: 'root', perm: '0644' },
    ]);
    const c = await start(BASE, {
      env: { KOLLA_CONFIG_STRATEGY: 'COPY_ONCE' },
      binds: [`${cfg}:/var/lib/kolla/config_files:ro`],
    });
    await pidOf(c, 'sleep');
    expect((await exec(c, ['cat', '/etc/test/a.conf'])).out).toBe('once\n');
    writeFileSync(path.join(cfg, 'a.conf'), 'twice\n');
    await c.restart({ t: 1 });
    await pidOf(c, 'sleep');
    expect((await exec(c, ['cat', '/etc/test/a.conf'])).out).toBe('once\n');
    expect(await logs(c)).toContain('The config strategy prevents copying new configs');
  });

  it('KOLLA_COMMAND replaces the command of config.json', async () => {
    const cfg = kollaConfig('sleep 1000', [
      { name: 'a.conf', content: 'k\n', dest: '/etc/test/a.conf', owner: 'root', perm: '0600' },
    ]);
    const c = await start(BASE, {
      env: { KOLLA_COMMAND: "sh -c 'echo from-kolla-command; cat /etc/test/a.conf'" },
      binds: [`${cfg}:/var/lib/kolla/config_files:ro`],
    });
    expect(await waitExit(c)).toBe(0);
    const out = await logs(c);
    expect(out).toContain('from-kolla-command\nk\n');
  });

  it('sources kolla_extend_start: bootstrap work with KOLLA_BOOTSTRAP, ARGS otherwise', async () => {
    const cfg = kollaConfig('echo hello', []);
    const boot = await start(EXTEND, {
      env: { KOLLA_BOOTSTRAP: '' },
      binds: [`${cfg}:/var/lib/kolla/config_files:ro`],
    });
    expect(await waitExit(boot)).toBe(0);
    const bootLog = await logs(boot);
    expect(bootLog).toContain('bootstrap as root\nbootstrap-done\n');
    expect(bootLog).not.toMatch(/^hello/m);

    const normal = await start(EXTEND, { binds: [`${cfg}:/var/lib/kolla/config_files:ro`] });
    expect(await waitExit(normal)).toBe(0);
    expect(await logs(normal)).toContain('hello extended-arg\n');
  });

  it('as a non-root user copies through sudo kolla_set_configs', async () => {
    const cfg = kollaConfig('sleep 1000', [
      { name: 'a.conf', content: 'u\n', dest: '/etc/test/a.conf', owner: 'kolla', perm: '0600' },
    ]);
    const c = await start(BASE, { user: 'kolla', binds: [`${cfg}:/var/lib/kolla/config_files:ro`] });
    const pid = await pidOf(c, 'sleep');
    expect(await stat(c, '/etc/test/a.conf')).toBe('kolla:kolla 600');
    expect((await exec(c, ['ps', '-o', 'user=', '-p', String(pid)])).out.trim()).toBe('kolla');
  });

  it('fails clearly when a required source is missing', async () => {
    const cfg = kollaConfig('sleep 1000', [
      { name: 'a.conf', content: 'x', dest: '/etc/test/a.conf', owner: 'root', perm: '0600' },
    ]);
    const doc = JSON.parse((await import('node:fs')).readFileSync(path.join(cfg, 'config.json'), 'utf8')) as {
      config_files: { source: string }[];
    };
    doc.config_files[0]!.source = '/var/lib/kolla/config_files/nope.conf';
    writeFileSync(path.join(cfg, 'config.json'), JSON.stringify(doc));
    const c = await start(BASE, { binds: [`${cfg}:/var/lib/kolla/config_files:ro`] });
    expect(await waitExit(c)).toBe(1);
    expect(await logs(c)).toContain(
      'ERROR:kolla_start:missing source file /var/lib/kolla/config_files/nope.conf',
    );
  });
});

describe('healthcheck helpers', () => {
  it('healthcheck_listen, healthcheck_curl and healthcheck_port', async () => {
    const cfg = kollaConfig('python3 -m http.server 8000 --bind 127.0.0.1', []);
    const c = await start(BASE, { binds: [`${cfg}:/var/lib/kolla/config_files:ro`] });
    await until('the server to listen', async () =>
      (await exec(c, ['healthcheck_listen', 'http.server', '8000'])).code === 0 ? true : undefined,
    );
    expect((await exec(c, ['healthcheck_listen', 'http.server', '8001'])).code).toBe(1);
    expect((await exec(c, ['healthcheck_listen', 'no-such-process', '8000'])).code).toBe(1);

    const ok = await exec(c, ['healthcheck_curl', 'http://127.0.0.1:8000/']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^200 127\.0\.0\.1:8000 /);
    expect((await exec(c, ['healthcheck_curl', 'http://127.0.0.1:8001/'])).code).not.toBe(0);

    // A client holding a connection to the server's port.
    const client = await c.exec({
      Cmd: [
        'python3',
        '-c',
        "import socket,time; s=socket.create_connection(('127.0.0.1',8000)); time.sleep(300)",
      ],
    });
    await client.start({ Detach: true });
    await until('the client connection', async () =>
      (await exec(c, ['healthcheck_port', 'socket.create_connection', '8000'])).code === 0 ? true : undefined,
    );
    expect((await exec(c, ['healthcheck_port', 'socket.create_connection', '9999'])).code).toBe(1);
  });
});
