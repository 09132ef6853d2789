import { Args, Flags } from '@oclif/core';
import { KollaCommand, commonFlags, varFlags, UserError } from '../../cli/base-command.js';
import { EXIT_ERROR } from '../../cli/exit-codes.js';
import { loadConfig } from '../../config/load.js';
import { rotateSecret, SECRETS_FILE } from '../../secrets/secrets-file.js';
import { didYouMean } from '../../diags/suggest.js';

export default class SecretsRotate extends KollaCommand {
  static override description = `Generate a new value for one secret in ${SECRETS_FILE}. The next plan shows every config file and container it changes (values masked). A key set (type fernet_keys, credential_keys) is rotated as keystone-manage fernet_rotate rotates a key repository: the staged key becomes the primary, a new staged key is made, the oldest secondary key drops off — tokens made with the old primary stay valid, and hosts with the old and the new set accept each other's tokens while an apply rolls. Apply after each rotation: rotating twice before an apply drops the primary key the hosts still use.`;
  static override examples = [
    '<%= config.bin %> secrets rotate keystone_admin_password && <%= config.bin %> plan',
    '<%= config.bin %> secrets rotate module.openstack.keystone_fernet_keys && <%= config.bin %> apply',
  ];
  static override args = { name: Args.string({ description: 'The secret to rotate.', required: true }) };
  static override flags = {
    ...commonFlags,
    ...varFlags,
    force: Flags.boolean({
      description:
        'Rotate a credential key set (type credential_keys): keystone encrypts credentials with the primary key, so they must be re-encrypted (keystone-manage credential_migrate) before the key that encrypted them drops off.',
    }),
  };

  async run(): Promise<void> {
    const { flags, args } = await this.parse(SecretsRotate);
    this.setup(flags);
    const r = await loadConfig({ dir: this.dir, vars: this.varArgs() });
    this.failOnErrors([...r.diagnostics]);
    const decls = r.config!.secrets;
    const decl = decls.find((d) => d.name === args.name);
    if (decl?.kind === 'credential_keys' && !flags.force) {
      throw new UserError(
        `${args.name} is a credential key set: keystone's credentials are encrypted with its primary key, and a rotation makes another key the primary`,
        EXIT_ERROR,
        {
          hint: `Rotate it with --force, run kolla apply, then run \`keystone-manage credential_migrate\` in a keystone container (the keystone module's credential_migrate task does it in the apply) before rotating again: two rotations without a migration drop the key the credentials are encrypted with, and they can no longer be read.`,
        },
      );
    }
    const out = rotateSecret(this.dir, decls, args.name);
    if (!out.rotated) {
      if (out.reason === 'not-generated')
        throw new UserError(`${args.name} has no keys yet`, EXIT_ERROR, {
          hint: 'Run kolla secrets generate first.',
        });
      throw new UserError(
        `no secret named "${args.name}"${didYouMean(
          args.name,
          decls.map((d) => d.name),
        )}`,
      );
    }
    if (out.keySet)
      this.out(
        `Rotated ${args.name}: the staged key is now the primary, a new staged key was made, the oldest of ${out.count} keys dropped off. Run kolla plan to see what it changes, and kolla apply before rotating again.`,
      );
    else this.out(`Rotated ${args.name}. Run kolla plan to see what it changes.`);
  }
}
