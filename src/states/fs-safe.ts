/**
 * Crash-safe file primitives for the state files: atomic replacement (a reader sees the old
 * content or the new, never a mix, even after a power cut) and private modes, because the
 * state can hold sensitive outputs and the history keeps old copies of it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Mode of every file kolla writes beside the state: readable by its owner only. */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

/**
 * Replaces `file` with `data`: writes a temporary file in the same directory (so that the
 * rename cannot cross filesystems), fsyncs it, renames it over `file` and fsyncs the
 * directory so that the rename itself survives a crash. The result has exactly `mode`,
 * whatever mode an earlier `file` had.
 */
export async function writeFileAtomic(file: string, data: string, mode = PRIVATE_FILE): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never follow or reuse something already at the temporary name.
  const fh = await open(tmp, 'wx', mode);
  let renamed = false;
  try {
    try {
      // open()'s mode is filtered by the umask; set it exactly.
      await fh.chmod(mode);
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
  await fsyncDir(dir);
}

/** Makes a directory's entries (created, renamed, removed files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; its rename is durable on its own terms.
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The file's text, or undefined when it does not exist (any other failure is thrown). */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

/** Creates `dir` (and parents) if needed and narrows an existing one to `mode`. */
export async function ensurePrivateDir(dir: string, mode = PRIVATE_DIR): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  await tightenMode(dir, mode);
}

/**
 * Removes group/other permission bits from an existing path: a state file copied in by hand
 * or left by another tool may be world-readable. Best effort: a file we do not own stays as
 * it is (reading it must still work).
 */
export async function tightenMode(p: string, mode: number): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const st = await stat(p);
    if ((st.mode & 0o777 & ~mode) !== 0) await chmod(p, mode);
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'EPERM')) return;
    throw e;
  }
}
