/**
 * The state lock in the commands that only take the lock (state rm and push, workspace new
 * and delete, init -migrate-state), through the real binary: like plan and apply they say
 * whom they wait for, honour -lock-timeout and -lock=false, and warn when they take over a
 * stale lock. No Docker needed: the state is written by the test.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, buildOnce, kolla, type RunResult } from '../helpers/kolla.js';
import { sampleState } from '../unit/states/helpers.js';

const KEYSTONE = 'service.keystone.container.keystone["control01"]';
const WAIT_LINE = 'Waiting for the state lock held by t@x (apply, id lock-1)...';

let root: string;
beforeAll(() => {
  buildOnce();
  root = mkdtempSync(path.join(os.tmpdir(), 'kolla-state-lock-'));
}, 600_000);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A configuration of project "demo" with sampleState() as its state (in `workspace`). */
function project(name: string, workspace?: string): { dir: string; state: string; lock: string } {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'main.kolla.hcl'), 'kolla { project = "demo" }\n');
  const stateDir = workspace ? path.join(dir, 'kolla.state.d', workspace) : dir;
  mkdirSync(stateDir, { recursive: true });
  const state = path.join(stateDir, 'kolla.state.json');
  writeFileSync(state, JSON.stringify(sampleState(1), null, 2));
  return { dir, state, lock: `${state}.lock` };
}

/** A lock held by process `pid` of this machine (the test itself: alive; a huge pid: dead). */
function holdLock(file: string, pid: number, id = 'lock-1'): void {
  writeFileSync(
    file,
    JSON.stringify({
      id,
      operation: 'apply',
      who: 't@x',
      created: '2026-01-01T00:00:00Z',
      pid,
      hostname: os.hostname(),
    }),
  );
}

function addresses(state: string): string[] {
  return (JSON.parse(readFileSync(state, 'utf8')) as { resources: { address: string }[] }).resources.map(
    (r) => r.address,
  );
}

/** Runs kolla and releases `lock` as soon as kolla says it waits for it. */
function runReleasingOnWait(args: string[], cwd: string, lock: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', KOLLA_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('Waiting for the state lock') && existsSync(lock)) unlinkSync(lock);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('state rm under a held lock', () => {
  it('waits for -lock-timeout, saying whom for, then fails naming the holder', async () => {
    const p = project('rm-timeout');
    holdLock(p.lock, process.pid);
    const t0 = Date.now();
    const r = await kolla(['state', 'rm', KEYSTONE, '-lock-timeout=1s'], { cwd: p.dir });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(WAIT_LINE);
    expect(r.stderr).toContain('Error acquiring the state lock');
    expect(r.stderr).toContain('did not release it within 1s');
    expect(r.stderr).toContain('kolla force-unlock lock-1');
    expect(addresses(p.state)).toContain(KEYSTONE);
  });

  it('without -lock-timeout tries once: no wait line', async () => {
    const p = project('rm-once');
    holdLock(p.lock, process.pid);
    const r = await kolla(['state', 'rm', KEYSTONE], { cwd: p.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error acquiring the state lock');
    expect(r.stderr).not.toContain('Waiting for the state lock');
    expect(addresses(p.state)).toContain(KEYSTONE);
  });

  it('goes on once the holder releases the lock while it waits', async () => {
    const p = project('rm-released');
    holdLock(p.lock, process.pid);
    const r = await runReleasingOnWait(['state', 'rm', KEYSTONE, '-lock-timeout=30s'], p.dir, p.lock);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(WAIT_LINE);
    expect(r.stdout).toContain(`Removed ${KEYSTONE}`);
    expect(addresses(p.state)).not.toContain(KEYSTONE);
    expect(existsSync(p.lock)).toBe(false);
  });

  it('-lock=false does not look at the lock', async () => {
    const p = project('rm-nolock');
    holdLock(p.lock, process.pid);
    const r = await kolla(['state', 'rm', KEYSTONE, '-lock=false'], { cwd: p.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('Waiting for the state lock');
    expect(addresses(p.state)).not.toContain(KEYSTONE);
    // Still there: it was not ours.
    expect(existsSync(p.lock)).toBe(true);
  });
});

describe('workspace delete under a held lock', () => {
  it('waits for -lock-timeout, then fails and keeps the workspace', async () => {
    const p = project('ws-timeout', 'staging');
    holdLock(p.lock, process.pid);
    const r = await kolla(['workspace', 'delete', '-force', 'staging', '-lock-timeout=500ms'], {
      cwd: p.dir,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(WAIT_LINE);
    expect(r.stderr).toContain('Error acquiring the state lock');
    expect(existsSync(p.state)).toBe(true);
  });

  it('takes over a stale lock with a warning', async () => {
    const p = project('ws-stale', 'staging');
    holdLock(p.lock, 999_999_999, 'lock-dead');
    const r = await kolla(['workspace', 'delete', '-force', 'staging'], { cwd: p.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'Warning: took over a stale lock lock-dead left by process 999999999 (apply), which is no longer running',
    );
    expect(r.stdout).toContain('Deleted workspace "staging"');
    expect(existsSync(path.dirname(p.state))).toBe(false);
  });
});

describe('state push under a held lock', () => {
  it('goes on once the lock is released, with the wait line', async () => {
    const p = project('push-released');
    holdLock(p.lock, process.pid);
    const file = path.join(p.dir, 'next.json');
    writeFileSync(file, JSON.stringify(sampleState(2), null, 2));
    const r = await runReleasingOnWait(['state', 'push', file, '-lock-timeout=30s'], p.dir, p.lock);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(WAIT_LINE);
    expect(r.stdout).toContain('Pushed state serial 2');
  });
});
