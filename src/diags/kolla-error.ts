/**
 * The one error hierarchy. Every error kolla raises on purpose is a KollaError with a kind;
 * the kind decides the exit code and whether a stack trace is shown, so the CLI never sorts
 * errors by class name. An error that is not a KollaError is a bug (an internal error).
 *
 * - `configuration`: the user's files or flags are wrong (a bad HCL value, an unknown name);
 * - `host`: a host could not be reached or refused something (SSH, Docker, a full disk there);
 * - `state`: the state, its lock or journal stands in the way (held lock, stale plan, damage);
 * - `internal`: kolla itself failed; shown with "internal error" and, with KOLLA_DEBUG=1, a stack.
 */
export type ErrorKind = 'configuration' | 'host' | 'state' | 'internal';

export interface KollaErrorOptions {
  /** What the user can do about it, printed after the message ("Try: ..."). */
  hint?: string;
  cause?: unknown;
  /** Exit code, when not the kind's default (1). */
  exitCode?: number;
}

export class KollaError extends Error {
  override readonly name: string = 'KollaError';
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: KollaErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }

  /** A user can act on it: printed without a stack trace. */
  get isUserError(): boolean {
    return this.kind !== 'internal';
  }
}

export function isKollaError(e: unknown): e is KollaError {
  return e instanceof KollaError;
}

/** The message of any thrown value, for wrapping it in a KollaError. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
