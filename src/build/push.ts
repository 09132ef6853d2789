/**
 * Pushing built images to their registry with the credentials of its `registry` block.
 * The credentials are checked once per registry first (`POST /auth`), so that wrong ones give
 * one clear error naming the registry and the user — never the password, which is also
 * scrubbed from anything the engine says.
 */
import type Dockerode from 'dockerode';
import { dockerMessage } from '../providers/docker/errors.js';
import type { RegistrySpec } from './image-spec.js';
import { splitRef } from './image-spec.js';
import { KollaError, type KollaErrorOptions } from '../diags/kolla-error.js';

export class PushError extends KollaError {
  override readonly name: string = 'PushError';
  constructor(message: string, options: KollaErrorOptions = {}) {
    super('host', message, options);
  }
}

export interface AuthConfig {
  username: string;
  password: string;
  serveraddress: string;
}

/** The engine's auth config for a registry, or undefined when it has no credentials. */
export function authConfig(reg: RegistrySpec): AuthConfig | undefined {
  if (reg.username === undefined || reg.username === '') return undefined;
  return { username: reg.username, password: reg.password ?? '', serveraddress: reg.address };
}

function describe(reg: RegistrySpec): string {
  return reg.name !== undefined ? `registry.${reg.name} (${reg.address})` : `registry ${reg.address}`;
}

function scrub(msg: string, reg: RegistrySpec): string {
  const p = reg.password;
  return p ? msg.split(p).join('***') : msg;
}

/** Check that the registry accepts the credentials; throws PushError when it does not. */
export async function checkLogin(docker: Dockerode, reg: RegistrySpec): Promise<void> {
  const auth = authConfig(reg);
  if (!auth) return;
  try {
    await docker.checkAuth(auth);
  } catch (err) {
    const msg = scrub(dockerMessage(err), reg);
    const refused = /401|unauthori[sz]ed|incorrect username or password|authentication required/i.test(msg);
    throw new PushError(
      refused
        ? `${describe(reg)} refused the credentials of user "${auth.username}": ${msg}. Check the registry's username and password (the password is usually a secret in kolla.secrets.json).`
        : `cannot log in to ${describe(reg)} as "${auth.username}": ${msg}`,
    );
  }
}

/** Push `ref` (which must be on the engine) to `reg`. */
export async function pushImage(
  docker: Dockerode,
  ref: string,
  reg: RegistrySpec,
  onStatus?: (text: string) => void,
): Promise<void> {
  const { repository, tag } = splitRef(ref);
  const auth = authConfig(reg);
  let error: string | undefined;
  try {
    const stream = (await docker.getImage(repository).push({
      tag,
      authconfig: auth ?? {},
    })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      const onLine = (raw: string): void => {
        if (raw.trim() === '') return;
        try {
          const e = JSON.parse(raw) as {
            status?: string;
            error?: string;
            errorDetail?: { message?: string };
          };
          if (e.error !== undefined || e.errorDetail?.message !== undefined) {
            error = e.errorDetail?.message ?? e.error;
          } else if (e.status && onStatus && /^(latest|[\w.-]+): digest:/.test(e.status)) {
            onStatus(e.status);
          }
        } catch {
          /* not JSON: ignore */
        }
      };
      stream.on('data', (chunk: Buffer | string) => {
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
      stream.on('error', reject);
      stream.on('end', () => {
        onLine(buf);
        resolve();
      });
    });
  } catch (err) {
    error = dockerMessage(err);
  }
  if (error !== undefined) {
    const msg = scrub(error, reg);
    const refused = /401|unauthori[sz]ed|authentication required|denied/i.test(msg);
    throw new PushError(
      refused
        ? `push ${ref}: ${describe(reg)} refused ${auth ? `the credentials of user "${auth.username}"` : 'the push without credentials'}: ${msg}`
        : `push ${ref} to ${describe(reg)}: ${msg}`,
    );
  }
}
