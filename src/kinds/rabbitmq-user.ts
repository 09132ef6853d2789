/**
 * The rabbitmq_user kind (issue #19 item 1, its RabbitMQ part): a user, its vhost, its tags
 * and its permissions on that vhost, compared with what the live broker holds and written
 * back with rabbitmqctl in the broker's container.
 *
 * Reads: one `rabbitmqctl export_definitions` (users with their password hashes, vhosts,
 * permissions). The password is checked against the broker's own salted hash, recomputed
 * here (no `authenticate_user`, which takes the password on its command line). Writes: one
 * `rabbitmqctl import_definitions` whose definitions reach it on standard input, with a salted
 * hash computed here: the password itself never leaves kolla, not even on a pipe. The state
 * keeps only a salted verifier (the database kind's passwordVerifier); the previous password
 * hash of a user apply changes is journalled (0600, removed with the apply) so that a
 * rollback puts the old password back without kolla ever having it.
 *
 * Deletes remove the user; the vhost (and its queues) only with `destroy --include-data`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Dockerode from 'dockerode';
import type { Instance, RabbitmqUserInstance } from '../expand/instances.js';
import type { RabbitmqUserResource, StepEntry } from '../states/state.js';
import type { AttrChange, Change } from '../plans/plan.js';
import {
  EXPORT_DEFINITIONS,
  IMPORT_DEFINITIONS,
  execChecked,
  rabbitmqctl,
} from '../providers/docker/rabbitmqctl.js';
import { PROJECT_LABEL } from '../providers/docker/labels.js';
import { addressMatches } from '../addrs/address.js';
import { StepError } from './images-on-hosts.js';
import { passwordVerifier, verifierMatches } from './database.js';
import type { PlanContext, ResourceKind, StepContext, UndoContext } from './kind.js';
import { noopChange } from './kind.js';

export interface Permissions {
  configure: string;
  write: string;
  read: string;
}

/** What a rabbitmq_user block asks for (the password unmasked). */
export interface RabbitmqUserSpec {
  user: string;
  vhost: string;
  tags: string[];
  permissions: Permissions;
  password: string;
}

/** A user as the broker's definitions hold it (the hash is compared and journalled, never kept). */
export interface LiveUser {
  passwordHash: string;
  hashingAlgorithm: string;
  tags: string[];
}

/** What the broker holds of the users, vhosts and permissions (export_definitions). */
export interface Definitions {
  vhosts: Set<string>;
  users: Map<string, LiveUser>;
  /** `user\0vhost` → permissions. */
  permissions: Map<string, Permissions>;
}

/** What the state keeps (no password, only a salted verifier). */
export interface RabbitmqUserRecord {
  user: string;
  vhost: string;
  tags: string[];
  permissions: Permissions;
  password_verifier: string;
}

const SHA256 = 'rabbit_password_hashing_sha256';
const ALGORITHMS: Record<string, string> = {
  [SHA256]: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
};

/** RabbitMQ's stored password hash: base64(salt(4) ‖ H(salt ‖ utf8(password))). */
export function rabbitPasswordHash(
  password: string,
  salt: Buffer = randomBytes(4),
  algorithm = SHA256,
): string {
  const h = ALGORITHMS[algorithm];
  if (!h) throw new Error(`unknown RabbitMQ hashing algorithm ${algorithm}`);
  const digest = createHash(h).update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

/** Does the broker's hash (of its algorithm) match the password? False for one it cannot check. */
export function rabbitHashMatches(hash: string, algorithm: string, password: string): boolean {
  if (!ALGORITHMS[algorithm] || !hash) return false;
  const raw = Buffer.from(hash, 'base64');
  if (raw.length <= 4) return false;
  const want = Buffer.from(rabbitPasswordHash(password, raw.subarray(0, 4), algorithm), 'base64');
  return want.length === raw.length && timingSafeEqual(want, raw);
}

/** Parse `rabbitmqctl export_definitions - --format json`. Throws on output that is not definitions. */
export function parseDefinitions(output: string): Definitions {
  const start = output.indexOf('{');
  let j: unknown;
  try {
    j = JSON.parse(start < 0 ? output : output.slice(start));
  } catch {
    throw new Error("the broker's definitions (erl_call, or rabbitmqctl export_definitions) hold no JSON");
  }
  const d = j as {
    vhosts?: { name?: unknown }[];
    users?: { name?: unknown; password_hash?: unknown; hashing_algorithm?: unknown; tags?: unknown }[];
    permissions?: { user?: unknown; vhost?: unknown; configure?: unknown; write?: unknown; read?: unknown }[];
  };
  if (!d || typeof d !== 'object' || !Array.isArray(d.users) || !Array.isArray(d.vhosts))
    throw new Error(
      "the broker's definitions (erl_call, or rabbitmqctl export_definitions) hold no users or vhosts",
    );
  const out: Definitions = { vhosts: new Set(), users: new Map(), permissions: new Map() };
  for (const v of d.vhosts) if (typeof v.name === 'string') out.vhosts.add(v.name);
  for (const u of d.users) {
    if (typeof u.name !== 'string') continue;
    // Tags: a list since 3.9, a comma-separated string before.
    const tags = Array.isArray(u.tags)
      ? u.tags.map(String)
      : typeof u.tags === 'string'
        ? u.tags.split(',')
        : [];
    out.users.set(u.name, {
      passwordHash: typeof u.password_hash === 'string' ? u.password_hash : '',
      hashingAlgorithm: typeof u.hashing_algorithm === 'string' ? u.hashing_algorithm : SHA256,
      tags: normaliseTags(tags),
    });
  }
  for (const p of d.permissions ?? [])
    if (typeof p.user === 'string' && typeof p.vhost === 'string')
      out.permissions.set(`${p.user}\0${p.vhost}`, {
        configure: String(p.configure ?? ''),
        write: String(p.write ?? ''),
        read: String(p.read ?? ''),
      });
  return out;
}

export function normaliseTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter(Boolean))].sort();
}

function samePermissions(a: Permissions | undefined, b: Permissions | undefined): boolean {
  return !!a && !!b && a.configure === b.configure && a.write === b.write && a.read === b.read;
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  const x = normaliseTags(a);
  const y = normaliseTags(b);
  return x.length === y.length && x.every((t, i) => t === y[i]);
}

export type RabbitAction = 'noop' | 'create' | 'update';

/** What apply must do to reach the spec, and why (no secret in any reason). */
export interface RabbitDiff {
  action: RabbitAction;
  createVhost: boolean;
  createUser: boolean;
  setPassword: boolean;
  setTags: boolean;
  setPermissions: boolean;
  /** The vhost the user had permissions on before (its block's vhost changed): cleared there. */
  clearVhost?: string;
  reasons: string[];
  drift: string[];
}

/**
 * Compare the spec with the state and (when refreshed) the broker's definitions. Without
 * `live` (-refresh=false) the state is taken as the truth.
 */
export function diffRabbitmqUser(
  spec: RabbitmqUserSpec,
  prior: RabbitmqUserRecord | undefined,
  live: Definitions | undefined,
): RabbitDiff {
  const d: RabbitDiff = {
    action: 'noop',
    createVhost: false,
    createUser: false,
    setPassword: false,
    setTags: false,
    setPermissions: false,
    reasons: [],
    drift: [],
  };
  const u = `user ${spec.user}`;
  const tagsText = (t: readonly string[]): string => (t.length ? t.join(', ') : 'none');
  if (live) {
    if (!live.vhosts.has(spec.vhost)) {
      d.createVhost = true;
      d.reasons.push(`vhost ${spec.vhost} does not exist on the broker`);
      if (prior?.vhost === spec.vhost) d.drift.push(`vhost ${spec.vhost} was deleted outside kolla`);
    }
    const lu = live.users.get(spec.user);
    if (!lu) {
      d.createUser = true;
      d.reasons.push(`${u} does not exist on the broker`);
      if (prior) d.drift.push(`${u} was deleted outside kolla`);
    } else {
      if (!rabbitHashMatches(lu.passwordHash, lu.hashingAlgorithm, spec.password)) {
        d.setPassword = true;
        d.reasons.push(`the password of ${u} differs from its secret`);
        if (prior && verifierMatches(prior.password_verifier, spec.password))
          d.drift.push(`the password of ${u} was changed outside kolla`);
      }
      if (!sameTags(lu.tags, spec.tags)) {
        d.setTags = true;
        d.reasons.push(`${u} has tags ${tagsText(lu.tags)} (wants ${tagsText(spec.tags)})`);
        if (prior && sameTags(prior.tags, spec.tags))
          d.drift.push(`the tags of ${u} were changed outside kolla`);
      }
    }
    const lp = live.permissions.get(`${spec.user}\0${spec.vhost}`);
    if (d.createUser || d.createVhost) d.setPermissions = true;
    else if (!samePermissions(lp, spec.permissions)) {
      d.setPermissions = true;
      d.reasons.push(
        lp
          ? `the permissions of ${u} on vhost ${spec.vhost} differ (${permText(lp)}; wants ${permText(spec.permissions)})`
          : `${u} has no permissions on vhost ${spec.vhost}`,
      );
      if (prior && prior.vhost === spec.vhost && samePermissions(prior.permissions, spec.permissions))
        d.drift.push(`the permissions of ${u} on vhost ${spec.vhost} were changed outside kolla`);
    }
    if (prior && prior.vhost !== spec.vhost && live.permissions.has(`${spec.user}\0${prior.vhost}`)) {
      d.clearVhost = prior.vhost;
      d.reasons.push(`${u} moves from vhost ${prior.vhost} to ${spec.vhost}`);
    }
  } else if (!prior) {
    d.createVhost = d.createUser = d.setPermissions = true;
    d.reasons.push('not created yet');
  } else {
    if (!verifierMatches(prior.password_verifier, spec.password)) {
      d.setPassword = true;
      d.reasons.push(`the password secret of ${u} changed`);
    }
    if (!sameTags(prior.tags, spec.tags)) {
      d.setTags = true;
      d.reasons.push(`its tags changed`);
    }
    if (prior.vhost !== spec.vhost) {
      d.createVhost = true;
      d.clearVhost = prior.vhost;
      d.setPermissions = true;
      d.reasons.push(`${u} moves from vhost ${prior.vhost} to ${spec.vhost}`);
    } else if (!samePermissions(prior.permissions, spec.permissions)) {
      d.setPermissions = true;
      d.reasons.push('its permissions changed');
    }
  }
  const any =
    d.createVhost ||
    d.createUser ||
    d.setPassword ||
    d.setTags ||
    d.setPermissions ||
    d.clearVhost !== undefined;
  if (any) d.action = prior || live?.users.has(spec.user) ? 'update' : 'create';
  return d;
}

function permText(p: Permissions): string {
  return `configure "${p.configure}", write "${p.write}", read "${p.read}"`;
}

/** A user's definition as import_definitions takes it. */
interface UserDefinition {
  name: string;
  password_hash: string;
  hashing_algorithm: string;
  tags: string[];
}

interface PermissionDefinition extends Permissions {
  user: string;
  vhost: string;
}

/**
 * The definitions import_definitions applies to reach the spec (the user with a fresh salted
 * hash when its password is set; else its hash as the broker has it). Holds a password hash:
 * send it on standard input only.
 */
export function importFor(
  spec: RabbitmqUserSpec,
  d: RabbitDiff,
  live: LiveUser | undefined,
  salt?: Buffer,
): { vhosts: { name: string }[]; users: UserDefinition[]; permissions: PermissionDefinition[] } {
  const out = {
    vhosts: d.createVhost ? [{ name: spec.vhost }] : [],
    users: [] as UserDefinition[],
    permissions: [] as PermissionDefinition[],
  };
  if (d.createUser || d.setPassword || d.setTags) {
    const fresh = d.createUser || d.setPassword || !live;
    out.users.push({
      name: spec.user,
      password_hash: fresh ? rabbitPasswordHash(spec.password, salt) : live.passwordHash,
      hashing_algorithm: fresh ? SHA256 : live.hashingAlgorithm,
      tags: normaliseTags(spec.tags),
    });
  }
  if (d.setPermissions) out.permissions.push({ user: spec.user, vhost: spec.vhost, ...spec.permissions });
  return out;
}

/** The state's record of a spec (with a fresh verifier unless the password is unchanged). */
export function toRecord(spec: RabbitmqUserSpec, prior: RabbitmqUserRecord | undefined): RabbitmqUserRecord {
  return {
    user: spec.user,
    vhost: spec.vhost,
    tags: normaliseTags(spec.tags),
    permissions: { ...spec.permissions },
    password_verifier:
      prior && verifierMatches(prior.password_verifier, spec.password)
        ? prior.password_verifier
        : passwordVerifier(spec.password),
  };
}

// ---------------------------------------------------------------------------------------------
// The kind: the engine's side (refresh request, plan, apply, delete, undo, state).

interface RabbitEntry extends StepEntry {
  op: 'create-rabbitmq-user' | 'update-rabbitmq-user' | 'delete-rabbitmq-user';
  container: string;
  user: string;
  vhost: string;
  created_user?: boolean;
  created_vhost?: boolean;
  deleted_vhost?: boolean;
  /**
   * The user as the broker had it before the step (its password hash, not the password; the
   * journal is 0600 and removed with the apply), so that the undo puts it back as it was.
   */
  previous_user?: UserDefinition;
  /** Its permissions on the vhost before the step (absent: it had none there). */
  previous_permissions?: Permissions;
  /** The vhost whose permissions the step cleared (the block moved to another), and what they were. */
  cleared_vhost?: string;
  cleared_permissions?: Permissions;
}

function live(i: RabbitmqUserInstance, ctx: PlanContext): { live?: Definitions; error?: string } {
  if (!ctx.options.refreshed) return {};
  const r = ctx.host(i.host).execs?.get(i.address);
  if (!r) return {};
  if ('error' in r) return { error: r.error };
  try {
    return { live: parseDefinitions(r.output) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function plan(inst: RabbitmqUserInstance, s: RabbitmqUserResource | undefined, ctx: PlanContext): Change {
  const c = noopChange(inst, s, ctx);
  const spec = inst.spec;
  const l = live(inst, ctx);
  const d = diffRabbitmqUser(spec, s?.rabbitmq_user, l.live);
  const notes = [`rabbitmqctl runs in ${inst.container}`];
  if (l.error && s)
    notes.push(
      `the broker could not be read (${ctx.masker.maskForDisplay(l.error)}): planned from the state`,
    );
  c.notes = notes;
  for (const detail of d.drift)
    ctx.drift({
      address: inst.address,
      host: inst.host,
      kind: /deleted/.test(detail) ? 'removed' : 'edited',
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
  const prior = s?.rabbitmq_user;
  const liveUser = l.live?.users.get(spec.user);
  if (d.action === 'create' || !prior) {
    a('user', undefined, spec.user);
    a('vhost', undefined, spec.vhost);
    a('tags', undefined, normaliseTags(spec.tags));
    a('permissions', undefined, { ...spec.permissions });
    a('password', undefined, '(sensitive)', true);
  } else {
    if (d.createUser) a('user', undefined, spec.user);
    if (d.createVhost || d.clearVhost !== undefined)
      a(
        'vhost',
        d.clearVhost ?? (d.createVhost && prior.vhost === spec.vhost ? undefined : prior.vhost),
        spec.vhost,
      );
    if (d.setPassword) a('password', '(sensitive)', '(sensitive)', true);
    if (d.setTags) a('tags', liveUser?.tags ?? prior.tags, normaliseTags(spec.tags));
    if (d.setPermissions && !d.createUser) {
      const lp = l.live ? l.live.permissions.get(`${spec.user}\0${spec.vhost}`) : prior.permissions;
      a('permissions', lp ? { ...lp } : undefined, { ...spec.permissions });
    }
  }
  c.attrs = attrs;
  return c;
}

function planDelete(r: RabbitmqUserResource, ctx: PlanContext): Change {
  const includeData = ctx.options.destroy && ctx.options.includeData === true;
  // A destroy deletes every block's user (with -target, those it names): they keep no vhost.
  const staying = ctx.options.destroy
    ? ctx.instances.filter(
        (i) => ctx.options.targets.length && !ctx.options.targets.some((t) => addressMatches(t, i.address)),
      )
    : ctx.instances;
  const other = sharedVhost(r, staying);
  const dropVhost = includeData && !other;
  const rec = r.rabbitmq_user;
  const data = dropVhost
    ? ` and the vhost ${rec.vhost} with its queues and messages (--include-data)`
    : other
      ? `; keeps the vhost ${rec.vhost} (${other} still uses it)`
      : `; keeps the vhost ${rec.vhost} and its queues${ctx.options.destroy ? ' (destroy --include-data deletes it)' : ''}`;
  return {
    address: r.address,
    kind: 'rabbitmq_user',
    host: r.host,
    action: 'delete',
    reasons: [
      `${ctx.options.destroy ? 'destroy' : 'no longer in the configuration'}: deletes the user ${rec.user}${data}`,
    ],
    attrs: [
      { path: 'user', before: rec.user, forcesReplacement: false, sensitive: false },
      { path: 'vhost', before: rec.vhost, forcesReplacement: false, sensitive: false },
    ],
    before: r,
    dependsOn: r.dependencies,
    notes: dropVhost ? [DELETE_VHOST] : [],
  };
}

const DELETE_VHOST = 'deletes the vhost and its queues (--include-data)';

/** Another configured rabbitmq_user block on the same broker and vhost, if one is. */
function sharedVhost(r: RabbitmqUserResource, instances: readonly Instance[]): string | undefined {
  for (const i of instances)
    if (
      i.kind === 'rabbitmq_user' &&
      i.address !== r.address &&
      i.host === r.host &&
      i.container === r.container &&
      i.spec.vhost === r.rabbitmq_user.vhost
    )
      return i.address;
  return undefined;
}

async function exportDefinitions(
  docker: Dockerode,
  container: string,
  project: string,
  timeoutMs: number,
): Promise<Definitions> {
  return parseDefinitions(
    await execChecked(docker, container, EXPORT_DEFINITIONS, '', { project, timeoutMs }),
  );
}

async function importDefinitions(
  docker: Dockerode,
  container: string,
  defs: object,
  project: string,
  timeoutMs: number,
): Promise<void> {
  await execChecked(docker, container, IMPORT_DEFINITIONS, JSON.stringify(defs), { project, timeoutMs });
}

function userDefinition(name: string, u: LiveUser): UserDefinition {
  return { name, password_hash: u.passwordHash, hashing_algorithm: u.hashingAlgorithm, tags: u.tags };
}

async function apply(c: Change, inst: RabbitmqUserInstance, ctx: StepContext): Promise<undefined> {
  const spec = inst.spec;
  const prior = c.before?.kind === 'rabbitmq_user' ? c.before.rabbitmq_user : undefined;
  try {
    const docker = await ctx.transport.docker();
    // What the broker holds now (it may have moved since the plan): the diff is made again.
    const defs = await exportDefinitions(docker, inst.container, ctx.project, inst.timeoutMs);
    const d = diffRabbitmqUser(spec, prior, defs);
    if (d.action === 'noop') return undefined;
    const lu = defs.users.get(spec.user);
    const e: RabbitEntry = {
      op: c.action === 'create' ? 'create-rabbitmq-user' : 'update-rabbitmq-user',
      host: inst.host,
      address: inst.address,
      container: inst.container,
      user: spec.user,
      vhost: spec.vhost,
      created_user: d.createUser,
      created_vhost: d.createVhost,
    };
    if (lu) e.previous_user = userDefinition(spec.user, lu);
    const lp = defs.permissions.get(`${spec.user}\0${spec.vhost}`);
    if (lp) e.previous_permissions = lp;
    if (d.clearVhost !== undefined) {
      e.cleared_vhost = d.clearVhost;
      const cp = defs.permissions.get(`${spec.user}\0${d.clearVhost}`);
      if (cp) e.cleared_permissions = cp;
    }
    await ctx.log(e);
    await importDefinitions(docker, inst.container, importFor(spec, d, lu), ctx.project, inst.timeoutMs);
    if (d.clearVhost !== undefined && defs.vhosts.has(d.clearVhost))
      await rabbitmqctl(docker, inst.container, ['clear_permissions', '-p', d.clearVhost, spec.user], {
        project: ctx.project,
        timeoutMs: inst.timeoutMs,
      });
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(inst.address, ctx.masker.maskForDisplay((err as Error).message));
  }
  return undefined;
}

async function applyDelete(c: Change, ctx: StepContext): Promise<void> {
  const r = c.before;
  if (r?.kind !== 'rabbitmq_user') return;
  const docker = await ctx.transport.docker();
  const running = await docker
    .getContainer(r.container)
    .inspect()
    .then((x) => x.State.Running && x.Config.Labels?.[PROJECT_LABEL] === ctx.project)
    .catch(() => false);
  if (!running) {
    ctx.progress(
      `container ${r.container} is not running (or not this project's): the user is left on its broker`,
      0,
    );
    return;
  }
  const rec = r.rabbitmq_user;
  const dropVhost = c.notes?.includes(DELETE_VHOST) === true;
  const opts = { project: ctx.project, timeoutMs: 60_000 };
  try {
    const defs = await exportDefinitions(docker, r.container, ctx.project, 60_000);
    const lu = defs.users.get(rec.user);
    const hasVhost = dropVhost && defs.vhosts.has(rec.vhost);
    if (!lu && !hasVhost) return;
    const e: RabbitEntry = {
      op: 'delete-rabbitmq-user',
      host: r.host,
      address: r.address,
      container: r.container,
      user: rec.user,
      vhost: rec.vhost,
      deleted_vhost: hasVhost,
    };
    if (lu) e.previous_user = userDefinition(rec.user, lu);
    const lp = defs.permissions.get(`${rec.user}\0${rec.vhost}`);
    if (lp) e.previous_permissions = lp;
    await ctx.log(e);
    if (lu) await rabbitmqctl(docker, r.container, ['delete_user', rec.user], opts);
    if (hasVhost) await rabbitmqctl(docker, r.container, ['delete_vhost', rec.vhost], opts);
  } catch (err) {
    throw new StepError(r.address, ctx.masker.maskForDisplay((err as Error).message));
  }
}

async function undo(e: StepEntry, ctx: UndoContext): Promise<void> {
  const k = e as RabbitEntry;
  const docker = await ctx.transport(k.host).docker();
  const opts = { project: ctx.project, timeoutMs: 60_000 };
  if (k.op === 'create-rabbitmq-user' || k.op === 'update-rabbitmq-user') {
    if (k.created_vhost) ctx.note(`${k.address}: the vhost ${k.vhost} is kept (it may hold queues since)`);
    if (k.created_user) {
      await rabbitmqctl(docker, k.container, ['delete_user', k.user], opts).catch((err: Error) => {
        if (!/no such user|does not exist/i.test(err.message)) throw err;
      });
      return;
    }
  }
  if (k.op === 'delete-rabbitmq-user' && k.deleted_vhost)
    ctx.note(`${k.address}: the vhost ${k.vhost} is made again, empty (its queues and messages are gone)`);
  // The user as it was (its old password hash: the old password again, never known to kolla),
  // its permissions on the vhost, and those the step cleared on another.
  const defs = {
    vhosts: k.op === 'delete-rabbitmq-user' && k.deleted_vhost ? [{ name: k.vhost }] : [],
    users: k.previous_user ? [k.previous_user] : [],
    permissions: [
      ...(k.previous_permissions ? [{ user: k.user, vhost: k.vhost, ...k.previous_permissions }] : []),
      ...(k.cleared_vhost && k.cleared_permissions
        ? [{ user: k.user, vhost: k.cleared_vhost, ...k.cleared_permissions }]
        : []),
    ],
  };
  if (defs.users.length || defs.permissions.length || defs.vhosts.length)
    await importDefinitions(docker, k.container, defs, ctx.project, 60_000);
  if (k.op === 'update-rabbitmq-user' && !k.previous_permissions)
    await rabbitmqctl(docker, k.container, ['clear_permissions', '-p', k.vhost, k.user], opts);
  if (k.previous_user)
    ctx.note(
      `${k.address}: user ${k.user} is set back to its password, tags and permissions before the apply`,
    );
}

export const rabbitmqUserKind: ResourceKind<'rabbitmq_user'> = {
  kind: 'rabbitmq_user',
  // After the containers (the broker must run); beside the databases and post-start tasks.
  planPhase: 3,
  shape: 'box3d',
  ops: ['create-rabbitmq-user', 'update-rabbitmq-user', 'delete-rabbitmq-user'],
  wants(i, req) {
    (req.execs ??= []).push({
      address: i.address,
      container: i.container,
      cmd: EXPORT_DEFINITIONS,
      timeoutMs: i.timeoutMs,
    });
  },
  wantsForState: () => undefined,
  plan,
  planDelete,
  apply,
  applyDelete,
  undo,
  describeUndo: (e) => {
    const k = e as RabbitEntry;
    if (k.op === 'delete-rabbitmq-user') return `re-create deleted user ${k.user} on ${k.container}`;
    return k.created_user
      ? `delete new user ${k.user} on ${k.container}`
      : `set user ${k.user} back to its password, tags and permissions before the apply`;
  },
  toState(i, _c, prev, _observed, { masker }) {
    return {
      address: i.address,
      kind: 'rabbitmq_user',
      host: i.host,
      dependencies: i.dependsOn,
      service: i.service,
      container: i.container,
      rabbitmq_user: toRecord(i.spec, prev?.rabbitmq_user),
      secrets: { password: masker.mask(i.spec.password) },
    };
  },
  fromState(r, masker) {
    const password = masker.unmask(r.secrets.password);
    if (password === r.secrets.password) return undefined; // its secret is gone
    const rec = r.rabbitmq_user;
    return {
      address: r.address,
      kind: 'rabbitmq_user',
      host: r.host,
      dependsOn: r.dependencies,
      service: r.service,
      name: rec.user,
      container: r.container,
      spec: {
        user: rec.user,
        vhost: rec.vhost,
        tags: rec.tags,
        permissions: { ...rec.permissions },
        password,
      },
      timeoutMs: 60_000,
    };
  },
  show: (r) => [
    ['container', r.container],
    ['user', r.rabbitmq_user.user],
    ['vhost', r.rabbitmq_user.vhost],
    ['tags', r.rabbitmq_user.tags.join(', ')],
    ['permissions', permText(r.rabbitmq_user.permissions)],
    ['password', '(sensitive)'],
  ],
};
