/**
 * Expanding an inline configuration: the files are written to a temp directory, then
 * loaded, expanded and graphed as `prepare()` does, without the syntax cache.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load.js';
import type { Diagnostics } from '../../../src/diags/diagnostic.js';
import { expand } from '../../../src/expand/expand.js';
import type { ContainerInstance, Instance } from '../../../src/expand/instances.js';
import type { Dag } from '../../../src/graph/dag.js';
import { instanceGraph } from '../../../src/graph/instance-graph.js';

export interface Expanded {
  config?: Config;
  instances: Instance[];
  graph?: Dag;
  diagnostics: Diagnostics;
  /** The instance at `address`; throws when there is none. */
  get(address: string): Instance;
  container(address: string): ContainerInstance;
  addresses(): string[];
  /** `file:line:col: Summary` of each diagnostic. */
  messages(): string[];
}

const temps: string[] = [];

/** Remove the directories `writeConfig` made (call it in afterAll). */
export function removeConfigs(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function writeConfig(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-expand-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const f = path.join(dir, name);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, text);
  }
  return dir;
}

export async function expandHcl(main: string, extra: Record<string, string> = {}): Promise<Expanded> {
  const dir = writeConfig({ 'main.hcl': main, ...extra });
  const loaded = await loadConfig({ dir, env: {}, syntaxCache: false });
  const diagnostics = loaded.diagnostics;
  let instances: Instance[] = [];
  let graph: Dag | undefined;
  if (loaded.config && !diagnostics.hasErrors()) {
    instances = expand(loaded.config, diagnostics).instances;
    if (!diagnostics.hasErrors()) graph = instanceGraph(instances, diagnostics);
  }
  const byAddr = new Map(instances.map((i) => [i.address, i]));
  const get = (a: string): Instance => {
    const i = byAddr.get(a);
    if (!i) throw new Error(`no instance ${a}; have:\n  ${[...byAddr.keys()].join('\n  ')}`);
    return i;
  };
  const out: Expanded = {
    instances,
    diagnostics,
    get,
    container: (a) => {
      const i = get(a);
      if (i.kind !== 'container') throw new Error(`${a} is a ${i.kind}`);
      return i;
    },
    addresses: () => instances.map((i) => i.address),
    messages: () =>
      diagnostics.map(
        (d) =>
          `${d.range ? `${d.range.file}:${d.range.start.line}:${d.range.start.col}` : '-'}: ${d.summary}`,
      ),
  };
  if (loaded.config) out.config = loaded.config;
  if (graph) out.graph = graph;
  return out;
}

/** `service.S.container.C["H"]` */
export const ctr = (service: string, name: string, host: string): string =>
  `service.${service}.container.${name}[${JSON.stringify(host)}]`;
