import { KollaCommand, commonFlags } from '../../cli/base-command.js';
import { openBackend } from '../../engine/state-access.js';
import type { HistoryEntry } from '../../states/state.js';

export default class StateHistory extends KollaCommand {
  static override description =
    'List the states kept in the history (newest last), with what produced each; `kolla rollback --to SERIAL` returns to one.';
  static override examples = ['<%= config.bin %> state history', '<%= config.bin %> state history --json'];
  static override enableJsonFlag = true;
  static override flags = { ...commonFlags };

  async run(): Promise<HistoryEntry[]> {
    const { flags } = await this.parse(StateHistory);
    this.setup(flags);
    const h = await (await openBackend(this.dir, [])).history();
    if (!this.jsonEnabled()) {
      if (h.length === 0) this.out('No history yet.');
      for (const e of h)
        this.out(
          `${String(e.serial).padStart(5)}  ${e.written_at}  ${String(e.resources).padStart(4)} resources  ${e.message}`,
        );
    }
    return h;
  }
}
