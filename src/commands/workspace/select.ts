import { Args, Flags } from '@oclif/core';
import { KollaCommand, commonFlags, UserError } from '../../cli/base-command.js';
import { loadSettings } from '../../engine/backend/settings.js';
import {
  selectedWorkspace,
  WORKSPACE_ENV,
  workspaceNameProblem,
  writeSelectedWorkspace,
} from '../../engine/backend/workspace.js';
import { workspaceStore } from '../../engine/backend/workspace-store.js';

export default class WorkspaceSelect extends KollaCommand {
  static override description = 'Select the workspace the next commands use (kept in .kolla/environment).';
  static override examples = [
    '<%= config.bin %> workspace select staging',
    '<%= config.bin %> workspace select default',
  ];
  static override args = { name: Args.string({ description: 'The workspace name.', required: true }) };
  static override flags = {
    ...commonFlags,
    'or-create': Flags.boolean({ description: 'Create the workspace if it does not exist.' }),
  };

  async run(): Promise<void> {
    const { flags, args } = await this.parse(WorkspaceSelect);
    this.setup(flags);
    const problem = workspaceNameProblem(args.name);
    if (problem) throw new UserError(problem);
    if (selectedWorkspace(this.dir).source === 'env') {
      throw new UserError(
        `The selected workspace is currently overridden by the ${WORKSPACE_ENV} environment variable; ` +
          `unset it to select another workspace.`,
      );
    }
    const store = workspaceStore(this.dir, await loadSettings(this.dir));
    try {
      if (!(await store.exists(args.name))) {
        if (!flags['or-create']) {
          throw new UserError(
            `Workspace "${args.name}" doesn't exist. Create it with: kolla workspace new ${args.name}`,
          );
        }
        await store.create(args.name);
        this.out(`Created workspace "${args.name}".`);
      }
    } finally {
      await store.close();
    }
    writeSelectedWorkspace(this.dir, args.name);
    this.out(`Switched to workspace "${args.name}".`);
  }
}
