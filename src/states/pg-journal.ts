/**
 * The apply journal of the PostgreSQL backend: one row per entry in the `journal` table,
 * per workspace, in insertion order. An append resolves once its INSERT is committed, which
 * is the database's equivalent of the local journal's fsync: the entry survives a crash of
 * kolla or of the server. While the backend holds the state lock the entries go over the
 * lock's connection (PgBackend.run), so a lost connection stops the apply with a clear error
 * and the entries already committed are what the next run rolls back.
 */
import type { Journal } from './journal.js';
import { JournalCorruptError } from './journal.js';
import type { Queryable } from './pg-store.js';
import { PgBackendError, rows } from './pg-store.js';
import type { JournalEntry } from './state.js';

export interface PgJournalContext {
  /** Runs queries the way the backend does (on the lock's connection while it is held). */
  run<T>(fn: (q: Queryable) => Promise<T>, tx?: boolean): Promise<T>;
  /** The quoted journal table. */
  table: string;
  workspace: string;
  where(): string;
}

export class PgJournal implements Journal {
  /** This object began the journal, or saw that it exists: appends need no check. */
  private known = false;
  // Appends run one at a time even when the apply runs steps in parallel: order is kept.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: PgJournalContext) {}

  async open(): Promise<JournalEntry[] | undefined> {
    const entries = await this.ctx.run((q) => this.load(q));
    if (entries.length === 0) return undefined;
    if (entries[entries.length - 1]?.op === 'commit') return undefined;
    return entries;
  }

  async begin(lineage: string, serial: number): Promise<void> {
    return this.serialized(() =>
      this.ctx.run(async (q) => {
        const entries = await this.load(q, true);
        if (entries.length > 0 && entries[entries.length - 1]?.op !== 'commit') {
          throw new PgBackendError(
            `An interrupted apply is recorded in the journal of ${this.ctx.where()} ` +
              `(${entries.length} entries); recover from it or remove it before starting another apply.`,
          );
        }
        // A journal left complete (ending in commit) but not removed is replaced.
        await q.query(`DELETE FROM ${this.ctx.table} WHERE workspace = $1`, [this.ctx.workspace]);
        await this.insert(q, { op: 'begin', lineage, serial, at: new Date().toISOString() });
        this.known = true;
      }, true),
    );
  }

  async append(e: JournalEntry): Promise<void> {
    return this.serialized(() =>
      this.ctx.run(async (q) => {
        if (!this.known) {
          // Another Journal object began it (or this is a recovery continuing it).
          const [any] = await rows(q, `SELECT 1 FROM ${this.ctx.table} WHERE workspace = $1 LIMIT 1`, [
            this.ctx.workspace,
          ]);
          if (!any) {
            throw new Error(`The apply journal of ${this.ctx.where()} was not begun: call begin() first.`);
          }
          this.known = true;
        }
        await this.insert(q, e);
      }),
    );
  }

  async close(): Promise<void> {
    return this.serialized(async () => {
      await this.ctx.run((q) =>
        q.query(`DELETE FROM ${this.ctx.table} WHERE workspace = $1`, [this.ctx.workspace]),
      );
      this.known = false;
    });
  }

  private async insert(q: Queryable, e: JournalEntry): Promise<void> {
    await q.query(`INSERT INTO ${this.ctx.table} (workspace, entry) VALUES ($1, $2)`, [
      this.ctx.workspace,
      JSON.stringify(e),
    ]);
  }

  private async load(q: Queryable, forUpdate = false): Promise<JournalEntry[]> {
    const rs = await rows<{ entry: string }>(
      q,
      `SELECT entry FROM ${this.ctx.table} WHERE workspace = $1 ORDER BY seq${forUpdate ? ' FOR UPDATE' : ''}`,
      [this.ctx.workspace],
    );
    const where = `${this.ctx.where()} (journal table)`;
    return rs.map((r, i) => {
      let v: unknown;
      try {
        v = JSON.parse(r.entry);
      } catch (err) {
        throw new JournalCorruptError(where, i + 1, `not JSON: ${(err as Error).message}`);
      }
      if (typeof v !== 'object' || v === null || typeof (v as { op?: unknown }).op !== 'string') {
        throw new JournalCorruptError(where, i + 1, 'not a journal entry');
      }
      const entry = v as JournalEntry;
      if (i === 0 && entry.op !== 'begin') {
        throw new JournalCorruptError(where, 1, `first entry is "${entry.op}", not "begin"`);
      }
      return entry;
    });
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
