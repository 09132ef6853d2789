// LocalTransport: atomic writes with exact modes, hashes, directories, and the Docker
// client it hands out.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTransport, dockerOptions, parseDockerHost } from '../../src/transport/local.js';
import { ensureDocker } from '../helpers/docker.js';

const dir = mkdtempSync(join(tmpdir(), 'kolla-local-'));
const t = new LocalTransport({ host: 'control01' });
const mode = (p: string): number => statSync(p).mode & 0o7777;
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

let oldUmask: number;
beforeAll(() => {
  // A permissive umask proves the mode is set explicitly rather than inherited.
  oldUmask = process.umask(0o000);
});
afterAll(async () => {
  process.umask(oldUmask);
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LocalTransport files', () => {
  it('writes atomically with the exact mode and leaves no temp files', async () => {
    const f = join(dir, 'secret.conf');
    await t.writeFileAtomic(f, 'password=1\n', 0o600);
    expect(await readFile(f, 'utf8')).toBe('password=1\n');
    expect(mode(f)).toBe(0o600);

    await t.writeFileAtomic(f, Buffer.from('password=2\n'), 0o640);
    expect(await readFile(f, 'utf8')).toBe('password=2\n');
    expect(mode(f)).toBe(0o640);
    expect(readdirSync(dir).filter((x) => x.includes('kolla-tmp'))).toEqual([]);
  });

  it('fails cleanly when the directory is missing', async () => {
    await expect(t.writeFileAtomic(join(dir, 'nope', 'f'), 'x', 0o600)).rejects.toThrow(/ENOENT/);
  });

  it('hashes, reads and removes files; missing files are undefined, not errors', async () => {
    const f = join(dir, 'hash.txt');
    await t.writeFileAtomic(f, 'hello', 0o644);
    expect(await t.fileHash(f)).toBe(sha('hello'));
    expect((await t.readFile(f))?.toString()).toBe('hello');
    await t.removeFile(f);
    expect(await t.fileHash(f)).toBeUndefined();
    expect(await t.readFile(f)).toBeUndefined();
    await t.removeFile(f);
  });

  it('mkdirp gives created directories the mode and leaves existing ones alone', async () => {
    const parent = join(dir, 'etc');
    await t.mkdirp(parent, 0o755);
    const leaf = join(parent, 'kolla', 'keystone');
    await t.mkdirp(leaf, 0o750);
    expect(mode(parent)).toBe(0o755);
    expect(mode(join(parent, 'kolla'))).toBe(0o750);
    expect(mode(leaf)).toBe(0o750);
    await t.mkdirp(leaf, 0o700); // exists: untouched
    expect(mode(leaf)).toBe(0o750);
  });
});

describe('LocalTransport docker', () => {
  it('hands out one working client', async () => {
    await ensureDocker();
    const d = await t.docker();
    expect(await t.docker()).toBe(d);
    expect(String(await d.ping())).toBe('OK');
    expect(t.host).toBe('control01');
  });

  it('chooses the engine address: dockerHost, then DOCKER_HOST, then the socket', () => {
    expect(dockerOptions({}, {})).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerOptions({ dockerSocket: '/run/d.sock' }, {})).toEqual({ socketPath: '/run/d.sock' });
    expect(dockerOptions({ dockerSocket: '/run/d.sock' }, { DOCKER_HOST: 'tcp://x:2375' })).toEqual({});
    // A socket in DOCKER_HOST is read here (so it gets kolla's socket agent), cleared of the rest.
    expect(dockerOptions({}, { DOCKER_HOST: 'unix:///run/f.sock' })).toMatchObject({
      socketPath: '/run/f.sock',
      host: undefined,
    });
    expect(dockerOptions({}, { DOCKER_HOST: '/run/g.sock' })).toMatchObject({ socketPath: '/run/g.sock' });
    expect(dockerOptions({}, { DOCKER_HOST: 'unix://' })).toEqual({});
    expect(
      dockerOptions({ dockerHost: 'unix:///run/e.sock' }, { DOCKER_HOST: 'tcp://x:2375' }),
    ).toMatchObject({
      socketPath: '/run/e.sock',
      host: undefined,
    });
    expect(parseDockerHost('tcp://10.0.0.5:2375')).toMatchObject({
      protocol: 'http',
      host: '10.0.0.5',
      port: '2375',
    });
    expect(parseDockerHost('ssh://deploy@node1')).toMatchObject({
      protocol: 'ssh',
      host: 'node1',
      username: 'deploy',
    });
    expect(() => parseDockerHost('ftp://x')).toThrow(/unsupported/);
  });
});
