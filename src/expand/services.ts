/**
 * Service blocks: which are enabled, where each is placed, what it depends on and how many
 * hosts it changes at a time. The containers, config files and bootstraps of a placed
 * service are expanded by containers.ts and bootstraps.ts.
 */
import type { Expr } from '../config/hcl/ast.js';
import type { DecodedBlock } from '../config/decode.js';
import { referencesOf } from '../config/hcl/traversal.js';
import { didYouMean } from '../diags/suggest.js';
import { placement, type ExpandContext } from './context.js';

export interface PlacedService {
  block: DecodedBlock;
  name: string;
  hosts: string[];
  dependsOnServices: string[];
  dependsOnVolumes: string[];
  serial?: number | string;
  quorum?: boolean;
}

/** Every enabled service with its placement and explicit dependencies, in file order. */
export function placeServices(ctx: ExpandContext): PlacedService[] {
  const { scope } = ctx;
  const out: PlacedService[] = [];
  for (const b of ctx.module.blocks) {
    if (b.type !== 'service') continue;
    const name = b.labels[0]!;
    if (!isEnabled(ctx, b, name)) continue;
    const hosts = placement(ctx, b, `service "${name}"`);
    if (hosts === undefined) continue;
    if (hosts === null) {
      const attr = b.attrs.get('hosts');
      if (attr)
        ctx.diags.error(
          `Invalid value for "hosts" in service "${name}"`,
          attr.expr.range,
          'A list of host names (or host objects) is required, e.g. group.control.',
        );
      continue;
    }
    if (hosts.length === 0) {
      // Legal (a group with no hosts yet), but a service that silently deploys nothing surprises.
      ctx.diags.warning(
        `Service "${name}" is placed on no hosts`,
        b.attrs.get('hosts')!.expr.range,
        'Its hosts evaluate to an empty list (an empty group?), so it has no containers.',
      );
    }
    const svc: PlacedService = { block: b, name, hosts, dependsOnServices: [], dependsOnVolumes: [] };
    const dep = b.attrs.get('depends_on');
    if (dep) readDependsOn(ctx, dep.expr, svc);
    const serial = b.attrs.get('serial');
    if (serial) {
      const r = scope.tryEval(serial.expr);
      if (r.ok) {
        if (typeof r.value === 'number' && r.value >= 1) svc.serial = r.value;
        else if (typeof r.value === 'string' && /^\d+%$/.test(r.value)) svc.serial = r.value;
        else
          ctx.diags.error(
            `Invalid value for "serial" in service "${name}"`,
            serial.expr.range,
            'A number of hosts (1 or more) or a percentage such as "33%" is required.',
          );
      }
    }
    const quorum = b.attrs.get('quorum');
    if (quorum) {
      const r = scope.tryEval(quorum.expr);
      if (r.ok) {
        if (typeof r.value === 'boolean') svc.quorum = r.value;
        else
          ctx.diags.error(
            `Invalid value for "quorum" in service "${name}"`,
            quorum.expr.range,
            'true or false is required.',
          );
      }
    }
    out.push(svc);
  }
  return out;
}

function isEnabled(ctx: ExpandContext, b: DecodedBlock, name: string): boolean {
  const en = b.attrs.get('enabled');
  if (!en) return true;
  const r = ctx.scope.tryEval(en.expr);
  if (!r.ok) return false;
  if (typeof r.value !== 'boolean') {
    ctx.diags.error(`Invalid value for "enabled" in service "${name}"`, en.expr.range, 'bool required.');
    return false;
  }
  return r.value;
}

function readDependsOn(ctx: ExpandContext, expr: Expr, svc: PlacedService): void {
  if (expr.kind !== 'tuple') {
    ctx.diags.error(
      `Invalid depends_on in service "${svc.name}"`,
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
      ctx.diags.error(
        `Invalid reference in depends_on of service "${svc.name}"`,
        item.range,
        'Only service.NAME and volume.NAME may be listed.',
      );
      continue;
    }
    const [kind, name] = r.parts as ['service' | 'volume', string];
    const names = ctx.declared[kind];
    // A volume may be the enclosing module's (it serves the modules it calls).
    if (!names.has(name) && !(kind === 'volume' && ctx.volumeOwner(name))) {
      ctx.diags.error(
        `Reference to undeclared ${kind} "${name}"${didYouMean(name, names)}`,
        item.range,
        `No ${kind} block named "${name}" exists.`,
      );
      continue;
    }
    if (kind === 'service' && name === svc.name) {
      ctx.diags.error(`Service "${svc.name}" depends on itself`, item.range);
      continue;
    }
    (kind === 'service' ? svc.dependsOnServices : svc.dependsOnVolumes).push(name);
  }
}
