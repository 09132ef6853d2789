import { Args, Flags } from '@oclif/core';
import { KollaCommand, commonFlags, UserError } from '../../cli/base-command.js';
import { lockFlags, lockOptions } from '../../cli/plan-flags.js';
import { loadSettings } from '../../engine/backend/settings.js';
import { DEFAULT_WORKSPACE, selectedWorkspace } from '../../engine/backend/workspace.js';
import { workspaceStore } from '../../engine/backend/workspace-store.js';
import { withLock } from '../../engine/with-lock.js';

export default class WorkspaceDelete extends KollaCommand {
  static override description =
    'Delete a workspace with its state and history. Refused while its state still has resources, unless -force.';
  static override examples = [
    '<%= config.bin %> workspace delete staging',
    '<%= config.bin %> workspace delete -force old   # forget the resources it still tracks',
  ];
  static override args = { name: Args.string({ description: 'The workspace name.', required: true }) };
  static override flags = {
    ...commonFlags,
    ...lockFlags,
    force: Flags.boolean({
      description:
        'Delete even if the state still tracks resources (they keep running, unmanaged) or an apply was interrupted.',
    }),
  };

  async run(): Promise<void> {
    const { flags, args } = await this.parse(WorkspaceDelete);
    this.setup(flags);
    const name = args.name;
    if (name === DEFAULT_WORKSPACE) throw new UserError('The default workspace cannot be deleted.');
    if (selectedWorkspace(this.dir).name === name) {
      throw new UserError(
        `Workspace "${name}" is the selected workspace and cannot be deleted; select another one first ` +
          `(kolla workspace select ${DEFAULT_WORKSPACE}).`,
      );
    }
    const store = workspaceStore(this.dir, await loadSettings(this.dir));
    try {
      if (!(await store.exists(name))) throw new UserError(`Workspace "${name}" doesn't exist.`);
      const backend = store.backend(name);
      await withLock(backend, lockOptions(flags, this.errColours), 'workspace delete', async () => {
        const state = await backend.read();
        const pending = await backend.journal().open();
        if (!flags.force && state && state.resources.length > 0) {
          throw new UserError(
            `Workspace "${name}" is not empty: its state tracks ${state.resources.length} resource(s). ` +
              `Destroy them first (KOLLA_WORKSPACE=${name} kolla destroy), or delete with -force to forget them.`,
          );
        }
        if (!flags.force && pending) {
          throw new UserError(
            `Workspace "${name}" has the journal of an interrupted apply (${pending.length} entries); ` +
              `recover with KOLLA_WORKSPACE=${name} kolla apply, or delete with -force.`,
          );
        }
        await store.remove(name, backend);
      });
    } finally {
      await store.close();
    }
    this.out(`Deleted workspace "${name}"!`);
  }
}
