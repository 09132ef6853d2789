import { KollaCommand, commonFlags, varFlags } from '../../cli/base-command.js';
import { lockFlags, lockOptions } from '../../cli/plan-flags.js';
import { renderBackups } from '../../cli/render-backups.js';
import { listBackupsOperation } from '../../engine/backups.js';
import { EXIT_ERROR } from '../../cli/exit-codes.js';

export default class BackupList extends KollaCommand {
  static override description =
    "List the database backups on every MariaDB server of the configuration (those of kolla backup create and those apply took before a migration), oldest first. Exits 1 when a server's backups cannot be read.";
  static override examples = ['<%= config.bin %> backup list', '<%= config.bin %> backup list --json'];
  static override enableJsonFlag = true;
  static override flags = { ...commonFlags, ...varFlags, ...lockFlags };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(BackupList);
    this.setup(flags);
    const r = await listBackupsOperation({
      dir: this.dir,
      vars: this.varArgs(),
      ...lockOptions(flags, this.errColours),
    });
    this.failOnErrors(r.diagnostics);
    if (!this.jsonEnabled()) this.out(renderBackups(r.servers, this.colours));
    if (r.servers.some((s) => s.error)) process.exitCode = EXIT_ERROR;
    return { servers: r.servers };
  }
}
