/**
 * known_hosts: OpenSSH's record of which host key belongs to which host, read and appended
 * the way `ssh` does. A key is checked by the name kolla dials (the host's address, as
 * `[addr]:port` when the port is not 22) against plain, wildcard and hashed (`|1|salt|hmac`)
 * entries; `@revoked` keys are refused; `@cert-authority` lines are ignored (ssh2 speaks no
 * host certificates). Fingerprints are OpenSSH's: `SHA256:` and the unpadded base64 of the
 * key blob's SHA-256.
 */
import { createHash, createHmac } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  /** Comma-separated patterns, or a hashed name. */
  hosts: string;
  marker?: 'revoked' | 'cert-authority';
  keyType: string;
  /** The key blob (SSH wire format). */
  key: Buffer;
  /** 1-based line number, for messages. */
  line: number;
}

/** What a presented host key means for a host. */
export type HostKeyVerdict =
  | { kind: 'known' }
  | { kind: 'unknown' }
  | { kind: 'revoked' }
  /** The host has keys on record and this one is none of them. */
  | { kind: 'changed'; expected: { keyType: string; fingerprint: string; line: number }[] };

/** The default file: KOLLA_KNOWN_HOSTS, else ~/.ssh/known_hosts. */
export function defaultKnownHostsPath(env: NodeJS.ProcessEnv = process.env): string {
  const e = env['KOLLA_KNOWN_HOSTS'];
  if (e !== undefined && e !== '') return expandHome(e);
  return path.join(os.homedir(), '.ssh', 'known_hosts');
}

/** `~` and `~/x` as the shell expands them for the current user. */
export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** OpenSSH's fingerprint of a key blob: `SHA256:` + unpadded base64. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The key type named inside a key blob ("ssh-ed25519", "ecdsa-sha2-nistp256", ...). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const n = key.readUInt32BE(0);
  if (n > key.length - 4 || n > 64) return 'unknown';
  return key.subarray(4, 4 + n).toString('latin1');
}

/** The name a host is recorded under: the address, or `[address]:port` for other ports. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const f = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (f[0] === '@revoked' || f[0] === '@cert-authority') {
      marker = f[0] === '@revoked' ? 'revoked' : 'cert-authority';
      f.shift();
    } else if (f[0]?.startsWith('@')) {
      continue;
    }
    const [hosts, keyType, b64] = f;
    if (hosts === undefined || keyType === undefined || b64 === undefined) continue;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) continue;
    const e: KnownHostEntry = { hosts, keyType, key, line: i + 1 };
    if (marker) e.marker = marker;
    out.push(e);
  }
  return out;
}

/** Whether an entry's host field names `name` (wildcards, negation, hashed names). */
export function entryMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pat of hosts.split(',')) {
    const negated = pat.startsWith('!');
    const p = negated ? pat.slice(1) : pat;
    if (globMatch(p.toLowerCase(), name.toLowerCase())) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function globMatch(pattern: string, s: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === s;
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(s);
}

/** Judge a presented key against the entries for `name`. */
export function checkHostKey(entries: KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e.hosts, name));
  // A revoked key is refused whoever it claims to be.
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(key))) return { kind: 'revoked' };
  const plain = mine.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(key))) return { kind: 'known' };
  if (plain.length === 0) return { kind: 'unknown' };
  // Keys of another type only would be "a new key type" to OpenSSH; kolla asks for the
  // known types first (preferredKeyTypes), so a host that still offers another one has
  // lost the key on record: treat it as changed rather than silently trusting it.
  return {
    kind: 'changed',
    expected: plain.map((e) => ({ keyType: e.keyType, fingerprint: fingerprint(e.key), line: e.line })),
  };
}

/** Key types on record for `name`, to offer them first in the key exchange. */
export function knownKeyTypes(entries: KnownHostEntry[], name: string): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.marker === undefined && entryMatches(e.hosts, name) && !out.includes(e.keyType))
      out.push(e.keyType);
  }
  return out;
}

/**
 * A known_hosts file shared by every connection of a run: read once, appended to (one
 * writer at a time) when the user trusts new keys.
 */
export class KnownHostsFile {
  private entries: Promise<KnownHostEntry[]> | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  load(): Promise<KnownHostEntry[]> {
    this.entries ??= fs.readFile(this.file, 'utf8').then(parseKnownHosts, (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw new Error(`cannot read known hosts file ${this.file}: ${err.message}`, { cause: err });
    });
    return this.entries;
  }

  async check(name: string, key: Buffer): Promise<HostKeyVerdict> {
    return checkHostKey(await this.load(), name, key);
  }

  /** Record a key for `name`, as `ssh` does on "yes" (plain, not hashed, names). */
  add(name: string, key: Buffer): Promise<void> {
    const line = `${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
    const next = this.writes.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      let cur = '';
      try {
        cur = await fs.readFile(this.file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const prefix = cur !== '' && !cur.endsWith('\n') ? '\n' : '';
      await fs.appendFile(this.file, prefix + line, { mode: 0o644 });
      const lineNo = cur === '' ? 1 : cur.split('\n').length + (prefix ? 1 : 0);
      (await this.load()).push({ hosts: name, keyType: keyTypeOf(key), key, line: lineNo });
    });
    // One failed write must not block the next one.
    this.writes = next.catch(() => {});
    return next;
  }
}
