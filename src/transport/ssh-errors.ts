import { KollaError } from '../diags/kolla-error.js';
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
export class SshError extends KollaError {
  override readonly name: string = 'SshError';

  constructor(
    /** Inventory name of the host. */
    readonly host: string,
    readonly failure: SshFailure,
    /** What failed, without the host (the message is `host "<host>" (<endpoint>): <reason>`). */
    readonly reason: string,
    endpoint: string,
    options?: { cause?: unknown },
  ) {
    super('host', `host "${host}" (${endpoint}): ${reason}`, {
      cause: options?.cause,
      hint: sshHint(host, failure),
    });
  }
}

/** What to check for each failure, printed after the message. */
function sshHint(host: string, failure: SshFailure): string {
  switch (failure) {
    case 'unreachable':
    case 'timeout':
      return `check that host "${host}" is up, that its address and port in the inventory are right, and that sshd answers there`;
    case 'no-credentials':
    case 'auth':
      return `check the user and the key for host "${host}" (identity_file, or a key loaded in ssh-agent) and that the key is in its authorized_keys`;
    case 'host-key-unknown':
    case 'host-key-changed':
    case 'host-key-revoked':
      return `check the host key of "${host}" against known_hosts; if the host was reinstalled, update its known_hosts entry`;
    case 'bastion':
      return `check the bastion (jump host) settings used for host "${host}" and that the bastion is reachable`;
    case 'disconnected':
      return `check that host "${host}" stays reachable (network, sshd restarts) and retry`;
    case 'docker-socket-missing':
    case 'docker-socket-denied':
    case 'docker-socket-refused':
      return `check that Docker runs on host "${host}" and that the SSH user may use its socket (the docker group)`;
    case 'file':
      return `check the permissions and free space of the folders kolla writes on host "${host}"`;
    default:
      return `check host "${host}" (sshd, Docker) and retry; KOLLA_DEBUG=1 shows the details`;
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
