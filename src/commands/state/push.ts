import { Args, Flags } from '@oclif/core';
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { KollaCommand, commonFlags, UserError } from '../../cli/base-command.js';
import { lockFlags, lockOptions } from '../../cli/plan-flags.js';
import { openBackend } from '../../engine/state-access.js';
import { withLock } from '../../engine/with-lock.js';
import { isErrno } from '../../states/fs-safe.js';
import { parseState } from '../../states/statefile.js';

export default class StatePush extends KollaCommand {
  static override description =
    'Replace the state (of the selected workspace) with a state file: the state must follow the current one ' +
    '(same lineage, serial not older) unless -force.';
  static override examples = [
    '<%= config.bin %> state push kolla.state.backup.json',
    '<%= config.bin %> state push -force other.state.json   # replace even an unrelated or newer state',
    '<%= config.bin %> state pull | jq ... | <%= config.bin %> state push -',
  ];
  static override args = {
    file: Args.string({ description: 'The state file to push, or - for stdin.', required: true }),
  };
  static override flags = {
    ...commonFlags,
    ...lockFlags,
    force: Flags.boolean({
      description: 'Write the state even if its lineage differs or its serial is older than the current one.',
    }),
  };

  async run(): Promise<void> {
    const { flags, args } = await this.parse(StatePush);
    this.setup(flags);
    const source = args.file === '-' ? 'stdin' : args.file;
    let text: string;
    try {
      text = args.file === '-' ? await readStdin() : await readFile(args.file, 'utf8');
    } catch (e) {
      if (isErrno(e, 'ENOENT')) throw new UserError(`${args.file}: no such file`);
      throw e;
    }
    let state = parseState(text, source);
    const backend = await openBackend(this.dir, []);
    await withLock(backend, lockOptions(flags, this.errColours), 'state push', async () => {
      const current = await backend.read();
      let message = `state push ${source}`;
      if (flags.force) {
        await backend.write(state, `${message} -force`, { force: true });
      } else {
        if (current && current.lineage === state.lineage && current.serial === state.serial) {
          if (isDeepStrictEqual(current, state)) {
            this.out(
              `The state in ${backend.describe()} is already serial ${state.serial}: nothing to push.`,
            );
            return;
          }
          // Same serial, other content (pulled and edited by hand): accepted as Terraform does,
          // written as the next serial so that the history keeps both.
          state = { ...state, serial: state.serial + 1 };
          message += ` (serial ${current.serial} edited)`;
        }
        // Another lineage or an older serial is refused here (StaleLineageError).
        await backend.write(state, message);
      }
      this.out(`Pushed state serial ${state.serial} (lineage ${state.lineage}) to ${backend.describe()}.`);
    });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
