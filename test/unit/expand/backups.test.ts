/**
 * A bootstrap's `migrates` (issue #19): linked to the server that holds each schema, placed
 * errors for a schema no database block declares (with a suggestion) or that two servers
 * hold, and the plan: a first run backs nothing up; a re-run of a bootstrap that ran before
 * says it backs the schema up first, in its text and --json.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { expand } from '../../../src/expand/expand.js';
import type { BootstrapInstance, Instance } from '../../../src/expand/instances.js';
import { makePlan } from '../../../src/engine/planner.js';
import { kindOf } from '../../../src/kinds/registry.js';
import { emptyHostWorld } from '../../../src/providers/world.js';
import { SecretMasker } from '../../../src/states/secret-mask.js';
import { STATE_VERSION, type State } from '../../../src/states/state.js';
import { renderPlan } from '../../../src/cli/render-plan.js';
import { plain } from '../../../src/cli/colour.js';
import { removeConfigs, writeConfig } from './helpers.js';

afterAll(removeConfigs);

const SECRETS = { root_pw: 'R00t-pw-value', keystone_pw: 'K3ystone-pw-value' };

const main = (migrates: string, version = '1', second = ''): string => `
kolla {
  project = "demo"
}
host "h1" {
  address = "10.0.0.1"
}
host "h2" {
  address = "10.0.0.2"
}
secret "root_pw" {}
secret "keystone_pw" {}
service "mariadb" {
  hosts = ["h2"]
  container "mariadb" {
    image       = "kolla/mariadb:zed"
    environment = { ROOT_PW = secret.root_pw }
  }
  database "keystone" {
    container      = "mariadb"
    password       = secret.keystone_pw
    admin_password = secret.root_pw
  }
}
${second}
service "keystone" {
  hosts      = ["h1"]
  depends_on = [service.mariadb]
  bootstrap "db_sync" {
    image       = "keystone"
    migrates    = ${migrates}
    environment = { VERSION = "${version}" }
  }
  container "keystone" {
    image = "keystone"
  }
}
`;

async function load(hcl: string) {
  const dir = writeConfig({ 'main.hcl': hcl });
  const loaded = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues: SECRETS });
  const diags = loaded.diagnostics;
  const instances: Instance[] =
    loaded.config && !diags.hasErrors() ? expand(loaded.config, diags).instances : [];
  const messages = diags.map((d) => `${d.range ? `main.hcl:${d.range.start.line}` : '-'}: ${d.summary}`);
  return { instances, messages };
}

const B = 'service.keystone.bootstrap.db_sync';
const bootstrap = (instances: Instance[]): BootstrapInstance =>
  instances.find((i): i is BootstrapInstance => i.address === B)!;

function stateWith(instances: Instance[], masker: SecretMasker): State {
  const i = bootstrap(instances);
  const r = kindOf('bootstrap').toState(
    i,
    { address: B, kind: 'bootstrap', host: i.host, action: 'run', reasons: [], attrs: [], dependsOn: [] },
    undefined,
    undefined,
    { masker, instances },
  );
  return {
    version: STATE_VERSION,
    serial: 1,
    lineage: 'l',
    kolla_version: 't',
    project: 'demo',
    resources: [r],
    outputs: {},
  };
}

function plan(instances: Instance[], masker: SecretMasker, prior: State) {
  return makePlan({
    project: 'demo',
    kollaVersion: 't',
    instances,
    prior,
    world: new Map([
      ['h1', emptyHostWorld()],
      ['h2', emptyHostWorld()],
    ]),
    masker,
    options: { destroy: false, targets: [], replace: [], includeVolumes: false, refreshed: true },
    outputs: {},
    variables: [],
  });
}

describe('migrates', () => {
  it("links each schema to the server that holds it (another host's), with its admin login", async () => {
    const { instances, messages } = await load(main('["keystone"]'));
    expect(messages).toEqual([]);
    expect(bootstrap(instances).backups).toEqual([
      {
        host: 'h2',
        container: 'mariadb',
        dir: '/backup',
        schemas: ['keystone'],
        adminUser: 'root',
        adminPassword: SECRETS.root_pw,
        timeoutMs: 600_000,
      },
    ]);
  });

  it('a schema no database block declares is a placed error with a suggestion', async () => {
    const { messages } = await load(main('["keystome"]'));
    expect(messages).toEqual([
      `main.hcl:31: Bootstrap ${B} migrates schema "keystome", which no database block declares; did you mean "keystone"?`,
    ]);
  });

  it('a schema two servers hold is an error (which copy would be backed up?)', async () => {
    const other = `
service "other_db" {
  hosts = ["h1"]
  container "mariadb" {
    image = "kolla/mariadb:zed"
  }
  database "keystone" {
    container = "mariadb"
    password  = secret.keystone_pw
  }
}`;
    const { messages } = await load(main('["keystone"]', '1', other));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('migrates schema "keystone", which 2 database servers hold');
  });

  it('a first run backs nothing up; a re-run of one that ran before backs the schema up first', async () => {
    const masker = new SecretMasker(SECRETS);
    const v1 = (await load(main('["keystone"]', '1'))).instances;
    const first = plan(v1, masker, { ...stateWith(v1, masker), resources: [] }).changes.find(
      (c) => c.address === B,
    )!;
    expect(first.action).toBe('run');
    expect(first.backsUp).toBeUndefined();

    const v2 = (await load(main('["keystone"]', '2'))).instances;
    const p = plan(v2, masker, stateWith(v1, masker));
    const c = p.changes.find((x) => x.address === B)!;
    expect(c.action).toBe('run');
    expect(c.backsUp).toEqual(['keystone']);
    const text = renderPlan(p, plain);
    expect(text).toContain('#   (backs up keystone first: a rollback restores the backup)');
    expect(text).toContain('# backs up keystone first (in mariadb:/backup on h2)');
    expect(text).not.toContain(SECRETS.root_pw);
    expect(JSON.stringify(p)).not.toContain(SECRETS.root_pw);
  });

  it('without migrates a re-run stays irreversible and takes no backup', async () => {
    const masker = new SecretMasker(SECRETS);
    const v1 = (await load(main('[]', '1'))).instances;
    const v2 = (await load(main('[]', '2'))).instances;
    const p = plan(v2, masker, stateWith(v1, masker));
    const c = p.changes.find((x) => x.address === B)!;
    expect(c.backsUp).toBeUndefined();
    expect(renderPlan(p, plain)).toContain('(irreversible: a rollback does not undo what it did)');
  });
});
