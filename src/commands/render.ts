import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { KollaCommand, commonFlags, varFlags, UserError } from '../cli/base-command.js';
import { prepare } from '../engine/prepare.js';
import { renderConfigs, type RenderedFile } from '../engine/render-configs.js';

export default class Render extends KollaCommand {
  static override description =
    'Write the rendered config files (templates merged with overrides, and config.json) into a local folder, per host and container, without touching any host.';
  static override examples = [
    '<%= config.bin %> render --chdir examples/all-in-one --out /tmp/rendered',
    '<%= config.bin %> render service.keystone --out /tmp/keystone',
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = {
    address: Args.string({ description: 'Addresses (or prefixes) to render; all by default.' }),
  };
  static override flags = {
    ...commonFlags,
    ...varFlags,
    out: Flags.string({ description: 'Folder to write into (created).', required: true, helpValue: 'DIR' }),
  };

  async run(): Promise<RenderedFile[]> {
    const { flags, argv } = await this.parse(Render);
    this.setup(flags);
    const p = await prepare({ dir: this.dir, vars: this.varArgs(), requireSecrets: false });
    this.failOnErrors([...p.diagnostics]);
    const files = renderConfigs(p.expansion!.instances, argv as string[], path.resolve(flags.out));
    if (files.length === 0) throw new UserError('no config file matches');
    if (!this.jsonEnabled()) {
      for (const f of files) this.out(`${f.written}  (${f.address} → ${f.path})`);
      this.out(`Rendered ${files.length} file(s).`);
    }
    return files;
  }
}
