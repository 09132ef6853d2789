/**
 * The first half of every command: load the configuration, expand it into instances and
 * build their graph. Returns everything with the diagnostics of all three steps.
 */
import type { Config } from '../config/config.js';
import type { Diagnostics } from '../diags/diagnostic.js';
import { loadConfig } from '../config/load.js';
import type { VarArg } from '../config/variables.js';
import { expand, type Expansion } from '../expand/expand.js';
import { instanceGraph } from '../graph/instance-graph.js';
import type { Dag } from '../graph/dag.js';
import { readSecrets } from '../secrets/secrets-file.js';
import { phase } from '../timing.js';

export interface PrepareOptions {
  dir: string;
  vars?: VarArg[];
  env?: NodeJS.ProcessEnv;
  /** A used secret without a value is an error (plan, apply) or only a warning (validate). */
  requireSecrets?: boolean;
  /** false: parse every file afresh, without the syntax cache in `.kolla/` (tests). */
  syntaxCache?: boolean;
}

export interface Prepared {
  config?: Config;
  expansion?: Expansion;
  graph?: Dag;
  diagnostics: Diagnostics;
}

export async function prepare(opts: PrepareOptions): Promise<Prepared> {
  phase('command started');
  const secretValues = readSecrets(opts.dir);
  const loaded = await loadConfig({ ...opts, secretValues });
  const diags = loaded.diagnostics;
  if (!loaded.config || diags.hasErrors()) return { diagnostics: diags };
  phase('configuration loaded');
  const expansion = expand(loaded.config, diags);
  phase('expanded');
  if (diags.hasErrors()) return { config: loaded.config, diagnostics: diags };
  const missing = loaded.config.missingSecrets();
  if (missing.length) {
    const summary = `No value for secret${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}`;
    const detail = `Run \`kolla secrets generate\` to generate the missing values into kolla.secrets.json (existing values are kept).`;
    if (opts.requireSecrets === false) diags.warning(summary, undefined, detail);
    else {
      diags.error(summary, undefined, detail);
      return { config: loaded.config, diagnostics: diags };
    }
  }
  const graph = instanceGraph(expansion.instances, diags);
  phase('graph built');
  return { config: loaded.config, expansion, graph, diagnostics: diags };
}
