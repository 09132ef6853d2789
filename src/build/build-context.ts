/**
 * The build context sent to the engine: a tar of the image's context folder with the
 * rendered Dockerfile added as `Dockerfile` (one already in the folder is replaced), and its
 * content hash. The tar is deterministic — names sorted, owner root, modification times
 * zero (as kolla-build's set_time does, so that the engine's COPY cache holds) — and the hash
 * is the SHA-256 of exactly those bytes, so any change to a file's content, name, mode or
 * link target, or to the Dockerfile, changes it.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type tarFs from 'tar-fs';
import { tarFsLib } from '../lazy/modules.js';
import type { Pack } from 'tar-fs';
import { KollaError, type KollaErrorOptions } from '../diags/kolla-error.js';

export interface ContextSource {
  /** Absolute path of the context folder. */
  dir: string;
  /** The rendered Dockerfile. */
  dockerfile: string;
}

const EPOCH = new Date(0);

/** tar-fs options its type definitions do not list. */
interface PackOptionsExtra extends tarFs.PackOptions {
  sort?: boolean;
  umask?: number;
}

/** A readable tar stream of the context. */
export function packContext(src: ContextSource): Readable {
  checkDir(src.dir);
  const root = path.resolve(src.dir);
  const rootDockerfile = path.join(root, 'Dockerfile');
  const opts: PackOptionsExtra = {
    sort: true,
    umask: 0,
    ignore: (name: string) => name === rootDockerfile,
    map: (h) => {
      h.uid = 0;
      h.gid = 0;
      h.mtime = EPOCH;
      return h;
    },
    finalize: false,
    finish: (pack: Pack) => {
      pack.entry({ name: 'Dockerfile', mode: 0o644, mtime: EPOCH, uid: 0, gid: 0 }, src.dockerfile);
      pack.finalize();
    },
  };
  return tarFsLib().pack(root, opts) as unknown as Readable;
}

/** SHA-256 (hex) of the context tar. */
export async function contextHash(src: ContextSource): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of packContext(src)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export class ContextError extends KollaError {
  override readonly name: string = 'ContextError';
  constructor(message: string, options: KollaErrorOptions = {}) {
    super('configuration', message, options);
  }
}

function checkDir(dir: string): void {
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new ContextError(`build context ${dir} is not a folder`);
}
