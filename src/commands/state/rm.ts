import { Args } from '@oclif/core';
import { KollaCommand, commonFlags, UserError } from '../../cli/base-command.js';
import { lockFlags, lockOptions } from '../../cli/plan-flags.js';
import { openBackend } from '../../engine/state-access.js';
import { withLock } from '../../engine/with-lock.js';
import { addressMatches } from '../../addrs/address.js';

export default class StateRm extends KollaCommand {
  static override description =
    'Forget resources: remove them from the state without touching the hosts (the next plan sees them as orphans or new).';
  static override examples = [
    '<%= config.bin %> state rm \'service.web.container.hello_web["local"]\'',
    '<%= config.bin %> state rm service.web',
  ];
  static override strict = false;
  static override args = { address: Args.string({ description: 'Address(es) to forget.', required: true }) };
  static override flags = { ...commonFlags, ...lockFlags };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(StateRm);
    this.setup(flags);
    const addrs = argv as string[];
    const backend = await openBackend(this.dir, []);
    await withLock(backend, lockOptions(flags, this.errColours), 'state rm', async () => {
      const state = await backend.read();
      if (!state) throw new UserError('there is no state yet');
      const gone = state.resources.filter((r) => addrs.some((a) => addressMatches(a, r.address)));
      if (gone.length === 0) throw new UserError(`no resource in the state matches ${addrs.join(', ')}`);
      const keep = state.resources.filter((r) => !gone.includes(r));
      await backend.write(
        { ...state, serial: state.serial + 1, resources: keep },
        `state rm ${addrs.join(' ')}`,
      );
      for (const r of gone) this.out(`Removed ${r.address}`);
      this.out(`Successfully removed ${gone.length} resource instance(s).`);
    });
  }
}
