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
/**
 * A value for every declared secret that has none. A secret declared in a module whose name
 * (after the module path) is an entry of the file that no secret declares any more takes
 * that entry's value: the configuration moved the secret into a module (the state's moved
 * blocks), and its value moves with it — MariaDB's data still has that password.
 */
export function generateMissing(
  dir: string,
  decls: SecretDecl[],
  /** moved blocks: a module moved (`module.a` → `module.b`) takes its secrets along. */
  moves: readonly { from: string; to: string }[] = [],
): { generated: string[]; kept: string[]; moved: { from: string; to: string }[] } {
  const current = readSecrets(dir);
  const declared = new Set(decls.map((d) => d.name));
  const generated: string[] = [];
  const kept: string[] = [];
  const moved: { from: string; to: string }[] = [];
  for (const d of decls) {
    if (current[d.name] !== undefined) {
      kept.push(d.name);
      continue;
    }
    const movedFrom = moves
      .filter((m) => m.from.startsWith('module.') && d.name.startsWith(`${m.to}.`))
      .map((m) => m.from + d.name.slice(m.to.length))
      .find((old) => current[old] !== undefined && !declared.has(old));
    const short = d.name.slice(d.name.lastIndexOf('.') + 1);
    const from =
      movedFrom ??
      (short !== d.name && current[short] !== undefined && !declared.has(short) ? short : undefined);
    if (from !== undefined) {
      current[d.name] = current[from]!;
      moved.push({ from, to: d.name });
      continue;
    }
    current[d.name] = generateSecret(d);
    generated.push(d.name);
  }
  if (generated.length || moved.length) writeSecrets(dir, current);
  return { generated, kept, moved };
}

export interface ImportResult {
  /** Declared secrets given a value from the file (key in kolla.secrets.json ← name in the file). */
  imported: { key: string; from: string; changed: boolean }[];
  /** Declared secrets the file has no value for (kolla secrets generate fills them). */
  missing: string[];
  /** Names in the file no declared secret takes (other services, nested keys). */
  unused: string[];
}

/**
 * kolla-ansible's passwords.yml into kolla.secrets.json: each declared secret takes the value
 * of the file's entry of the same name — the name after its module path, so
 * `module.openstack.database_password` takes `database_password`. Values in the file win;
 * secrets it does not name keep theirs. Written atomically, mode 0600.
 */
export function importPasswords(
  dir: string,
  decls: SecretDecl[],
  passwords: Record<string, unknown>,
): ImportResult {
  const current = readSecrets(dir);
  const out: ImportResult = { imported: [], missing: [], unused: [] };
  const taken = new Set<string>();
  for (const d of decls) {
    const short = d.name.slice(d.name.lastIndexOf('.') + 1);
    const v = passwords[short];
    if (typeof v === 'string' && v !== '') {
      out.imported.push({
        key: d.name,
        from: short,
        changed: current[d.name] !== undefined && current[d.name] !== v,
      });
      current[d.name] = v;
      taken.add(short);
    } else if (typeof v === 'number') {
      out.imported.push({
        key: d.name,
        from: short,
        changed: current[d.name] !== String(v) && current[d.name] !== undefined,
      });
      current[d.name] = String(v);
      taken.add(short);
    } else out.missing.push(d.name);
  }
  out.unused = Object.keys(passwords)
    .filter((k) => !taken.has(k))
    .sort();
  if (out.imported.length) writeSecrets(dir, current);
  return out;
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
