/**
 * File operations over one SFTP session: read, hash, crash-safe replace (temp file in the
 * same directory, exact mode and owner, fsync@openssh.com, posix-rename@openssh.com),
 * mkdir -p with exact modes, remove, stat and statvfs. Functions return plain values and
 * throw the SFTP error (with its numeric `code`); the transport adds the host to messages.
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { SFTP_STATUS, sftpCode } from './ssh-errors.js';

type Cb<T> = (err: Error | undefined | null, value: T) => void;

function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value)));
    } catch (err) {
      // ssh2 throws synchronously for an extension the server lacks.
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

const isMissing = (err: unknown): boolean => sftpCode(err) === SFTP_STATUS.NO_SUCH_FILE;

export async function readFile(sftp: SFTPWrapper, file: string): Promise<Buffer | undefined> {
  try {
    return await call<Buffer>((cb) => sftp.readFile(file, cb));
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

export async function stat(sftp: SFTPWrapper, file: string): Promise<Stats | undefined> {
  try {
    return await call<Stats>((cb) => sftp.stat(file, cb));
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** sha256 hex of a file, streamed in chunks so big files never sit in memory whole. */
export async function hashFile(sftp: SFTPWrapper, file: string): Promise<string | undefined> {
  let handle: Buffer;
  try {
    handle = await call<Buffer>((cb) => sftp.open(file, 'r', cb));
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  const hash = createHash('sha256');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    let pos = 0;
    for (;;) {
      const n = await new Promise<number>((resolve, reject) =>
        sftp.read(handle, buf, 0, buf.length, pos, (err, bytesRead) => {
          if (err) {
            if (sftpCode(err) === SFTP_STATUS.EOF) resolve(0);
            else reject(err);
          } else resolve(bytesRead);
        }),
      );
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    await call<void>((cb) => sftp.close(handle, cb)).catch(() => {});
  }
  return hash.digest('hex');
}

export interface WriteOptions {
  mode: number;
  owner?: { uid: number; gid: number };
}

export async function writeFileAtomic(
  sftp: SFTPWrapper,
  file: string,
  data: Buffer | string,
  o: WriteOptions,
): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const dir = path.posix.dirname(file);
  // Same directory as the target, so that the rename is atomic (same filesystem).
  const tmp = path.posix.join(
    dir,
    `.${path.posix.basename(file)}.kolla-tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const handle = await call<Buffer>((cb) => sftp.open(tmp, 'wx', { mode: o.mode }, cb));
  let closed = false;
  try {
    let off = 0;
    while (off < buf.length) {
      const len = Math.min(buf.length - off, 256 * 1024);
      await call<void>((cb) => sftp.write(handle, buf, off, len, off, cb));
      off += len;
    }
    // The server's umask filters open()'s mode; fchmod makes it exact.
    await call<void>((cb) => sftp.fchmod(handle, o.mode, cb));
    if (o.owner) {
      const { uid, gid } = o.owner;
      await call<void>((cb) => sftp.fchown(handle, uid, gid, cb));
    }
    // Durable before it becomes visible under the real name; servers without the
    // extension (not OpenSSH) get the close-time flush only.
    await call<unknown>((cb) => sftp.ext_openssh_fsync(handle, cb)).catch(() => {});
    closed = true;
    await call<void>((cb) => sftp.close(handle, cb));
    await renameOver(sftp, tmp, file);
  } catch (err) {
    if (!closed) await call<void>((cb) => sftp.close(handle, cb)).catch(() => {});
    await call<void>((cb) => sftp.unlink(tmp, cb)).catch(() => {});
    throw err;
  }
}

/**
 * Create `file` only when it does not exist: true when created, false when it was there.
 * OpenSSH answers an O_EXCL open of an existing file with a plain FAILURE, so a failure is
 * told apart by looking whether the file is there.
 */
export async function createExclusive(
  sftp: SFTPWrapper,
  file: string,
  data: string,
  mode: number,
): Promise<boolean> {
  let handle: Buffer;
  try {
    handle = await call<Buffer>((cb) => sftp.open(file, 'wx', { mode }, cb));
  } catch (err) {
    if (await stat(sftp, file)) return false;
    throw err;
  }
  try {
    const buf = Buffer.from(data, 'utf8');
    if (buf.length) await call<void>((cb) => sftp.write(handle, buf, 0, buf.length, 0, cb));
    await call<void>((cb) => sftp.fchmod(handle, mode, cb));
    await call<unknown>((cb) => sftp.ext_openssh_fsync(handle, cb)).catch(() => {});
  } finally {
    await call<void>((cb) => sftp.close(handle, cb)).catch(() => {});
  }
  return true;
}

/** rename(2) semantics (replace the target atomically); plain SFTP rename refuses to. */
async function renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await call<void>((cb) => sftp.ext_openssh_rename(from, to, cb));
    return;
  } catch (err) {
    if (err instanceof Error && !/does not support/.test(err.message)) throw err;
  }
  // A server without posix-rename: not atomic, but the only way there is.
  await call<void>((cb) => sftp.unlink(to, cb)).catch(() => {});
  await call<void>((cb) => sftp.rename(from, to, cb));
}

export async function removeFile(sftp: SFTPWrapper, file: string): Promise<void> {
  try {
    await call<void>((cb) => sftp.unlink(file, cb));
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

/** mkdir -p: the directories created get exactly `mode`; existing ones are left alone. */
export async function mkdirp(sftp: SFTPWrapper, dir: string, mode: number): Promise<void> {
  const target = path.posix.resolve('/', dir);
  const missing: string[] = [];
  let cur = target;
  for (;;) {
    const st = await stat(sftp, cur);
    if (st) {
      if (!st.isDirectory()) {
        const e = new Error(`${cur} exists and is not a directory`) as Error & { code: number };
        e.code = SFTP_STATUS.FAILURE;
        throw e;
      }
      break;
    }
    missing.unshift(cur);
    const parent = path.posix.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing) {
    try {
      await call<void>((cb) => sftp.mkdir(d, { mode }, cb));
    } catch (err) {
      // Another writer (a parallel apply step) may have made it meanwhile.
      const st = await stat(sftp, d).catch(() => undefined);
      if (st?.isDirectory()) continue;
      throw err;
    }
    await call<void>((cb) => sftp.chmod(d, mode, cb));
  }
}

/** statvfs(2) of the filesystem holding `p` (statvfs@openssh.com). */
export interface FsSpace {
  /** Bytes available to unprivileged users. */
  available: number;
  total: number;
}

export async function statvfs(sftp: SFTPWrapper, p: string): Promise<FsSpace> {
  const v = await call<{ f_bsize: number; f_frsize: number; f_blocks: number; f_bavail: number }>((cb) =>
    sftp.ext_openssh_statvfs(p, cb),
  );
  const unit = Number(v.f_frsize || v.f_bsize);
  return { available: Number(v.f_bavail) * unit, total: Number(v.f_blocks) * unit };
}
