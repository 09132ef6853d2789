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
import type { DatabaseInstance, Instance } from '../expand/instances.js';
import type { DatabaseResource, StepEntry } from '../states/state.js';
import type { SecretMasker } from '../states/secret-mask.js';
import type { Transport } from '../transport/transport.js';
import type { DatabaseRead } from '../providers/world.js';
import type { AttrChange, Change } from '../plans/plan.js';
import { runSql } from '../providers/docker/sql-exec.js';
import { PROJECT_LABEL } from '../providers/docker/labels.js';
import { KollaError } from '../diags/kolla-error.js';
import { StepError } from './images-on-hosts.js';
import type { PlanContext, ResourceKind, StepContext, UndoContext } from './kind.js';
import { noopChange } from './kind.js';

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

/** SQL that takes the account's privileges on one schema away (the account stays: another block uses it). */
export function revokeSchemaSql(
  r: Pick<DatabaseRecord, 'schema' | 'user' | 'host'>,
  includeData: boolean,
): string {
  // The grant may name the schema as kolla writes it (`nova\_cell0`: _ escaped) or as a
  // script wrote it before (`nova_cell0`: a pattern); REVOKE of a grant that does not exist
  // is an error, so each form is revoked only when mysql.db holds it.
  const acct = `${sqlString(r.user)}@${sqlString(r.host)}`;
  const out: string[] = [];
  for (const form of new Set([r.schema.replace(/([_%])/g, '\\$1'), r.schema])) {
    const revoke = `REVOKE ALL PRIVILEGES ON ${sqlIdent(form)}.* FROM ${acct}`;
    out.push(
      `SET @kolla_revoke := IF(EXISTS(SELECT 1 FROM mysql.db WHERE User = ${sqlString(r.user)} AND Host = ${sqlString(r.host)} AND Db = ${sqlString(form)}), ${sqlString(revoke)}, 'DO 0');`,
      'PREPARE kolla_revoke FROM @kolla_revoke;',
      'EXECUTE kolla_revoke;',
      'DEALLOCATE PREPARE kolla_revoke;',
    );
  }
  if (includeData) out.push(`DROP DATABASE IF EXISTS ${sqlIdent(r.schema)};`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// The kind: the engine's side (refresh request, plan, apply, delete, undo, state).

interface DbEntry extends StepEntry {
  op: 'create-database' | 'update-database' | 'drop-database-user';
  container: string;
  user: string;
  account_host: string;
  schema: string;
  admin_user: string;
  /** The admin password's secret marker (never its value). */
  admin_password?: string;
  created_user?: boolean;
  set_password?: boolean;
  grant?: string[];
  revoke?: string[];
  dropped_schema?: boolean;
  /**
   * A password change: the account's mysql_native_password hash before it (the server's own
   * `*HEX` verifier, not the password), so that the undo sets the old password back without
   * kolla ever having it. The journal is 0600 and removed with the apply.
   */
  previous_hash?: string;
}

function specOf(i: DatabaseInstance): DatabaseSpec {
  return i.spec;
}

function live(i: DatabaseInstance, ctx: PlanContext): { live?: LiveDatabase; error?: string } {
  if (!ctx.options.refreshed) return {};
  const r = ctx.host(i.host).databases?.get(i.address);
  if (!r) return {};
  if ('error' in r) return { error: r.error };
  return { live: parseRefresh(r.output) };
}

function account(r: { user: string; host: string }): string {
  return `'${r.user}'@'${r.host}'`;
}

function plan(inst: DatabaseInstance, s: DatabaseResource | undefined, ctx: PlanContext): Change {
  const c = noopChange(inst, s, ctx);
  const spec = specOf(inst);
  const l = live(inst, ctx);
  const d = diffDatabase(spec, s?.database, l.live);
  const notes = [`SQL runs in ${inst.container} as ${inst.adminUser}`];
  if (l.error && s)
    notes.push(
      `the server could not be read (${ctx.masker.maskForDisplay(l.error)}): planned from the state`,
    );
  c.notes = notes;
  for (const detail of d.drift)
    ctx.drift({
      address: inst.address,
      host: inst.host,
      kind: /dropped/.test(detail) ? 'removed' : 'edited',
      detail,
    });
  if (d.action === 'noop') return c;
  c.action = d.action;
  c.reasons = d.reasons;
  const attrs: AttrChange[] = [];
  const a = (path: string, before: unknown, after: unknown, sensitive = false): void => {
    const x: AttrChange = { path, forcesReplacement: false, sensitive };
    if (before !== undefined) x.before = before;
    if (after !== undefined) x.after = after;
    attrs.push(x);
  };
  if (d.action === 'create' || !s) {
    a('schema', undefined, spec.schema);
    a('user', undefined, spec.user);
    a('host', undefined, spec.host);
    a('privileges', undefined, shownPrivileges(spec.privileges));
    a('password', undefined, '(sensitive)', true);
  } else {
    if (d.createSchema) a('schema', undefined, spec.schema);
    if (d.createUser) a('user', undefined, account(spec));
    if (d.setPassword) a('password', '(sensitive)', '(sensitive)', true);
    if (d.grant.length || d.revoke.length) {
      const had = normalisePrivileges(s.database.privileges);
      a('privileges', d.createUser ? undefined : shownPrivileges(had), shownPrivileges(spec.privileges));
    }
  }
  c.attrs = attrs;
  // A rollback sets the old password back from the server's own native-password verifier
  // (journalled by apply); an account with another plugin, or not read, cannot be.
  const liveAccount = l.live?.account;
  const undoable =
    !!liveAccount &&
    (liveAccount.plugin === '' || liveAccount.plugin === 'mysql_native_password') &&
    /^\*[0-9A-F]{40}$/.test(liveAccount.authenticationString);
  if (d.setPassword && !d.createUser && !undoable) c.irreversible = true;
  return c;
}

/** Privileges as a plan shows them: ALL PRIVILEGES when they are all of them. */
function shownPrivileges(privs: readonly string[]): string[] {
  const n = normalisePrivileges(privs);
  return ALL_SCHEMA_PRIVILEGES.every((p) => n.includes(p)) ? ['ALL PRIVILEGES'] : n;
}

/** A delete's notes: the schema goes too (destroy --include-data); only this schema's grants go. */
const DROP_SCHEMA = 'drops the schema and its data (--include-data)';
const REVOKE_ONLY = 'revokes only: another database block uses the account';

function planDelete(r: DatabaseResource, ctx: PlanContext): Change {
  const includeData = ctx.options.destroy && ctx.options.includeData === true;
  const shared = sharedAccount(r, ctx.instances);
  const what = shared
    ? `revokes ${account(r.database)}'s privileges on ${r.database.schema} (${shared} still uses the account)`
    : `drops the account ${account(r.database)}`;
  const data = includeData
    ? ` and the schema ${r.database.schema} with its data (--include-data)`
    : `; keeps the schema ${r.database.schema} and its data${ctx.options.destroy ? ' (destroy --include-data drops it)' : ''}`;
  return {
    address: r.address,
    kind: 'database',
    host: r.host,
    action: 'delete',
    reasons: [`${ctx.options.destroy ? 'destroy' : 'no longer in the configuration'}: ${what}${data}`],
    attrs: [
      { path: 'schema', before: r.database.schema, forcesReplacement: false, sensitive: false },
      { path: 'user', before: account(r.database), forcesReplacement: false, sensitive: false },
    ],
    before: r,
    dependsOn: r.dependencies,
    // What applyDelete does, as data a saved plan carries (a delete's notes are not rendered).
    notes: [...(includeData ? [DROP_SCHEMA] : []), ...(shared ? [REVOKE_ONLY] : [])],
  };
}

/** Another configured database block on the same server and account, if one is. */
function sharedAccount(r: DatabaseResource, instances: readonly Instance[]): string | undefined {
  for (const i of instances)
    if (
      i.kind === 'database' &&
      i.address !== r.address &&
      i.host === r.host &&
      i.container === r.container &&
      i.spec.user === r.database.user &&
      i.spec.host === r.database.host
    )
      return i.address;
  return undefined;
}

async function sql(
  ctx: { transport: Transport; masker: SecretMasker; project: string },
  container: string,
  text: string,
  admin: { user: string; password?: string | undefined },
  timeoutMs: number,
  redact: string[] = [],
): Promise<string> {
  return runSql(await ctx.transport.docker(), container, text, {
    project: ctx.project,
    adminUser: admin.user,
    timeoutMs,
    redact,
    ...(admin.password !== undefined ? { adminPassword: admin.password } : {}),
  });
}

async function apply(c: Change, inst: DatabaseInstance, ctx: StepContext): Promise<undefined> {
  const spec = specOf(inst);
  const admin = { user: inst.adminUser, password: inst.adminPassword };
  const prior = c.before?.kind === 'database' ? c.before.database : undefined;
  try {
    // What the server holds now (it may have moved since the plan): the diff is made again.
    const l = parseRefresh(await sql(ctx, inst.container, refreshSql(spec), admin, inst.timeoutMs));
    const d = diffDatabase(spec, prior, l);
    if (d.action === 'noop') return undefined;
    const e: DbEntry = {
      op: c.action === 'create' ? 'create-database' : 'update-database',
      host: inst.host,
      address: inst.address,
      container: inst.container,
      user: spec.user,
      account_host: spec.host,
      schema: spec.schema,
      admin_user: inst.adminUser,
      created_user: d.createUser,
      set_password: d.setPassword,
      grant: d.grant,
      revoke: d.revoke,
    };
    if (inst.adminPassword !== undefined) e.admin_password = ctx.masker.mask(inst.adminPassword);
    const a = l.account;
    if (d.setPassword && !d.createUser && a && (a.plugin === '' || a.plugin === 'mysql_native_password'))
      if (/^\*[0-9A-F]{40}$/.test(a.authenticationString)) e.previous_hash = a.authenticationString;
    await ctx.log(e);
    await sql(ctx, inst.container, applySql(spec, d), admin, inst.timeoutMs, [spec.password]);
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(inst.address, ctx.masker.maskForDisplay((err as Error).message));
  }
  return undefined;
}

async function applyDelete(c: Change, ctx: StepContext): Promise<void> {
  const r = c.before;
  if (r?.kind !== 'database') return;
  const docker = await ctx.transport.docker();
  const running = await docker
    .getContainer(r.container)
    .inspect()
    .then((x) => x.State.Running && x.Config.Labels?.[PROJECT_LABEL] === ctx.project)
    .catch(() => false);
  if (!running) {
    ctx.progress(
      `container ${r.container} is not running (or not this project's): the account is left on its server`,
      0,
    );
    return;
  }
  const includeData = c.notes?.includes(DROP_SCHEMA) === true;
  const admin = { user: r.admin_user, password: adminPassword(r.secrets.admin_password, ctx.masker) };
  const e: DbEntry = {
    op: 'drop-database-user',
    host: r.host,
    address: r.address,
    container: r.container,
    user: r.database.user,
    account_host: r.database.host,
    schema: r.database.schema,
    admin_user: r.admin_user,
    dropped_schema: includeData,
  };
  if (r.secrets.admin_password) e.admin_password = r.secrets.admin_password;
  await ctx.log(e);
  // Another block still naming the account (nova and nova_cell0 share one): only this schema's grants go.
  const shared = c.notes?.includes(REVOKE_ONLY) === true;
  try {
    await sql(
      ctx,
      r.container,
      shared ? revokeSchemaSql(r.database, includeData) : deleteSql(r.database, includeData),
      admin,
      60_000,
    );
  } catch (err) {
    throw new StepError(r.address, ctx.masker.maskForDisplay((err as Error).message));
  }
}

function adminPassword(marker: string | undefined, masker: SecretMasker): string | undefined {
  if (marker === undefined) return undefined;
  const v = masker.unmask(marker);
  if (v === marker)
    throw new KollaError('state', `the admin password's secret ${marker} is no longer in the secrets file`);
  return v;
}

async function undo(e: StepEntry, ctx: UndoContext): Promise<void> {
  const k = e as DbEntry;
  const target = { schema: k.schema, user: k.user, host: k.account_host };
  if (k.op === 'drop-database-user') {
    ctx.note(
      `${k.address}: the account ${account(target)} was dropped and cannot be re-created by a rollback (kolla keeps no password); the next apply re-creates it${k.dropped_schema ? `; the schema ${k.schema} and its data are gone` : ''}`,
    );
    return;
  }
  const out: string[] = [];
  if (k.created_user) out.push(undoCreateSql(target));
  else {
    const acct = `${sqlString(k.user)}@${sqlString(k.account_host)}`;
    if (k.grant?.length) out.push(`REVOKE ${k.grant.join(', ')} ON ${grantSchema(k.schema)}.* FROM ${acct};`);
    if (k.revoke?.length) out.push(`GRANT ${k.revoke.join(', ')} ON ${grantSchema(k.schema)}.* TO ${acct};`);
    if (k.set_password && k.previous_hash && /^\*[0-9A-F]{40}$/.test(k.previous_hash)) {
      // The server's verifier of the old password: the old password again, never known to kolla.
      out.push(`ALTER USER ${acct} IDENTIFIED BY PASSWORD ${sqlString(k.previous_hash)};`);
      ctx.note(`${k.address}: the password of ${account(target)} is set back to the one before the apply`);
    } else if (k.set_password)
      ctx.note(
        `${k.address}: the password of ${account(target)} was changed and stays changed (kolla never has the old one)`,
      );
  }
  if (k.op === 'create-database') ctx.note(`${k.address}: the schema ${k.schema} is kept (it may hold data)`);
  if (!out.length) return;
  await runSql(await ctx.transport(k.host).docker(), k.container, out.join('\n') + '\n', {
    project: ctx.project,
    adminUser: k.admin_user,
    timeoutMs: 60_000,
    ...(k.admin_password !== undefined
      ? { adminPassword: adminPassword(k.admin_password, ctx.masker)! }
      : {}),
  });
}

export const databaseKind: ResourceKind<'database'> = {
  kind: 'database',
  // After the containers (the server must run); beside the post-start tasks.
  planPhase: 3,
  shape: 'box3d',
  ops: ['create-database', 'update-database', 'drop-database-user'],
  wants(i, req) {
    const d: DatabaseRead = {
      address: i.address,
      container: i.container,
      sql: refreshSql(i.spec),
      adminUser: i.adminUser,
      timeoutMs: i.timeoutMs,
    };
    if (i.adminPassword !== undefined) d.adminPassword = i.adminPassword;
    (req.databases ??= []).push(d);
  },
  wantsForState: () => undefined,
  plan,
  planDelete,
  apply,
  applyDelete,
  undo,
  describeUndo: (e) => {
    const k = e as DbEntry;
    return k.op === 'drop-database-user'
      ? undefined
      : k.created_user
        ? `drop new account '${k.user}'@'${k.account_host}' on ${k.container}`
        : k.set_password && k.previous_hash
          ? `set the password of '${k.user}'@'${k.account_host}' back${k.grant?.length || k.revoke?.length ? ` and revert its grants on ${k.schema}` : ''}`
          : `revert the grants of '${k.user}'@'${k.account_host}' on ${k.schema}`;
  },
  toState(i, _c, prev, _observed, { masker }) {
    const r: DatabaseResource = {
      address: i.address,
      kind: 'database',
      host: i.host,
      dependencies: i.dependsOn,
      service: i.service,
      container: i.container,
      database: toRecord(i.spec, prev?.database),
      admin_user: i.adminUser,
      secrets: { password: masker.mask(i.spec.password) },
    };
    if (i.adminPassword !== undefined) r.secrets.admin_password = masker.mask(i.adminPassword);
    return r;
  },
  fromState(r, masker) {
    const password = masker.unmask(r.secrets.password);
    if (password === r.secrets.password) return undefined; // its secret is gone
    const i: DatabaseInstance = {
      address: r.address,
      kind: 'database',
      host: r.host,
      dependsOn: r.dependencies,
      service: r.service,
      name: r.database.schema,
      container: r.container,
      spec: {
        schema: r.database.schema,
        user: r.database.user,
        host: r.database.host,
        privileges: r.database.privileges,
        password,
      },
      adminUser: r.admin_user,
      timeoutMs: 60_000,
      backupDir: '/backup',
    };
    const admin = r.secrets.admin_password ? masker.unmask(r.secrets.admin_password) : undefined;
    if (admin !== undefined) i.adminPassword = admin;
    return i;
  },
  show: (r) => [
    ['container', r.container],
    ['schema', r.database.schema],
    ['user', account(r.database)],
    ['privileges', r.database.privileges.join(', ')],
    ['password', '(sensitive)'],
  ],
};
