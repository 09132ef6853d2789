import { Args, Flags } from '@oclif/core';
import { KollaCommand, commonFlags, varFlags } from '../cli/base-command.js';
import { openBackend } from '../engine/state-access.js';
import { forceUnlockHostOperation } from '../engine/operations.js';

export default class ForceUnlock extends KollaCommand {
  static override description =
    'Release a lock left by a kolla that died: the state lock, or with -host the lock apply holds on a host. Give the lock ID shown in the lock error.';
  static override examples = [
    '<%= config.bin %> force-unlock 9f3c0e1a-…',
    '<%= config.bin %> force-unlock -host node2 5b1d7c2e-…',
  ];
  static override args = { id: Args.string({ description: 'The lock ID.', required: true }) };
  static override flags = {
    ...commonFlags,
    ...varFlags,
    host: Flags.string({
      description:
        "Release this host's lock (per project, held by apply on each host it changes) instead of the state lock.",
      helpValue: 'HOST',
    }),
  };

  async run(): Promise<void> {
    const { flags, args } = await this.parse(ForceUnlock);
    this.setup(flags);
    if (flags.host) {
      await forceUnlockHostOperation(this.dir, this.varArgs(), flags.host, args.id);
      this.out(`Host "${flags.host}" has been successfully unlocked!`);
      return;
    }
    await (await openBackend(this.dir, this.varArgs())).forceUnlock(args.id);
    this.out('kolla state has been successfully unlocked!');
  }
}
