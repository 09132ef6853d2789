/**
 * Expansion: the evaluated configuration becomes desired instances per host — containers,
 * volumes, rendered config files with their config.json, bootstrap tasks and images —
 * each with its address and its dependencies (explicit `depends_on` and implicit edges).
 */
import { shellJoin } from './shell-quote.js';
import path from 'node:path';
import { readdirSync, type Dirent } from 'node:fs';
import type { Expr, Value } from '../config/hcl/ast.js';
import type { Config } from '../config/config.js';
import type { DecodedBlock } from '../config/decode.js';
import { type Diagnostics, type SourceRange } from '../diags/diagnostic.js';
import { didYouMean } from '../diags/suggest.js';
import { checkValues } from '../config/value-check.js';
import { referencesOf } from '../config/hcl/traversal.js';
import { bootstrapAddr, configAddr, containerAddr, imageAddr, volumeAddr } from '../addrs/address.js';
import { buildContainerSpec, checkDuration, SpecError } from './container-spec.js';
import { hostValue } from '../config/load.js';
import { durationMs } from '../config/duration.js';
import { renderConfigFile, configJson, usedOverrideFiles, type RenderContext } from './config-files.js';
import { configNameProblem, containerNameProblem, destProblem } from './host-paths.js';
import type {
  BootstrapInstance,
  ConfigInstance,
  ContainerInstance,
  HostSpec,
  ImageInstance,
  Instance,
  VolumeInstance,
} from './instances.js';

export interface Expansion {
  instances: Instance[];
  /** Outputs evaluated against the configuration. */
  outputs: Record<string, { value: Value; sensitive: boolean }>;
}

import { KOLLA_CONFIG_MOUNT } from './instances.js';
export { KOLLA_CONFIG_MOUNT };

interface ServiceInfo {
  block: DecodedBlock;
  name: string;
  hosts: string[];
  dependsOnServices: string[];
  dependsOnVolumes: string[];
  serial?: number | string;
}

export function expand(config: Config, diags: Diagnostics): Expansion {
  usedOverrideFiles.clear();
  const { scope, blocks } = config;
  const hostsByName = new Map(config.hosts.map((h) => [h.name, h]));
  const instances: Instance[] = [];
  const services: ServiceInfo[] = [];
  const serviceNames = new Set(blocks.filter((b) => b.type === 'service').map((b) => b.labels[0]!));
  const volumeNames = new Set(blocks.filter((b) => b.type === 'volume').map((b) => b.labels[0]!));
  const imageNames = new Set(blocks.filter((b) => b.type === 'image').map((b) => b.labels[0]!));

  // 1. Placement and explicit dependencies of every enabled service.
  for (const b of blocks) {
    if (b.type !== 'service') continue;
    const name = b.labels[0]!;
    const en = b.attrs.get('enabled');
    if (en) {
      const r = scope.tryEval(en.expr);
      if (!r.ok) continue;
      if (typeof r.value !== 'boolean') {
        diags.error(`Invalid value for "enabled" in service "${name}"`, en.expr.range, 'bool required.');
        continue;
      }
      if (!r.value) continue;
    }
    const hostsAttr = b.attrs.get('hosts');
    if (!hostsAttr) continue;
    const hr = scope.tryEval(hostsAttr.expr);
    if (!hr.ok) continue;
    const hosts = hostList(hr.value, hostsAttr.expr.range, `service "${name}"`, hostsByName, diags);
    if (!hosts) continue;
    if (hosts.length === 0) {
      // Legal (a group with no hosts yet), but a service that silently deploys nothing surprises.
      diags.warning(
        `Service "${name}" is placed on no hosts`,
        hostsAttr.expr.range,
        'Its hosts evaluate to an empty list (an empty group?), so it has no containers.',
      );
    }
    const info: ServiceInfo = { block: b, name, hosts, dependsOnServices: [], dependsOnVolumes: [] };
    const dep = b.attrs.get('depends_on');
    if (dep) readDependsOn(dep.expr, info, serviceNames, volumeNames, diags);
    const serial = b.attrs.get('serial');
    if (serial) {
      const r = scope.tryEval(serial.expr);
      if (r.ok) {
        if (typeof r.value === 'number' && r.value >= 1) info.serial = r.value;
        else if (typeof r.value === 'string' && /^\d+%$/.test(r.value)) info.serial = r.value;
        else
          diags.error(
            `Invalid value for "serial" in service "${name}"`,
            serial.expr.range,
            'A number of hosts (1 or more) or a percentage such as "33%" is required.',
          );
      }
    }
    services.push(info);
  }
  const enabled = new Map(services.map((s) => [s.name, s]));

  // 2. Volumes on their hosts.
  const volumeHosts = new Map<string, Set<string>>();
  for (const b of blocks) {
    if (b.type !== 'volume') continue;
    const name = b.labels[0]!;
    const values = evalAttrs(b, config, undefined, diags);
    if (!values || !checkValues(b, values, diags)) continue;
    let hosts: string[] | undefined;
    if (values['hosts'] !== undefined && values['hosts'] !== null) {
      hosts = hostList(
        values['hosts'],
        b.attrs.get('hosts')!.expr.range,
        `volume "${name}"`,
        hostsByName,
        diags,
      );
      if (!hosts) continue;
    }
    volumeHosts.set(name, new Set(hosts ?? []));
    if (!hosts) volumeHosts.set(name, new Set<string>(['__auto__']));
    (b as DecodedBlock & { _driver?: string })._driver =
      typeof values['driver'] === 'string' ? values['driver'] : 'local';
  }

  // 3. Per service and host: containers, config files, bootstrap.
  const containerNamesByHost = new Map<string, Map<string, string>>();
  const imageUse = new Map<string, Set<string>>(); // image name → hosts
  const containersOf = new Map<string, string[]>(); // service → container addresses
  const bootstrapsOf = new Map<string, string[]>();
  const volumeUse: { volume: string; host: string; user: string }[] = [];

  for (const svc of services) {
    const b = svc.block;
    const containerBlocks = b.blocks.filter((x) => x.type === 'container');
    const configBlocks = b.blocks.filter((x) => x.type === 'config');
    if (containerBlocks.length === 0 && b.blocks.every((x) => x.type !== 'bootstrap')) {
      diags.warning(`Service "${svc.name}" has no containers`, b.labelRanges[0]);
    }
    const containerNames = containerBlocks.map((c) => c.labels[0]!);
    // Which container each config block goes to.
    const configTarget = new Map<DecodedBlock, string>();
    for (const cb of configBlocks) {
      const t = cb.attrs.get('container');
      let target = containerNames[0];
      if (t) {
        const r = config.scope.tryEval(t.expr);
        if (!r.ok) continue;
        if (typeof r.value !== 'string' || !containerNames.includes(r.value)) {
          diags.error(
            `Unknown container "${String(r.value)}" for config "${cb.labels[0]}"${didYouMean(String(r.value), containerNames)}`,
            t.expr.range,
            `Containers of service "${svc.name}": ${containerNames.join(', ') || 'none'}.`,
          );
          continue;
        }
        target = r.value;
      }
      if (!target) {
        diags.error(
          `Config "${cb.labels[0]}" has no container to go to`,
          cb.labelRanges[0],
          `Service "${svc.name}" has no container block.`,
        );
        continue;
      }
      configTarget.set(cb, target);
    }
    const addrs: string[] = [];
    containersOf.set(svc.name, addrs);

    for (const hostName of svc.hosts) {
      const host = hostsByName.get(hostName)!;
      const extra = serviceExtra(host);
      const seenOnHost = containerNamesByHost.get(hostName) ?? new Map<string, string>();
      containerNamesByHost.set(hostName, seenOnHost);
      for (const cb of containerBlocks) {
        const cname = cb.labels[0]!;
        const addr = containerAddr(svc.name, cname, hostName);
        const badContainer = containerNameProblem(cname);
        if (badContainer) {
          report(
            diags,
            `Invalid container name "${cname.length > 40 ? cname.slice(0, 40) + '…' : cname}": ${badContainer}`,
            cb.labelRanges[0],
          );
          continue;
        }
        const values = evalAttrs(cb, config, extra, diags);
        if (!values || !checkValues(cb, values, diags)) continue;
        const hcBlock = cb.blocks.find((x) => x.type === 'healthcheck');
        let hc: Record<string, Value> | undefined;
        if (hcBlock) {
          hc = evalAttrs(hcBlock, config, extra, diags);
          if (!hc || !checkValues(hcBlock, hc, diags)) continue;
        }
        const lc = cb.blocks.find((x) => x.type === 'lifecycle');
        const lcv = lc ? evalAttrs(lc, config, extra, diags) : {};
        const myConfigs = configBlocks.filter((c) => configTarget.get(c) === cname);
        const kollaStart =
          typeof values['kolla_start'] === 'boolean' ? values['kolla_start'] : myConfigs.length > 0;
        let spec;
        try {
          spec = buildContainerSpec(cname, values, hc, kollaStart);
        } catch (e) {
          if (e instanceof SpecError) {
            const a = cb.attrs.get(e.attr) ?? hcBlock?.attrs.get(e.attr);
            report(diags, `Invalid container "${cname}": ${e.message}`, a?.expr.range ?? cb.labelRanges[0]);
            continue;
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
          continue;
        }
        seenOnHost.set(cname, addr);
        const strategy =
          spec.environment['KOLLA_CONFIG_STRATEGY'] === 'COPY_ONCE' ? 'COPY_ONCE' : 'COPY_ALWAYS';
        const deps: string[] = [];
        // Config files for this container.
        if (myConfigs.length > 0 || kollaStart) {
          const dir = path.posix.join(config.settings.configDir, cname);
          const files: { name: string; dest: string; owner: string; perm: string; optional: boolean }[] = [];
          const ctx: RenderContext = renderContext(config, svc, host);
          for (const cfg of myConfigs) {
            const cv = evalAttrs(cfg, config, extra, diags);
            if (!cv || !checkValues(cfg, cv, diags)) continue;
            const fname = cfg.labels[0]!;
            const badName = configNameProblem(fname);
            if (badName) {
              report(diags, `Invalid config name "${fname}": ${badName}`, cfg.labelRanges[0]);
              continue;
            }
            const badDest = destProblem(String(cv['dest']));
            if (badDest) {
              report(
                diags,
                `Invalid dest "${String(cv['dest'])}" of config "${fname}": ${badDest}`,
                cfg.attrs.get('dest')?.expr.range ?? cfg.labelRanges[0],
              );
              continue;
            }
            const rendered = renderConfigFile(cfg, cv, ctx, config.dir, diags);
            if (rendered === undefined) continue;
            const inst: ConfigInstance = {
              address: configAddr(svc.name, fname, hostName),
              kind: 'config',
              host: hostName,
              dependsOn: [],
              range: cfg.labelRanges[0]!,
              service: svc.name,
              container: cname,
              name: fname,
              dest: String(cv['dest']),
              path: path.posix.join(dir, fname),
              content: rendered,
              mode: '0600',
              sensitive: cv['sensitive'] === true,
            };
            instances.push(inst);
            deps.push(inst.address);
            files.push({
              name: fname,
              dest: String(cv['dest']),
              owner: typeof cv['owner'] === 'string' ? cv['owner'] : 'root',
              perm: typeof cv['perm'] === 'string' ? cv['perm'].padStart(4, '0') : '0600',
              optional: cv['optional'] === true,
            });
          }
          const cmd = values['command'];
          const json: ConfigInstance = {
            address: `${containerAddr(svc.name, cname, hostName).replace(/\[[^\]]*\]$/, '')}.config_json[${JSON.stringify(hostName)}]`,
            kind: 'config',
            host: hostName,
            dependsOn: [],
            range: cb.labelRanges[0]!,
            service: svc.name,
            container: cname,
            name: 'config.json',
            path: path.posix.join(dir, 'config.json'),
            content: configJson(kollaStart ? cmd : undefined, files),
            mode: '0600',
            sensitive: false,
          };
          instances.push(json);
          deps.push(json.address);
          spec.volumes = [...spec.volumes, `${dir}/:${KOLLA_CONFIG_MOUNT}:ro`];
          if (kollaStart) {
            if (!('KOLLA_CONFIG_STRATEGY' in spec.environment))
              spec.environment['KOLLA_CONFIG_STRATEGY'] = strategy;
            if (!('KOLLA_SERVICE_NAME' in spec.environment)) spec.environment['KOLLA_SERVICE_NAME'] = cname;
          }
        }
        for (const v of spec.volumes) {
          const src = v.split(':')[0]!;
          if (volumeNames.has(src)) {
            deps.push(volumeAddr(src, hostName));
            volumeUse.push({ volume: src, host: hostName, user: addr });
          }
        }
        for (const ref of referencesOf(
          cb.attrs.get('image')?.expr ?? { kind: 'literal', value: null, range: cb.range },
        )) {
          if (ref.parts[0] === 'image' && ref.parts[1] && imageNames.has(ref.parts[1])) {
            deps.push(imageAddr(ref.parts[1], hostName));
            const set = imageUse.get(ref.parts[1]) ?? new Set();
            set.add(hostName);
            imageUse.set(ref.parts[1], set);
          }
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
            ...(Array.isArray(values['listen_ports'])
              ? { listenPorts: values['listen_ports'] as number[] }
              : {}),
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
        instances.push(inst);
        addrs.push(addr);
      }
    }

    // Bootstrap tasks: once, on the first host of the service (or on each with on_each_host).
    const boots: string[] = [];
    bootstrapsOf.set(svc.name, boots);
    for (const bb of b.blocks.filter((x) => x.type === 'bootstrap')) {
      const each = bb.attrs.get('on_each_host');
      const eachR = each ? config.scope.tryEval(each.expr) : { ok: true as const, value: false };
      const onEach = eachR.ok && eachR.value === true;
      const earlier = [...boots];
      for (const first of onEach ? svc.hosts : svc.hosts.slice(0, 1)) {
        const host = hostsByName.get(first)!;
        const extra = serviceExtra(host);
        const values = evalAttrs(bb, config, extra, diags);
        if (!values || !checkValues(bb, values, diags)) continue;
        delete values['on_each_host'];
        const bname = bb.labels[0]!;
        const baddr = onEach
          ? `${bootstrapAddr(svc.name, bname)}[${JSON.stringify(first)}]`
          : bootstrapAddr(svc.name, bname);
        const firstContainer = instances.find(
          (i): i is ContainerInstance => i.kind === 'container' && i.service === svc.name && i.host === first,
        );
        let spec;
        let bootTimeout = 300_000;
        try {
          const kollaStart = firstContainer?.options.kollaStart ?? false;
          const merged: Record<string, Value> = {
            ...values,
            network_mode: values['network_mode'] ?? firstContainer?.spec.network_mode ?? null,
            restart_policy: 'no',
          };
          spec = buildContainerSpec(`${svc.name}_bootstrap_${bname}`, merged, undefined, false);
          if (kollaStart && firstContainer) {
            // The image's kolla_start copies the service's config in, then runs this command.
            const mount = firstContainer.spec.volumes.find((v) => v.includes(KOLLA_CONFIG_MOUNT));
            if (mount) spec.volumes.push(mount);
            spec.environment['KOLLA_CONFIG_STRATEGY'] = 'COPY_ALWAYS';
            spec.environment['KOLLA_BOOTSTRAP'] = spec.environment['KOLLA_BOOTSTRAP'] ?? '';
            if (spec.command) {
              spec.environment['KOLLA_COMMAND'] = shellJoin(spec.command);
              delete spec.command;
            }
          }
          bootTimeout = durationMs(checkDuration('timeout', values['timeout']) ?? '300s');
        } catch (e) {
          if (e instanceof SpecError) {
            report(
              diags,
              `Invalid bootstrap "${bname}": ${e.message}`,
              bb.attrs.get(e.attr)?.expr.range ?? bb.labelRanges[0],
            );
            continue;
          }
          throw e;
        }
        const deps: string[] = [];
        if (firstContainer) deps.push(...firstContainer.dependsOn.filter((d) => !d.startsWith('image.')));
        for (const v of spec.volumes) {
          const src = v.split(':')[0]!;
          if (volumeNames.has(src)) {
            deps.push(volumeAddr(src, first));
            volumeUse.push({ volume: src, host: first, user: baddr });
          }
        }
        // Bootstraps of one service run in the order they are written (db_sync before the
        // step that needs its tables), as kolla-ansible's tasks do.
        deps.push(...earlier);
        const inst: BootstrapInstance = {
          address: baddr,
          kind: 'bootstrap',
          host: first,
          dependsOn: [...new Set(deps)],
          range: bb.labelRanges[0]!,
          service: svc.name,
          name: bname,
          spec,
          timeoutMs: bootTimeout,
        };
        instances.push(inst);
        boots.push(inst.address);
      }
    }
  }

  // 4. Volume instances: declared hosts, or every host that mounts the volume.
  const unplaced = new Set<string>(); // volume addresses already reported as not placed
  for (const b of blocks) {
    if (b.type !== 'volume') continue;
    const name = b.labels[0]!;
    const declared = volumeHosts.get(name);
    if (!declared) continue;
    const hosts = declared.has('__auto__')
      ? new Set(volumeUse.filter((u) => u.volume === name).map((u) => u.host))
      : declared;
    for (const u of volumeUse) {
      if (u.volume === name && !hosts.has(u.host) && !unplaced.has(volumeAddr(name, u.host))) {
        unplaced.add(volumeAddr(name, u.host));
        diags.error(
          `Volume "${name}" is not placed on host "${u.host}"`,
          b.labelRanges[0],
          `${u.user} mounts it there, but the volume's hosts do not include "${u.host}".`,
        );
      }
    }
    for (const h of config.hosts.map((x) => x.name).filter((x) => hosts.has(x))) {
      const inst: VolumeInstance = {
        address: volumeAddr(name, h),
        kind: 'volume',
        host: h,
        dependsOn: [],
        range: b.labelRanges[0]!,
        spec: {
          name,
          driver: (b as DecodedBlock & { _driver?: string })._driver ?? 'local',
          labels: {},
        },
      };
      instances.push(inst);
    }
  }

  // 5. Images on the hosts that use them.
  const refs = config.scope.tryEval({ kind: 'variable', name: 'image', range: blocks[0]!.range }) as
    { ok: true; value: Record<string, string> } | { ok: false };
  for (const [name, hosts] of imageUse) {
    for (const h of hosts) {
      const inst: ImageInstance = {
        address: imageAddr(name, h),
        kind: 'image',
        host: h,
        dependsOn: [],
        name,
        ref: refs.ok ? (refs.value[name] ?? name) : name,
      };
      instances.push(inst);
    }
  }

  // 6. Service-level dependencies: every container and bootstrap of a service waits for all
  //    containers of the services it depends on, and for its own bootstraps.
  for (const svc of services) {
    const upstream: string[] = [];
    for (const d of svc.dependsOnServices) {
      if (!enabled.has(d)) continue; // a disabled dependency is simply absent
      upstream.push(...(containersOf.get(d) ?? []));
    }
    const volDeps = svc.dependsOnVolumes;
    for (const inst of instances) {
      if ((inst.kind !== 'container' && inst.kind !== 'bootstrap') || inst.service !== svc.name) continue;
      inst.dependsOn.push(...upstream);
      for (const v of volDeps) inst.dependsOn.push(volumeAddr(v, inst.host));
      if (inst.kind === 'container') inst.dependsOn.push(...(bootstrapsOf.get(svc.name) ?? []));
      inst.dependsOn = [...new Set(inst.dependsOn)];
    }
  }
  const known = new Set(instances.map((i) => i.address));
  for (const inst of instances) {
    for (const d of inst.dependsOn) {
      if (!known.has(d) && d.startsWith('volume.') && !unplaced.has(d)) {
        diags.error(
          `${inst.address} depends on ${d}, which does not exist`,
          inst.range,
          'Place the volume on that host (its hosts argument).',
        );
      }
    }
    inst.dependsOn = inst.dependsOn.filter((d) => known.has(d));
  }

  // 7. Override files nobody reads: kolla-ansible ignores them silently, a known pitfall.
  warnUnusedOverrides(config, diags);

  // 8. Outputs.
  const outputs: Expansion['outputs'] = {};
  for (const b of blocks) {
    if (b.type !== 'output') continue;
    const v = b.attrs.get('value');
    if (!v) continue;
    const r = config.scope.tryEval(v.expr);
    if (!r.ok) continue;
    const s = b.attrs.get('sensitive');
    const sr = s ? config.scope.tryEval(s.expr) : { ok: true as const, value: false };
    outputs[b.labels[0]!] = { value: r.value, sensitive: sr.ok && sr.value === true };
  }
  return { instances, outputs };
}

function warnUnusedOverrides(config: Config, diags: Diagnostics): void {
  const roots = new Set<string>();
  for (const b of config.blocks) {
    if (b.type !== 'service') continue;
    for (const c of b.blocks) {
      const o = c.attrs.get('overrides');
      if (!o || o.expr.kind !== 'tuple') continue;
      for (const item of o.expr.items) {
        const text =
          item.kind === 'literal'
            ? item.value
            : item.kind === 'template' && item.parts[0]?.kind === 'text'
              ? item.parts[0].value
              : undefined;
        const first = typeof text === 'string' ? text.split('/')[0] : undefined;
        if (first && first !== '..' && first !== '.' && !first.includes('$')) roots.add(first);
      }
    }
  }
  for (const r of roots) {
    const dir = path.resolve(config.dir, r);
    for (const f of listFiles(dir)) {
      if (usedOverrideFiles.has(f)) continue;
      diags.warning(
        `Override file ${path.relative(config.dir, f)} is not read by any config block`,
        undefined,
        'No config block lists it in its overrides (for any host), so it changes nothing. Check its name and folder.',
      );
    }
  }
}

function listFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : [],
    )
    .sort();
}

function report(diags: Diagnostics, summary: string, range?: SourceRange): void {
  const key = `${summary}@${range?.file}:${range?.start.line}:${range?.start.col}`;
  if (diags.some((d) => `${d.summary}@${d.range?.file}:${d.range?.start.line}:${d.range?.start.col}` === key))
    return;
  diags.error(summary, range);
}

function serviceExtra(host: HostSpec): Record<string, Value> {
  return { host: hostValue(host) };
}

function renderContext(config: Config, svc: ServiceInfo, host: HostSpec): RenderContext {
  const get = (name: string): unknown => {
    const r = config.scope.tryEval({ kind: 'variable', name, range: svc.block.range });
    return r.ok ? r.value : undefined;
  };
  return {
    host: hostValue(host),
    hosts: get('hosts'),
    groups: get('group'),
    var: get('var'),
    local: get('local'),
    secret: get('secret'),
    service: { name: svc.name, hosts: svc.hosts },
    kolla: get('kolla'),
  };
}

function evalAttrs(
  b: DecodedBlock,
  config: Config,
  extra: Record<string, Value> | undefined,
  _diags: Diagnostics,
): Record<string, Value> | undefined {
  const out: Record<string, Value> = {};
  let ok = true;
  for (const [name, a] of b.attrs) {
    if (b.def.properties[name]?.['x-static'] === 'references') continue;
    const r = config.scope.tryEval(a.expr, extra);
    if (r.ok) out[name] = r.value;
    else ok = false;
  }
  return ok ? out : undefined;
}

function hostList(
  v: Value,
  range: SourceRange,
  what: string,
  hostsByName: Map<string, HostSpec>,
  diags: Diagnostics,
): string[] | undefined {
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const x of list) {
    const name =
      typeof x === 'string'
        ? x
        : x && typeof x === 'object' && !Array.isArray(x) && typeof x['name'] === 'string'
          ? x['name']
          : undefined;
    if (name === undefined) {
      diags.error(
        `Invalid value for "hosts" in ${what}`,
        range,
        'A list of host names (or host objects) is required, e.g. group.control.',
      );
      return undefined;
    }
    if (!hostsByName.has(name)) {
      diags.error(`Unknown host "${name}" in hosts of ${what}${didYouMean(name, hostsByName.keys())}`, range);
      return undefined;
    }
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

function readDependsOn(
  expr: Expr,
  info: ServiceInfo,
  serviceNames: Set<string>,
  volumeNames: Set<string>,
  diags: Diagnostics,
): void {
  if (expr.kind !== 'tuple') {
    diags.error(
      `Invalid depends_on in service "${info.name}"`,
      expr.range,
      'A list of references is required, e.g. [service.mariadb, volume.data].',
    );
    return;
  }
  for (const item of expr.items) {
    const refs = referencesOf(item);
    const r = refs[0];
    if (
      refs.length !== 1 ||
      !r ||
      r.parts.length !== 2 ||
      (r.parts[0] !== 'service' && r.parts[0] !== 'volume')
    ) {
      diags.error(
        `Invalid reference in depends_on of service "${info.name}"`,
        item.range,
        'Only service.NAME and volume.NAME may be listed.',
      );
      continue;
    }
    const [kind, name] = r.parts as [string, string];
    const names = kind === 'service' ? serviceNames : volumeNames;
    if (!names.has(name)) {
      diags.error(
        `Reference to undeclared ${kind} "${name}"${didYouMean(name, names)}`,
        item.range,
        `No ${kind} block named "${name}" exists.`,
      );
      continue;
    }
    if (kind === 'service' && name === info.name) {
      diags.error(`Service "${info.name}" depends on itself`, item.range);
      continue;
    }
    (kind === 'service' ? info.dependsOnServices : info.dependsOnVolumes).push(name);
  }
}
