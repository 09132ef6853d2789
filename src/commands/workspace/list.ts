import { KollaCommand, commonFlags } from '../../cli/base-command.js';
import { loadSettings } from '../../engine/backend/settings.js';
import { selectedWorkspace } from '../../engine/backend/workspace.js';
import { workspaceStore } from '../../engine/backend/workspace-store.js';

export default class WorkspaceList extends KollaCommand {
  static override description = 'List the workspaces of the backend; the selected one is marked with *.';
  static override examples = ['<%= config.bin %> workspace list', '<%= config.bin %> workspace list --json'];
  static override enableJsonFlag = true;
  static override flags = { ...commonFlags };

  async run(): Promise<{ current: string; workspaces: string[] }> {
    const { flags } = await this.parse(WorkspaceList);
    this.setup(flags);
    const store = workspaceStore(this.dir, await loadSettings(this.dir));
    let names: string[];
    try {
      names = await store.list();
    } finally {
      await store.close();
    }
    const current = selectedWorkspace(this.dir).name;
    if (!this.jsonEnabled()) {
      for (const n of names) this.out(`${n === current ? '*' : ' '} ${n}`);
      // Selected with KOLLA_WORKSPACE (or by hand) before anything was written to it.
      if (!names.includes(current)) this.out(`* ${current} (no state yet)`);
    }
    return { current, workspaces: names };
  }
}
