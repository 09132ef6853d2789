/**
 * kolla rollback --to across a migration (issue #19): which bootstraps restore which backups,
 * taken from the first state after the target in which the bootstrap ran again; refused when
 * it ran without a backup (unless --keep-data); nothing when no migrating bootstrap moved.
 */
import { describe, expect, it } from 'vitest';
import { rollbackTarget } from '../../../src/engine/rollback-target.js';
import { STATE_VERSION, type BootstrapResource, type State } from '../../../src/states/state.js';
import type { BackupRecord } from '../../../src/expand/instances.js';
import { KollaError } from '../../../src/diags/kolla-error.js';

const A = 'service.keystone.bootstrap.db_sync';
const backup = (id: string): BackupRecord => ({
  id,
  host: 'h1',
  container: 'mariadb',
  dir: '/backup',
  schemas: ['keystone'],
  admin_user: 'root',
  admin_password: '((secret.root))',
});

function bootstrap(inputs: string, extra: Partial<BootstrapResource> = {}): BootstrapResource {
  return {
    address: A,
    kind: 'bootstrap',
    host: 'h1',
    dependencies: [],
    service: 'keystone',
    spec: {
      name: 'b',
      image: 'i',
      environment: {},
      volumes: [],
      ports: [],
    } as unknown as BootstrapResource['spec'],
    spec_hash: 's',
    inputs_hash: inputs,
    migrates: ['keystone'],
    ...extra,
  };
}

const state = (serial: number, ...resources: BootstrapResource[]): State => ({
  version: STATE_VERSION,
  serial,
  lineage: 'l',
  kolla_version: 't',
  project: 'p',
  resources,
  outputs: {},
});

function history(...states: State[]) {
  const m = new Map(states.map((s) => [s.serial, s]));
  return { readHistory: (n: number) => Promise.resolve(m.get(n)) };
}

describe('rollbackTarget', () => {
  it('restores the backups of the first apply after the target that ran the bootstrap again', async () => {
    const s3 = state(3, bootstrap('v1'));
    const s4 = state(4, bootstrap('v1')); // a failed apply: the same resources
    const s5 = state(5, bootstrap('v2', { backups: [backup('B5')] }));
    const s6 = state(6, bootstrap('v3', { backups: [backup('B6')] }));
    const r = await rollbackTarget(history(s3, s4, s5, s6), s6, s3, { keepData: false });
    expect(r.restores).toEqual([{ address: A, schemas: ['keystone'], backups: ['B5'], since: 5 }]);
    const b = r.state.resources[0] as BootstrapResource;
    expect(b.restore?.map((x) => x.id)).toEqual(['B5']);
    expect(b.restore_since).toBe(5);
    // The target itself is not changed.
    expect((s3.resources[0] as BootstrapResource).restore).toBeUndefined();
  });

  it('nothing to restore when the bootstrap did not run again since', async () => {
    const s3 = state(3, bootstrap('v1'));
    const s4 = state(4, bootstrap('v1'));
    const r = await rollbackTarget(history(s3, s4), s4, s3, { keepData: false });
    expect(r.restores).toEqual([]);
  });

  it('a bootstrap without migrates is left alone (it cannot run backward)', async () => {
    const s3 = state(3, bootstrap('v1', { migrates: undefined as unknown as string[] }));
    const s4 = state(4, bootstrap('v2'));
    delete (s4.resources[0] as BootstrapResource).migrates;
    const r = await rollbackTarget(history(s3, s4), s4, s3, { keepData: false });
    expect(r.restores).toEqual([]);
  });

  it('refuses when the migration ran without a backup; --keep-data goes on without restoring', async () => {
    const s3 = state(3, bootstrap('v1'));
    const s4 = state(4, bootstrap('v2'));
    const e = await rollbackTarget(history(s3, s4), s4, s3, { keepData: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KollaError);
    expect((e as KollaError).message).toBe(
      `cannot roll back to serial 3 with its data: ${A} migrated keystone in the apply of serial 4 and no backup was taken before it`,
    );
    const r = await rollbackTarget(history(s3, s4), s4, s3, { keepData: true });
    expect(r.restores).toEqual([]);
    expect(r.state).toBe(s3);
  });
});
