import { Flags } from '@oclif/core';
import { KollaCommand, commonFlags, varFlags, UserError } from '../cli/base-command.js';
import { EXIT_ERROR } from '../cli/exit-codes.js';
import { prechecksOperation, type PrechecksOutcome } from '../engine/prechecks.js';

export default class Prechecks extends KollaCommand {
  static override description =
    'Check every host the configuration deploys to, without changing anything: reachable (SSH and Docker), Docker API 1.40 or newer, the ports its containers will listen on are free, and enough free disk under the Docker data root.';
  static override examples = [
    '<%= config.bin %> prechecks',
    '<%= config.bin %> prechecks --json',
    '<%= config.bin %> prechecks --trust-new-host-keys --min-free-gb 10',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    ...commonFlags,
    ...varFlags,
    'trust-new-host-keys': Flags.boolean({
      description:
        'Accept SSH host keys that known_hosts does not have yet, and record them. Changed keys are still refused.',
    }),
    'min-free-gb': Flags.string({
      description: 'Least free space under each Docker data root, in GiB (default 2).',
      helpValue: 'N',
    }),
  };

  async run(): Promise<PrechecksOutcome> {
    const { flags } = await this.parse(Prechecks);
    this.setup(flags);
    const json = this.jsonEnabled();
    let minFreeBytes: number | undefined;
    if (flags['min-free-gb'] !== undefined) {
      const n = Number(flags['min-free-gb']);
      if (!Number.isFinite(n) || n < 0)
        throw new UserError(`invalid --min-free-gb "${flags['min-free-gb']}"; give a number of GiB`);
      minFreeBytes = n * 1024 ** 3;
    }
    const r = await prechecksOperation({
      dir: this.dir,
      vars: this.varArgs(),
      trustNewHostKeys: flags['trust-new-host-keys'] === true,
      onNotice: (text) => process.stderr.write(this.errColours.yellow(`Warning: ${text}\n`)),
      ...(minFreeBytes !== undefined ? { minFreeBytes } : {}),
    });
    if (json) {
      if (!r.ok) {
        this.logJson(r);
        this.exit(EXIT_ERROR);
      }
      return r;
    }
    for (const h of r.hosts) {
      this.out(this.colours.bold(`${h.host}:`));
      for (const c of h.checks) {
        const mark = c.ok
          ? c.skipped
            ? this.colours.yellow('?')
            : this.colours.green('✓')
          : this.colours.red('✗');
        this.out(`  ${mark} ${c.check.padEnd(10)} ${c.detail}`);
      }
    }
    this.printDiagnostics(r.diagnostics);
    if (!r.ok || r.diagnostics.some((d) => d.severity === 'error')) this.exit(EXIT_ERROR);
    this.out(
      this.colours.green(`All prechecks passed on ${r.hosts.length} host${r.hosts.length === 1 ? '' : 's'}.`),
    );
    return r;
  }
}
