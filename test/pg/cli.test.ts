/**
 * The CLI with the pg backend, end to end (the built binary, a real PostgreSQL, a
 * configuration without containers so that apply needs no Docker): moving a local state
 * with its history to pg and back with `kolla init -migrate-state`, `state push`/`pull`
 * with the lineage and serial checks, and workspaces.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalBackend } from '../../src/states/local-backend.js';
import type { HistoryEntry, State } from '../../src/states/state.js';
import {
  buildOnce,
  configDir,
  dropSchema,
  kolla,
  mainHcl,
  pgBlock,
  pgUp,
  uniqueSchema,
  writeFilesIn,
} from './helpers.js';

let conn: string;
const schemas: string[] = [];
function schema(tag: string): string {
  const s = uniqueSchema(tag);
  schemas.push(s);
  return s;
}

// Each test runs the CLI many times (about a second each, more on a busy machine).
vi.setConfig({ testTimeout: 300_000 });

beforeAll(() => {
  conn = pgUp();
  buildOnce();
});
afterAll(async () => {
  for (const s of schemas) await dropSchema(conn, s);
});

async function ok(args: string[], dir: string, env: Record<string, string> = {}): Promise<string> {
  const r = await kolla(args, dir, env);
  expect(r.code, `kolla ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

async function history(dir: string, env: Record<string, string> = {}): Promise<HistoryEntry[]> {
  return JSON.parse(await ok(['state', 'history', '--json'], dir, env)) as HistoryEntry[];
}

async function pull(dir: string, env: Record<string, string> = {}): Promise<State> {
  return JSON.parse(await ok(['state', 'pull'], dir, env)) as State;
}

describe('kolla init -migrate-state', () => {
  it('moves a local state with its history and workspaces to pg, and back', async () => {
    const s = schema('migrate');
    const dir = configDir({ 'main.hcl': mainHcl('') });
    // A local state with a history of four serials,
    await ok(['apply', '-auto-approve'], dir);
    const local = new LocalBackend(path.join(dir, 'kolla.state.json'));
    const first = (await local.read())!;
    for (let n = 2; n <= 4; n++) await local.write({ ...first, serial: n }, `change ${n}`);
    // and a second workspace.
    await ok(['workspace', 'new', 'staging'], dir);
    await ok(['apply', '-auto-approve'], dir);
    expect(existsSync(path.join(dir, 'kolla.state.d', 'staging', 'kolla.state.json'))).toBe(true);
    const staging = await pull(dir);
    await ok(['workspace', 'select', 'default'], dir);
    const localHistory = await history(dir);
    expect(localHistory.map((h) => h.serial)).toEqual([1, 2, 3, 4]);
    const localState = await pull(dir);

    // The backend block changes to pg: commands refuse until the state is moved.
    writeFilesIn(dir, { 'main.hcl': mainHcl(pgBlock(conn, s)) });
    const refused = await kolla(['plan'], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Backend configuration changed.*kolla init -migrate-state/s);
    expect(refused.stderr).not.toContain('internal error');
    const noFlag = await kolla(['init'], dir);
    expect(noFlag.code).toBe(1);
    expect(noFlag.stderr).toContain('-migrate-state');

    const out = await ok(['init', '-migrate-state'], dir);
    expect(out).toContain('workspace "default": copied serial 4 with 4 history entries');
    expect(out).toContain('workspace "staging": copied serial 1 with 1 history entry');
    expect(out).toContain('successfully initialized');
    // Every serial, with its time and message, and the same state.
    expect(await history(dir)).toEqual(localHistory);
    expect(await pull(dir)).toEqual(localState);
    expect(await pull(dir, { KOLLA_WORKSPACE: 'staging' })).toEqual(staging);
    expect(await ok(['workspace', 'list'], dir)).toBe('* default\n  staging\n');
    // The pg state is the one in use now.
    const pushed = path.join(dir, 'next.json');
    writeFileSync(pushed, JSON.stringify({ ...localState, serial: 5 }));
    await ok(['state', 'push', pushed], dir);
    expect((await history(dir)).map((h) => h.serial)).toEqual([1, 2, 3, 4, 5]);
    // Running init again changes nothing.
    expect(await ok(['init'], dir)).toContain('successfully initialized');

    // And back to the local file, which still holds the older copy (serial 4): replaced.
    writeFilesIn(dir, { 'main.hcl': mainHcl('') });
    expect((await kolla(['state', 'list'], dir)).stderr).toContain('Backend configuration changed');
    // The record of the pg backend keeps no password: copying from it needs one.
    const record = readFileSync(path.join(dir, '.kolla', 'backend.json'), 'utf8');
    expect(record).toContain('postgres://kolla@127.0.0.1:5432/kolla');
    expect(record).not.toContain('kolla:kolla@');
    const noPassword = await kolla(['init', '-migrate-state'], dir);
    expect(noPassword.code).toBe(1);
    expect(noPassword.stderr).toMatch(/password.*set KOLLA_PG_CONN_STR/s);
    const back = await ok(['init', '-migrate-state'], dir, { KOLLA_PG_CONN_STR: conn });
    expect(back).toContain('workspace "default": copied serial 5');
    expect(back).toContain('workspace "staging": already has serial 1');
    const file = JSON.parse(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8')) as State;
    expect(file.serial).toBe(5);
    expect((await history(dir)).map((h) => h.serial)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses to overwrite an unrelated state in the new backend unless -force-copy', async () => {
    const s = schema('clash');
    const a = configDir({ 'main.hcl': mainHcl(pgBlock(conn, s)) });
    await ok(['apply', '-auto-approve'], a); // pg already has a state of its own lineage
    const b = configDir({ 'main.hcl': mainHcl('') });
    await ok(['apply', '-auto-approve'], b);
    writeFilesIn(b, { 'main.hcl': mainHcl(pgBlock(conn, s)) });
    const r = await kolla(['init', '-migrate-state'], b);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already has a state .* use -force-copy/s);
    const local = JSON.parse(readFileSync(path.join(b, 'kolla.state.json'), 'utf8')) as State;
    expect((await pull(a)).lineage).not.toBe(local.lineage);
    await ok(['init', '-migrate-state', '-force-copy'], b);
    expect((await pull(b)).lineage).toBe(local.lineage);
  });

  it('-reconfigure uses the new backend without copying', async () => {
    const s = schema('reconf');
    const dir = configDir({ 'main.hcl': mainHcl('') });
    await ok(['apply', '-auto-approve'], dir);
    writeFilesIn(dir, { 'main.hcl': mainHcl(pgBlock(conn, s)) });
    expect(await ok(['init', '-reconfigure'], dir)).toContain('Not copying');
    const r = await kolla(['state', 'pull'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });
});

describe('state push and pull', () => {
  it('refuses a stale or unrelated state; -force accepts it', async () => {
    const s = schema('push');
    const dir = configDir({ 'main.hcl': mainHcl(pgBlock(conn, s)) });
    await ok(['apply', '-auto-approve'], dir);
    const v1 = await pull(dir);
    expect(v1.serial).toBe(1);
    const file = path.join(dir, 'copy.json');
    const put = (st: State): void => writeFileSync(file, JSON.stringify(st, null, 2));

    put({ ...v1, serial: 3 });
    expect(await ok(['state', 'push', file], dir)).toContain('Pushed state serial 3');
    // Stale: an older serial of the same lineage.
    put({ ...v1, serial: 2 });
    const stale = await kolla(['state', 'push', file], dir);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('Refusing to write state serial 2 over serial 3');
    // Unrelated: another lineage.
    put({ ...v1, lineage: '00000000-0000-4000-8000-000000000000', serial: 9 });
    const other = await kolla(['state', 'push', file], dir);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/Refusing to write a state of lineage 00000000-.* -force/s);
    expect((await pull(dir)).serial).toBe(3);
    // Same serial, edited: written as the next serial.
    put({ ...v1, serial: 3, outputs: { note: { value: 'edited', sensitive: false } } });
    expect(await ok(['state', 'push', file], dir)).toContain('Pushed state serial 4');
    put({ ...v1, serial: 3, outputs: { note: { value: 'edited', sensitive: false } } });
    expect((await kolla(['state', 'push', file], dir)).code).toBe(1);
    // -force
    put({ ...v1, serial: 2 });
    expect(await ok(['state', 'push', '-force', file], dir)).toContain('Pushed state serial 2');
    expect((await pull(dir)).serial).toBe(2);
    const h = await history(dir);
    expect(h.map((e) => e.serial)).toEqual([1, 3, 4, 2]);
    expect(h[3]!.message).toBe(`state push ${file} -force`);
    // Not a state at all.
    writeFileSync(file, '{"serial": "x"}');
    const bad = await kolla(['state', 'push', '-force', file], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`Invalid state in ${file}`);
  });

  it('pull prints nothing without a state; push of an identical state is a no-op', async () => {
    const s = schema('pull');
    const dir = configDir({ 'main.hcl': mainHcl(pgBlock(conn, s)) });
    const r = await kolla(['state', 'pull'], dir);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    await ok(['apply', '-auto-approve'], dir);
    const file = path.join(dir, 'same.json');
    writeFileSync(file, await ok(['state', 'pull'], dir));
    expect(await ok(['state', 'push', file], dir)).toContain('nothing to push');
  });

  it('takes the connection string from KOLLA_PG_CONN_STR when conn_str is absent', async () => {
    const s = schema('env');
    const dir = configDir({ 'main.hcl': mainHcl(`  backend "pg" {\n    schema_name = "${s}"\n  }`) });
    const missing = await kolla(['state', 'pull'], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('KOLLA_PG_CONN_STR');
    await ok(['apply', '-auto-approve'], dir, { KOLLA_PG_CONN_STR: conn });
    expect((await pull(dir, { KOLLA_PG_CONN_STR: conn })).serial).toBe(1);
  });
});

describe('workspaces', () => {
  for (const kind of ['pg', 'local'] as const) {
    it(`new/select/list/show/delete keep separate states (${kind})`, async () => {
      const block = kind === 'pg' ? pgBlock(conn, schema('ws')) : '';
      const dir = configDir({ 'main.hcl': mainHcl(block) });
      await ok(['apply', '-auto-approve'], dir);
      const def = await pull(dir);
      expect(await ok(['workspace', 'show'], dir)).toBe('default\n');
      expect(await ok(['workspace', 'new', 'staging'], dir)).toContain(
        'Created and switched to workspace "staging"',
      );
      expect(readFileSync(path.join(dir, '.kolla', 'environment'), 'utf8')).toBe('staging\n');
      expect(await ok(['workspace', 'show'], dir)).toBe('staging\n');
      expect((await kolla(['state', 'pull'], dir)).stdout).toBe('');
      await ok(['apply', '-auto-approve'], dir);
      const stg = await pull(dir);
      expect(stg.lineage).not.toBe(def.lineage);
      await ok(['workspace', 'new', 'production'], dir);
      expect(await ok(['workspace', 'list'], dir)).toBe('  default\n* production\n  staging\n');
      expect((await kolla(['workspace', 'new', 'staging'], dir)).stderr).toContain('already exists');
      expect((await kolla(['workspace', 'select', 'nope'], dir)).stderr).toContain(`doesn't exist`);
      expect((await kolla(['workspace', 'new', '../x'], dir)).stderr).toContain('invalid workspace name');
      await ok(['workspace', 'select', 'default'], dir);
      expect(await pull(dir)).toEqual(def);
      expect((await pull(dir, { KOLLA_WORKSPACE: 'staging' })).lineage).toBe(stg.lineage);
      expect(
        (await kolla(['workspace', 'select', 'staging'], dir, { KOLLA_WORKSPACE: 'staging' })).stderr,
      ).toContain('overridden by the KOLLA_WORKSPACE');
      if (kind === 'local') {
        expect(existsSync(path.join(dir, 'kolla.state.d', 'staging', 'kolla.state.json'))).toBe(true);
        expect(existsSync(path.join(dir, 'kolla.state.d', 'production'))).toBe(true);
      }
      // Delete: not the selected one, not default; then gone with its state.
      expect((await kolla(['workspace', 'delete', 'default'], dir)).code).toBe(1);
      expect(
        (await kolla(['workspace', 'delete', 'staging'], dir, { KOLLA_WORKSPACE: 'staging' })).stderr,
      ).toContain('selected workspace');
      expect(await ok(['workspace', 'delete', 'staging'], dir)).toContain('Deleted workspace "staging"');
      expect(await ok(['workspace', 'list'], dir)).toBe('* default\n  production\n');
      expect((await kolla(['state', 'pull'], dir, { KOLLA_WORKSPACE: 'staging' })).stdout).toBe('');
      expect(await pull(dir)).toEqual(def);
    });
  }
});
