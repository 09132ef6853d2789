/**
 * Post-start tasks of a placed service: a command run (docker exec) in one of the service's
 * running containers once it — and every container of the services the task's `depends_on`
 * names — is up, after an optional `until` condition retried `retries` times `delay` apart
 * (kolla-ansible's until/retries/delay, e.g. wait_discover_computes then discover_hosts).
 * Once on the service's first host, or on each host (`on_each_host`).
 */
import type { Expr, Value } from '../config/hcl/ast.js';
import type { DecodedBlock } from '../config/decode.js';
import { checkValues } from '../config/value-check.js';
import { referencesOf } from '../config/hcl/traversal.js';
import { didYouMean } from '../diags/suggest.js';
import { taskAddr } from '../addrs/address.js';
import { durationMs } from '../config/duration.js';
import { checkDuration, command, SpecError } from './container-spec.js';
import { evalAttrs, type ExpandContext } from './context.js';
import type { PlacedService } from './services.js';
import type { ContainerInstance, TaskInstance } from './instances.js';

const DEFAULT_RETRIES = 10;
const DEFAULT_DELAY = '5s';
const DEFAULT_TIMEOUT = '300s';

/** A task and the services whose containers it waits for (linked by linkTasks). */
export interface ExpandedTask {
  task: TaskInstance;
  after: string[];
}

/** The service's tasks, in the order they are written (each waits for the ones before). */
export function expandTasks(
  ctx: ExpandContext,
  svc: PlacedService,
  containers: readonly ContainerInstance[],
): ExpandedTask[] {
  const out: ExpandedTask[] = [];
  const containerBlocks = svc.block.blocks.filter((b) => b.type === 'container');
  for (const tb of svc.block.blocks) {
    if (tb.type !== 'task') continue;
    const tname = tb.labels[0]!;
    const each = tb.attrs.get('on_each_host');
    const eachR = each ? ctx.scope.tryEval(each.expr) : { ok: true as const, value: false };
    const onEach = eachR.ok && eachR.value === true;
    const after = readAfter(ctx, tb, svc);
    const earlier = out.map((t) => t.task.address);
    for (const hostName of onEach ? svc.hosts : svc.hosts.slice(0, 1)) {
      const host = ctx.hostsByName.get(hostName)!;
      const values = evalAttrs(ctx, tb, ctx.hostNames(host));
      if (!values || !checkValues(tb, values, ctx.diags)) continue;
      const cname = String(values['container']);
      const blockOf = containerBlocks.find((b) => b.labels[0] === cname);
      if (!blockOf) {
        ctx.report(
          `Unknown container "${cname}" for task "${tname}"${didYouMean(
            cname,
            containerBlocks.map((b) => b.labels[0]!),
          )}`,
          tb.attrs.get('container')!.expr.range,
        );
        break;
      }
      // Its container on this host: the block's instance, under the Docker name it was given.
      const target = containers.find(
        (c) => c.host === hostName && c.address.includes(`.container.${cname}[`),
      );
      if (!target) continue;
      let task: TaskInstance;
      try {
        task = {
          address: ctx.addr(onEach ? taskAddr(svc.name, tname, hostName) : taskAddr(svc.name, tname)),
          kind: 'task',
          host: hostName,
          dependsOn: [target.address, ...earlier],
          range: tb.labelRanges[0]!,
          service: svc.name,
          name: tname,
          container: target.spec.name,
          command: argv('command', values['command'])!,
          retries: typeof values['retries'] === 'number' ? values['retries'] : DEFAULT_RETRIES,
          delayMs: durationMs(checkDuration('delay', values['delay']) ?? DEFAULT_DELAY),
          timeoutMs: durationMs(checkDuration('timeout', values['timeout']) ?? DEFAULT_TIMEOUT),
          environment: strings(values['environment']),
          triggers: Array.isArray(values['triggers']) ? values['triggers'] : [],
        };
        const until = argv('until', values['until']);
        if (until) task.until = until;
        if (typeof values['user'] === 'string') task.user = values['user'];
      } catch (e) {
        if (e instanceof SpecError) {
          ctx.report(
            `Invalid task "${tname}": ${e.message}`,
            tb.attrs.get(e.attr)?.expr.range ?? tb.labelRanges[0],
          );
          continue;
        }
        throw e;
      }
      out.push({ task, after });
    }
  }
  return out;
}

/** The container spec's command splitting, and an empty command is an error. */
function argv(attr: string, v: Value | undefined): string[] | undefined {
  const w = command(attr, v);
  if (w && w.length === 0) throw new SpecError(attr, `${attr} is empty`);
  return w;
}

function strings(v: Value | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

/** `depends_on = [service.x, ...]`: service names of this module (checked, with did-you-mean). */
function readAfter(ctx: ExpandContext, tb: DecodedBlock, svc: PlacedService): string[] {
  const attr = tb.attrs.get('depends_on');
  if (!attr) return [];
  const expr: Expr = attr.expr;
  const bad = (range: Expr['range']): void =>
    ctx.diags.error(
      `Invalid depends_on in task "${tb.labels[0]}" of service "${svc.name}"`,
      range,
      'A list of service references is required, e.g. [service.nova_compute].',
    );
  if (expr.kind !== 'tuple') {
    bad(expr.range);
    return [];
  }
  const out: string[] = [];
  for (const item of expr.items) {
    const r = referencesOf(item)[0];
    if (!r || r.parts.length !== 2 || r.parts[0] !== 'service') {
      bad(item.range);
      continue;
    }
    const name = r.parts[1]!;
    if (!ctx.declared.service.has(name)) {
      ctx.diags.error(
        `Reference to undeclared service "${name}"${didYouMean(name, ctx.declared.service)}`,
        item.range,
        `No service block named "${name}" exists.`,
      );
      continue;
    }
    out.push(name);
  }
  return out;
}
