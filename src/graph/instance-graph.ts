/**
 * The graph of desired instances, with a diagnostic per dependency cycle and Graphviz DOT
 * output for `kolla graph`.
 */
import type { Diagnostics } from '../diags/diagnostic.js';
import type { SourceRange } from '../diags/diagnostic.js';

/** What the graph needs of an instance (expand/instances.ts's Instance has it). */
export interface GraphNode {
  address: string;
  kind: string;
  dependsOn: string[];
  range?: SourceRange | undefined;
  service?: string;
}
import { Dag } from './dag.js';

export function instanceGraph(instances: readonly GraphNode[], diags: Diagnostics): Dag {
  const g = new Dag();
  for (const i of instances) g.add(i.address);
  for (const i of instances) for (const d of i.dependsOn) g.connect(i.address, d);
  const byAddr = new Map(instances.map((i) => [i.address, i]));
  for (const c of g.cycles()) {
    const first = byAddr.get(c[0]!);
    // The user fixes a cycle in depends_on, between services: name them in order.
    const services: string[] = [];
    for (const a of c) {
      const i = byAddr.get(a);
      const s = i && 'service' in i ? `service.${i.service}` : undefined;
      if (s && services[services.length - 1] !== s) services.push(s);
    }
    diags.error(
      `Dependency cycle: ${c.join(' → ')}`,
      first?.range,
      services.length > 1
        ? `The services ${services.join(' → ')} wait for each other. Break the cycle by removing one of their depends_on references.`
        : 'Break the cycle by removing one of the depends_on references.',
    );
  }
  return g;
}

/** The graph in Graphviz DOT; `shapeOf` gives each kind's node shape (the kinds decide it). */
export function toDot<N extends GraphNode>(
  instances: readonly N[],
  g: Dag,
  shapeOf: (kind: N['kind']) => string,
): string {
  const lines = ['digraph kolla {', '  rankdir = "RL";', '  node [shape = box, fontname = "sans-serif"];'];
  const kinds = new Map(instances.map((i) => [i.address, i.kind]));
  for (const n of g.nodes().sort()) {
    const k = kinds.get(n);
    lines.push(`  ${JSON.stringify(n)} [shape = ${k ? shapeOf(k) : 'box'}];`);
  }
  for (const [a, b] of g.edges().sort((x, y) => (x[0] + x[1]).localeCompare(y[0] + y[1]))) {
    lines.push(`  ${JSON.stringify(a)} -> ${JSON.stringify(b)};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
