/**
 * Inline config overrides: kolla/openstack's `config_overrides` (file name → section → key →
 * value) is one more layer of each file, after the operator's override files (config/), so it
 * wins over them; a secret in it is masked in the plan as in any config content; a name no
 * config block reads is a warning placed at the name; a value of the wrong shape is an error.
 * And `override_values` of a config block directly: INI lists, YAML and JSON, raw refused.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { expand } from '../../../src/expand/expand.js';
import type { ConfigInstance, Instance } from '../../../src/expand/instances.js';
import type { Diagnostic } from '../../../src/diags/diagnostic.js';
import { SecretMasker } from '../../../src/states/secret-mask.js';
import { renderPlan } from '../../../src/cli/render-plan.js';
import { plain } from '../../../src/cli/colour.js';
import { emptyPriorState, planOf } from './helpers.js';
import { expandHcl, removeConfigs } from '../expand/helpers.js';

afterAll(removeConfigs);

const HOST = `
host "aio" {
  address    = "127.0.0.1"
  connection = "local"
  groups     = ["control", "network", "compute"]
  vars       = { api_interface_address = "127.0.0.1" }
}
`;

interface Loaded {
  instances: Instance[];
  diagnostics: Diagnostic[];
  masker: SecretMasker;
  outputs: Record<string, { value: unknown; sensitive: boolean }>;
  dir: string;
}

/** The openstack profile called with `args`, and files in the configuration's folder. */
async function openstack(
  args: string,
  files: Record<string, string> = {},
  secretValues: Record<string, string> = {},
): Promise<Loaded> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-inline-'));
  dirs.push(dir);
  writeFileSync(
    path.join(dir, 'main.hcl'),
    `${HOST}\nmodule "openstack" {\n  source = "kolla/openstack"\n${args}\n}\n`,
  );
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const r = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues });
  const e = r.config && !r.diagnostics.hasErrors() ? expand(r.config, r.diagnostics) : undefined;
  return {
    instances: e?.instances ?? [],
    outputs: e?.outputs ?? {},
    diagnostics: [...r.diagnostics],
    masker: new SecretMasker(r.config?.secretValues ?? {}),
    dir,
  };
}
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const configs = (l: Loaded, dest: string): ConfigInstance[] =>
  l.instances.filter((i): i is ConfigInstance => i.kind === 'config' && i.dest === dest);

/** The lines of `[section]` in an INI text. */
function section(text: string, name: string): string[] {
  const m = new RegExp(`^\\[${name}\\]\\n((?:.+\\n)*)`, 'm').exec(text);
  return m ? m[1]!.trimEnd().split('\n') : [];
}

const errors = (l: Loaded): string[] =>
  l.diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary);
const warnings = (l: Loaded): Diagnostic[] => l.diagnostics.filter((d) => d.severity === 'warning');

describe("kolla/openstack's config_overrides", () => {
  it('reaches every nova.conf as the last layer: it wins over config/nova.conf, whose other keys stay', async () => {
    const l = await openstack(
      `  config_overrides = {
    "nova.conf"    = { DEFAULT = { cpu_allocation_ratio = 16, debug = true }, quota = { instances = 50 } }
    "ml2_conf.ini" = { ml2 = { path_mtu = 9000 } }
  }`,
      { 'config/nova.conf': '[DEFAULT]\ncpu_allocation_ratio = 4.0\nram_allocation_ratio = 2.0\n' },
    );
    expect(errors(l)).toEqual([]);
    expect(warnings(l)).toEqual([]);
    const novas = configs(l, '/etc/nova/nova.conf');
    // nova_conductor, nova_api, nova_scheduler, nova_compute.
    expect(novas.map((c) => c.address.replace(/.*\.service\./, ''))).toHaveLength(4);
    for (const c of novas) {
      const d = section(c.content, 'DEFAULT');
      expect(d, c.address).toContain('cpu_allocation_ratio = 16');
      expect(d).not.toContain('cpu_allocation_ratio = 4.0');
      expect(d).toContain('ram_allocation_ratio = 2.0');
      expect(d).toContain('debug = true');
      expect(section(c.content, 'quota')).toEqual(['instances = 50']);
    }
    const ml2 = configs(l, '/etc/neutron/plugins/ml2/ml2_conf.ini');
    expect(ml2).toHaveLength(1);
    expect(section(ml2[0]!.content, 'ml2')).toContain('path_mtu = 9000');
    // Other files are as without config_overrides.
    const plainRun = await openstack('', {
      'config/nova.conf': '[DEFAULT]\ncpu_allocation_ratio = 4.0\nram_allocation_ratio = 2.0\n',
    });
    const byAddr = new Map(plainRun.instances.map((i) => [i.address, i]));
    const changed = l.instances
      .filter((i) => JSON.stringify(i) !== JSON.stringify(byAddr.get(i.address)))
      .map((i) => i.address.replace(/^module\.openstack\.module\./, ''));
    expect(changed.sort()).toEqual(
      [
        // The files, and the config.json of their containers is unchanged: only the contents.
        'neutron.service.neutron_server.config["ml2_conf.ini"]["aio"]',
        'nova.service.nova.config["nova-api.conf"]["aio"]',
        'nova.service.nova.config["nova-scheduler.conf"]["aio"]',
        'nova.service.nova_compute.config["nova.conf"]["aio"]',
        'nova.service.nova_conductor.config["nova.conf"]["aio"]',
      ].sort(),
    );
  });

  it('a secret in a value is masked in the plan, as in any config file', async () => {
    const l = await openstack(
      `  config_overrides = { "keystone.conf" = { ldap = { password = secret.ldap_password } } }`,
      {
        'secrets.hcl': 'secret "ldap_password" {}\n',
      },
      { ldap_password: 'ldap-s3cret-value' },
    );
    expect(errors(l)).toEqual([]);
    const conf = configs(l, '/etc/keystone/keystone.conf')[0]!;
    expect(section(conf.content, 'ldap')).toEqual(['password = ldap-s3cret-value']);
    const { plan } = planOf(l, emptyPriorState(), new Map());
    const change = plan.changes.find((c) => c.address === conf.address)!;
    expect(change.textDiff).toContain('+password = ((secret.ldap_password))');
    const text = renderPlan(plan, plain);
    expect(text).not.toContain('ldap-s3cret-value');
    expect(JSON.stringify(plan)).not.toContain('ldap-s3cret-value');
  });

  it('a name no config block reads is a warning at the name, with a suggestion; a disabled service reads none', async () => {
    const l = await openstack(
      `  enable_neutron   = false
  config_overrides = {
    "nova.cnf"     = { DEFAULT = { debug = true } }
    "neutron.conf" = { DEFAULT = { debug = true } }
    "nova.conf"    = { DEFAULT = { debug = true } }
  }`,
    );
    expect(errors(l)).toEqual([]);
    const w = warnings(l);
    expect(w.map((d) => d.summary)).toEqual([
      'Inline override "neutron.conf" is not read by any config block',
      'Inline override "nova.cnf" is not read by any config block; did you mean "nova.conf"?',
    ]);
    // Placed at the name in the root module, where the operator wrote it.
    expect(w.map((d) => `${path.basename(d.range!.file)}:${d.range!.start.line}`)).toEqual([
      'main.hcl:14',
      'main.hcl:13',
    ]);
    expect(w[0]!.detail).toContain('config_overrides');
    expect(w[0]!.detail).toContain('nova.conf');
  });

  it('a value not shaped file → section → key is an error at the input', async () => {
    const l = await openstack(`  config_overrides = { "nova.conf" = { cpu_allocation_ratio = 16 } }`);
    expect(errors(l).join('\n')).toContain('config_overrides');
  });

  it('without config_overrides, no warning and the same files as with an empty one', async () => {
    const a = await openstack('');
    const b = await openstack('  config_overrides = {}');
    expect(a.diagnostics).toEqual([]);
    expect(b.diagnostics).toEqual([]);
    expect(b.instances).toEqual(a.instances);
  });
});

const SVC = (format: string, content: string, values: string): string => `
host "h1" {
  address = "127.0.0.1"
}
service "api" {
  hosts = ["h1"]
  config "api.conf" {
    content         = ${JSON.stringify(content)}
    format          = "${format}"
    dest            = "/etc/api/api.conf"
    override_values = ${values}
  }
  container "api" {
    image   = "example/api:1.0"
    command = "api"
  }
}
`;

async function rendered(format: string, content: string, values: string): Promise<string> {
  const e = await expandHcl(SVC(format, content, values));
  expect(e.messages()).toEqual([]);
  return (e.get('service.api.config["api.conf"]["h1"]') as ConfigInstance).content;
}

describe('override_values of a config block', () => {
  it('ini: sections of keys; a list repeats the key (MultiStrOpt), a multi-line string continues', async () => {
    expect(
      await rendered(
        'ini',
        '[DEFAULT]\ndebug = false\nworkers = 2\n',
        '{ DEFAULT = { debug = true, opt = ["a", "b"] }, new = { text = "one\\ntwo", n = 1.5 } }',
      ),
    ).toBe(
      '[DEFAULT]\ndebug = true\nworkers = 2\nopt = a\nopt = b\n\n[new]\ntext = one\n       two\nn = 1.5\n\n',
    );
  });

  it('yaml and json: merged deeply, a list replaced', async () => {
    expect(await rendered('yaml', 'a:\n  b: 1\n  c: [1]\n', '{ a = { c = [2], d = "x" } }')).toBe(
      'a:\n  b: 1\n  c:\n    - 2\n  d: x\n',
    );
    expect(await rendered('json', '{"a": {"b": 1}}', '{ a = { b = 2 }, z = true }')).toBe(
      '{\n  "a": {\n    "b": 2\n  },\n  "z": true\n}\n',
    );
  });

  it('{} and null add nothing', async () => {
    const base = await rendered('ini', '[s]\n# comment\nk=v\n', 'null');
    expect(base).toBe('[s]\nk = v\n\n');
    expect(await rendered('ini', '[s]\n# comment\nk=v\n', '{}')).toBe(base);
    expect(await rendered('raw', 'as is\n', '{}')).toBe('as is\n');
  });

  it('errors at the argument: a raw file, an ini key outside a section, a nested value', async () => {
    const cases: [string, string, string][] = [
      ['raw', '{ a = { b = 1 } }', 'inline values merge only into ini, yaml or json files'],
      ['ini', '{ debug = true }', '"debug" is a boolean, not an object of keys'],
      ['ini', '{ s = { k = { x = 1 } } }', 'inline value s.k is an object'],
    ];
    for (const [format, values, detail] of cases) {
      const e = await expandHcl(SVC(format, '[s]\n', values));
      const d = e.diagnostics.filter((x) => x.severity === 'error');
      expect(d.map((x) => x.summary)).toEqual([
        `Cannot merge the override_values of config "api.conf" as ${format}`,
      ]);
      expect(d[0]!.detail).toContain(detail);
      expect(d[0]!.range!.start.line).toBe(11);
    }
  });

  it('lookup() of a map in the root module: an unread key is a warning at it', async () => {
    const e = await expandHcl(
      `
locals {
  files = {
    "api.conf" = { s = { k = "v" } }
    "apo.conf" = { s = { k = "w" } }
  }
}
${SVC('ini', '[s]\n', 'lookup(local.files, "api.conf", {})')}`,
    );
    expect(e.messages()).toEqual([
      expect.stringMatching(/main\.hcl:5:5: Inline override "apo.conf" is not read by any config block/),
    ]);
  });
});
