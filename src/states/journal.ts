/**
 * The apply journal: every step of an apply is recorded (and made durable) before it is
 * done, so that after a crash the next run knows exactly what may have been half-done and
 * can undo it. The local journal is JSON lines in `<state>.journal`; it exists only while
 * an apply runs or after one was interrupted.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, isErrno, PRIVATE_FILE, readTextIfExists } from './fs-safe.js';
import type { JournalEntry } from './state.js';
import { KollaError } from '../diags/kolla-error.js';

export interface Journal {
  /** The entries of an unfinished apply (starting with `begin`), or undefined when there is none. */
  open(): Promise<JournalEntry[] | undefined>;
  /** Starts the journal of a new apply. Refuses while an unfinished one is recorded. */
  begin(lineage: string, serial: number): Promise<void>;
  /** Records one step; it is on disk when this resolves. */
  append(e: JournalEntry): Promise<void>;
  /** Removes the journal: the apply finished (or its leftovers were dealt with). */
  close(): Promise<void>;
}

/** The journal is damaged other than by a crash during its last write. */
export class JournalCorruptError extends KollaError {
  override readonly name = 'JournalCorruptError';
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(
      'state',
      `The apply journal ${file} is damaged at line ${line} (${detail}). It records an interrupted ` +
        `apply; inspect it, and remove it once the resources it names are checked.`,
    );
  }
}

export class LocalJournal implements Journal {
  private fh: FileHandle | undefined;
  // Appends run one at a time even when the apply runs steps in parallel: lines must not interleave.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  async open(): Promise<JournalEntry[] | undefined> {
    const text = await readTextIfExists(this.path);
    if (text === undefined) return undefined;
    const entries = parseJournal(text, this.path);
    if (entries.length === 0) return undefined;
    const last = entries[entries.length - 1];
    if (last?.op === 'commit') return undefined;
    return entries;
  }

  async begin(lineage: string, serial: number): Promise<void> {
    return this.serialized(async () => {
      const pending = await this.open();
      if (pending) {
        throw new Error(
          `An interrupted apply is recorded in ${this.path} (${pending.length} entries); ` +
            `recover from it or remove it before starting another apply.`,
        );
      }
      await this.closeHandle();
      // 'w' truncates a journal left complete (ending in commit) but not removed.
      this.fh = await open(this.path, 'w', PRIVATE_FILE);
      await this.fh.chmod(PRIVATE_FILE);
      await this.writeEntry({ op: 'begin', lineage, serial, at: new Date().toISOString() });
      // The file's existence, not only its content, must survive a crash.
      await fsyncDir(path.dirname(this.path));
    });
  }

  async append(e: JournalEntry): Promise<void> {
    return this.serialized(async () => {
      if (!this.fh) {
        // Another Journal object began it (or this is a recovery continuing it): append to it.
        if ((await readTextIfExists(this.path)) === undefined) {
          throw new Error(`The apply journal ${this.path} was not begun: call begin() first.`);
        }
        this.fh = await open(this.path, 'a', PRIVATE_FILE);
      }
      await this.writeEntry(e);
    });
  }

  async close(): Promise<void> {
    return this.serialized(async () => {
      await this.closeHandle();
      try {
        await unlink(this.path);
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
        return;
      }
      await fsyncDir(path.dirname(this.path));
    });
  }

  private async writeEntry(e: JournalEntry): Promise<void> {
    const fh = this.fh;
    if (!fh) throw new Error('journal: no open file');
    // One write per line, then fsync: a crash can only tear the last line.
    await fh.write(JSON.stringify(e) + '\n');
    await fh.sync();
  }

  private async closeHandle(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }
}

/**
 * Parses journal lines. The last line may be torn or garbage (a crash during its write: the
 * file may even end in zero bytes the filesystem allocated but never filled); it is
 * ignored, since its step cannot have started (steps start only after their line is
 * synced). Any earlier bad line means real damage and is an error.
 */
export function parseJournal(text: string, file: string): JournalEntry[] {
  const lines = text.split('\n');
  // Index of the last line with anything but whitespace and NULs in it.
  let lastIdx = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!isBlank(lines[i] ?? '')) {
      lastIdx = i;
      break;
    }
  }
  const entries: JournalEntry[] = [];
  for (let i = 0; i <= lastIdx; i++) {
    const line = lines[i] ?? '';
    if (isBlank(line)) continue;
    const entry = parseEntry(line);
    if (typeof entry === 'string') {
      if (i === lastIdx) break;
      throw new JournalCorruptError(file, i + 1, entry);
    }
    if (entries.length === 0 && entry.op !== 'begin') {
      throw new JournalCorruptError(file, i + 1, `first entry is "${entry.op}", not "begin"`);
    }
    entries.push(entry);
  }
  return entries;
}

function isBlank(line: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\s\u0000]*$/.test(line);
}

/** The entry, or why the line is not one. */
function parseEntry(line: string): JournalEntry | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  if (typeof (v as { op?: unknown }).op !== 'string') return 'no "op"';
  return v as JournalEntry;
}
