import { KollaCommand, commonFlags, varFlags } from '../cli/base-command.js';
import { prepare } from '../engine/prepare.js';
import { toDot } from '../graph/instance-graph.js';
import { kindOf } from '../kinds/registry.js';

export default class Graph extends KollaCommand {
  static override description =
    'Print the dependency graph of the desired instances in Graphviz DOT (edges point to what a node waits for).';
  static override examples = [
    '<%= config.bin %> graph | dot -Tsvg > graph.svg',
    '<%= config.bin %> graph --chdir examples/hello',
  ];
  static override flags = { ...commonFlags, ...varFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(Graph);
    this.setup(flags);
    const p = await prepare({ dir: this.dir, vars: this.varArgs(), requireSecrets: false });
    this.failOnErrors(p.diagnostics);
    this.out(toDot(p.expansion!.instances, p.graph!, (k) => kindOf(k).shape));
  }
}
