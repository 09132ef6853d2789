/**
 * The local backend: the state in one JSON file (default `kolla.state.json`), with beside it
 *   <state>.history/<serial>.json  the last N states written, each with its HistoryEntry
 *   <state>.lock                   the lock (lock-file.ts)
 *   <state>.journal                the journal of an apply in progress (journal.ts)
 * Every file is mode 0600 and every replacement atomic: the state may hold sensitive
 * outputs, and a crash must leave either the old state or the new one.
 */
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Backend, ForceUnlockCheck, LockHandle, LockRequest, WriteOptions } from './backend.js';
import {
  assertStateProject,
  historyToPrune,
  outcomeOfMessage,
  StateReadError,
  StateWriteError,
  withOutcome,
} from './backend.js';
import {
  ensurePrivateDir,
  isErrno,
  PRIVATE_DIR,
  PRIVATE_FILE,
  readTextIfExists,
  tightenMode,
  writeFileAtomic,
} from './fs-safe.js';
import type { Journal } from './journal.js';
import { LocalJournal } from './journal.js';
import { LockFile } from './lock-file.js';
import type { HistoryEntry, LockInfo, State } from './state.js';
import { assertSuccessor, parseState, StateFileError, validateState } from './statefile.js';

export const DEFAULT_STATE_FILE = 'kolla.state.json';
export const DEFAULT_HISTORY_LIMIT = 20;

export interface LocalBackendOptions {
  /** How many states the history keeps (at least 1: the current state is always in it). */
  historyLimit?: number;
  /** The configuration's project: read() refuses a non-empty state of another project. */
  project?: string;
}

/** A history file: the state as written and what wrote it. */
export interface HistoryRecord {
  entry: HistoryEntry;
  state: State;
}

/**
 * `00000042.json`, or `00000042-<lineage>.json` for a state of another lineage moved aside
 * when the serial was reused (see writeHistory).
 */
const HISTORY_FILE = /^(\d+)(?:-([^/]+))?\.json$/;
const SERIAL_DIGITS = 8;

export class LocalBackend implements Backend {
  readonly path: string;
  readonly historyDir: string;
  readonly lockPath: string;
  readonly journalPath: string;
  readonly historyLimit: number;
  private readonly lockFile: LockFile;
  private readonly project: string | undefined;

  constructor(statePath: string = DEFAULT_STATE_FILE, opts: LocalBackendOptions = {}) {
    // Absolute, so that messages are unambiguous and a later chdir changes nothing.
    this.path = path.resolve(statePath);
    this.historyDir = `${this.path}.history`;
    this.lockPath = `${this.path}.lock`;
    this.journalPath = `${this.path}.journal`;
    const limit = opts.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`historyLimit must be a whole number of at least 1, not ${limit}`);
    }
    this.historyLimit = limit;
    this.project = opts.project;
    this.lockFile = new LockFile(this.lockPath, this.describe());
  }

  describe(): string {
    return `local file ${this.path}`;
  }

  async read(): Promise<State | undefined> {
    let text: string | undefined;
    try {
      text = await readTextIfExists(this.path);
    } catch (e) {
      throw new StateReadError(this.path, e, `the state file`);
    }
    if (text === undefined) return undefined;
    await tightenMode(this.path, PRIVATE_FILE);
    const state = parseState(text, this.path);
    assertStateProject(state, this.project, this.describe());
    return state;
  }

  async write(state: State, message: string, opts: WriteOptions = {}): Promise<void> {
    // Never write what could not be read back: check the JSON as it will be on disk (an
    // undefined field disappears there, a NaN becomes null).
    const text = serialize(state);
    validateState(JSON.parse(text), 'the state to write');
    if (!opts.force) {
      const current = await this.read();
      if (current) assertSuccessor(current, state, this.describe());
    }
    try {
      await this.ensureStateDir();
      await writeFileAtomic(this.path, text);
    } catch (e) {
      throw new StateWriteError(this.path, e, 'the state file');
    }
    const entry: HistoryEntry = {
      serial: state.serial,
      lineage: state.lineage,
      written_at: new Date().toISOString(),
      message,
      resources: state.resources.length,
      outcome: opts.outcome ?? outcomeOfMessage(message),
    };
    // After the state itself: a crash in between loses a history entry, never the state.
    try {
      await this.writeHistory({ entry, state });
    } catch (e) {
      if (e instanceof StateFileError) throw e;
      throw new StateWriteError(
        this.historyDir,
        e,
        `the state history (the state itself, serial ${state.serial}, was written)`,
      );
    }
  }

  async history(): Promise<HistoryEntry[]> {
    const files = await this.historyFiles();
    const entries: HistoryEntry[] = [];
    // States moved aside (another lineage) stay on disk for a manual recovery but are not
    // listed: readHistory(serial) could not return them.
    for (const f of files.filter((x) => !x.aside)) {
      // Listing needs the entries only: a state this kolla cannot read is reported by readHistory.
      const rec = await this.readHistoryFile(path.join(this.historyDir, f.name), false);
      if (rec) entries.push(withOutcome(rec.entry));
    }
    return entries.sort((a, b) =>
      a.written_at < b.written_at ? -1 : a.written_at > b.written_at ? 1 : a.serial - b.serial,
    );
  }

  async readHistory(serial: number): Promise<State | undefined> {
    if (!Number.isInteger(serial) || serial < 0) return undefined;
    const rec = await this.readHistoryFile(this.historyPath(serial));
    return rec?.state;
  }

  async lock(info: LockRequest, timeoutMs: number, onWait?: (holder: LockInfo) => void): Promise<LockHandle> {
    try {
      await this.ensureStateDir();
    } catch (e) {
      throw new StateWriteError(path.dirname(this.path), e, 'the state folder');
    }
    return this.lockFile.acquire(info, timeoutMs, onWait);
  }

  async forceUnlock(id: string, check?: ForceUnlockCheck): Promise<void> {
    return this.lockFile.forceUnlock(id, check);
  }

  journal(): Journal {
    return new LocalJournal(this.journalPath);
  }

  /** Creates the state's directory if missing; an existing one (the project) is left as it is. */
  private async ensureStateDir(): Promise<void> {
    await mkdir(path.dirname(this.path), { recursive: true, mode: PRIVATE_DIR });
  }

  private historyPath(serial: number): string {
    return path.join(this.historyDir, `${String(serial).padStart(SERIAL_DIGITS, '0')}.json`);
  }

  private async writeHistory(rec: HistoryRecord): Promise<void> {
    await ensurePrivateDir(this.historyDir, PRIVATE_DIR);
    const file = this.historyPath(rec.entry.serial);
    // The serial is taken by a state of another lineage (the state file was replaced by an
    // unrelated one): keep that state under another name; it may be the last copy of it.
    const existing = await this.readHistoryFile(file, false).catch(() => undefined);
    if (existing && existing.entry.lineage !== rec.entry.lineage) {
      await rename(file, file.replace(/\.json$/, `-${existing.entry.lineage}.json`));
    }
    await writeFileAtomic(file, serialize(rec));
    await this.pruneHistory();
  }

  /**
   * Keeps the `historyLimit` most recently written good states and FAILED_HISTORY_LIMIT
   * failed or recovered ones (see historyToPrune).
   */
  private async pruneHistory(): Promise<void> {
    const files = await this.historyFiles();
    if (files.length <= this.historyLimit) return;
    const dated = await Promise.all(
      files.map(async (f) => {
        const file = path.join(this.historyDir, f.name);
        const rec = await this.readHistoryFile(file, false).catch(() => undefined);
        // An unreadable file counts as a good state: never dropped before its time.
        const outcome = rec ? withOutcome(rec.entry).outcome : ('applied' as const);
        return { ...f, outcome, mtime: (await stat(file)).mtimeMs };
      }),
    );
    // Newest first; by mtime rather than serial, because serials restart with a new lineage.
    dated.sort((a, b) => b.mtime - a.mtime || b.serial - a.serial);
    for (const f of historyToPrune(dated, this.historyLimit)) {
      await unlink(path.join(this.historyDir, f.name)).catch((e: unknown) => {
        if (!isErrno(e, 'ENOENT')) throw e;
      });
    }
  }

  private async historyFiles(): Promise<{ name: string; serial: number; aside: boolean }[]> {
    let names: string[];
    try {
      names = await readdir(this.historyDir);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
    const out: { name: string; serial: number; aside: boolean }[] = [];
    for (const name of names) {
      // Temporary files of an interrupted write start with a dot and do not match.
      const m = HISTORY_FILE.exec(name);
      if (m) out.push({ name, serial: Number(m[1]), aside: m[2] !== undefined });
    }
    return out;
  }

  private async readHistoryFile(file: string, validate = true): Promise<HistoryRecord | undefined> {
    const text = await readTextIfExists(file);
    if (text === undefined) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new StateFileError(`History file ${file} is not valid JSON (${(e as Error).message}).`, file);
    }
    const rec = json as Partial<HistoryRecord> | null;
    if (!rec || typeof rec !== 'object' || !isHistoryEntry(rec.entry) || rec.state === undefined) {
      throw new StateFileError(`History file ${file} is not a kolla history record (entry and state).`, file);
    }
    return { entry: rec.entry, state: validate ? validateState(rec.state, file) : (rec.state as State) };
  }
}

function isHistoryEntry(e: unknown): e is HistoryEntry {
  if (typeof e !== 'object' || e === null) return false;
  const o = e as Record<string, unknown>;
  return (
    typeof o['serial'] === 'number' &&
    typeof o['lineage'] === 'string' &&
    typeof o['written_at'] === 'string' &&
    typeof o['message'] === 'string' &&
    typeof o['resources'] === 'number'
  );
}

function serialize(v: unknown): string {
  return JSON.stringify(v, null, 2) + '\n';
}
