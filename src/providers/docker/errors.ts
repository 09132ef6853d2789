/**
 * Docker engine errors as dockerode reports them: an Error with `statusCode` and the
 * engine's JSON body in `json`. Helpers here read them without `any` leaking out.
 */

interface DockerodeError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

/** The HTTP status of an engine error, or undefined for a non-engine error. */
export function dockerStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as DockerodeError).statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** 404: the container/image/volume does not exist. */
export function isNotFound(err: unknown): boolean {
  return dockerStatus(err) === 404;
}

/** 304: start of a running container, stop of a stopped one. */
export function isNotModified(err: unknown): boolean {
  return dockerStatus(err) === 304;
}

/** 409: name in use, volume in use, removal in progress. */
export function isConflict(err: unknown): boolean {
  return dockerStatus(err) === 409;
}

/**
 * The engine's own message ("No such container: x") rather than dockerode's
 * "(HTTP code 404) no such container - No such container: x".
 */
export function dockerMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as DockerodeError;
    const m = e.json?.message;
    if (typeof m === 'string' && m !== '') return m.trim();
    if (typeof e.message === 'string') return e.message.trim();
  }
  return String(err);
}

/** Wrap an engine error with what we were doing, keeping the original as `cause`. */
export function wrapDockerError(what: string, err: unknown): Error {
  const wrapped = new Error(`${what}: ${dockerMessage(err)}`, { cause: err });
  const status = dockerStatus(err);
  if (status !== undefined) (wrapped as Error & { statusCode?: number }).statusCode = status;
  return wrapped;
}
