/**
 * Getting an image onto a host without a registry, and pulling with credentials.
 *
 * `ensureImageOnHost` streams `docker save` of one engine (the controller's, usually) into
 * `docker load` of another: the tar never touches disk, and when the target is an SSH host
 * the bytes ride that host's one SSH connection (the target's dockerode speaks HTTP over
 * it). `pullWithAuth` is a pull with registry credentials (the `registry` block's), with
 * the engine's streamed errors surfaced.
 */
import type Dockerode from 'dockerode';
import { KollaError } from '../../diags/kolla-error.js';
import { dockerMessage } from './errors.js';
import { imageId, type PullProgress } from './image-ops.js';

export interface TransferOptions {
  /** Told each status line the target engine reports while loading. */
  onProgress?: (text: string) => void;
}

/**
 * Make sure `ref` is on `target`; copy it from `source` when it is not. Returns whether it
 * copied. Fails (naming the image) when neither engine has it, when the load fails, or
 * when the target ends up with a different image ID than the source.
 */
export async function ensureImageOnHost(
  target: Dockerode,
  ref: string,
  source: Dockerode,
  opts: TransferOptions = {},
): Promise<boolean> {
  // The host has it when it has the same image (a rebuilt image keeps its tag and changes its
  // ID: a host with the older one gets the new one); a source without it leaves the host's.
  const have = await imageId(target, ref);
  const want = await imageId(source, ref);
  if (have !== undefined && (want === undefined || have === want)) return false;
  if (want === undefined) {
    throw new Error(`image ${ref} is neither on the host nor on the engine it would be copied from`);
  }
  let tar: NodeJS.ReadableStream;
  try {
    tar = await source.getImage(ref).get();
  } catch (err) {
    throw new Error(`image ${ref}: cannot export it from the source engine: ${dockerMessage(err)}`, {
      cause: err,
    });
  }
  // A load that fails (or times out) must not leave the export running on the source.
  const stopExport = (): void => (tar as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  let res: NodeJS.ReadableStream;
  try {
    res = await target.loadImage(tar, { quiet: true });
  } catch (err) {
    stopExport();
    if (err instanceof KollaError) throw err;
    throw new Error(`image ${ref}: the host refused the image: ${dockerMessage(err)}`, { cause: err });
  }
  try {
    await readLoadResponse(res, ref, opts.onProgress);
  } catch (err) {
    stopExport();
    throw err;
  }
  const got = await imageId(target, ref);
  if (got === undefined) {
    throw new Error(`image ${ref}: the load finished but the host does not have the image`);
  }
  if (got !== want) {
    throw new Error(`image ${ref}: the host loaded ${got}, but the source has ${want}`);
  }
  return true;
}

/** The load's JSON lines: progress to report, or an error that fails the load. */
function readLoadResponse(
  res: NodeJS.ReadableStream,
  ref: string,
  onProgress?: (t: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let failed: string | undefined;
    const line = (l: string): void => {
      if (l.trim() === '') return;
      let m: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } };
      try {
        m = JSON.parse(l) as typeof m;
      } catch {
        return;
      }
      const err = m.errorDetail?.message ?? m.error;
      if (err !== undefined) failed ??= err;
      const text = (m.stream ?? m.status ?? '').trim();
      if (text !== '') onProgress?.(text);
    };
    res.on('data', (d: Buffer | string) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      lines.forEach(line);
    });
    res.on('error', (err: Error) =>
      reject(
        err instanceof KollaError
          ? err
          : new Error(`image ${ref}: load interrupted: ${err.message}`, { cause: err }),
      ),
    );
    res.on('end', () => {
      line(buf);
      if (failed !== undefined) reject(new Error(`image ${ref}: load failed on the host: ${failed}`));
      else resolve();
    });
  });
}

/** Registry credentials as the Docker engine takes them (X-Registry-Auth). */
export interface RegistryAuth {
  username: string;
  password: string;
  /** Registry host[:port], e.g. "registry.example.com:5000". */
  serveraddress: string;
}

/** Pull `ref` with credentials; resolves to the image ID once the engine has it. */
export async function pullWithAuth(
  docker: Dockerode,
  ref: string,
  auth: RegistryAuth,
  onProgress?: (p: PullProgress) => void,
): Promise<string> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(ref, { authconfig: auth });
  } catch (err) {
    if (err instanceof KollaError) throw err;
    throw new Error(`pull ${ref} from ${auth.serveraddress} as ${auth.username}: ${dockerMessage(err)}`, {
      cause: err,
    });
  }
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) =>
        err instanceof KollaError
          ? reject(err)
          : err
            ? reject(
                new Error(
                  `pull ${ref} from ${auth.serveraddress} as ${auth.username}: ${dockerMessage(err)}`,
                  {
                    cause: err,
                  },
                ),
              )
            : resolve(),
      (e: { status?: string; id?: string; progress?: string }) => {
        if (onProgress === undefined || e.status === undefined) return;
        const p: PullProgress = { status: e.status };
        if (e.id !== undefined) p.id = e.id;
        if (e.progress !== undefined) p.progress = e.progress;
        onProgress(p);
      },
    );
  });
  const id = await imageId(docker, ref);
  if (id === undefined) throw new Error(`pull ${ref}: finished but the image is not on the host`);
  return id;
}
