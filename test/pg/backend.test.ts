/**
 * The Backend contract against a real PostgreSQL: state, history, lineage and serial
 * checks, atomic writes, the journal, in-process locking, force-unlock and a connection
 * dropped under an apply. One schema for this file, dropped at the end.
 */
import type { KollaError } from '../../src/diags/kolla-error.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LockHeldError, StaleLineageError } from '../../src/states/backend.js';
import { JournalCorruptError } from '../../src/states/journal.js';
import { PgBackend, PgConnectionLostError } from '../../src/states/pg-backend.js';
import { STATE_VERSION } from '../../src/states/state.js';
import type { JournalEntry } from '../../src/states/state.js';
import { StateFileError, StateVersionError } from '../../src/states/statefile.js';
import { sampleState } from '../unit/states/helpers.js';
import { dropSchema, pgUp, sql, uniqueSchema } from './helpers.js';

let conn: string;
const schema = uniqueSchema('contract');
const open: PgBackend[] = [];
let wsCounter = 0;

/** A backend on a workspace of its own, so that tests do not see each other's state. */
function backend(o: { workspace?: string; historyLimit?: number } = {}): PgBackend {
  const b = new PgBackend({
    connStr: conn,
    schema,
    workspace: o.workspace ?? `w${++wsCounter}`,
    ...(o.historyLimit ? { historyLimit: o.historyLimit } : {}),
  });
  open.push(b);
  return b;
}

const who = { operation: 'apply', who: 'tester@test' };

beforeAll(() => {
  conn = pgUp();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});
afterAll(async () => {
  await dropSchema(conn, schema);
});

describe('PgBackend state', () => {
  it('creates its schema on first use, reads nothing before the first write, then what was written', async () => {
    const b = backend();
    expect(await b.read()).toBeUndefined();
    const tables = await sql<{ table_name: string }>(
      conn,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
      [schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'history',
      'journal',
      'locks',
      'meta',
      'states',
      'workspaces',
    ]);
    await b.write(sampleState(1), 'apply');
    expect(await b.read()).toEqual(sampleState(1));
    expect(b.describe()).toBe(
      `PostgreSQL kolla@127.0.0.1:5432/kolla, schema "${schema}", workspace "${b.workspace}"`,
    );
    // Another instance (another kolla run) sees it too.
    expect(await backend({ workspace: b.workspace }).read()).toEqual(sampleState(1));
  });

  it('refuses another lineage or a serial that is not newer, unless forced', async () => {
    const b = backend();
    await b.write(sampleState(3, 'L1'), 'apply');
    await expect(b.write(sampleState(3, 'L1'), 'apply')).rejects.toThrow(StaleLineageError);
    await expect(b.write(sampleState(2, 'L1'), 'apply')).rejects.toThrow(/serial 2 over serial 3/);
    await expect(b.write(sampleState(4, 'L2'), 'apply')).rejects.toMatchObject({ reason: 'lineage' });
    // Refused writes leave no trace in the history.
    expect((await b.history()).map((h) => h.serial)).toEqual([3]);
    await b.write(sampleState(1, 'L2'), 'state push -force', { force: true });
    expect((await b.read())?.lineage).toBe('L2');
  });

  it('refuses to write an invalid state, and to overwrite a state of a newer format', async () => {
    const b = backend();
    await expect(b.write({ ...sampleState(1), serial: 1.5 }, 'apply')).rejects.toThrow(StateFileError);
    expect(await b.read()).toBeUndefined();
    const newer = JSON.stringify({ ...sampleState(1), version: STATE_VERSION + 1 });
    await sql(
      conn,
      `INSERT INTO "${schema}".states (workspace, serial, lineage, data) VALUES ($1, 1, $2, $3)`,
      [b.workspace, sampleState(1).lineage, newer],
    );
    await expect(b.read()).rejects.toThrow(StateVersionError);
    await expect(b.write(sampleState(2), 'apply')).rejects.toThrow(/Upgrade kolla/);
  });

  it('keeps a history, oldest first, with what wrote each state, pruned to the limit', async () => {
    const b = backend({ historyLimit: 3 });
    for (let s = 1; s <= 5; s++) await b.write(sampleState(s), `apply ${s}`);
    const h = await b.history();
    expect(h.map((e) => [e.serial, e.message, e.resources])).toEqual([
      [3, 'apply 3', 4],
      [4, 'apply 4', 4],
      [5, 'apply 5', 4],
    ]);
    expect(h[0]!.written_at <= h[2]!.written_at).toBe(true);
    expect(await b.readHistory(4)).toEqual(sampleState(4));
    expect(await b.readHistory(1)).toBeUndefined();
    expect(await b.readHistory(-1)).toBeUndefined();
  });

  it('writes atomically: a failure after the history row leaves neither the row nor the new state', async () => {
    const b = backend();
    await b.write(sampleState(1), 'apply');
    // Make the second statement of the transaction (the update of the current state) fail.
    await sql(
      conn,
      `CREATE OR REPLACE FUNCTION "${schema}".fail_write() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.workspace = '${b.workspace}' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER fail_write BEFORE UPDATE ON "${schema}".states FOR EACH ROW EXECUTE FUNCTION "${schema}".fail_write();`,
    );
    try {
      await expect(b.write(sampleState(2), 'apply')).rejects.toThrow(/injected failure/);
    } finally {
      await sql(conn, `DROP TRIGGER fail_write ON "${schema}".states`);
    }
    expect((await b.read())?.serial).toBe(1);
    expect((await b.history()).map((h) => h.serial)).toEqual([1]);
    await b.write(sampleState(2), 'apply');
    expect((await b.history()).map((h) => h.serial)).toEqual([1, 2]);
  });

  it('keeps workspaces apart', async () => {
    const a = backend();
    const c = backend();
    await a.write(sampleState(1, 'LA'), 'apply');
    expect(await c.read()).toBeUndefined();
    await c.write(sampleState(7, 'LC'), 'apply');
    expect((await a.read())?.lineage).toBe('LA');
    expect((await a.history()).map((h) => h.serial)).toEqual([1]);
  });

  it('imports a history with its times and messages (migration)', async () => {
    const b = backend();
    const records = [1, 2, 3].map((s) => ({
      entry: {
        serial: s,
        lineage: sampleState(s).lineage,
        written_at: `2024-01-0${s}T00:00:00.000Z`,
        message: `old ${s}`,
        resources: 4,
      },
      state: sampleState(s),
    }));
    await b.importHistory(records, sampleState(3));
    expect(await b.history()).toEqual(records.map((r) => ({ ...r.entry, outcome: 'edited' })));
    expect(await b.read()).toEqual(sampleState(3));
  });
});

describe('PgBackend journal', () => {
  const step: JournalEntry = { op: 'create-volume', host: 'h1', name: 'data', address: 'volume.data["h1"]' };

  it('records the entries of an unfinished apply, durable across instances', async () => {
    const b = backend();
    const j = b.journal();
    expect(await j.open()).toBeUndefined();
    await j.begin('L1', 3);
    await j.append(step);
    await j.append({ op: 'restart-container', host: 'h1', name: 'x', address: 'volume.data["h1"]' });
    const other = backend({ workspace: b.workspace });
    const entries = await other.journal().open();
    expect(entries?.map((e) => e.op)).toEqual(['begin', 'create-volume', 'restart-container']);
    expect(entries?.[0]).toMatchObject({ op: 'begin', lineage: 'L1', serial: 3 });
    // Another journal object continues it (a recovery).
    await other.journal().append({ op: 'commit' });
    expect(await j.open()).toBeUndefined();
    await j.close();
    expect(await other.journal().open()).toBeUndefined();
    // Workspaces have their own journal.
    expect(await backend().journal().open()).toBeUndefined();
  });

  it('refuses to begin while an interrupted apply is recorded, and to append before begin', async () => {
    const b = backend();
    await expect(b.journal().append(step)).rejects.toThrow(/not begun/);
    await b.journal().begin('L1', 1);
    await b.journal().append(step);
    await expect(b.journal().begin('L1', 1)).rejects.toThrow(/interrupted apply is recorded.*2 entries/);
    await b.journal().close();
    await b.journal().begin('L1', 1);
    expect(await b.journal().open()).toHaveLength(1);
  });

  it('keeps the order of appends made at the same time', async () => {
    const b = backend();
    const j = b.journal();
    await j.begin('L1', 1);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        j.append({ op: 'restart-container', host: 'h1', name: 'x', address: `a${i}` }),
      ),
    );
    const entries = (await j.open()) ?? [];
    expect(entries.slice(1).map((e) => (e as { address: string }).address)).toEqual(
      Array.from({ length: 20 }, (_, i) => `a${i}`),
    );
  });

  it('reports a damaged journal', async () => {
    const b = backend();
    await b.journal().begin('L1', 1);
    await sql(conn, `INSERT INTO "${schema}".journal (workspace, entry) VALUES ($1, '{"op"')`, [b.workspace]);
    await expect(b.journal().open()).rejects.toThrow(JournalCorruptError);
  });
});

describe('PgBackend lock (in one process)', () => {
  it('lets one holder in; the next fails with the holder details, or waits for it', async () => {
    const a = backend();
    const b = backend({ workspace: a.workspace });
    const h = await a.lock({ operation: 'apply', who: 'alice@host1' }, 0);
    const err = await b.lock(who, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    const held = err as LockHeldError;
    expect(held.holder).toMatchObject({
      id: h.info.id,
      operation: 'apply',
      who: 'alice@host1',
      pid: process.pid,
    });
    expect(held.message).toContain(`kolla force-unlock ${h.info.id}`);
    expect(held.message).toContain(a.describe());
    const rows = await sql(conn, `SELECT id, operation, who FROM "${schema}".locks WHERE workspace = $1`, [
      a.workspace,
    ]);
    expect(rows).toEqual([{ id: h.info.id, operation: 'apply', who: 'alice@host1' }]);
    // Waiting: told once who holds it, gets it when released.
    const waits: string[] = [];
    const p = b.lock(who, 10_000, (holder) => waits.push(holder.id));
    setTimeout(() => void h.release(), 300);
    const h2 = await p;
    expect(waits).toEqual([h.info.id]);
    expect(h2.staleTakenOver).toBeUndefined();
    await h2.release();
    await h2.release();
    expect(await sql(conn, `SELECT 1 FROM "${schema}".locks WHERE workspace = $1`, [a.workspace])).toEqual(
      [],
    );
  });

  it('gives up after the lock timeout', async () => {
    const a = backend();
    const h = await a.lock(who, 0);
    const t0 = Date.now();
    const err = (await backend({ workspace: a.workspace })
      .lock(who, 700)
      .catch((e: unknown) => e)) as LockHeldError;
    expect(err).toBeInstanceOf(LockHeldError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
    expect(err.waitedMs).toBeGreaterThanOrEqual(650);
    expect(err.message).toMatch(/did not release it within 700ms/);
    await h.release();
  });

  it('locks workspaces independently', async () => {
    const h1 = await backend({ workspace: 'lock-a' }).lock(who, 0);
    const h2 = await backend({ workspace: 'lock-b' }).lock(who, 0);
    await h1.release();
    await h2.release();
  });

  it('force-unlock: refuses a wrong ID; with the right one ends the holder session, whose next write fails', async () => {
    const a = backend();
    const h = await a.lock(who, 0);
    await a.write(sampleState(1), 'apply');
    const other = backend({ workspace: a.workspace });
    await expect(other.forceUnlock('not-the-id')).rejects.toThrow(
      `locked with ID ${h.info.id}, not not-the-id`,
    );
    await other.forceUnlock(h.info.id);
    // The lock is free at once,
    const h2 = await other.lock(who, 0);
    // and the old holder cannot write any more under a lock it lost.
    await expect(a.write(sampleState(2), 'apply')).rejects.toThrow(PgConnectionLostError);
    await expect(a.journal().open()).rejects.toThrow(/Lost the connection/);
    await h.release(); // harmless
    expect((await other.read())?.serial).toBe(1);
    await h2.release();
    await expect(other.forceUnlock(h.info.id)).rejects.toThrow(/not locked: nothing to unlock/);
  });
});

describe('a connection dropped during an apply', () => {
  it('is reported clearly, and the journal lets the next run roll back', async () => {
    const a = backend();
    await a.write(sampleState(1), 'apply');
    const h = await a.lock(who, 0);
    const j = a.journal();
    await j.begin('L', 1);
    await j.append({ op: 'create-volume', host: 'h1', name: 'data', address: 'volume.data["h1"]' });
    await j.append({
      op: 'create-container',
      host: 'h1',
      name: 'web',
      address: 'service.web.container.web["h1"]',
    });
    // Another client kills the holder's connection (a network cut, a server-side timeout).
    const [row] = await sql<{ backend_pid: number }>(
      conn,
      `SELECT backend_pid FROM "${schema}".locks WHERE workspace = $1`,
      [a.workspace],
    );
    await sql(conn, 'SELECT pg_terminate_backend($1)', [row!.backend_pid]);
    const err = (await j
      .append({ op: 'restart-container', host: 'h1', name: 'x', address: 'x' })
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(PgConnectionLostError);
    expect((err as KollaError).kind).toBe('state');
    expect(err.message).toMatch(
      /Lost the connection to the PostgreSQL state backend .* that held the state lock/,
    );
    expect(err.message).toMatch(/next `kolla apply` rolls them back/);
    expect(err.message).not.toContain('kolla:kolla@');
    // The state write at the end of the apply fails the same way; the state is unchanged.
    await expect(a.write(sampleState(2), 'apply')).rejects.toThrow(PgConnectionLostError);
    // The next run (even before this one released: it may have died): the lock is free, the
    // holder row left behind is reported, and the interrupted apply's journal is there.
    const next = backend({ workspace: a.workspace });
    const h2 = await next.lock(who, 2000);
    expect(h2.staleTakenOver?.id).toBe(h.info.id);
    await h.release(); // leaves the new holder's row alone
    expect(await sql(conn, `SELECT id FROM "${schema}".locks WHERE workspace = $1`, [a.workspace])).toEqual([
      { id: h2.info.id },
    ]);
    const entries = await next.journal().open();
    expect(entries?.map((e) => e.op)).toEqual(['begin', 'create-volume', 'create-container']);
    expect((await next.read())?.serial).toBe(1);
    await next.journal().close();
    await h2.release();
  });

  it('says which database could not be reached, without its password', async () => {
    const b = new PgBackend({ connStr: 'postgres://kolla:s3cret@127.0.0.1:1/kolla', schema });
    open.push(b);
    const err = (await b.read().catch((e: unknown) => e)) as Error;
    expect((err as KollaError).kind).toBe('state');
    expect(err.message).toMatch(/PostgreSQL state backend \(postgres:\/\/kolla:\*\*\*@127\.0\.0\.1:1\/kolla/);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain('s3cret');
  });
});
