/**
 * User-caused state failures (issue #21 defects 8 and 11) through the real binary: each is a
 * KollaError of kind 'state', exit code 1, a message naming the path and a hint, never
 * "internal error". Runs as root: a read-only folder is made with chattr +i (root ignores
 * modes), a full disk with a 64 KiB tmpfs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { sampleState } from '../unit/states/helpers.js';

function kolla(dir: string, args: string[]): { code: number; err: string; out: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KOLLA_DEBUG: '', NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, err: r.stderr, out: r.stdout };
}

function project(root: string, name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'main.kolla.hcl'), `kolla { project = "${name}" }\n`);
  return dir;
}

function lockInfo(pid: number, hostname: string): string {
  return JSON.stringify({
    id: 'lock-1',
    operation: 'apply',
    who: 't@x',
    created: '2026-01-01T00:00:00Z',
    pid,
    hostname,
  });
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'kolla-state-errors-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('state file system errors are user errors', () => {
  it('a directory in place of the state file', () => {
    const dir = project(root, 'eisdir');
    mkdirSync(path.join(dir, 'kolla.state.json'));
    const r = kolla(dir, ['apply', '-auto-approve']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path.join(dir, 'kolla.state.json')} is a directory`);
    expect(r.err).toContain('Hint:');
    expect(r.err).not.toContain('internal error');
  });

  it('a read-only (immutable) state folder', () => {
    const dir = project(root, 'readonly');
    execFileSync('chattr', ['+i', dir]);
    try {
      const r = kolla(dir, ['apply', '-auto-approve']);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`permission denied on ${dir}`);
      expect(r.err).not.toContain('internal error');
    } finally {
      execFileSync('chattr', ['-i', dir]);
    }
  });

  it('a full disk', () => {
    const dir = project(root, 'full');
    const mnt = path.join(dir, 'mnt');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    try {
      writeFileSync(path.join(mnt, 'main.kolla.hcl'), 'kolla { project = "full" }\n');
      // Fill the rest of the file system.
      spawnSync('dd', ['if=/dev/zero', `of=${path.join(mnt, 'fill')}`, 'bs=4k'], { stdio: 'ignore' });
      const r = kolla(mnt, ['apply', '-auto-approve']);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`no space left on the device holding ${mnt}`);
      expect(r.err).not.toContain('internal error');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

describe('a state of another project', () => {
  it('is refused by plan, naming both projects', () => {
    const dir = project(root, 'notdemo');
    writeFileSync(path.join(dir, 'kolla.state.json'), JSON.stringify(sampleState(1), null, 2));
    const r = kolla(dir, ['plan']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('belongs to project "demo", but this configuration is project "notdemo"');
    expect(r.err).not.toContain('internal error');
  });
});

describe('force-unlock', () => {
  it('a wrong lock ID is a user error', () => {
    const dir = project(root, 'wrong-id');
    writeFileSync(path.join(dir, 'kolla.state.json.lock'), lockInfo(999_999_999, 'elsewhere'));
    const r = kolla(dir, ['force-unlock', 'not-the-id']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('locked with ID lock-1, not not-the-id');
    expect(r.err).not.toContain('internal error');
  });

  it('refuses when the holder is alive on this machine, even with -force', () => {
    const dir = project(root, 'alive');
    const lock = path.join(dir, 'kolla.state.json.lock');
    writeFileSync(lock, lockInfo(process.pid, os.hostname()));
    const r = kolla(dir, ['force-unlock', '-force', 'lock-1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('still running on this machine');
    expect(kolla(dir, ['force-unlock', '-force', 'lock-1']).code).toBe(1);
  });

  it('without a terminal and without -force, refuses; -force unlocks a dead holder', () => {
    const dir = project(root, 'dead');
    writeFileSync(path.join(dir, 'kolla.state.json.lock'), lockInfo(999_999_999, os.hostname()));
    const r = kolla(dir, ['force-unlock', 'lock-1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no terminal to ask for confirmation');
    const f = kolla(dir, ['force-unlock', '-force', 'lock-1']);
    expect(f.code).toBe(0);
    expect(f.out).toContain('successfully unlocked');
  });
});
