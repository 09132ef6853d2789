import { KollaCommand, commonFlags } from '../../cli/base-command.js';
import { openBackend } from '../../engine/state-access.js';

export default class StatePull extends KollaCommand {
  static override description =
    'Print the current state (of the selected workspace) as JSON on stdout, from whichever backend holds it.';
  static override examples = [
    '<%= config.bin %> state pull > kolla.state.backup.json',
    'KOLLA_WORKSPACE=staging <%= config.bin %> state pull | jq .serial',
  ];
  static override flags = { ...commonFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(StatePull);
    this.setup(flags);
    const state = await (await openBackend(this.dir, [])).read();
    // Nothing on stdout without a state (as Terraform), so that `> file` does not make an invalid file.
    if (!state) {
      process.stderr.write('No state.\n');
      return;
    }
    this.out(JSON.stringify(state, null, 2));
  }
}
