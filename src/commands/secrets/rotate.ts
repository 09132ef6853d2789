import { Args } from '@oclif/core';
import { KollaCommand, commonFlags, varFlags, UserError } from '../../cli/base-command.js';
import { loadConfig } from '../../config/load.js';
import { rotateSecret, SECRETS_FILE } from '../../secrets/secrets-file.js';
import { didYouMean } from '../../diags/suggest.js';

export default class SecretsRotate extends KollaCommand {
  static override description = `Generate a new value for one secret in ${SECRETS_FILE}. The next plan shows every config file and container it changes (values masked).`;
  static override examples = [
    '<%= config.bin %> secrets rotate keystone_admin_password && <%= config.bin %> plan',
  ];
  static override args = { name: Args.string({ description: 'The secret to rotate.', required: true }) };
  static override flags = { ...commonFlags, ...varFlags };

  async run(): Promise<void> {
    const { flags, args } = await this.parse(SecretsRotate);
    this.setup(flags);
    const r = await loadConfig({ dir: this.dir, vars: this.varArgs() });
    this.failOnErrors([...r.diagnostics]);
    const decls = r.config!.secrets;
    if (!rotateSecret(this.dir, decls, args.name)) {
      throw new UserError(
        `no secret named "${args.name}"${didYouMean(
          args.name,
          decls.map((d) => d.name),
        )}`,
      );
    }
    this.out(`Rotated ${args.name}. Run kolla plan to see what it changes.`);
  }
}
