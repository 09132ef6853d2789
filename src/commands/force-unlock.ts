import { Args } from '@oclif/core';
import { KollaCommand, commonFlags } from '../cli/base-command.js';
import { openBackend } from '../engine/state-access.js';

export default class ForceUnlock extends KollaCommand {
  static override description =
    'Release a state lock left by a kolla that died. Give the lock ID shown in the lock error.';
  static override examples = ['<%= config.bin %> force-unlock 9f3c0e1a-…'];
  static override args = { id: Args.string({ description: 'The lock ID.', required: true }) };
  static override flags = { ...commonFlags };

  async run(): Promise<void> {
    const { flags, args } = await this.parse(ForceUnlock);
    this.setup(flags);
    await (await openBackend(this.dir, [])).forceUnlock(args.id);
    this.out('kolla state has been successfully unlocked!');
  }
}
