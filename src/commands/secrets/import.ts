import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Args } from '@oclif/core';
import { KollaCommand, commonFlags, varFlags, UserError } from '../../cli/base-command.js';
import { loadConfig } from '../../config/load.js';
import { yaml } from '../../lazy/modules.js';
import { importPasswords, SECRETS_FILE, type ImportResult } from '../../secrets/secrets-file.js';

export default class SecretsImport extends KollaCommand {
  static override description = `Take the values of an existing kolla-ansible passwords.yml into ${SECRETS_FILE} (mode 0600): every declared secret takes the entry of its name (the name after its module path: module.openstack.database_password takes database_password). Values from the file win; secrets it does not name keep theirs (kolla secrets generate fills the rest). Values are never printed.`;
  static override examples = [
    '<%= config.bin %> secrets import /etc/kolla/passwords.yml --chdir examples/all-in-one',
    '<%= config.bin %> secrets import passwords.yml --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({ description: "kolla-ansible's passwords.yml.", required: true }),
  };
  static override flags = { ...commonFlags, ...varFlags };

  async run(): Promise<ImportResult> {
    const { flags, args } = await this.parse(SecretsImport);
    this.setup(flags);
    const file = path.resolve(args.file);
    let doc: unknown;
    try {
      doc = yaml().parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UserError(`cannot read ${file} as YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc))
      throw new UserError(`${file} is not a passwords.yml: a map of names to values is expected`);
    const r = await loadConfig({ dir: this.dir, vars: this.varArgs() });
    this.failOnErrors([...r.diagnostics]);
    const out = importPasswords(this.dir, r.config!.secrets, doc as Record<string, unknown>);
    if (!this.jsonEnabled()) {
      for (const i of out.imported) this.out(`${i.key} ← ${i.from}${i.changed ? ' (changed)' : ''}`);
      this.out(
        `Imported ${out.imported.length} secret(s) into ${SECRETS_FILE}; ${out.missing.length} declared secret(s) have no value in the file${out.missing.length ? ' (kolla secrets generate fills them)' : ''}; ${out.unused.length} entries of the file are not used by this configuration.`,
      );
    }
    return out;
  }
}
