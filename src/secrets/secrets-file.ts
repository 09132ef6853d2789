/**
 * The secrets file: generated values of `secret` blocks, kept beside the configuration in
 * `kolla.secrets.json` with mode 0600 — never in the state.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { SecretDecl } from '../config/config.js';
import { DEFAULT_KEY_COUNT, isKeySet, keySetEntry } from '../config/secret-decl.js';

export const SECRETS_FILE = 'kolla.secrets.json';

export function secretsPath(dir: string): string {
  return path.join(path.resolve(dir), SECRETS_FILE);
}

/** A value in kolla.secrets.json: a string, or a key set's list of keys. */
export type SecretFileValue = string | string[];

/** kolla.secrets.json as it is: strings, and key sets as lists of strings. */
export function readSecretsFile(dir: string): Record<string, SecretFileValue> {
  try {
    const v = JSON.parse(readFileSync(secretsPath(dir), 'utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v).filter(
          ([, x]) =>
            typeof x === 'string' ||
            (Array.isArray(x) && x.length > 0 && x.every((k) => typeof k === 'string')),
        ),
      ) as Record<string, SecretFileValue>;
    }
  } catch {
    // no secrets yet
  }
  return {};
}

/**
 * The secrets as every reader uses them (the configuration's `secret.NAME`, the masker): one
 * string per entry, a key set's keys as entries `NAME[0]`, `NAME[1]`... so that each key is
 * masked on its own wherever it appears (a key file holds one key).
 */
export function readSecrets(dir: string): Record<string, string> {
  return flattenSecrets(readSecretsFile(dir));
}

export function flattenSecrets(values: Record<string, SecretFileValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(values)) {
    if (typeof v === 'string') out[name] = v;
    else v.forEach((k, i) => (out[keySetEntry(name, i)] = k));
  }
  return out;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new Fernet key: 32 random bytes, URL-safe base64 (keystone-manage fernet_setup's form). */
export function newFernetKey(): string {
  return randomBytes(32).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** A new key set of `count` keys: staged first, primary last (the ones between never used). */
export function generateKeySet(count: number): string[] {
  return Array.from({ length: count }, () => newFernetKey());
}

/**
 * Keystone's Fernet rotation (`keystone-manage fernet_rotate`) of a key set laid out as its
 * key repository's files 0..N-1: the staged key (0) becomes the primary (the last), a new
 * staged key takes 0, the old primary and the newer secondaries stay as secondaries, and the
 * oldest secondary (1) drops off so that the set keeps `count` keys. Every key the old set
 * could have encrypted with (its primary) or that the new set encrypts with (the old staged
 * key) is in both sets, so hosts with either set accept each other's tokens.
 */
export function rotateKeySet(keys: readonly string[], count: number): string[] {
  if (count < 3) throw new Error(`a key set needs at least 3 keys, not ${count}`);
  const staged = keys[0] ?? newFernetKey();
  const secondaries = keys.slice(1).slice(-(count - 2));
  // A set shorter than count (count was raised) takes never-used keys as its oldest secondaries.
  while (secondaries.length < count - 2) secondaries.unshift(newFernetKey());
  return [newFernetKey(), ...secondaries, staged];
}

/**
 * A key set brought to `count` keys without a rotation: the staged and primary keys stay;
 * secondaries are dropped oldest first, or never-used keys are added as the oldest ones.
 */
export function resizeKeySet(keys: readonly string[], count: number): string[] {
  if (keys.length === count) return [...keys];
  if (keys.length < 2) return generateKeySet(count);
  const middle = keys.slice(1, -1).slice(-(count - 2));
  while (middle.length < count - 2) middle.unshift(newFernetKey());
  return [keys[0]!, ...middle, keys[keys.length - 1]!];
}

export function generateSecret(d: SecretDecl): string {
  switch (d.kind) {
    case 'hex':
      return randomBytes(Math.ceil(d.length / 2))
        .toString('hex')
        .slice(0, d.length);
    case 'fernet_key':
      return newFernetKey();
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

/**
 * A value for every declared secret that has none. A secret declared in a module whose name
 * (after the module path) is an entry of the file that no secret declares any more takes
 * that entry's value: the configuration moved the secret into a module (the state's moved
 * blocks), and its value moves with it — MariaDB's data still has that password. Existing
 * values are never changed, except a key set whose `count` changed: it is resized (its
 * staged and primary keys kept) and reported in `resized`. A value of the wrong shape (a
 * string where a key set is declared, or a list for a string) is replaced (generated).
 */
export function generateMissing(
  dir: string,
  decls: SecretDecl[],
  /** moved blocks: a module moved (`module.a` → `module.b`) takes its secrets along. */
  moves: readonly { from: string; to: string }[] = [],
): { generated: string[]; kept: string[]; moved: { from: string; to: string }[]; resized: string[] } {
  const current = readSecretsFile(dir);
  const declared = new Set(decls.map((d) => d.name));
  const generated: string[] = [];
  const kept: string[] = [];
  const resized: string[] = [];
  const moved: { from: string; to: string }[] = [];
  for (const d of decls) {
    const set = isKeySet(d.kind);
    const fits = (v: SecretFileValue | undefined): v is SecretFileValue =>
      v !== undefined && (set ? Array.isArray(v) : typeof v === 'string');
    const have = current[d.name];
    if (fits(have)) {
      const count = d.count ?? DEFAULT_KEY_COUNT;
      if (set && have.length !== count) {
        current[d.name] = resizeKeySet(have as string[], count);
        resized.push(d.name);
      } else kept.push(d.name);
      continue;
    }
    const movedFrom = moves
      .filter((m) => m.from.startsWith('module.') && d.name.startsWith(`${m.to}.`))
      .map((m) => m.from + d.name.slice(m.to.length))
      .find((old) => fits(current[old]) && !declared.has(old));
    const short = d.name.slice(d.name.lastIndexOf('.') + 1);
    const from =
      movedFrom ?? (short !== d.name && fits(current[short]) && !declared.has(short) ? short : undefined);
    if (from !== undefined) {
      current[d.name] = current[from]!;
      moved.push({ from, to: d.name });
      continue;
    }
    current[d.name] = set ? generateKeySet(d.count ?? DEFAULT_KEY_COUNT) : generateSecret(d);
    generated.push(d.name);
  }
  if (generated.length || moved.length || resized.length) writeSecrets(dir, current);
  return { generated, kept, moved, resized };
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
  const current = readSecretsFile(dir);
  const out: ImportResult = { imported: [], missing: [], unused: [] };
  const taken = new Set<string>();
  for (const d of decls) {
    const short = d.name.slice(d.name.lastIndexOf('.') + 1);
    const v = passwords[short];
    if (isKeySet(d.kind)) {
      // kolla-ansible keeps Fernet keys in volumes, not passwords.yml: only a list is taken.
      if (Array.isArray(v) && v.length >= 2 && v.every((k) => typeof k === 'string' && k !== '')) {
        const keys = resizeKeySet(v as string[], d.count ?? DEFAULT_KEY_COUNT);
        out.imported.push({
          key: d.name,
          from: short,
          changed: current[d.name] !== undefined && JSON.stringify(current[d.name]) !== JSON.stringify(keys),
        });
        current[d.name] = keys;
        taken.add(short);
      } else out.missing.push(d.name);
    } else if (typeof v === 'string' && v !== '') {
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

export type RotateResult =
  | { rotated: true; keySet: false }
  | { rotated: true; keySet: true; kind: SecretDecl['kind']; count: number }
  | { rotated: false; reason: 'not-declared' | 'not-generated' };

/**
 * Give `name` a new value (`kolla secrets rotate`). A key set is rotated as keystone rotates
 * its key repository (rotateKeySet): the staged key becomes the primary, a new staged key is
 * made, the oldest secondary drops off. A key set with no value yet is not rotated
 * (`kolla secrets generate` makes it).
 */
export function rotateSecret(dir: string, decls: SecretDecl[], name: string): RotateResult {
  const d = decls.find((x) => x.name === name);
  if (!d) return { rotated: false, reason: 'not-declared' };
  const current = readSecretsFile(dir);
  if (isKeySet(d.kind)) {
    const have = current[name];
    if (!Array.isArray(have)) return { rotated: false, reason: 'not-generated' };
    const count = d.count ?? DEFAULT_KEY_COUNT;
    current[name] = rotateKeySet(have, count);
    writeSecrets(dir, current);
    return { rotated: true, keySet: true, kind: d.kind, count };
  }
  current[name] = generateSecret(d);
  writeSecrets(dir, current);
  return { rotated: true, keySet: false };
}

function writeSecrets(dir: string, values: Record<string, SecretFileValue>): void {
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
