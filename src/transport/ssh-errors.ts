/**
 * Errors of the SSH transport. Each names the host (inventory name and the endpoint
 * dialled) and says which step failed in words a user can act on: unreachable, timed out,
 * authentication refused, host key unknown / changed / revoked, Docker socket missing or
 * refused, a file operation refused. `failure` lets callers (prechecks, tests) branch on
 * the kind without parsing the message.
 */

export type SshFailure =
  | 'unreachable'
  | 'timeout'
  | 'no-credentials'
  | 'auth'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'bastion'
  | 'disconnected'
  | 'docker-socket-missing'
  | 'docker-socket-denied'
  | 'docker-socket-refused'
  | 'file'
  | 'exec'
  | 'protocol';

/** A failure of the SSH transport for one host. */
export class SshError extends Error {
  override readonly name = 'SshError';

  constructor(
    /** Inventory name of the host. */
    readonly host: string,
    readonly failure: SshFailure,
    /** What failed, without the host (the message is `host "<host>" (<endpoint>): <reason>`). */
    readonly reason: string,
    endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(`host "${host}" (${endpoint}): ${reason}`, options);
  }
}

export function isSshError(e: unknown): e is SshError {
  return e instanceof SshError;
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  OP_UNSUPPORTED: 8,
} as const;

export function sftpCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** An SFTP error in words ("no such file", "permission denied", or the server's text). */
export function sftpMessage(err: unknown): string {
  switch (sftpCode(err)) {
    case SFTP_STATUS.NO_SUCH_FILE:
      return 'no such file or directory';
    case SFTP_STATUS.PERMISSION_DENIED:
      return 'permission denied';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
