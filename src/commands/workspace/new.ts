import { Args, Flags } from '@oclif/core';
import { readFile } from 'node:fs/promises';
import { KollaCommand, commonFlags, UserError } from '../../cli/base-command.js';
import { lockFlags, lockOptions } from '../../cli/plan-flags.js';
import { loadSettings } from '../../engine/backend/settings.js';
import {
  selectedWorkspace,
  WORKSPACE_ENV,
  workspaceNameProblem,
  writeSelectedWorkspace,
} from '../../engine/backend/workspace.js';
import { workspaceStore } from '../../engine/backend/workspace-store.js';
import { withLock } from '../../engine/with-lock.js';
import { parseState } from '../../states/statefile.js';

export default class WorkspaceNew extends KollaCommand {
  static override description =
    'Create a workspace (a separate state of this configuration in the same backend) and select it.';
  static override examples = [
    '<%= config.bin %> workspace new staging',
    '<%= config.bin %> workspace new production -state=production.state.json',
  ];
  static override args = { name: Args.string({ description: 'The workspace name.', required: true }) };
  static override flags = {
    ...commonFlags,
    ...lockFlags,
    state: Flags.string({ description: 'Start the workspace with this state file.', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags, args } = await this.parse(WorkspaceNew);
    this.setup(flags);
    const problem = workspaceNameProblem(args.name);
    if (problem) throw new UserError(problem);
    const lock = lockOptions(flags, this.errColours);
    const settings = await loadSettings(this.dir);
    const store = workspaceStore(this.dir, settings);
    try {
      // Read before creating anything: a bad file must not leave an empty workspace behind.
      const initial = flags.state ? parseState(await readFile(flags.state, 'utf8'), flags.state) : undefined;
      if (!(await store.create(args.name))) throw new UserError(`Workspace "${args.name}" already exists.`);
      if (initial) {
        const b = store.backend(args.name);
        await withLock(b, lock, 'workspace new', () =>
          b.write(initial, `workspace new -state=${flags.state}`),
        );
      }
    } finally {
      await store.close();
    }
    if (selectedWorkspace(this.dir).source === 'env') {
      this.out(
        `Created workspace "${args.name}". It is not selected: ${WORKSPACE_ENV} overrides the selection.`,
      );
      return;
    }
    writeSelectedWorkspace(this.dir, args.name);
    this.out(`Created and switched to workspace "${args.name}"!`);
    this.out(
      "\nYou're now on a new, empty workspace. Workspaces isolate their state, so a kolla plan " +
        'here will not see any existing state of this configuration.',
    );
  }
}
