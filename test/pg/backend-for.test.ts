/**
 * backendFor's choices without a database: the selected workspace, the local workspace
 * layout, the pg connection string's source, and the "backend changed since kolla init" check.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/config/config.js';
import { backendFor } from '../../src/engine/backend/backend-for.js';
import { previousBackend } from '../../src/engine/backend/migration.js';
import { writeBackendRecord } from '../../src/engine/backend/record.js';
import {
  localStatePath,
  selectedWorkspace,
  writeSelectedWorkspace,
} from '../../src/engine/backend/workspace.js';
import { LocalBackend } from '../../src/states/local-backend.js';
import { PgBackend } from '../../src/states/pg-backend.js';

const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'kolla-bf-'));

function settings(backend: Settings['backend']): Settings {
  return {
    project: 'p',
    configDir: '/etc/kolla',
    parallelism: 1,
    settleTime: '1s',
    hostTimeout: '60s',
    backupRetention: 10,
    history: 7,
    backend,
  };
}

describe('workspace selection', () => {
  it('KOLLA_WORKSPACE, else .kolla/environment, else default', () => {
    const dir = tmp();
    expect(selectedWorkspace(dir, {})).toEqual({ name: 'default', source: 'default' });
    writeSelectedWorkspace(dir, 'staging');
    expect(selectedWorkspace(dir, {})).toEqual({ name: 'staging', source: 'file' });
    expect(selectedWorkspace(dir, { KOLLA_WORKSPACE: 'prod' })).toEqual({ name: 'prod', source: 'env' });
    expect(() => selectedWorkspace(dir, { KOLLA_WORKSPACE: '../etc' })).toThrow(/invalid workspace name/);
    writeFileSync(path.join(dir, '.kolla', 'environment'), 'a/b\n');
    expect(() => selectedWorkspace(dir, {})).toThrow(/environment: invalid workspace name/);
  });

  it('local workspaces live in kolla.state.d/<workspace>/ with the state file name', () => {
    const dir = tmp();
    const b = { type: 'local' as const, path: 'state/prod.json' };
    expect(localStatePath(dir, b, 'default')).toBe(path.join(dir, 'state', 'prod.json'));
    expect(localStatePath(dir, b, 'staging')).toBe(path.join(dir, 'kolla.state.d', 'staging', 'prod.json'));
    const be = backendFor(dir, settings(b), 'staging');
    expect(be).toBeInstanceOf(LocalBackend);
    expect((be as LocalBackend).path).toBe(path.join(dir, 'kolla.state.d', 'staging', 'prod.json'));
    expect((be as LocalBackend).historyLimit).toBe(7);
  });
});

describe('backend "pg" settings', () => {
  it('conn_str wins; KOLLA_PG_CONN_STR is used when it is absent; neither is an error', () => {
    const dir = tmp();
    const old = process.env['KOLLA_PG_CONN_STR'];
    try {
      process.env['KOLLA_PG_CONN_STR'] = 'postgres://envuser:pw@db.example:5433/envdb';
      const fromEnv = backendFor(dir, settings({ type: 'pg', schemaName: 'k' }), 'w1') as PgBackend;
      expect(fromEnv).toBeInstanceOf(PgBackend);
      expect(fromEnv.describe()).toBe('PostgreSQL envuser@db.example:5433/envdb, schema "k", workspace "w1"');
      const fromConfig = backendFor(
        dir,
        settings({ type: 'pg', connStr: 'postgres://u:p@h:5432/d' }),
        'default',
      ) as PgBackend;
      expect(fromConfig.describe()).toBe('PostgreSQL u@h:5432/d, schema "kolla", workspace "default"');
      delete process.env['KOLLA_PG_CONN_STR'];
      expect(() => backendFor(dir, settings({ type: 'pg' }))).toThrow(/conn_str .* KOLLA_PG_CONN_STR/);
      expect(() =>
        backendFor(dir, settings({ type: 'pg', connStr: 'postgres://h/d', schemaName: 'a-b' })),
      ).toThrow(/invalid schema_name "a-b"/);
    } finally {
      if (old === undefined) delete process.env['KOLLA_PG_CONN_STR'];
      else process.env['KOLLA_PG_CONN_STR'] = old;
    }
  });
});

describe('backend changed since kolla init', () => {
  const pg = { type: 'pg' as const, connStr: 'postgres://u:p@h:5432/d', schemaName: 'k' };

  it('a pg backend beside a local state that was never migrated is refused', () => {
    const dir = tmp();
    expect(previousBackend(dir, pg)).toBeUndefined();
    writeFileSync(path.join(dir, 'kolla.state.json'), '{}');
    expect(previousBackend(dir, pg)).toMatchObject({ type: 'local', path: 'kolla.state.json' });
    expect(() => backendFor(dir, settings(pg))).toThrow(/Backend configuration changed.*-migrate-state/s);
    // Once init recorded the pg backend, the leftover file is a backup and no longer matters.
    writeBackendRecord(dir, pg);
    expect(previousBackend(dir, pg)).toBeUndefined();
    expect(backendFor(dir, settings(pg))).toBeInstanceOf(PgBackend);
  });

  it('a change of type, path, schema or database is noticed; the password is not', () => {
    const dir = tmp();
    mkdirSync(path.join(dir, '.kolla'));
    writeBackendRecord(dir, pg);
    expect(previousBackend(dir, { ...pg, connStr: 'postgres://u:other@h:5432/d' })).toBeUndefined();
    expect(previousBackend(dir, { ...pg, connStr: 'postgres://u:p@h:5432/other' })).toMatchObject({
      type: 'pg',
    });
    expect(previousBackend(dir, { ...pg, schemaName: 'k2' })).toMatchObject({ type: 'pg', schema_name: 'k' });
    expect(previousBackend(dir, { type: 'local', path: 'kolla.state.json' })).toMatchObject({ type: 'pg' });
    writeBackendRecord(dir, { type: 'local', path: 'kolla.state.json' });
    expect(previousBackend(dir, { type: 'local', path: './kolla.state.json' })).toBeUndefined();
    expect(previousBackend(dir, { type: 'local', path: 'other.json' })).toMatchObject({ type: 'local' });
  });
});
