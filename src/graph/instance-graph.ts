/**
 * The graph of desired instances, with a diagnostic per dependency cycle and Graphviz DOT
 * output for `kolla graph`.
 */
import type { Diagnostics } from '../diags/diagnostic.js';
import type { Instance } from '../expand/instances.js';
import { Dag } from './dag.js';

export function instanceGraph(instances: Instance[], diags: Diagnostics): Dag {
  const g = new Dag();
  for (const i of instances) g.add(i.address);
  for (const i of instances) for (const d of i.dependsOn) g.connect(i.address, d);
  for (const c of g.cycles()) {
    const first = instances.find((i) => i.address === c[0]);
    diags.error(
      `Dependency cycle: ${c.join(' → ')}`,
      first?.range,
      'Break the cycle by removing one of the depends_on references.',
    );
  }
  return g;
}

export function toDot(instances: Instance[], g: Dag): string {
  const lines = ['digraph kolla {', '  rankdir = "RL";', '  node [shape = box, fontname = "sans-serif"];'];
  const kinds = new Map(instances.map((i) => [i.address, i.kind]));
  const shape: Record<string, string> = {
    container: 'box',
    volume: 'cylinder',
    config: 'note',
    bootstrap: 'component',
    image: 'box3d',
  };
  for (const n of g.nodes().sort()) {
    lines.push(`  ${JSON.stringify(n)} [shape = ${shape[kinds.get(n) ?? 'container']}];`);
  }
  for (const [a, b] of g.edges().sort((x, y) => (x[0] + x[1]).localeCompare(y[0] + y[1]))) {
    lines.push(`  ${JSON.stringify(a)} -> ${JSON.stringify(b)};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
