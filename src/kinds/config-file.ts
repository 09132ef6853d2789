/**
 * The config file kind: a file kolla renders and writes on a host — a service's config
 * file or a container's config.json (a config file in every respect: same refresh by
 * sha256, same text diff, same atomic write, same undo). A changed file restarts the
 * container that reads it (the container kind looks at this kind's changes).
 */
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { ConfigInstance, Instance } from '../expand/instances.js';
import type { ConfigResource, StepEntry } from '../states/state.js';
import type { Change } from '../plans/plan.js';
import { diffLib } from '../lazy/modules.js';
import { crashPoint } from './crash-point.js';
import type { PlanContext, ResourceKind, StepContext, UndoContext } from './kind.js';

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The config files of a list of instances. */
export function configFilesOf(instances: readonly Instance[]): ConfigInstance[] {
  return instances.filter((i): i is ConfigInstance => i.kind === 'config');
}

interface WriteEntry extends StepEntry {
  op: 'write-file';
  path: string;
  /** The content it replaced (secrets masked). */
  previous: string;
  mode: string;
}
interface CreateEntry extends StepEntry {
  op: 'create-file';
  path: string;
}
type Entry = WriteEntry | CreateEntry;

function patch(file: string, before: string, after: string): string {
  return diffLib()
    .createTwoFilesPatch(file, file, before, after, '', '', { context: 3 })
    .split('\n')
    .slice(2) // drop the "Index"/"===" header lines
    .join('\n');
}

function plan(inst: ConfigInstance, s: ConfigResource | undefined, ctx: PlanContext): Change {
  const hash = sha256(inst.content);
  const onHost = ctx.options.refreshed ? ctx.host(inst.host).files.get(inst.path) : s?.content_hash;
  const masked = ctx.masker.mask(inst.content);
  const c: Change = {
    address: inst.address,
    kind: 'config',
    host: inst.host,
    action: 'noop',
    reasons: [],
    attrs: [],
    after: { ...inst, content: masked },
    dependsOn: inst.dependsOn,
    path: inst.path,
  };
  if (inst.sensitive) c.sensitiveContent = true;
  if (s) c.before = s;
  if (onHost === undefined) {
    if (s)
      ctx.drift({
        address: inst.address,
        host: inst.host,
        kind: 'file-removed',
        detail: `${inst.path} was removed from the host`,
      });
    c.action = 'create';
    c.reasons.push(s ? `${inst.path} is missing on the host` : `new file ${inst.path}`);
    if (!inst.sensitive) c.textDiff = patch(inst.path, '', masked);
  } else if (onHost !== hash) {
    const edited = s !== undefined && s.content_hash !== onHost;
    if (edited)
      ctx.drift({
        address: inst.address,
        host: inst.host,
        kind: 'file-edited',
        detail: `${inst.path} was edited on the host`,
      });
    c.action = 'update';
    c.reasons.push(edited ? `${inst.path} was edited on the host` : `${inst.name} changed`);
    // The refresh reads a file's hash, not its text: the diff is from the content kolla
    // last wrote. When that text is what is configured (an edit on the host, or only a
    // masked secret changed), the hashes say what changes instead of an empty diff.
    const textChanged = (s?.content ?? '') !== masked;
    if (!inst.sensitive && textChanged) c.textDiff = patch(inst.path, s?.content ?? '', masked);
    if (edited || !textChanged || inst.sensitive)
      c.attrs.push({
        path: 'sha256',
        before: onHost.slice(0, 12),
        after: hash.slice(0, 12),
        forcesReplacement: false,
        sensitive: false,
      });
  }
  return c;
}

function planDelete(r: ConfigResource, ctx: PlanContext): Change {
  return {
    address: r.address,
    kind: 'config',
    host: r.host,
    action: 'delete',
    reasons: [ctx.options.destroy ? 'destroy' : 'no longer in the configuration'],
    attrs: [{ path: 'path', before: r.path, forcesReplacement: false, sensitive: false }],
    before: r,
    dependsOn: r.dependencies,
  };
}

async function apply(_c: Change, inst: ConfigInstance, ctx: StepContext): Promise<undefined> {
  const t = ctx.transport;
  const prev = await t.readFile(inst.path);
  const entry = { host: inst.host, address: inst.address, path: inst.path };
  if (prev === undefined) await ctx.log({ op: 'create-file', ...entry });
  else
    await ctx.log({
      op: 'write-file',
      ...entry,
      previous: ctx.masker.mask(prev.toString('utf8')),
      mode: inst.mode,
    });
  await t.mkdirp(path.posix.dirname(inst.path), 0o755);
  await t.writeFileAtomic(inst.path, inst.content, parseInt(inst.mode, 8));
  crashPoint('after-file');
  return undefined;
}

async function commitDelete(c: Change, ctx: StepContext): Promise<void> {
  if (c.before?.kind === 'config') await ctx.transport.removeFile(c.before.path);
}

async function undo(e: StepEntry, ctx: UndoContext): Promise<void> {
  const k = e as Entry;
  const t = ctx.transport(k.host);
  if (k.op === 'write-file')
    await t.writeFileAtomic(k.path, ctx.masker.unmask(k.previous), parseInt(k.mode, 8));
  else if (k.op === 'create-file') await t.removeFile(k.path);
}

function describeUndo(e: StepEntry): string {
  const k = e as Entry;
  return k.op === 'write-file' ? `restore ${k.path} on ${k.host}` : `remove ${k.path} on ${k.host}`;
}

export const configFileKind: ResourceKind<'config'> = {
  kind: 'config',
  planPhase: 0,
  shape: 'note',
  ops: ['write-file', 'create-file'],
  wants: (i, req) => void req.files.push(i.path),
  wantsForState: (r, req) => void req.files.push(r.path),
  plan,
  planDelete,
  apply,
  commitDelete,
  undo,
  describeUndo,
  toState: (i, _c, _prev, _o, { masker }) => ({
    address: i.address,
    kind: 'config',
    host: i.host,
    dependencies: i.dependsOn,
    service: i.service,
    container: i.container,
    path: i.path,
    content: i.sensitive ? '' : masker.mask(i.content),
    content_hash: sha256(i.content),
    mode: i.mode,
    sensitive: i.sensitive,
  }),
  // A sensitive file's content is not in the state: a rollback cannot write it back.
  fromState: (r, masker) =>
    r.sensitive
      ? undefined
      : {
          address: r.address,
          kind: 'config',
          host: r.host,
          dependsOn: r.dependencies,
          service: r.service,
          container: r.container,
          name: r.path.split('/').pop() ?? '',
          path: r.path,
          content: masker.unmask(r.content),
          mode: r.mode,
          sensitive: false,
        },
  show: (r) => [
    ['path', r.path],
    ['content_hash', r.content_hash],
  ],
};
