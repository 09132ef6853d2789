/**
 * The catalogue's version in the plan: which catalogue modules a configuration calls (its
 * own calls, not those the catalogue makes in turn), when the plan mentions a version change,
 * and the line `kolla plan` shows for it — also when nothing changes.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import {
  catalogueChange,
  catalogueChangeLine,
  catalogueModulesCalled,
} from '../../../src/plans/catalogue.js';
import { renderPlan } from '../../../src/cli/render-plan.js';
import { plain } from '../../../src/cli/colour.js';
import { desired, emptyPriorState, planOf, stack } from './helpers.js';
import { removeConfigs, writeConfig } from '../expand/helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

afterAll(removeConfigs);

async function modulesOf(dir: string): Promise<string[]> {
  const r = await loadConfig({ dir, env: {}, syntaxCache: false });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return catalogueModulesCalled(r.config!.modules);
}

const MEMCACHED = (name: string): string => `
module "${name}" {
  source         = "kolla/memcached"
  image          = "memcached:1"
  hosts          = ["h1"]
  listen_address = "127.0.0.1"
}
`;

describe('catalogue modules a configuration calls', () => {
  it('kolla/openstack only, not the service modules it calls', async () => {
    expect(await modulesOf(path.join(ROOT, 'examples/all-in-one'))).toEqual(['kolla/openstack']);
  });

  it('each catalogue module once, also from a local module; none for a local module alone', async () => {
    const host = 'host "h1" {\n  address = "127.0.0.1"\n  connection = "local"\n}\n';
    const dir = writeConfig({
      'main.hcl': `${host}${MEMCACHED('a')}${MEMCACHED('b')}\nmodule "local" {\n  source = "./local"\n}\n`,
      'local/main.hcl': `module "mq" {
  source            = "kolla/rabbitmq"
  image             = "rabbitmq:1"
  hosts             = ["h1"]
  rabbitmq_password = "p"
  cluster_cookie    = "c"
}
`,
    });
    const r = await loadConfig({ dir, env: {}, syntaxCache: false });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(catalogueModulesCalled(r.config!.modules)).toEqual(['kolla/memcached', 'kolla/rabbitmq']);
    expect(
      await modulesOf(
        writeConfig({ 'main.hcl': `${host}module "l" {\n  source = "./l"\n}\n`, 'l/x.hcl': '' }),
      ),
    ).toEqual([]);
  });
});

describe('catalogueChange', () => {
  const state = (kolla_version: string, n = 1): { kolla_version: string; resources: unknown[] } => ({
    kolla_version,
    resources: Array.from({ length: n }, () => ({})),
  });

  it('names the modules and both versions when the state was applied by another version', () => {
    const c = catalogueChange(['kolla/openstack'], state('0.1.0'), '0.2.0');
    expect(c).toEqual({ modules: ['kolla/openstack'], from: '0.1.0', to: '0.2.0' });
    expect(catalogueChangeLine(c!)).toBe(
      "Catalogue: kolla/openstack changes from 0.1.0 (the state's last apply) to 0.2.0.",
    );
    expect(
      catalogueChangeLine(catalogueChange(['kolla/glance', 'kolla/keystone'], state('0.2.0'), '0.1.0')!),
    ).toBe("Catalogue: kolla/glance, kolla/keystone change from 0.2.0 (the state's last apply) to 0.1.0.");
  });

  it('nothing when the versions are equal, no catalogue module is called, or the state is empty', () => {
    expect(catalogueChange(['kolla/openstack'], state('0.2.0'), '0.2.0')).toBeUndefined();
    expect(catalogueChange([], state('0.1.0'), '0.2.0')).toBeUndefined();
    expect(catalogueChange(['kolla/openstack'], state('0.1.0', 0), '0.2.0')).toBeUndefined();
    expect(catalogueChange(['kolla/openstack'], undefined, '0.2.0')).toBeUndefined();
  });
});

describe('the plan shows it', () => {
  it('first, also when there are no changes; not otherwise', async () => {
    const { plan } = planOf(await desired(stack()), emptyPriorState(), new Map());
    plan.catalogue = { modules: ['kolla/openstack'], from: '0.1.0', to: '0.2.0' };
    const text = renderPlan(plan, plain);
    expect(text.split('\n')[0]).toBe(
      "Catalogue: kolla/openstack changes from 0.1.0 (the state's last apply) to 0.2.0.",
    );
    const none = { ...plan, changes: plan.changes.map((c) => ({ ...c, action: 'noop' as const })) };
    const noChanges = renderPlan(none, plain);
    expect(noChanges).toContain(
      "Catalogue: kolla/openstack changes from 0.1.0 (the state's last apply) to 0.2.0.",
    );
    expect(noChanges).toContain('No changes.');
    expect(noChanges).toContain(
      '`kolla apply` records kolla 0.2.0 in the state; nothing changes on the hosts.',
    );
    delete none.catalogue;
    expect(renderPlan(none, plain)).not.toContain('Catalogue:');
    expect(renderPlan(none, plain)).not.toContain('kolla apply` records');
  });
});
