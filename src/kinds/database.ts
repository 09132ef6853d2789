/**
 * The database kind (issue #19 item 1), its pure part: a schema and the account that uses it
 * on a MariaDB server, compared with what the live server holds (SHOW DATABASES / mysql.user /
 * the schema's grants) and turned into SQL.
 *
 * Secrets: the password never goes into the state, the plan, a log or an error. The live
 * server is compared through its own verifier (mysql_native_password's
 * `*HEX(SHA1(SHA1(pw)))`, computed here and compared with mysql.user.authentication_string,
 * which is read but never kept); the state keeps only a salted verifier
 * (`passwordVerifier`) so a plan without refresh still sees a changed secret. The SQL that
 * carries the password reaches the mysql client on its standard input, never on a command line.
 *
 * Deletes drop the account only; the schema (and its data) only when the user asks
 * (`destroy --include-data`).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a `database` block asks for (the password unmasked). */
export interface DatabaseSpec {
  schema: string;
  user: string;
  /** The account's host pattern, e.g. "%". */
  host: string;
  /** Schema-level privileges, e.g. ["ALL PRIVILEGES"] or ["SELECT", "INSERT"]. */
  privileges: string[];
  password: string;
}

/** What the live server holds of it. */
export interface LiveDatabase {
  schemaExists: boolean;
  /** The account, when it exists; its authentication string is compared, never kept. */
  account?: { plugin: string; authenticationString: string };
  /** Schema-level privileges the account holds on the schema (upper case). */
  privileges: string[];
}

/** What the state keeps of a database (no password, only a salted verifier). */
export interface DatabaseRecord {
  schema: string;
  user: string;
  host: string;
  privileges: string[];
  password_verifier: string;
}

// The list lives with the block's expansion (which checks the names given); re-exported here.
import { ALL_SCHEMA_PRIVILEGES } from '../expand/databases.js';
export { ALL_SCHEMA_PRIVILEGES };

/** mysql_native_password's stored form of a password: '*' + upper hex SHA1(SHA1(pw)). */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return '*' + createHash('sha1').update(once).digest('hex').toUpperCase();
}

/** A salted verifier of the password for the state: `hmac-sha256$<salt hex>$<hex>`. */
export function passwordVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const mac = createHmac('sha256', salt).update(password, 'utf8').digest('hex');
  return `hmac-sha256$${salt.toString('hex')}$${mac}`;
}

/** Does the password match a verifier from passwordVerifier()? (False for a malformed one.) */
export function verifierMatches(verifier: string, password: string): boolean {
  const [scheme, salt, mac] = verifier.split('$');
  if (scheme !== 'hmac-sha256' || !salt || !mac || !/^[0-9a-f]+$/.test(salt)) return false;
  const want = Buffer.from(passwordVerifier(password, Buffer.from(salt, 'hex')).split('$')[2]!, 'hex');
  const got = Buffer.from(mac, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Privileges in the form the server reports them: upper case, ALL → the full list. */
export function normalisePrivileges(privs: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of privs) {
    const u = p.trim().toUpperCase().replace(/\s+/g, ' ');
    if (u === 'ALL' || u === 'ALL PRIVILEGES') ALL_SCHEMA_PRIVILEGES.forEach((x) => out.add(x));
    else if (u) out.add(u);
  }
  return [...out].sort();
}

export type DatabaseAction = 'noop' | 'create' | 'update';

/** What apply must do to reach the spec, and why (no secret in any reason). */
export interface DatabaseDiff {
  action: DatabaseAction;
  createSchema: boolean;
  createUser: boolean;
  setPassword: boolean;
  /** Privileges to grant (normalised); a GRANT is additive, extra ones are revoked. */
  grant: string[];
  revoke: string[];
  reasons: string[];
  /** Drift: the live server differs from what the state says kolla left there. */
  drift: string[];
}

/**
 * Compare the spec with the state and (when refreshed) the live server. Without `live`
 * (-refresh=false) the state is taken as the truth.
 */
export function diffDatabase(
  spec: DatabaseSpec,
  prior: DatabaseRecord | undefined,
  live: LiveDatabase | undefined,
): DatabaseDiff {
  const d: DatabaseDiff = {
    action: 'noop',
    createSchema: false,
    createUser: false,
    setPassword: false,
    grant: [],
    revoke: [],
    reasons: [],
    drift: [],
  };
  const account = `'${spec.user}'@'${spec.host}'`;
  const want = normalisePrivileges(spec.privileges);
  if (live) {
    if (!live.schemaExists) {
      d.createSchema = true;
      d.reasons.push(`schema ${spec.schema} does not exist on the server`);
      if (prior) d.drift.push(`schema ${spec.schema} was dropped outside kolla`);
    }
    if (!live.account) {
      d.createUser = true;
      d.reasons.push(`account ${account} does not exist on the server`);
      if (prior) d.drift.push(`account ${account} was dropped outside kolla`);
    } else if (!liveHasPassword(live.account, spec.password, prior)) {
      d.setPassword = true;
      d.reasons.push(`the password of ${account} differs from its secret`);
      if (prior && verifierMatches(prior.password_verifier, spec.password))
        d.drift.push(`the password of ${account} was changed outside kolla`);
    }
    const have = new Set(live.privileges.map((p) => p.toUpperCase()));
    d.grant = d.createUser ? want : want.filter((p) => !have.has(p));
    const wantSet = new Set(want);
    // ALL PRIVILEGES also grants those of newer servers (DELETE HISTORY, SHOW CREATE ROUTINE).
    d.revoke = d.createUser || wantsAll(spec) ? [] : [...have].filter((p) => !wantSet.has(p)).sort();
    if (!d.createUser && d.grant.length)
      d.reasons.push(`${account} lacks ${d.grant.join(', ')} on ${spec.schema}`);
    if (d.revoke.length)
      d.reasons.push(`${account} holds ${d.revoke.join(', ')} on ${spec.schema} (not asked)`);
  } else if (!prior) {
    d.createSchema = d.createUser = true;
    d.grant = want;
    d.reasons.push('not created yet');
  } else {
    if (!verifierMatches(prior.password_verifier, spec.password)) {
      d.setPassword = true;
      d.reasons.push(`the password secret of '${spec.user}'@'${spec.host}' changed`);
    }
    const had = new Set(normalisePrivileges(prior.privileges));
    d.grant = want.filter((p) => !had.has(p));
    d.revoke = [...had].filter((p) => !want.includes(p)).sort();
    if (d.grant.length || d.revoke.length) d.reasons.push('its privileges changed');
  }
  if (d.createSchema && d.createUser) d.action = 'create';
  else if (d.createSchema || d.createUser || d.setPassword || d.grant.length || d.revoke.length)
    d.action = prior || live?.schemaExists || live?.account ? 'update' : 'create';
  return d;
}

function wantsAll(spec: DatabaseSpec): boolean {
  return spec.privileges.some((p) => /^ALL( PRIVILEGES)?$/i.test(p.trim()));
}

function liveHasPassword(
  a: NonNullable<LiveDatabase['account']>,
  password: string,
  prior: DatabaseRecord | undefined,
): boolean {
  if (a.plugin === '' || a.plugin === 'mysql_native_password')
    return a.authenticationString === nativePasswordHash(password);
  // Another plugin (ed25519, caching_sha2): the server's verifier cannot be recomputed here;
  // trust the state's.
  return prior ? verifierMatches(prior.password_verifier, password) : false;
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/** A SQL identifier in backticks. */
export function sqlIdent(s: string): string {
  return '`' + s.replace(/`/g, '``') + '`';
}

/** A schema name in a GRANT's `db.*` (where _ and % are patterns). */
function grantSchema(s: string): string {
  return sqlIdent(s.replace(/([_%])/g, '\\$1'));
}

/** The SQL that brings the server to the spec (holds the password: send it on stdin only). */
export function applySql(spec: DatabaseSpec, d: DatabaseDiff): string {
  const acct = `${sqlString(spec.user)}@${sqlString(spec.host)}`;
  const out: string[] = [];
  if (d.createSchema) out.push(`CREATE DATABASE IF NOT EXISTS ${sqlIdent(spec.schema)};`);
  if (d.createUser) out.push(`CREATE USER IF NOT EXISTS ${acct} IDENTIFIED BY ${sqlString(spec.password)};`);
  // CREATE USER IF NOT EXISTS keeps an existing account's password: set it either way.
  if (d.createUser || d.setPassword)
    out.push(`ALTER USER ${acct} IDENTIFIED BY ${sqlString(spec.password)};`);
  if (d.grant.length) out.push(`GRANT ${grantList(d.grant)} ON ${grantSchema(spec.schema)}.* TO ${acct};`);
  if (d.revoke.length)
    out.push(`REVOKE ${d.revoke.join(', ')} ON ${grantSchema(spec.schema)}.* FROM ${acct};`);
  return out.join('\n') + (out.length ? '\n' : '');
}

function grantList(privs: string[]): string {
  const s = new Set(privs);
  return ALL_SCHEMA_PRIVILEGES.every((p) => s.has(p)) && s.size === ALL_SCHEMA_PRIVILEGES.length
    ? 'ALL PRIVILEGES'
    : privs.join(', ');
}

/** The SQL of a delete: the account always, the schema only with includeData. */
export function deleteSql(r: Pick<DatabaseRecord, 'schema' | 'user' | 'host'>, includeData: boolean): string {
  const out = [`DROP USER IF EXISTS ${sqlString(r.user)}@${sqlString(r.host)};`];
  if (includeData) out.push(`DROP DATABASE IF EXISTS ${sqlIdent(r.schema)};`);
  return out.join('\n') + '\n';
}

/** Undo of a create: drop the account kolla created (never the schema: it may hold data). */
export function undoCreateSql(r: Pick<DatabaseRecord, 'user' | 'host'>): string {
  return `DROP USER IF EXISTS ${sqlString(r.user)}@${sqlString(r.host)};\n`;
}

/**
 * The refresh query, for `mysql -N -B` (tab-separated, no headers): one line per fact,
 * tagged schema / account / priv.
 */
export function refreshSql(spec: Pick<DatabaseSpec, 'schema' | 'user' | 'host'>): string {
  const grantee = sqlString(`'${spec.user}'@'${spec.host}'`);
  return [
    `SELECT 'schema', SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${sqlString(spec.schema)};`,
    `SELECT 'account', IFNULL(plugin, ''), IFNULL(authentication_string, '') FROM mysql.user WHERE User = ${sqlString(spec.user)} AND Host = ${sqlString(spec.host)};`,
    `SELECT 'priv', PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ${grantee} AND TABLE_SCHEMA IN (${sqlString(spec.schema)}, ${sqlString(spec.schema.replace(/([_%])/g, '\\$1'))});`,
  ].join('\n');
}

/** Parse refreshSql()'s output. */
export function parseRefresh(output: string): LiveDatabase {
  const live: LiveDatabase = { schemaExists: false, privileges: [] };
  const privs = new Set<string>();
  for (const line of output.split('\n')) {
    const f = line.replace(/\r$/, '').split('\t');
    if (f[0] === 'schema') live.schemaExists = true;
    else if (f[0] === 'account') live.account = { plugin: f[1] ?? '', authenticationString: f[2] ?? '' };
    else if (f[0] === 'priv' && f[1]) privs.add(f[1].toUpperCase());
  }
  live.privileges = [...privs].sort();
  return live;
}

/** The state's record of a spec (with a fresh verifier unless the password is unchanged). */
export function toRecord(spec: DatabaseSpec, prior: DatabaseRecord | undefined): DatabaseRecord {
  return {
    schema: spec.schema,
    user: spec.user,
    host: spec.host,
    privileges: normalisePrivileges(spec.privileges),
    password_verifier:
      prior && verifierMatches(prior.password_verifier, spec.password)
        ? prior.password_verifier
        : passwordVerifier(spec.password),
  };
}
