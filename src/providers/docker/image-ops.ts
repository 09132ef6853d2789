/**
 * Images on a host: look one up, pull it when it is missing. Pulls are the only network
 * access a deploy needs; when the registry cannot be reached the error says both that
 * the image is not on the host and why the pull failed, since either fix (load the image,
 * fix the registry) is the user's call.
 */
import type Dockerode from 'dockerode';
import { KollaError } from '../../diags/kolla-error.js';
import { dockerMessage, isNotFound, wrapDockerError } from './errors.js';

/** The local image ID ("sha256:…") of a reference, or undefined when it is not on the host. */
export async function imageId(docker: Dockerode, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw wrapDockerError(`inspect image ${ref}`, err);
  }
}

/** One progress message of a pull, as the engine streams it. */
export interface PullProgress {
  status: string;
  /** Layer ID, for per-layer messages. */
  id?: string;
  /** Human-readable bar, e.g. "[==>   ] 1.2MB/5MB". */
  progress?: string;
  current?: number;
  total?: number;
}

/** Return the image ID, pulling the image first if the host does not have it. */
export async function pullIfMissing(
  docker: Dockerode,
  ref: string,
  onProgress?: (p: PullProgress) => void,
): Promise<string> {
  const have = await imageId(docker, ref);
  if (have !== undefined) return have;
  try {
    await pull(docker, ref, onProgress);
  } catch (err) {
    // A timeout or Ctrl-C: the host's own error says which (and is a host error).
    if (err instanceof KollaError) throw err;
    throw new Error(`image ${ref} not found locally and pull failed: ${dockerMessage(err)}`, { cause: err });
  }
  const id = await imageId(docker, ref);
  if (id === undefined)
    throw new Error(
      `image ${ref} not found locally and pull failed: pull finished but the image is not there`,
    );
  return id;
}

async function pull(docker: Dockerode, ref: string, onProgress?: (p: PullProgress) => void): Promise<void> {
  const stream = await docker.pull(ref);
  await new Promise<void>((resolve, reject) => {
    // followProgress fails the whole pull when any streamed message carries an error
    // (e.g. "manifest unknown" arrives after a 200 response).
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (event: {
        status?: string;
        id?: string;
        progress?: string;
        progressDetail?: { current?: number; total?: number };
      }) => {
        if (onProgress === undefined || event.status === undefined) return;
        const p: PullProgress = { status: event.status };
        if (event.id !== undefined) p.id = event.id;
        if (event.progress !== undefined) p.progress = event.progress;
        if (event.progressDetail?.current !== undefined) p.current = event.progressDetail.current;
        if (event.progressDetail?.total !== undefined) p.total = event.progressDetail.total;
        onProgress(p);
      },
    );
  });
}
