/**
 * Which credentials an SSH connection offers, in OpenSSH's order: the configured identity
 * file (`~` expanded), then the SSH agent (SSH_AUTH_SOCK). With neither configured, the
 * default keys in ~/.ssh that exist are tried, as `ssh` does.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuthenticationType } from 'ssh2';
import { expandHome } from './known-hosts.js';
import { ssh2Lib } from '../lazy/modules.js';
import { KollaError } from '../diags/kolla-error.js';

export interface AuthPlan {
  /** For ssh2's authHandler. */
  methods: AuthMethodSpec[];
  /** What is tried, for messages ("key /root/.ssh/id_ed25519, agent /tmp/ssh-x/agent.1"). */
  described: string[];
}

export type AuthMethodSpec =
  { type: 'publickey'; username: string; key: Buffer } | { type: 'agent'; username: string; agent: string };

export interface AuthOptions {
  user: string;
  identityFile?: string;
  /** SSH agent socket; undefined means SSH_AUTH_SOCK. Empty string disables the agent. */
  agentSocket?: string;
  env?: NodeJS.ProcessEnv;
}

/** Thrown when no credential can be offered at all, or a configured key cannot be used. */
export class NoCredentialsError extends KollaError {
  override readonly name: string = 'NoCredentialsError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('host', message, options);
  }
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export async function authPlan(o: AuthOptions): Promise<AuthPlan> {
  const methods: AuthMethodSpec[] = [];
  const described: string[] = [];
  const env = o.env ?? process.env;
  if (o.identityFile !== undefined && o.identityFile !== '') {
    const file = expandHome(o.identityFile);
    methods.push({ type: 'publickey', username: o.user, key: await readKey(file, true) });
    described.push(`key ${file}`);
  }
  const agent = o.agentSocket ?? env['SSH_AUTH_SOCK'];
  if (agent !== undefined && agent !== '') {
    methods.push({ type: 'agent', username: o.user, agent });
    described.push(`agent ${agent}`);
  }
  if (methods.length === 0) {
    for (const name of DEFAULT_KEYS) {
      const file = path.join(os.homedir(), '.ssh', name);
      const key = await readKey(file, false).catch(() => undefined);
      if (key === undefined) continue;
      methods.push({ type: 'publickey', username: o.user, key });
      described.push(`key ${file}`);
    }
  }
  if (methods.length === 0) {
    throw new NoCredentialsError(
      'no SSH credentials: set identity_file on the host, or start an SSH agent (SSH_AUTH_SOCK)',
    );
  }
  return { methods, described };
}

async function readKey(file: string, configured: boolean): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await fs.readFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'does not exist' : e.code === 'EACCES' ? 'is not readable' : e.message;
    throw new NoCredentialsError(`identity_file ${file} ${why}`, { cause: err });
  }
  // ssh2 is CommonJS without static named exports, and costs a few ms to load: only the
  // runs that reach an SSH host load it.
  const ssh2 = ssh2Lib();
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    throw new NoCredentialsError(
      encrypted
        ? `identity_file ${file} is encrypted; add it to an SSH agent (ssh-add) and leave identity_file unset`
        : `identity_file ${file} is not a private key kolla can read: ${parsed.message}`,
    );
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (configured && key && !key.isPrivateKey()) {
    throw new NoCredentialsError(`identity_file ${file} is a public key; name the private key`);
  }
  return data;
}

/** ssh2's method list from the plan (its types want the wider AuthMethod union). */
export function ssh2Methods(p: AuthPlan): { type: AuthenticationType; username: string }[] {
  return p.methods;
}
