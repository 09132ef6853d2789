/**
 * rabbitmq_user blocks of a placed service (issue #19 item 1): a user, its vhost, tags and
 * permissions on the RabbitMQ broker the service runs, kept by rabbitmqctl run in one of the
 * service's containers. One instance on the service's first host (the users of a cluster are
 * shared by its nodes); each depends on its container (started, healthy) before rabbitmqctl
 * runs.
 */
import type { Value } from '../config/hcl/ast.js';
import type { DecodedBlock } from '../config/decode.js';
import type { SourceRange } from '../diags/diagnostic.js';
import { checkValues } from '../config/value-check.js';
import { didYouMean, nameSuggestion } from '../diags/suggest.js';
import { rabbitmqUserAddr } from '../addrs/address.js';
import { durationMs } from '../config/duration.js';
import { checkDuration, SpecError } from './container-spec.js';
import { evalAttrs, type ExpandContext } from './context.js';
import type { PlacedService } from './services.js';
import type { ContainerInstance, RabbitmqUserInstance } from './instances.js';

const DEFAULT_TIMEOUT = '60s';
/** The tags RabbitMQ gives a meaning to (others are allowed, but one close to these is a typo). */
export const KNOWN_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'];
const PERMISSIONS = ['configure', 'write', 'read'] as const;
/** Names kolla accepts (RabbitMQ allows more; these need no quoting anywhere). */
const USER_NAME = /^[A-Za-z0-9_.@-]{1,128}$/;
const VHOST_NAME = /^[A-Za-z0-9_./-]{1,128}$/;
const TAG_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function expandRabbitmqUsers(
  ctx: ExpandContext,
  svc: PlacedService,
  containers: readonly ContainerInstance[],
): RabbitmqUserInstance[] {
  const out: RabbitmqUserInstance[] = [];
  const containerBlocks = svc.block.blocks.filter((b) => b.type === 'container');
  const hostName = svc.hosts[0];
  if (hostName === undefined) return out;
  const host = ctx.hostsByName.get(hostName)!;
  const secretValues = new Set(Object.values(ctx.config.secretValues));
  const users = new Map<string, string>();
  for (const b of svc.block.blocks) {
    if (b.type !== 'rabbitmq_user') continue;
    const label = b.labels[0]!;
    const values = evalAttrs(ctx, b, { ...ctx.hostNames(host) });
    if (!values || !checkValues(b, values, ctx.diags)) continue;
    const what = `rabbitmq_user "${label}"`;
    const cname = String(values['container']);
    if (!containerBlocks.some((c) => c.labels[0] === cname)) {
      ctx.report(
        `Unknown container "${cname}" for ${what}${didYouMean(
          cname,
          containerBlocks.map((c) => c.labels[0]!),
        )}`,
        b.attrs.get('container')!.expr.range,
      );
      continue;
    }
    const target = containers.find((c) => c.host === hostName && c.address.includes(`.container.${cname}[`));
    if (!target) continue;
    try {
      const inst: RabbitmqUserInstance = {
        address: ctx.addr(rabbitmqUserAddr(svc.name, label)),
        kind: 'rabbitmq_user',
        host: hostName,
        dependsOn: [target.address],
        range: b.labelRanges[0]!,
        service: svc.name,
        name: label,
        container: target.spec.name,
        spec: {
          user: checked(
            'user',
            str(values['user']) ?? label,
            USER_NAME,
            'letters, digits, _ . @ - (at most 128)',
          ),
          vhost: checked(
            'vhost',
            str(values['vhost']) ?? '/',
            VHOST_NAME,
            'letters, digits, _ . / - (at most 128)',
          ),
          tags: tags(values['tags']),
          permissions: permissions(values['permissions']),
          password: secret(values['password'], secretValues),
        },
        timeoutMs: durationMs(checkDuration('timeout', values['timeout']) ?? DEFAULT_TIMEOUT),
      };
      const key = `${target.spec.name}\0${inst.spec.user}`;
      const prev = users.get(key);
      if (prev) {
        ctx.diags.error(
          `Two rabbitmq_user blocks for user "${inst.spec.user}"`,
          b.labelRanges[0],
          `${prev} already declares it on container ${target.spec.name}.`,
        );
        continue;
      }
      users.set(key, inst.address);
      out.push(inst);
    } catch (e) {
      if (e instanceof SpecError) {
        ctx.report(`Invalid ${what}: ${e.message}`, attrRange(b, e.attr));
        continue;
      }
      throw e;
    }
  }
  return out;
}

function attrRange(b: DecodedBlock, attr: string): SourceRange | undefined {
  return b.attrs.get(attr)?.expr.range ?? b.labelRanges[0];
}

function str(v: Value | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function checked(attr: string, v: string, re: RegExp, what: string): string {
  if (!re.test(v)) throw new SpecError(attr, `${attr} "${v}" is not valid (${what})`);
  return v;
}

function tags(v: Value | undefined): string[] {
  if (!Array.isArray(v)) return [];
  const out = new Set<string>();
  for (const t of v) {
    const s = String(t);
    if (!TAG_NAME.test(s)) throw new SpecError('tags', `tag "${s}" is not valid (letters, digits, _ and -)`);
    const near = nameSuggestion(s.toLowerCase(), KNOWN_TAGS);
    if (!KNOWN_TAGS.includes(s) && near)
      throw new SpecError('tags', `unknown tag "${s}"; did you mean "${near}"?`);
    out.add(s);
  }
  return [...out].sort();
}

function permissions(v: Value | undefined): { configure: string; write: string; read: string } {
  const out = { configure: '.*', write: '.*', read: '.*' };
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new SpecError('permissions', 'permissions must be an object { configure, write, read }');
  for (const [k, x] of Object.entries(v)) {
    if (!(PERMISSIONS as readonly string[]).includes(k))
      throw new SpecError(
        'permissions',
        `unknown permission "${k}"${didYouMean(k, PERMISSIONS)} (configure, write, read)`,
      );
    if (typeof x !== 'string')
      throw new SpecError(
        'permissions',
        `permission ${k} must be a string (a regular expression; "" for none)`,
      );
    try {
      new RegExp(x);
    } catch {
      throw new SpecError('permissions', `permission ${k} "${x}" is not a regular expression`);
    }
    out[k as (typeof PERMISSIONS)[number]] = x;
  }
  return out;
}

/** The password must come from a secret: kolla masks only secrets' values. */
function secret(v: Value | undefined, secrets: ReadonlySet<string>): string {
  const s = String(v);
  // A declared secret without a value yet (validate before `kolla secrets generate`) is one too.
  if (!secrets.has(s) && !/^<secret \S+ not generated>$/.test(s))
    throw new SpecError(
      'password',
      'password must be a secret (e.g. password = secret.rabbitmq_password), so that it is masked everywhere and kept out of the state',
    );
  return s;
}
