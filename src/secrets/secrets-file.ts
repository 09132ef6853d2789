/**
 * The secrets file: generated values of `secret` blocks, kept beside the configuration in
 * `kolla.secrets.json` with mode 0600 — never in the state.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { SecretDecl } from '../config/config.js';

export const SECRETS_FILE = 'kolla.secrets.json';

export function secretsPath(dir: string): string {
  return path.join(path.resolve(dir), SECRETS_FILE);
}

export function readSecrets(dir: string): Record<string, string> {
  try {
    const v = JSON.parse(readFileSync(secretsPath(dir), 'utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<
        string,
        string
      >;
    }
  } catch {
    // no secrets yet
  }
  return {};
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generateSecret(d: SecretDecl): string {
  switch (d.kind) {
    case 'hex':
      return randomBytes(Math.ceil(d.length / 2))
        .toString('hex')
        .slice(0, d.length);
    case 'fernet_key':
      return randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    case 'uuid': {
      const b = randomBytes(16);
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case 'ssh_key':
      return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    default: {
      const bytes = randomBytes(d.length);
      let s = '';
      for (const x of bytes) s += ALNUM[x % ALNUM.length];
      return s;
    }
  }
}

/** Generate values for secrets that have none; existing values are never changed. */
export function generateMissing(dir: string, decls: SecretDecl[]): { generated: string[]; kept: string[] } {
  const current = readSecrets(dir);
  const generated: string[] = [];
  const kept: string[] = [];
  for (const d of decls) {
    if (current[d.name] !== undefined) kept.push(d.name);
    else {
      current[d.name] = generateSecret(d);
      generated.push(d.name);
    }
  }
  if (generated.length) writeSecrets(dir, current);
  return { generated, kept };
}

/** Give `name` a new value (`kolla secrets rotate`); returns false when it is not declared. */
export function rotateSecret(dir: string, decls: SecretDecl[], name: string): boolean {
  const d = decls.find((x) => x.name === name);
  if (!d) return false;
  const current = readSecrets(dir);
  current[name] = generateSecret(d);
  writeSecrets(dir, current);
  return true;
}

function writeSecrets(dir: string, values: Record<string, string>): void {
  const file = secretsPath(dir);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(values, Object.keys(values).sort(), 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
