import { KollaCommand, commonFlags, varFlags } from '../../cli/base-command.js';
import { loadConfig } from '../../config/load.js';
import { generateMissing, SECRETS_FILE } from '../../secrets/secrets-file.js';

export default class SecretsGenerate extends KollaCommand {
  static override description = `Generate a value for every declared secret that has none yet, into ${SECRETS_FILE} (mode 0600). Existing values are never changed (kolla-genpwd).`;
  static override examples = ['<%= config.bin %> secrets generate --chdir examples/all-in-one'];
  static override enableJsonFlag = true;
  static override flags = { ...commonFlags, ...varFlags };

  async run(): Promise<{
    generated: string[];
    kept: string[];
    moved: { from: string; to: string }[];
    resized: string[];
  }> {
    const { flags } = await this.parse(SecretsGenerate);
    this.setup(flags);
    const r = await loadConfig({ dir: this.dir, vars: this.varArgs() });
    this.failOnErrors([...r.diagnostics]);
    const out = generateMissing(this.dir, r.config!.secrets, r.config!.stateEdits.moves);
    if (!this.jsonEnabled()) {
      for (const m of out.moved) this.out(`${m.to} takes the value of ${m.from} (moved into a module)`);
      for (const n of out.resized)
        this.out(`${n}: its count changed; staged and primary keys kept, secondary keys added or dropped`);
      this.out(
        `Generated ${out.generated.length} secret(s), kept ${out.kept.length} existing${out.moved.length ? `, moved ${out.moved.length}` : ''}, in ${SECRETS_FILE}.`,
      );
    }
    return out;
  }
}
