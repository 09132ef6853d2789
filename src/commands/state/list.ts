import { KollaCommand, commonFlags } from '../../cli/base-command.js';
import { openBackend } from '../../engine/state-access.js';

export default class StateList extends KollaCommand {
  static override description = 'List the addresses in the state, one per line.';
  static override examples = ['<%= config.bin %> state list', '<%= config.bin %> state list --json'];
  static override enableJsonFlag = true;
  static override flags = { ...commonFlags };

  async run(): Promise<string[]> {
    const { flags } = await this.parse(StateList);
    this.setup(flags);
    const state = await (await openBackend(this.dir, [])).read();
    const list = state?.resources.map((r) => r.address) ?? [];
    if (!this.jsonEnabled()) for (const a of list) this.out(a);
    return list;
  }
}
