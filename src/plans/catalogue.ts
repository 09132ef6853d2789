/**
 * The catalogue's version in the plan: kolla's modules (`kolla/NAME`) are versioned with
 * kolla, and the state records the kolla version that last wrote it. When a configuration
 * that calls catalogue modules is planned by another kolla version than the state's, the
 * plan says so (once, even when nothing changes): what the catalogue renders may differ.
 */
import path from 'node:path';
import type { ModuleInstance } from '../config/modules.js';
import { CATALOGUE_DIR } from '../config/modules.js';
import { formatModulePath } from '../addrs/address.js';

export interface CatalogueChange {
  /** The catalogue modules the configuration calls (`kolla/openstack`), sorted. */
  modules: string[];
  /** The kolla version that last wrote the state. */
  from: string;
  /** This kolla's version. */
  to: string;
}

/** `kolla/NAME` of a module folder in the catalogue, or undefined for any other folder. */
function catalogueName(dir: string): string | undefined {
  const rel = path.relative(CATALOGUE_DIR, dir);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return `kolla/${rel.split(path.sep).join('/')}`;
}

/**
 * The catalogue modules the configuration itself calls: `kolla/openstack`, not the
 * `kolla/nova` that kolla/openstack calls in turn (it comes with it).
 */
export function catalogueModulesCalled(modules: readonly ModuleInstance[]): string[] {
  const dirOf = new Map(modules.map((m) => [formatModulePath(m.path), m.dir]));
  const out = new Set<string>();
  for (const m of modules) {
    if (m.path.length === 0) continue;
    const name = catalogueName(m.dir);
    if (!name) continue;
    const parentDir = dirOf.get(formatModulePath(m.path.slice(0, -1)));
    if (parentDir !== undefined && catalogueName(parentDir)) continue;
    out.add(name);
  }
  return [...out].sort();
}

/**
 * What the plan says about the catalogue's version: undefined when no catalogue module is
 * called, the state has no resources (nothing was applied with another version), or the
 * state was written by this very version.
 */
export function catalogueChange(
  modules: readonly string[],
  state: { kolla_version: string; resources: readonly unknown[] } | undefined,
  current: string,
): CatalogueChange | undefined {
  if (!modules.length || !state || !state.resources.length) return undefined;
  if (!state.kolla_version || state.kolla_version === current) return undefined;
  return { modules: [...modules], from: state.kolla_version, to: current };
}

/** The plan's line: `Catalogue: kolla/openstack changes from 0.1.0 (the state's last apply) to 0.2.0.` */
export function catalogueChangeLine(c: CatalogueChange): string {
  const verb = c.modules.length > 1 ? 'change' : 'changes';
  return `Catalogue: ${c.modules.join(', ')} ${verb} from ${c.from} (the state's last apply) to ${c.to}.`;
}
