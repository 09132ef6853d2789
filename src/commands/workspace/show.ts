import { KollaCommand, commonFlags } from '../../cli/base-command.js';
import { selectedWorkspace } from '../../engine/backend/workspace.js';

export default class WorkspaceShow extends KollaCommand {
  static override description =
    'Print the name of the selected workspace (KOLLA_WORKSPACE, else .kolla/environment, else default).';
  static override examples = ['<%= config.bin %> workspace show'];
  static override flags = { ...commonFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(WorkspaceShow);
    this.setup(flags);
    this.out(selectedWorkspace(this.dir).name);
  }
}
