import { Args } from '@oclif/core';
import { KollaCommand, commonFlags, UserError } from '../cli/base-command.js';
import { openBackend } from '../engine/state-access.js';

export default class Output extends KollaCommand {
  static override description =
    'Print the outputs recorded by the last apply, or one of them (raw, for scripts).';
  static override examples = [
    '<%= config.bin %> output',
    '<%= config.bin %> output url',
    '<%= config.bin %> output --json',
  ];
  static override enableJsonFlag = true;
  static override args = { name: Args.string({ description: 'One output to print.' }) };
  static override flags = { ...commonFlags };

  async run(): Promise<unknown> {
    const { flags, args } = await this.parse(Output);
    this.setup(flags);
    const state = await (await openBackend(this.dir, [])).read();
    const outs = state?.outputs ?? {};
    if (args.name) {
      const o = outs[args.name];
      if (!o)
        throw new UserError(
          `no output named "${args.name}"; outputs: ${Object.keys(outs).join(', ') || 'none (run kolla apply)'}`,
        );
      if (!this.jsonEnabled())
        this.out(
          o.sensitive
            ? '(sensitive)'
            : typeof o.value === 'string'
              ? o.value
              : JSON.stringify(o.value, null, 2),
        );
      return o;
    }
    if (!this.jsonEnabled())
      for (const [k, v] of Object.entries(outs))
        this.out(`${k} = ${v.sensitive ? '(sensitive)' : JSON.stringify(v.value)}`);
    return outs;
  }
}
