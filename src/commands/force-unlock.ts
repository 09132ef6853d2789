import { Args, Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { KollaCommand, UserError, commonFlags, varFlags } from '../cli/base-command.js';
import { openBackend } from '../engine/state-access.js';
import { forceUnlockHostOperation } from '../engine/operations.js';
import { holderAliveHere, type ForceUnlockCheck } from '../states/backend.js';

export default class ForceUnlock extends KollaCommand {
  static override description =
    'Release a lock left by a kolla that died: the state lock, or with -host the lock apply holds on a host. Give the lock ID shown in the lock error. ' +
    'A lock whose holder still runs on this machine is never released; otherwise kolla asks for confirmation (-force skips it).';
  static override examples = [
    '<%= config.bin %> force-unlock 9f3c0e1a-…',
    '<%= config.bin %> force-unlock -host node2 5b1d7c2e-…',
    '<%= config.bin %> force-unlock -force 9f3c0e1a-…',
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
    force: Flags.boolean({ description: 'Do not ask for confirmation.' }),
  };

  async run(): Promise<void> {
    const { flags, args } = await this.parse(ForceUnlock);
    this.setup(flags);
    const check = confirmUnlock(flags.force === true, flags.host ? `host "${flags.host}"` : 'the state');
    if (flags.host) {
      await forceUnlockHostOperation(this.dir, this.varArgs(), flags.host, args.id, check);
      this.out(`Host "${flags.host}" has been successfully unlocked!`);
      return;
    }
    await (await openBackend(this.dir, this.varArgs())).forceUnlock(args.id, check);
    this.out('kolla state has been successfully unlocked!');
  }
}

/**
 * Terraform's guard: never free a lock whose holder is alive on this machine; ask otherwise
 * ("yes" only), unless -force; with no terminal to ask on and no -force, refuse.
 */
function confirmUnlock(force: boolean, what: string): ForceUnlockCheck {
  return async (holder) => {
    const by = `${holder.who} for "${holder.operation}" (PID ${holder.pid} on ${holder.hostname})`;
    if (holderAliveHere(holder) === true) {
      throw new UserError(
        `The lock of ${what} is held by ${by}, which is still running on this machine: not unlocking it.`,
        1,
        { kind: 'state', hint: `wait for that kolla to finish, or stop it (kill ${holder.pid}) first` },
      );
    }
    if (force) return;
    if (process.stdin.isTTY !== true) {
      throw new UserError(
        `Not unlocking ${what} (held by ${by}): there is no terminal to ask for confirmation.`,
        1,
        {
          kind: 'state',
          hint: 'pass -force to unlock without asking, once you are sure no kolla still uses the lock',
        },
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      process.stderr.write(
        `Do you really want to force-unlock?\n` +
          `  kolla will remove the lock of ${what}, held by ${by}. Removing the lock of a\n` +
          `  running operation can damage the state or the hosts.\n` +
          `  Only 'yes' will be accepted to confirm.\n\n`,
      );
      const answer = (await rl.question('  Enter a value: ')).trim();
      if (answer !== 'yes') throw new UserError('force-unlock cancelled.', 1, { kind: 'state' });
    } finally {
      rl.close();
    }
  };
}
