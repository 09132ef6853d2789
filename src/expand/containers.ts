/**
 * The containers of a placed service on each of its hosts, with the config files each reads
 * (rendered per host) and the config.json that tells the image's kolla_start what to copy.
 */
import path from 'node:path';
import type { Value } from '../config/hcl/ast.js';
import type { DecodedBlock } from '../config/decode.js';
import { checkValues } from '../config/value-check.js';
import { referencesOf } from '../config/hcl/traversal.js';
import { didYouMean } from '../diags/suggest.js';
import { configAddr, containerAddr, imageAddr, volumeAddr } from '../addrs/address.js';
import { durationMs } from '../config/duration.js';
import { buildContainerSpec, checkDuration, SpecError } from './container-spec.js';
import { renderConfigFile, configJson, type RenderContext } from './config-files.js';
import { configNameProblem, containerNameProblem, destProblem } from './host-paths.js';
import { evalAttrs, type ExpandContext } from './context.js';
import type { PlacedService } from './services.js';
import type { VolumeUse } from './volumes.js';
import {
  KOLLA_CONFIG_MOUNT,
  type ConfigInstance,
  type ContainerInstance,
  type ContainerSpec,
  type HostSpec,
  type Instance,
} from './instances.js';

/** What expanding containers collects across services. */
export interface ContainerSink {
  /** Each container after the config files it reads, in host order then block order. */
  instances: Instance[];
  volumeUse: VolumeUse[];
  /** image name → hosts that run it */
  imageUse: Map<string, Set<string>>;
  /** host → container name → address, to refuse two containers of one name on a host */
  namesOnHost: Map<string, Map<string, string>>;
}

/** A sink for one module; what must be unique across modules (names on a host) is shared. */
export function containerSink(shared?: ContainerSink): ContainerSink {
  return {
    instances: [],
    volumeUse: [],
    imageUse: shared?.imageUse ?? new Map(),
    namesOnHost: shared?.namesOnHost ?? new Map(),
  };
}

interface ConfigFileEntry {
  name: string;
  dest: string;
  owner: string;
  perm: string;
  optional: boolean;
}

/** The service's containers on every host, in host order then block order. */
export function expandContainers(
  ctx: ExpandContext,
  svc: PlacedService,
  sink: ContainerSink,
): ContainerInstance[] {
  const b = svc.block;
  const containerBlocks = b.blocks.filter((x) => x.type === 'container');
  if (containerBlocks.length === 0 && b.blocks.every((x) => x.type !== 'bootstrap')) {
    ctx.diags.warning(`Service "${svc.name}" has no containers`, b.labelRanges[0]);
  }
  const configTarget = configTargets(
    ctx,
    svc,
    containerBlocks.map((c) => c.labels[0]!),
  );
  const configsOf = new Map(
    containerBlocks.map((cb) => [
      cb,
      [...configTarget].filter(([, t]) => t === cb.labels[0]).map(([c]) => c),
    ]),
  );
  const out: ContainerInstance[] = [];
  for (const hostName of svc.hosts) {
    const host = ctx.hostsByName.get(hostName)!;
    const seenOnHost = sink.namesOnHost.get(hostName) ?? new Map<string, string>();
    sink.namesOnHost.set(hostName, seenOnHost);
    for (const cb of containerBlocks) {
      const inst = expandContainer(ctx, svc, cb, host, configsOf.get(cb)!, seenOnHost, sink);
      if (inst) out.push(inst);
    }
  }
  return out;
}

/** Which container each config block of the service goes to (the first, unless it says). */
function configTargets(
  ctx: ExpandContext,
  svc: PlacedService,
  containerNames: string[],
): Map<DecodedBlock, string> {
  const out = new Map<DecodedBlock, string>();
  for (const cb of svc.block.blocks) {
    if (cb.type !== 'config') continue;
    const t = cb.attrs.get('container');
    let target = containerNames[0];
    if (t) {
      const r = ctx.scope.tryEval(t.expr);
      if (!r.ok) continue;
      if (typeof r.value !== 'string' || !containerNames.includes(r.value)) {
        ctx.diags.error(
          `Unknown container "${String(r.value)}" for config "${cb.labels[0]}"${didYouMean(String(r.value), containerNames)}`,
          t.expr.range,
          `Containers of service "${svc.name}": ${containerNames.join(', ') || 'none'}.`,
        );
        continue;
      }
      target = r.value;
    }
    if (!target) {
      ctx.diags.error(
        `Config "${cb.labels[0]}" has no container to go to`,
        cb.labelRanges[0],
        `Service "${svc.name}" has no container block.`,
      );
      continue;
    }
    out.set(cb, target);
  }
  return out;
}

function expandContainer(
  ctx: ExpandContext,
  svc: PlacedService,
  cb: DecodedBlock,
  host: HostSpec,
  myConfigs: DecodedBlock[],
  seenOnHost: Map<string, string>,
  sink: ContainerSink,
): ContainerInstance | undefined {
  const { diags } = ctx;
  const hostName = host.name;
  const extra = ctx.hostNames(host);
  const label = cb.labels[0]!;
  const addr = ctx.addr(containerAddr(svc.name, label, hostName));
  const values = evalAttrs(ctx, cb, extra);
  if (!values || !checkValues(cb, values, diags)) return undefined;
  // The Docker name: the label, or `name` (a module called more than once needs it).
  const cname = typeof values['name'] === 'string' ? values['name'] : label;
  delete values['name'];
  const badContainer = containerNameProblem(cname);
  if (badContainer) {
    ctx.report(
      `Invalid container name "${cname.length > 40 ? cname.slice(0, 40) + '…' : cname}": ${badContainer}`,
      cb.attrs.get('name')?.expr.range ?? cb.labelRanges[0],
    );
    return undefined;
  }
  const hcBlock = cb.blocks.find((x) => x.type === 'healthcheck');
  let hc: Record<string, Value> | undefined;
  if (hcBlock) {
    hc = evalAttrs(ctx, hcBlock, extra);
    if (!hc || !checkValues(hcBlock, hc, diags)) return undefined;
  }
  const lc = cb.blocks.find((x) => x.type === 'lifecycle');
  const lcv = lc ? evalAttrs(ctx, lc, extra) : {};
  const kollaStart =
    typeof values['kolla_start'] === 'boolean' ? values['kolla_start'] : myConfigs.length > 0;
  let spec: ContainerSpec;
  try {
    spec = buildContainerSpec(cname, values, hc, kollaStart);
  } catch (e) {
    if (e instanceof SpecError) {
      const a = cb.attrs.get(e.attr) ?? hcBlock?.attrs.get(e.attr);
      ctx.report(`Invalid container "${cname}": ${e.message}`, a?.expr.range ?? cb.labelRanges[0]);
      return undefined;
    }
    throw e;
  }
  const prev = seenOnHost.get(cname);
  if (prev) {
    diags.error(
      `Two containers named "${cname}" on host "${hostName}"`,
      cb.labelRanges[0],
      `${prev} and ${addr} would both create the container "${cname}". Container names must be unique per host.`,
    );
    return undefined;
  }
  seenOnHost.set(cname, addr);
  const strategy = spec.environment['KOLLA_CONFIG_STRATEGY'] === 'COPY_ONCE' ? 'COPY_ONCE' : 'COPY_ALWAYS';
  const deps: string[] = [];
  if (myConfigs.length > 0 || kollaStart) {
    const dir = path.posix.join(host.configDir ?? ctx.config.settings.configDir, cname);
    const files: ConfigFileEntry[] = [];
    const rctx = renderContext(ctx, svc, host);
    for (const cfg of myConfigs) {
      const made = expandConfigFile(ctx, svc, cname, cfg, host, dir, rctx);
      if (!made) continue;
      sink.instances.push(made.instance);
      deps.push(made.instance.address);
      files.push(made.entry);
    }
    const json: ConfigInstance = {
      address: `${addr.replace(/\[[^\]]*\]$/, '')}.config_json[${JSON.stringify(hostName)}]`,
      kind: 'config',
      host: hostName,
      dependsOn: [],
      range: cb.labelRanges[0]!,
      service: svc.name,
      container: cname,
      name: 'config.json',
      path: path.posix.join(dir, 'config.json'),
      content: configJson(kollaStart ? values['command'] : undefined, files),
      mode: '0600',
      sensitive: false,
    };
    sink.instances.push(json);
    deps.push(json.address);
    spec.volumes = [...spec.volumes, `${dir}/:${KOLLA_CONFIG_MOUNT}:ro`];
    if (kollaStart) {
      if (!('KOLLA_CONFIG_STRATEGY' in spec.environment))
        spec.environment['KOLLA_CONFIG_STRATEGY'] = strategy;
      if (!('KOLLA_SERVICE_NAME' in spec.environment)) spec.environment['KOLLA_SERVICE_NAME'] = cname;
    }
  }
  spec.volumes = spec.volumes.map((v) => {
    const src = v.split(':')[0]!;
    const owner = ctx.volumeOwner(src);
    if (!owner) return v;
    deps.push(owner.prefix + volumeAddr(src, hostName));
    sink.volumeUse.push({ volume: src, host: hostName, user: addr, owner: owner.prefix });
    // The mount names the block; Docker mounts the volume by its name.
    return ctx.volumeDockerName(owner, src) + v.slice(src.length);
  });
  // The image blocks it runs: named in its image argument (`image.keystone`), or, through a
  // module input, by the reference it evaluates to.
  const imageExpr = cb.attrs.get('image')?.expr;
  const used = new Set<string>();
  for (const ref of imageExpr ? referencesOf(imageExpr) : []) {
    if (ref.parts[0] === 'image' && ref.parts[1] && ctx.declared.image.has(ref.parts[1]))
      used.add(ref.parts[1]);
  }
  if (used.size === 0) {
    const byRef = ctx.imageNameOf(spec.image);
    if (byRef) used.add(byRef);
  }
  for (const name of used) {
    deps.push(imageAddr(name, hostName));
    const set = sink.imageUse.get(name) ?? new Set();
    set.add(hostName);
    sink.imageUse.set(name, set);
  }
  const inst: ContainerInstance = {
    address: addr,
    kind: 'container',
    host: hostName,
    dependsOn: deps,
    range: cb.labelRanges[0]!,
    service: svc.name,
    spec,
    options: {
      ignoreChanges: Array.isArray(lcv?.['ignore_changes']) ? (lcv['ignore_changes'] as string[]) : [],
      kollaStart,
      configStrategy: strategy,
      ...(Array.isArray(values['listen_ports']) ? { listenPorts: values['listen_ports'] as number[] } : {}),
      ...(typeof values['stop_timeout'] === 'string'
        ? {
            stopTimeoutS: Math.ceil(
              durationMs(checkDuration('stop_timeout', values['stop_timeout'])!) / 1000,
            ),
          }
        : {}),
    },
  };
  if (svc.serial !== undefined) inst.serial = svc.serial;
  if (svc.quorum) inst.quorum = true;
  sink.instances.push(inst);
  return inst;
}

function expandConfigFile(
  ctx: ExpandContext,
  svc: PlacedService,
  cname: string,
  cfg: DecodedBlock,
  host: HostSpec,
  dir: string,
  rctx: RenderContext,
): { instance: ConfigInstance; entry: ConfigFileEntry } | undefined {
  const cv = evalAttrs(ctx, cfg, ctx.hostNames(host));
  if (!cv || !checkValues(cfg, cv, ctx.diags)) return undefined;
  const fname = cfg.labels[0]!;
  const badName = configNameProblem(fname);
  if (badName) {
    ctx.report(`Invalid config name "${fname}": ${badName}`, cfg.labelRanges[0]);
    return undefined;
  }
  const dest = String(cv['dest']);
  const badDest = destProblem(dest);
  if (badDest) {
    ctx.report(
      `Invalid dest "${dest}" of config "${fname}": ${badDest}`,
      cfg.attrs.get('dest')?.expr.range ?? cfg.labelRanges[0],
    );
    return undefined;
  }
  const rendered = renderConfigFile(cfg, cv, rctx, ctx.module.dir, ctx.diags, ctx.overrides, [
    ...new Set([ctx.module.dir, ctx.config.dir]),
  ]);
  if (rendered === undefined) return undefined;
  return {
    instance: {
      address: ctx.addr(configAddr(svc.name, fname, host.name)),
      kind: 'config',
      host: host.name,
      dependsOn: [],
      range: cfg.labelRanges[0]!,
      service: svc.name,
      container: cname,
      name: fname,
      dest,
      path: path.posix.join(dir, fname),
      content: rendered,
      mode: '0600',
      sensitive: cv['sensitive'] === true,
    },
    entry: {
      name: fname,
      dest,
      owner: typeof cv['owner'] === 'string' ? cv['owner'] : 'root',
      perm: typeof cv['perm'] === 'string' ? cv['perm'].padStart(4, '0') : '0600',
      optional: cv['optional'] === true,
    },
  };
}

/** What a config template sees (kolla-ansible's inventory and group variables). */
function renderContext(ctx: ExpandContext, svc: PlacedService, host: HostSpec): RenderContext {
  const get = (name: string): unknown => {
    const r = ctx.scope.tryEval({ kind: 'variable', name, range: svc.block.range });
    return r.ok ? r.value : undefined;
  };
  return {
    ...ctx.hostNames(host),
    hosts: get('hosts'),
    groups: get('group'),
    var: get('var'),
    local: get('local'),
    secret: get('secret'),
    service: { name: svc.name, hosts: svc.hosts },
    kolla: get('kolla'),
  };
}
