/**
 * What every block expander shares: the evaluated configuration, the diagnostics, the hosts
 * by name, the declared names, and the helpers that evaluate a block's arguments and read a
 * placement. No module-level state: one context per expansion.
 */
import type { Value } from '../config/hcl/ast.js';
import type { Config } from '../config/config.js';
import type { DecodedBlock } from '../config/decode.js';
import { hostValue } from '../config/load.js';
import type { Diagnostics, SourceRange } from '../diags/diagnostic.js';
import { didYouMean } from '../diags/suggest.js';
import type { HostSpec } from './instances.js';
import type { ModuleInstance } from '../config/modules.js';
import { formatModulePath } from '../addrs/address.js';
import type { Scope } from '../config/scope.js';

export interface ExpandContext {
  readonly config: Config;
  /** The module instance being expanded (the root's prefix is ""). */
  readonly module: ModuleInstance;
  /** Its scope: where its blocks' expressions are evaluated. */
  readonly scope: Scope;
  readonly diags: Diagnostics;
  readonly hostsByName: ReadonlyMap<string, HostSpec>;
  /** Declared names per block type (`service`, `volume`, `image`). */
  readonly declared: { service: Set<string>; volume: Set<string>; image: Set<string> };
  /** Override files that exist and were read, so unused ones can be reported. */
  readonly overrides: { used: Set<string>; looked: Set<string> };
  /** The names visible inside a service on a host (`host`), one object per host. */
  hostNames(host: HostSpec): Record<string, Value>;
  /** Record an error once per summary and position (the same block fails on many hosts). */
  report(summary: string, range?: SourceRange): void;
  /** The address `a` (of this module's own form, `service.x...`) with the module's prefix. */
  addr(a: string): string;
  /** The same context for another module instance (sharing everything else). */
  forModule(m: ModuleInstance): ExpandContext;
  /**
   * The module whose volume block a mount of `name` means: this module's, else the nearest
   * enclosing module's (a profile declares kolla_logs once for the services it calls).
   */
  volumeOwner(name: string): ModuleInstance | undefined;
  /** The Docker name of the volume block `name` declared by `owner` (its `name`, or the label). */
  volumeDockerName(owner: ModuleInstance, name: string): string;
  /** The image block whose reference is `ref`, if one is. */
  imageNameOf(ref: string): string | undefined;
}

export function expandContext(config: Config, diags: Diagnostics): ExpandContext {
  const perHost = new Map<string, Record<string, Value>>();
  const reported = new Set<string>();
  const hostsByName = new Map(config.hosts.map((h) => [h.name, h]));
  const overrides = { used: new Set<string>(), looked: new Set<string>() };
  const images = new Set(
    config.modules.flatMap((m) => m.blocks.filter((b) => b.type === 'image').map((b) => b.labels[0]!)),
  );
  const byPath = new Map(config.modules.map((m) => [formatModulePath(m.path), m]));
  const parentOf = (m: ModuleInstance): ModuleInstance | undefined =>
    m.path.length ? byPath.get(formatModulePath(m.path.slice(0, -1))) : undefined;
  let refs: Map<string, string> | undefined;
  const imageNameOf = (ref: string): string | undefined => {
    if (!refs) {
      refs = new Map();
      const r = config.scope.tryEval({ kind: 'variable', name: 'image', range: config.blocks[0]!.range });
      if (r.ok && r.value && typeof r.value === 'object' && !Array.isArray(r.value))
        for (const [name, v] of Object.entries(r.value))
          if (typeof v === 'string' && !refs.has(v)) refs.set(v, name);
    }
    return refs.get(ref);
  };
  const dockerNames = new Map<string, string>();
  const volumeDockerName = (owner: ModuleInstance, name: string): string => {
    const key = `${owner.prefix}\0${name}`;
    let v = dockerNames.get(key);
    if (v === undefined) {
      const b = owner.blocks.find((x) => x.type === 'volume' && x.labels[0] === name);
      const a = b?.attrs.get('name');
      const r = a ? owner.scope.tryEval(a.expr) : undefined;
      v = r?.ok && typeof r.value === 'string' ? r.value : name;
      dockerNames.set(key, v);
    }
    return v;
  };
  const make = (module: ModuleInstance): ExpandContext => {
    const namesOf = (type: string): Set<string> =>
      new Set(module.blocks.filter((b) => b.type === type).map((b) => b.labels[0]!));
    // A module instance's problems name it: its blocks are the same text in every call.
    const mdiags = module.path.length ? diags.forModule(formatModulePath(module.path)) : diags;
    return {
      config,
      module,
      scope: module.scope,
      diags: mdiags,
      hostsByName,
      // Images are shared by name across modules.
      declared: { service: namesOf('service'), volume: namesOf('volume'), image: images },
      overrides,
      hostNames,
      report: (summary, range) => report(mdiags, summary, range),
      addr: (a) => module.prefix + a,
      forModule: make,
      imageNameOf,
      volumeDockerName,
      volumeOwner: (name) => {
        for (let m: ModuleInstance | undefined = module; m; m = parentOf(m)) {
          if (m.blocks.some((b) => b.type === 'volume' && b.labels[0] === name)) return m;
        }
        return undefined;
      },
    };
  };
  const hostNames = (host: HostSpec): Record<string, Value> => {
    let v = perHost.get(host.name);
    if (!v) perHost.set(host.name, (v = { host: hostValue(host) }));
    return v;
  };
  const report = (to: Diagnostics, summary: string, range?: SourceRange): void => {
    const key = `${summary}@${range?.file}:${range?.start.line}:${range?.start.col}@${to.module ?? ''}`;
    if (reported.has(key)) return;
    reported.add(key);
    to.error(summary, range);
  };
  return make(config.modules[0]!);
}

/**
 * Every argument of `b` evaluated (with `extra` names such as `host`), except those in `skip`
 * and those the schema reads statically; undefined when one failed (already reported).
 */
export function evalAttrs(
  ctx: ExpandContext,
  b: DecodedBlock,
  extra?: Record<string, Value>,
  skip: readonly string[] = [],
): Record<string, Value> | undefined {
  const out: Record<string, Value> = {};
  let ok = true;
  for (const [name, a] of b.attrs) {
    if (skip.includes(name) || b.def.properties[name]?.['x-static'] === 'references') continue;
    const r = ctx.scope.tryEval(a.expr, extra);
    if (r.ok) out[name] = r.value;
    else ok = false;
  }
  return ok ? out : undefined;
}

/**
 * A block's `hosts` argument — host names or host objects (`host.x`, `group.g`) — as host
 * names, for every kind that is placed (services, volumes): null when it is not set,
 * undefined (reported) when it is invalid.
 */
export function placement(ctx: ExpandContext, b: DecodedBlock, what: string): string[] | null | undefined {
  const attr = b.attrs.get('hosts');
  if (!attr) return null;
  const r = ctx.scope.tryEval(attr.expr);
  if (!r.ok) return undefined;
  if (r.value === null) return null;
  const range = attr.expr.range;
  const list = Array.isArray(r.value) ? r.value : [r.value];
  const out = new Set<string>();
  for (const x of list) {
    const name =
      typeof x === 'string'
        ? x
        : x && typeof x === 'object' && !Array.isArray(x) && typeof x['name'] === 'string'
          ? x['name']
          : undefined;
    if (name === undefined) {
      ctx.diags.error(
        `Invalid value for "hosts" in ${what}`,
        range,
        'A list of host names (or host objects) is required, e.g. group.control.',
      );
      return undefined;
    }
    if (!ctx.hostsByName.has(name)) {
      ctx.diags.error(
        `Unknown host "${name}" in hosts of ${what}${didYouMean(name, ctx.hostsByName.keys())}`,
        range,
      );
      return undefined;
    }
    out.add(name);
  }
  return [...out];
}
