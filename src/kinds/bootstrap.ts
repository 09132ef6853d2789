/**
 * The bootstrap kind: a one-shot container (database migration, key setup) run on its
 * host before the service's containers start; exit code 0 required. It re-runs only when
 * its inputs change — its spec, the config files of its service on that host, or the image
 * its tag points at. What it did cannot be undone: the plan marks it irreversible — except
 * the schemas it `migrates`: when it runs again they are backed up first on their server
 * (journalled), and a rollback restores them before any other step (issue #19).
 */
import type {
  BackupRecord,
  BackupTarget,
  BootstrapInstance,
  ConfigInstance,
  Instance,
} from '../expand/instances.js';
import type { BootstrapResource, StepEntry } from '../states/state.js';
import type { Change } from '../plans/plan.js';
import { specHash } from '../providers/docker/spec-hash.js';
import { runOnce } from '../providers/docker/container-ops.js';
import { imageId } from '../providers/docker/image-ops.js';
import { restoreBackup, takeBackup, type BackupServer } from '../providers/docker/db-backup.js';
import type { SecretMasker } from '../states/secret-mask.js';
import { crashPoint } from './crash-point.js';
import { showSpec } from './container.js';
import { sha256 } from './config-file.js';
import { ensureImagesOnHosts, imagesNeeded, StepError } from './images-on-hosts.js';
import type { Observed, PlanContext, ResourceKind, StepContext } from './kind.js';
import { forgetOneOff, noopChange } from './kind.js';
import { bootstrapBackupsNamed, bootstrapRollbackTo } from './bootstrap-rollback.js';

/** Config files by service and host, built once per list of instances. */
const filesIndex = new WeakMap<readonly Instance[], Map<string, ConfigInstance[]>>();

function filesOf(instances: readonly Instance[], service: string, host: string): ConfigInstance[] {
  let idx = filesIndex.get(instances);
  if (!idx) {
    idx = new Map();
    for (const i of instances) {
      if (i.kind !== 'config') continue;
      const k = `${i.service}\u0000${i.host}`;
      const list = idx.get(k) ?? [];
      list.push(i);
      idx.set(k, list);
    }
    filesIndex.set(instances, idx);
  }
  return idx.get(`${service}\u0000${host}`) ?? [];
}

/** What a bootstrap ran with: its spec and the config files of its service's host. */
export function bootstrapInputsHash(b: BootstrapInstance, instances: readonly Instance[]): string {
  const files = filesOf(instances, b.service, b.host)
    .map((i) => `${i.path}:${sha256(i.content)}`)
    .sort();
  return sha256(specHash(b.spec) + '\n' + files.join('\n'));
}

function plan(inst: BootstrapInstance, s: BootstrapResource | undefined, ctx: PlanContext): Change {
  if (inst.rollback) return planRollback(inst, inst.rollback, s, ctx);
  const c = noopChange(inst, s, ctx);
  const h = bootstrapInputsHash(inst, ctx.instances);
  const forced = ctx.forced(inst.address);
  const imageNow = ctx.host(inst.host).images.get(inst.spec.image);
  if (imageNow) {
    c.imageRef = inst.spec.image;
    c.imageId = imageNow;
  }
  const imageMoved = ctx.options.refreshed && !!s?.image_id && !!imageNow && s.image_id !== imageNow;
  if (!s || s.inputs_hash !== h || forced || imageMoved) {
    c.action = 'run';
    c.irreversible = true;
    c.reasons.push(
      forced
        ? 'a re-run was requested with -replace'
        : s
          ? 'its inputs (image, command, environment or config files) changed'
          : 'it has not run yet',
    );
    // It has run before, so its schemas hold data: back them up before migrating them again.
    if (s && inst.backups?.length) backsUpFirst(c, inst.backups);
  }
  return c;
}

function backsUpFirst(c: Change, targets: readonly BackupTarget[]): void {
  c.backsUp = targets.flatMap((t) => t.schemas);
  c.notes = targets.map(
    (t) => `backs up ${t.schemas.join(', ')} first (in ${t.container}:${t.dir} on ${t.host})`,
  );
}

/**
 * kolla rollback: a bootstrap never runs backward. When it migrated its schemas since the
 * earlier state (its inputs differ), and backups of them from before exist, it "runs" as a
 * restore of those backups (the schemas as they are now backed up first); otherwise nothing.
 */
function planRollback(
  inst: BootstrapInstance,
  rb: NonNullable<BootstrapInstance['rollback']>,
  s: BootstrapResource | undefined,
  ctx: PlanContext,
): Change {
  const c = noopChange(inst, s, ctx);
  if (!rb.restore?.length || !s || s.inputs_hash === rb.inputsHash) return c;
  c.action = 'run';
  c.reasons.push(
    `rollback: restores ${rb.restore.flatMap((r) => r.schemas).join(', ')} from backup ${rb.restore.map((r) => r.id).join(', ')}, taken before the apply of serial ${rb.since ?? '?'} migrated them; the bootstrap itself does not run`,
  );
  if (inst.backups?.length) backsUpFirst(c, inst.backups);
  return c;
}

/** The journal step of a backup taken before a bootstrap: its undo restores it. */
type BackupEntry = StepEntry & BackupRecord & { op: 'backup-database' };

function server(t: BackupTarget, project: string): BackupServer {
  const s: BackupServer = { container: t.container, dir: t.dir, adminUser: t.adminUser, project };
  if (t.adminPassword !== undefined) s.adminPassword = t.adminPassword;
  return s;
}

function recordedServer(e: BackupRecord, project: string, masker: SecretMasker): BackupServer {
  const s: BackupServer = { container: e.container, dir: e.dir, adminUser: e.admin_user, project };
  if (e.admin_password !== undefined) s.adminPassword = masker.unmask(e.admin_password);
  return s;
}

/** Backs up what the bootstrap migrates, each backup journalled once it is complete. */
async function backUp(
  inst: BootstrapInstance,
  ctx: StepContext,
  keep = ctx.backupRetention,
): Promise<BackupRecord[]> {
  const out: BackupRecord[] = [];
  for (const t of inst.backups ?? []) {
    const t0 = Date.now();
    ctx.progress(`backing up ${t.schemas.join(', ')} on ${t.host}`, 0);
    const { meta, pruned } = await takeBackup(
      await ctx.transportOf(t.host).docker(),
      server(t, ctx.project),
      t.schemas,
      inst.rollback ? `before the rollback of ${inst.address}` : `before ${inst.address}`,
      { keep, timeoutMs: t.timeoutMs },
    );
    const record: BackupRecord = {
      id: meta.id,
      host: t.host,
      container: t.container,
      dir: t.dir,
      schemas: t.schemas,
      admin_user: t.adminUser,
    };
    if (t.adminPassword !== undefined) record.admin_password = ctx.masker.mask(t.adminPassword);
    // Journalled after it is complete: a rollback never restores half a dump.
    const e: BackupEntry = { op: 'backup-database', address: inst.address, ...record };
    await ctx.log(e);
    ctx.progress(
      `backed up ${t.schemas.join(', ')} as ${meta.id}${pruned.length ? ` (removed ${pruned.length} older)` : ''}`,
      Date.now() - t0,
    );
    out.push(record);
  }
  return out;
}

/** kolla rollback: the backups from before the migration, back (after a backup of now). */
async function restoreEarlier(
  inst: BootstrapInstance,
  restore: readonly BackupRecord[],
  ctx: StepContext,
): Promise<Observed> {
  // Nothing is pruned here: the backups about to be restored must stay.
  await backUp(inst, ctx, Infinity);
  // From here on the schemas change: a rollback of this apply restores the backup just taken.
  await ctx.log({ op: 'restore-database', host: inst.host, address: inst.address });
  for (const r of restore) {
    const t0 = Date.now();
    ctx.progress(`restoring ${r.schemas.join(', ')} on ${r.host} from backup ${r.id}`, 0);
    await restoreBackup(
      await ctx.transportOf(r.host).docker(),
      recordedServer(r, ctx.project, ctx.masker),
      r.id,
      600_000,
    );
    ctx.progress(`restored ${r.schemas.join(', ')} from backup ${r.id}`, Date.now() - t0);
  }
  return {};
}

export const bootstrapKind: ResourceKind<'bootstrap'> = {
  kind: 'bootstrap',
  planPhase: 1,
  shape: 'component',
  ops: ['run-bootstrap', 'backup-database', 'restore-database'],
  undoFirst: ['backup-database'],
  wants: (i, req) => void req.images.push(i.spec.image),
  wantsForState: () => undefined,
  plan,
  planDelete: forgetOneOff,
  prepare: (changes, instances, ctx) =>
    ensureImagesOnHosts(
      imagesNeeded(changes, instances, (i) =>
        // A rollback's restore runs no container.
        i.kind === 'bootstrap' && !i.rollback ? i.spec.image : undefined,
      ),
      ctx,
    ),
  async apply(c, inst, ctx) {
    if (inst.rollback) return inst.rollback.restore ? restoreEarlier(inst, inst.rollback.restore, ctx) : {};
    const backups = c.backsUp?.length ? await backUp(inst, ctx) : [];
    await ctx.log({ op: 'run-bootstrap', host: inst.host, address: inst.address });
    const docker = await ctx.transport.docker();
    // The image it ran with goes into the state: a tag moved to another image (a rebuild)
    // makes the next plan run it again.
    const image = await imageId(docker, inst.spec.image);
    // Whether it ran before (the state has it): a first deploy's bootstrap may do what a
    // re-run must not (the mariadb bootstrap marks a new Galera cluster's data only then).
    // Not part of its inputs: the spec hash is the configuration's.
    const firstRun = c.before === undefined ? 'yes' : 'no';
    const r = await runOnce(
      docker,
      { ...inst.spec, environment: { ...inst.spec.environment, KOLLA_BOOTSTRAP_FIRST_RUN: firstRun } },
      { project: ctx.project, address: inst.address, specHash: specHash(inst.spec) },
      { timeoutMs: inst.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
    if (r.exitCode !== 0)
      throw new StepError(
        inst.address,
        `bootstrap exited with code ${r.exitCode}; last log lines:\n${r.logTail}`,
      );
    crashPoint('after-bootstrap');
    const o: Observed = {};
    if (image !== undefined) o.image_id = image;
    if (backups.length) o.backups = backups;
    return o;
  },
  async undo(e: StepEntry, ctx) {
    if (e.op === 'backup-database') {
      const b = e as BackupEntry;
      await restoreBackup(
        await ctx.transport(b.host).docker(),
        recordedServer(b, ctx.project, ctx.masker),
        b.id,
        600_000,
      );
      return;
    }
    if (e.op === 'restore-database') return; // the backup before it is restored instead
    ctx.note(`${e.address} ran and cannot be undone (irreversible)`);
  },
  // A bootstrap's run has nothing to undo (undo() says so); a backup before it is restored.
  describeUndo: (e) =>
    e.op === 'backup-database'
      ? `restore ${(e as BackupEntry).schemas.join(', ')} on ${e.host} from backup ${(e as BackupEntry).id} (taken before ${e.address})`
      : undefined,
  toState(i, c, prev, observed, { masker, instances }) {
    const r: BootstrapResource = {
      address: i.address,
      kind: 'bootstrap',
      host: i.host,
      dependencies: i.dependsOn,
      service: i.service,
      spec: masker.maskDeep(i.spec),
      spec_hash: specHash(i.spec),
      // Rolled back: as the earlier state had it when its schemas were restored, else as now.
      inputs_hash: i.rollback
        ? c.action === 'run' || !prev
          ? i.rollback.inputsHash
          : prev.inputs_hash
        : bootstrapInputsHash(i, instances),
    };
    if (i.migrates?.length) r.migrates = i.migrates;
    const ran = c.action === 'run' && !i.rollback;
    const image = ran
      ? observed?.image_id
      : i.rollback && c.action === 'run'
        ? i.rollback.image_id
        : prev?.image_id;
    if (image) r.image_id = image;
    const backups = ran ? observed?.backups : prev?.backups;
    if (backups?.length) r.backups = backups;
    return r;
  },
  // A bootstrap never runs backward: a rollback keeps it as it is, or restores the schemas it
  // migrated since the earlier state from the backups taken before (rollbackTo).
  rollbackTo: bootstrapRollbackTo,
  backupsNamed: bootstrapBackupsNamed,
  fromState(r, masker) {
    const i: BootstrapInstance = {
      address: r.address,
      kind: 'bootstrap',
      host: r.host,
      dependsOn: r.dependencies,
      service: r.service,
      name:
        r.address
          .replace(/\[[^\]]*\]$/, '')
          .split('.')
          .at(-1) ?? r.address,
      spec: masker.unmaskDeep(r.spec),
      timeoutMs: 300_000,
      rollback: { inputsHash: r.inputs_hash },
    };
    if (r.migrates?.length) i.migrates = r.migrates;
    if (r.image_id) i.rollback!.image_id = r.image_id;
    if (r.restore?.length) {
      i.rollback!.restore = r.restore;
      if (r.restore_since !== undefined) i.rollback!.since = r.restore_since;
      // The schemas as they are now are backed up on the same servers before the restore.
      i.backups = r.restore.map((b) => {
        const t: BackupTarget = {
          host: b.host,
          container: b.container,
          dir: b.dir,
          schemas: b.schemas,
          adminUser: b.admin_user,
          timeoutMs: 600_000,
        };
        if (b.admin_password !== undefined) t.adminPassword = masker.unmask(b.admin_password);
        return t;
      });
    }
    return i;
  },
  show: (r) => [
    ...showSpec(r.spec),
    ['spec_hash', r.spec_hash.slice(0, 16)],
    ['inputs_hash', r.inputs_hash.slice(0, 16)],
    ...(r.migrates?.length ? [['migrates', r.migrates.join(', ')] as [string, unknown]] : []),
    ...(r.backups?.length ? [['backups', r.backups.map((b) => b.id).join(', ')] as [string, unknown]] : []),
  ],
};
