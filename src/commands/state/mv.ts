import { Args } from '@oclif/core';
import { KollaCommand, commonFlags, UserError } from '../../cli/base-command.js';
import { lockFlags, lockOptions } from '../../cli/plan-flags.js';
import { openBackend } from '../../engine/state-access.js';
import { withLock } from '../../engine/with-lock.js';
import { isValidAddress } from '../../addrs/address.js';
import { applyMoves } from '../../states/moves.js';

export default class StateMv extends KollaCommand {
  static override description =
    'Move resources to another address in the state (a refactor, a service moved into a module) without touching the hosts: the containers keep running and the next plan finds them at their new address. A moved block in the configuration does the same as part of a plan.';
  static override examples = [
    '<%= config.bin %> state mv service.keystone module.openstack.service.keystone',
    '<%= config.bin %> state mv \'service.web.container.web["h1"]\' \'service.front.container.web["h1"]\'',
  ];
  static override args = {
    from: Args.string({ description: 'The address (or address prefix) to move.', required: true }),
    to: Args.string({ description: 'Where it goes.', required: true }),
  };
  static override flags = { ...commonFlags, ...lockFlags };

  async run(): Promise<void> {
    const { flags, args } = await this.parse(StateMv);
    this.setup(flags);
    for (const a of [args.from, args.to])
      if (!isValidAddress(a))
        throw new UserError(
          `"${a}" is not an address (e.g. service.keystone or module.openstack.service.keystone)`,
        );
    const backend = await openBackend(this.dir, []);
    await withLock(backend, lockOptions(flags, this.errColours), 'state mv', async () => {
      const state = await backend.read();
      if (!state) throw new UserError('there is no state yet');
      const r = applyMoves(state, [{ from: args.from, to: args.to }]);
      if (r.problems.length) throw new UserError(r.problems.join('; '));
      if (!r.moved.length) throw new UserError(`no resource in the state matches ${args.from}`);
      await backend.write({ ...r.state, serial: state.serial + 1 }, `state mv ${args.from} ${args.to}`);
      for (const m of r.moved) this.out(`Moved ${m.from} to ${m.to}`);
      this.out(`Successfully moved ${r.moved.length} resource instance(s).`);
    });
  }
}
