/**
 * The base of every kolla command: common flags (`--chdir`, `--no-color`, `--var`,
 * `--var-file`), diagnostics rendering, and one error sink that prints user errors without
 * a stack trace (set KOLLA_DEBUG=1 to see one).
 */
import { Command, Flags } from '@oclif/core';
import path from 'node:path';
import type { Diagnostic } from '../diags/diagnostic.js';
import type { VarArg } from '../config/variables.js';
import { palette, type Palette } from './colour.js';
import { renderDiagnostics } from './render-diagnostics.js';
import { EXIT_ERROR, exitCodeOf } from './exit-codes.js';
import { KollaError, type ErrorKind } from '../diags/kolla-error.js';
import { SecretMasker } from '../states/secret-mask.js';
import { readSecrets } from '../secrets/secrets-file.js';

export const commonFlags = {
  chdir: Flags.string({
    description: 'Configuration directory (default: the current directory).',
    helpValue: 'DIR',
    env: 'KOLLA_CHDIR',
  }),
  'no-color': Flags.boolean({ description: 'Plain output without colours (also NO_COLOR or a non-TTY).' }),
};

export const varFlags = {
  var: Flags.string({
    description: 'Set a variable: NAME=VALUE. Repeatable.',
    multiple: true,
    helpValue: 'NAME=VALUE',
  }),
  'var-file': Flags.string({
    description: 'Read variables from an HCL file. Repeatable.',
    multiple: true,
    helpValue: 'FILE',
  }),
};

/** A user error the command has already explained. */
export class UserError extends KollaError {
  override readonly name: string = 'UserError';
  constructor(message: string, exitCode = EXIT_ERROR, options: { hint?: string; kind?: ErrorKind } = {}) {
    super(options.kind ?? 'configuration', message, {
      exitCode,
      ...(options.hint === undefined ? {} : { hint: options.hint }),
    });
  }
}

export abstract class KollaCommand extends Command {
  protected dir = process.cwd();
  protected colours: Palette = palette(true);
  protected errColours: Palette = palette(true);

  protected setup(flags: { chdir?: string | undefined; 'no-color'?: boolean | undefined }): void {
    this.dir = path.resolve(flags.chdir ?? process.cwd());
    this.colours = palette(flags['no-color'] === true);
    this.errColours = palette(flags['no-color'] === true, process.stderr);
  }

  /** -var and -var-file in the order they were given (later wins). */
  protected varArgs(): VarArg[] {
    const out: VarArg[] = [];
    const argv = this.argv;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const m = /^--(var|var-file)(?:=(.*))?$/.exec(a);
      if (!m) continue;
      const value = m[2] ?? argv[++i];
      if (value === undefined) continue;
      out.push(m[1] === 'var' ? { kind: 'var', text: value } : { kind: 'file', path: value });
    }
    return out;
  }

  protected printDiagnostics(ds: Diagnostic[]): void {
    if (ds.length === 0) return;
    // No secret value reaches the terminal, whatever produced the message.
    const m = new SecretMasker(readSecrets(this.dir));
    process.stderr.write(m.maskForDisplay(renderDiagnostics(ds, this.dir, this.errColours)));
  }

  /** Print every diagnostic and stop with exit code 1 when any is an error. */
  protected failOnErrors(ds: Diagnostic[]): void {
    this.printDiagnostics(ds);
    if (ds.some((d) => d.severity === 'error')) this.exit(EXIT_ERROR);
  }

  protected out(s: string): void {
    process.stdout.write(s.endsWith('\n') ? s : s + '\n');
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    if (err.oclif?.exit !== undefined && err.message.startsWith('EEXIT')) throw err;
    const debug = Boolean(process.env['KOLLA_DEBUG']);
    const label = this.errColours.red(this.errColours.bold('Error:'));
    const diags = (err as { diagnostics?: Diagnostic[] }).diagnostics;
    if (err instanceof KollaError && err.isUserError) {
      // A condition the user can act on: the message (or the diagnostics), the hint, no stack.
      if (Array.isArray(diags)) this.printDiagnostics(diags);
      else process.stderr.write(`${label} ${err.message}\n`);
      if (err.hint) process.stderr.write(`  Hint: ${err.hint}\n`);
      if (debug) process.stderr.write(`${err.stack ?? ''}\n`);
      this.exit(exitCodeOf(err));
    }
    if (Array.isArray(diags)) {
      this.printDiagnostics(diags);
      this.exit(EXIT_ERROR);
    }
    if (debug) process.stderr.write(`${err.stack ?? err.message}\n`);
    if (err.oclif) {
      // oclif's own parse errors (unknown flag, missing argument): its message is for users.
      process.stderr.write(`${this.errColours.red('Error:')} ${err.message}\n`);
      this.exit(err.oclif.exit ?? 2);
    }
    // Not a KollaError (or one of kind 'internal'): a bug in kolla.
    process.stderr.write(
      `${label} ${err.message}\n` +
        (err instanceof KollaError && err.hint ? `  Hint: ${err.hint}\n` : '') +
        (debug ? '' : '  (internal error; run with KOLLA_DEBUG=1 for details)\n'),
    );
    this.exit(EXIT_ERROR);
  }
}
