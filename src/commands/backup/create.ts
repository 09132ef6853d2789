import { Args } from '@oclif/core';
import { KollaCommand, commonFlags, varFlags } from '../../cli/base-command.js';
import { lockFlags, lockOptions } from '../../cli/plan-flags.js';
import { renderBackups } from '../../cli/render-backups.js';
import { createBackupOperation } from '../../engine/backups.js';

export default class BackupCreate extends KollaCommand {
  static override description =
    "Back up databases now: a consistent dump (mysqldump --single-transaction) of the schemas the configuration's `database` blocks declare, into the backup volume of their MariaDB server's container (default /backup). Older backups beyond the kolla block's backup_retention (default 10) are removed. apply also takes one before a bootstrap that `migrates` a schema runs again.";
  static override examples = [
    '<%= config.bin %> backup create',
    '<%= config.bin %> backup create keystone glance',
    '<%= config.bin %> backup create --json',
  ];
  static override strict = false;
  static override args = {
    names: Args.string({
      description: 'Schemas (or database services) to back up; none: every database.',
      required: false,
    }),
  };
  static override enableJsonFlag = true;
  static override flags = { ...commonFlags, ...varFlags, ...lockFlags };

  async run(): Promise<unknown> {
    const { flags, argv } = await this.parse(BackupCreate);
    this.setup(flags);
    const r = await createBackupOperation({
      dir: this.dir,
      vars: this.varArgs(),
      names: (argv as string[]).filter((a) => !a.startsWith('-')),
      ...lockOptions(flags, this.errColours),
    });
    this.failOnErrors(r.diagnostics);
    if (!this.jsonEnabled()) this.out(renderBackups(r.servers, this.colours));
    return { servers: r.servers };
  }
}
