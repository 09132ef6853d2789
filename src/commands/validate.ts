import { KollaCommand, commonFlags, varFlags } from '../cli/base-command.js';
import { prepare } from '../engine/prepare.js';
import type { Diagnostic } from '../diags/diagnostic.js';

interface ValidateResult {
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: Diagnostic[];
}

export default class Validate extends KollaCommand {
  static override description =
    'Check the configuration: syntax, arguments, types, references, placement and dependency cycles. Touches no host.';
  static override examples = [
    '<%= config.bin %> validate',
    '<%= config.bin %> validate --chdir examples/all-in-one --json',
  ];
  static override enableJsonFlag = true;
  static override flags = { ...commonFlags, ...varFlags };

  async run(): Promise<ValidateResult> {
    const { flags } = await this.parse(Validate);
    this.setup(flags);
    const p = await prepare({ dir: this.dir, vars: this.varArgs(), requireSecrets: false });
    const ds = [...p.diagnostics];
    const result: ValidateResult = {
      valid: !p.diagnostics.hasErrors(),
      error_count: ds.filter((d) => d.severity === 'error').length,
      warning_count: ds.filter((d) => d.severity === 'warning').length,
      diagnostics: ds,
    };
    if (this.jsonEnabled()) {
      if (!result.valid) {
        this.logJson(result);
        this.exit(1);
      }
      return result;
    }
    this.printDiagnostics(ds);
    if (!result.valid) this.exit(1);
    const n = p.expansion?.instances.length ?? 0;
    this.out(
      this.colours.green(
        `Success! The configuration is valid (${plural(n, 'instance')} on ${plural(p.config?.hosts.length ?? 0, 'host')}).`,
      ),
    );
    return result;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
