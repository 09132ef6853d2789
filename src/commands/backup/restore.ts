import { Args, Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { KollaCommand, UserError, commonFlags, varFlags } from '../../cli/base-command.js';
import { lockFlags, lockOptions } from '../../cli/plan-flags.js';
import { restoreBackupOperation } from '../../engine/backups.js';

export default class BackupRestore extends KollaCommand {
  static override description =
    'Restore a database backup (see kolla backup list) on the server that holds it: each schema in it is dropped and made again as it was when the backup was taken. What was written since is lost; asks first unless -auto-approve.';
  static override examples = [
    '<%= config.bin %> backup list',
    '<%= config.bin %> backup restore 20261204T193012Z-a1b2c3',
    '<%= config.bin %> backup restore 20261204T193012Z-a1b2c3 -auto-approve --json',
  ];
  static override args = {
    id: Args.string({ description: 'The backup ID (kolla backup list).', required: true }),
  };
  static override enableJsonFlag = true;
  static override flags = {
    ...commonFlags,
    ...varFlags,
    ...lockFlags,
    'auto-approve': Flags.boolean({ description: 'Restore without asking.' }),
  };

  async run(): Promise<unknown> {
    const { flags, args } = await this.parse(BackupRestore);
    this.setup(flags);
    if (!flags['auto-approve']) {
      if (!process.stdin.isTTY || this.jsonEnabled())
        throw new UserError('no terminal to ask for approval; pass -auto-approve to restore without asking');
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        const a = await rl.question(
          `${this.colours.bold(`Restore backup ${args.id}?`)}\n  Its schemas are dropped and made again; what was written since is lost.\n  Only 'yes' will be accepted.\n\n  ${this.colours.bold('Enter a value:')} `,
        );
        if (a.trim() !== 'yes') throw new UserError('restore cancelled');
      } finally {
        rl.close();
      }
    }
    const r = await restoreBackupOperation({
      dir: this.dir,
      vars: this.varArgs(),
      id: args.id,
      ...lockOptions(flags, this.errColours),
    });
    this.failOnErrors(r.diagnostics);
    const b = r.restored!;
    if (!this.jsonEnabled())
      this.out(
        `Restored ${b.backups[0]!.schemas.join(', ')} on ${b.host} (${b.container}) from backup ${args.id} in ${((r.elapsedMs ?? 0) / 1000).toFixed(1)}s.`,
      );
    return { restored: b, elapsed_ms: r.elapsedMs };
  }
}
