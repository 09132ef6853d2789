import { Args } from '@oclif/core';
import { KollaCommand, commonFlags, UserError } from '../../cli/base-command.js';
import { openBackend } from '../../engine/state-access.js';
import { addressMatches } from '../../addrs/address.js';
import { kindOf } from '../../kinds/registry.js';
import type { ResourceState, State } from '../../states/state.js';

export default class StateShow extends KollaCommand {
  static override description = 'Show what is deployed: every resource in the state, or those under ADDR.';
  static override examples = [
    '<%= config.bin %> state show',
    '<%= config.bin %> state show service.keystone',
    '<%= config.bin %> state show \'service.web.container.hello_web["local"]\' --json',
  ];
  static override enableJsonFlag = true;
  static override args = { address: Args.string({ description: 'An address or address prefix.' }) };
  static override flags = { ...commonFlags };

  async run(): Promise<State | ResourceState[]> {
    const { flags, args } = await this.parse(StateShow);
    this.setup(flags);
    const backend = await openBackend(this.dir, []);
    const state = await backend.read();
    if (!state) {
      if (!this.jsonEnabled()) this.out('No state. Run kolla apply first.');
      return [];
    }
    const rs = args.address
      ? state.resources.filter((r) => addressMatches(args.address!, r.address))
      : state.resources;
    if (args.address && rs.length === 0)
      throw new UserError(`no resource in the state matches ${args.address}`);
    if (this.jsonEnabled()) return args.address ? rs : state;
    const p = this.colours;
    this.out(p.dim(`# state serial ${state.serial}, lineage ${state.lineage}, project ${state.project}`));
    for (const r of rs) {
      this.out(`\n${p.bold(`# ${r.address}:`)}`);
      this.out(`${r.kind} {`);
      const attrs: [string, unknown][] = [['host', r.host]];
      attrs.push(...kindOf(r.kind).show(r));
      if (r.dependencies.length) attrs.push(['depends_on', r.dependencies]);
      const width = Math.max(...attrs.map(([k]) => k.length));
      for (const [k, v] of attrs) this.out(`    ${k.padEnd(width)} = ${show(v)}`);
      this.out('}');
    }
    const outs = Object.entries(state.outputs);
    if (outs.length && !args.address) {
      this.out('\nOutputs:\n');
      for (const [k, v] of outs) this.out(`${k} = ${v.sensitive ? '(sensitive)' : JSON.stringify(v.value)}`);
    }
    return state;
  }
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  // Masked secrets stay masked.
  return s.replace(/\(\(secret\.[^)]+\)\)/g, '(sensitive)');
}
