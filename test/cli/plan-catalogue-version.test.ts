/**
 * `kolla plan` (text and --json) through the real binary says when the catalogue modules the
 * configuration calls come from another kolla version than the state's last apply: with a
 * state as an apply of this configuration leaves it, written with an older kolla_version,
 * the plan has no changes and still says so, and `kolla apply` (nothing changes on
 * the hosts) records the new version; with this version's, it says nothing.
 * -refresh=false: the state alone is compared, no host is read.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, removeTemps, runKolla, tempDir } from '../helpers/cli.js';
import { deployed, desired } from '../unit/plans/helpers.js';
import type { State } from '../../src/states/state.js';

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const OLD = '0.0.1-old';

const CONFIG = `
kolla {
  project = "demo"
}

host "h1" {
  address    = "127.0.0.1"
  connection = "local"
}

module "cache" {
  source         = "kolla/memcached"
  image          = "memcached:1"
  hosts          = ["h1"]
  listen_address = "127.0.0.1"
}
`;

let applied: State;
beforeAll(async () => {
  applied = deployed(await desired(CONFIG)).state;
});
afterAll(removeTemps);

function project(kollaVersion: string, config = CONFIG): string {
  const dir = tempDir('kolla-catalogue-version-');
  writeFileSync(path.join(dir, 'main.hcl'), config);
  const state = { ...applied, kolla_version: kollaVersion };
  writeFileSync(path.join(dir, 'kolla.state.json'), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  return dir;
}

const LINE = `Catalogue: kolla/memcached changes from ${OLD} (the state's last apply) to ${VERSION}.`;

describe('kolla plan and the catalogue version', () => {
  it('says the catalogue changed, although nothing else does', async () => {
    const r = await runKolla(['plan', '-refresh=false', '--chdir', project(OLD)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual([LINE, '', expect.stringContaining('No changes.')]);
  });

  it('--json carries it, as schemas/plan.schema.json describes', async () => {
    const r = await runKolla(['plan', '-refresh=false', '--json', '--chdir', project(OLD)]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { catalogue?: unknown; kolla_version: string };
    expect(plan.catalogue).toEqual({ modules: ['kolla/memcached'], from: OLD, to: VERSION });
    const { Ajv } = await import('ajv');
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/plan.schema.json'), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(plan), JSON.stringify(validate.errors)).toBe(true);
  });

  it('kolla apply records this version in the state, without any change on the hosts; then the plan says nothing', async () => {
    const dir = project(OLD);
    const p = await runKolla(['plan', '-refresh=false', '--chdir', dir]);
    expect(p.stdout).toContain(
      `\`kolla apply\` records kolla ${VERSION} in the state; nothing changes on the hosts.`,
    );
    const a = await runKolla(['apply', '-auto-approve', '-refresh=false', '--chdir', dir]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('Apply complete! Resources: 0 added, 0 changed, 0 destroyed, 0 restarted.');
    const state = JSON.parse(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8')) as State;
    expect(state.kolla_version).toBe(VERSION);
    expect(state.serial).toBe(applied.serial + 1);
    expect(state.resources).toEqual(applied.resources);
    const again = await runKolla(['plan', '-refresh=false', '--chdir', dir]);
    expect(again.stdout).not.toContain('Catalogue:');
  });

  it('says nothing when the state was applied by this version', async () => {
    const r = await runKolla(['plan', '-refresh=false', '--chdir', project(VERSION)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No changes.');
    expect(r.stdout).not.toContain('Catalogue:');
    const j = await runKolla(['plan', '-refresh=false', '--json', '--chdir', project(VERSION)]);
    expect(JSON.parse(j.stdout)).not.toHaveProperty('catalogue');
  });
});
