/**
 * The `database` block without Docker: its expansion (defaults, for_each, the dependency on its
 * container, placed errors with suggestions) and its plan against a made-up live server (the
 * refresh's output) and state: create, no-op, drift, a rotated secret without refresh, deletes
 * (account only; a shared account only loses its grants; the schema only with --include-data),
 * and no secret value anywhere in the plan (nor in its container's environment, a whole
 * attribute of a new container that the plan once showed in clear).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { expand } from '../../../src/expand/expand.js';
import type { DatabaseInstance, Instance } from '../../../src/expand/instances.js';
import { makePlan, type DiffOptions } from '../../../src/engine/planner.js';
import { kindOf } from '../../../src/kinds/registry.js';
import { nativePasswordHash } from '../../../src/kinds/database.js';
import { emptyHostWorld, type World } from '../../../src/providers/world.js';
import { SecretMasker } from '../../../src/states/secret-mask.js';
import { STATE_VERSION, type ResourceState, type State } from '../../../src/states/state.js';
import { renderPlan } from '../../../src/cli/render-plan.js';
import { plain } from '../../../src/cli/colour.js';
import { removeConfigs, writeConfig } from '../expand/helpers.js';

afterAll(removeConfigs);

const SECRETS = { root_pw: 'R00t-pw-value', keystone_pw: 'K3ystone-pw-value', nova_pw: 'N0va-pw-value' };

const main = (dbs: string, secrets = ''): string => `
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
secret "nova_pw" {}
${secrets}
variable "databases" {
  default = {
    nova       = { user = "nova" }
    nova_cell0 = { user = "nova" }
  }
}
service "mariadb" {
  hosts = group.all
  container "mariadb" {
    image       = "kolla/mariadb:zed"
    environment = { ROOT_PW = secret.root_pw }
  }
  ${dbs}
}
`;

const K = 'service.mariadb.database.keystone';

const KEYSTONE = `
  database "keystone" {
    container      = "mariadb"
    password       = secret.keystone_pw
    admin_password = secret.root_pw
  }`;

const NOVA = `
  database "nova" {
    for_each       = var.databases
    container      = "mariadb"
    user           = each.value.user
    password       = secret.nova_pw
    admin_password = secret.root_pw
    privileges     = ["select", "insert", "UPDATE", "delete"]
  }`;

async function load(hcl: string, secrets: Record<string, string> = SECRETS) {
  const dir = writeConfig({ 'main.hcl': hcl });
  const loaded = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues: secrets });
  const diags = loaded.diagnostics;
  const instances: Instance[] =
    loaded.config && !diags.hasErrors() ? expand(loaded.config, diags).instances : [];
  const messages = diags.map(
    (d) => `${d.range ? `main.hcl:${d.range.start.line}:${d.range.start.col}` : '-'}: ${d.summary}`,
  );
  return { instances, messages, masker: new SecretMasker(secrets) };
}

const db = (instances: Instance[], address: string): DatabaseInstance => {
  const i = instances.find((x) => x.address === address);
  if (i?.kind !== 'database')
    throw new Error(`no database ${address}: ${instances.map((x) => x.address).join(', ')}`);
  return i;
};

describe('database block expansion', () => {
  it('defaults: schema and user from the label, host "%", ALL PRIVILEGES; after its container, on the first host', async () => {
    const { instances, messages } = await load(main(KEYSTONE));
    expect(messages).toEqual([]);
    const k = db(instances, 'service.mariadb.database.keystone');
    expect(k).toMatchObject({
      host: 'h1',
      container: 'mariadb',
      spec: { schema: 'keystone', user: 'keystone', host: '%', privileges: ['ALL PRIVILEGES'] },
      adminUser: 'root',
      adminPassword: SECRETS.root_pw,
      dependsOn: ['service.mariadb.container.mariadb["h1"]'],
      timeoutMs: 60_000,
    });
    expect(k.spec.password).toBe(SECRETS.keystone_pw);
  });

  it('a declared secret without a value yet is a secret (kolla validate before secrets generate)', async () => {
    expect((await load(main(KEYSTONE), {})).messages).toEqual([]);
  });

  it('for_each: one per key, each.key the schema, each.value in the arguments', async () => {
    const { instances, messages } = await load(main(NOVA));
    expect(messages).toEqual([]);
    const cell0 = db(instances, 'service.mariadb.database.nova["nova_cell0"]');
    expect(cell0.spec).toMatchObject({
      schema: 'nova_cell0',
      user: 'nova',
      privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    });
    expect(db(instances, 'service.mariadb.database.nova["nova"]').spec.user).toBe('nova');
  });

  it("what depends on the server's service waits for its databases (a db_sync for its account)", async () => {
    const { instances, messages } = await load(
      main(KEYSTONE) +
        `
service "keystone" {
  hosts      = ["h2"]
  depends_on = [service.mariadb]
  bootstrap "db_sync" {
    image = "keystone"
  }
  container "keystone" {
    image = "keystone"
  }
}
`,
    );
    expect(messages).toEqual([]);
    const boot = instances.find((i) => i.address === 'service.keystone.bootstrap.db_sync')!;
    expect(boot.dependsOn).toContain(K);
    expect(
      instances.find((i) => i.address === 'service.keystone.container.keystone["h2"]')!.dependsOn,
    ).toContain(K);
  });

  it('placed errors: an unknown container and privilege (with a suggestion), a password that is not a secret, a bad name', async () => {
    const { messages } = await load(
      main(`
  database "a" {
    container = "mariadbb"
    password  = secret.keystone_pw
  }
  database "b" {
    container  = "mariadb"
    password   = secret.keystone_pw
    privileges = ["SELEC"]
  }
  database "c" {
    container = "mariadb"
    password  = "plain-text-pw"
  }
  database "d" {
    container = "mariadb"
    schema    = "bad name"
    password  = secret.keystone_pw
  }`),
    );
    expect(messages).toEqual([
      'main.hcl:29:17: Unknown container "mariadbb" for database "a"; did you mean "mariadb"?',
      'main.hcl:35:18: Invalid database "b": unknown privilege "SELEC"; did you mean "SELECT"?',
      'main.hcl:39:17: Invalid database "c": password must be a secret (e.g. password = secret.keystone_database_password), so that it is masked everywhere and kept out of the state',
      'main.hcl:43:17: Invalid database "d": schema "bad name" is not valid (letters, digits and _ (at most 64))',
    ]);
  });

  it('a missing password is a schema error; two blocks for one schema and account are an error', async () => {
    expect((await load(main(`database "x" { container = "mariadb" }`))).messages.join('\n')).toMatch(
      /password/,
    );
    const { messages } = await load(
      main(`${KEYSTONE}
  database "again" {
    container = "mariadb"
    schema    = "keystone"
    password  = secret.keystone_pw
  }`),
    );
    expect(messages).toEqual([
      `main.hcl:33:12: Two database blocks for schema "keystone" and account 'keystone'@'%'`,
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

const options = (o: Partial<DiffOptions> = {}): DiffOptions => ({
  destroy: false,
  targets: [],
  replace: [],
  includeVolumes: false,
  refreshed: true,
  ...o,
});

/** What the refresh query prints for a server holding the schema, the account and its grants. */
function refreshOutput(o: {
  schema?: string;
  user?: string;
  password?: string;
  privileges?: string[];
}): string {
  const lines: string[] = [];
  if (o.schema) lines.push(`schema\t${o.schema}`);
  if (o.user && o.password) lines.push(`account\tmysql_native_password\t${nativePasswordHash(o.password)}`);
  for (const p of o.privileges ?? []) lines.push(`priv\t${p}`);
  return lines.join('\n') + '\n';
}

const ALL = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'REFERENCES',
  'INDEX',
  'ALTER',
  'CREATE TEMPORARY TABLES',
  'LOCK TABLES',
  'EXECUTE',
  'CREATE VIEW',
  'SHOW VIEW',
  'CREATE ROUTINE',
  'ALTER ROUTINE',
  'EVENT',
  'TRIGGER',
];

function world(dbs: Record<string, string>): World {
  const hw = emptyHostWorld();
  for (const [a, output] of Object.entries(dbs)) hw.databases!.set(a, { output });
  return new Map([['h1', hw]]);
}

function stateOf(instances: Instance[], masker: SecretMasker): State {
  const resources: ResourceState[] = instances
    .filter((i) => i.kind === 'database')
    .map((i) =>
      kindOf(i.kind).toState(
        i,
        {
          address: i.address,
          kind: i.kind,
          host: i.host,
          action: 'create',
          reasons: [],
          attrs: [],
          dependsOn: [],
        },
        undefined,
        undefined,
        { masker, instances },
      ),
    );
  return {
    version: STATE_VERSION,
    serial: 1,
    lineage: 'l',
    kolla_version: 't',
    project: 'demo',
    resources,
    outputs: {},
  };
}

const empty: State = {
  version: STATE_VERSION,
  serial: 0,
  lineage: 'l',
  kolla_version: 't',
  project: 'demo',
  resources: [],
  outputs: {},
};

function plan(
  instances: Instance[],
  masker: SecretMasker,
  prior: State,
  w: World,
  o: Partial<DiffOptions> = {},
) {
  return makePlan({
    project: 'demo',
    kollaVersion: 't',
    instances,
    prior,
    world: w,
    masker,
    options: options(o),
    outputs: {},
    variables: [],
  });
}

describe('database plan', () => {
  it('creates; a server that holds it is a no-op; a dropped account is drift; no secret in the plan', async () => {
    const { instances, masker } = await load(main(KEYSTONE));
    const p = plan(instances, masker, empty, world({ [K]: '' }));
    const c = p.changes.find((x) => x.address === K)!;
    expect(c.action).toBe('create');
    const text = renderPlan(p, plain);
    expect(text).toContain('+ database "keystone" {');
    expect(text).toContain('+ password = (sensitive)');
    const state = stateOf(instances, masker);
    const full = refreshOutput({
      schema: 'keystone',
      user: 'keystone',
      password: SECRETS.keystone_pw,
      privileges: ALL,
    });
    expect(
      plan(instances, masker, state, world({ [K]: full })).changes.find((x) => x.address === K)!.action,
    ).toBe('noop');
    const dropped = plan(instances, masker, state, world({ [K]: refreshOutput({ schema: 'keystone' }) }));
    expect(dropped.drift).toEqual([
      { address: K, host: 'h1', kind: 'removed', detail: `account 'keystone'@'%' was dropped outside kolla` },
    ]);
    expect(dropped.changes.find((x) => x.address === K)!.action).toBe('update');
    for (const s of [JSON.stringify(p), JSON.stringify(dropped), JSON.stringify(state), text])
      for (const v of Object.values(SECRETS)) expect(s).not.toContain(v);
  });

  it("without refresh, a rotated secret is seen through the state's verifier", async () => {
    const before = await load(main(KEYSTONE));
    const state = stateOf(before.instances, before.masker);
    const after = await load(main(KEYSTONE), { ...SECRETS, keystone_pw: 'R0tated-pw-value' });
    const p = plan(after.instances, after.masker, state, new Map(), { refreshed: false });
    const c = p.changes.find((x) => x.address === K)!;
    expect(c.action).toBe('update');
    expect(c.attrs).toEqual([
      {
        path: 'password',
        before: '(sensitive)',
        after: '(sensitive)',
        forcesReplacement: false,
        sensitive: true,
      },
    ]);
    expect(c.irreversible).toBe(true);
    expect(
      plan(before.instances, before.masker, state, new Map(), { refreshed: false }).changes.find(
        (x) => x.address === K,
      )!.action,
    ).toBe('noop');
  });

  it('deletes: the account only; a shared account only loses its grants; the schema only with destroy --include-data', async () => {
    const { instances, masker } = await load(main(`${KEYSTONE}${NOVA}`));
    const state = stateOf(instances, masker);
    const cell0 = 'service.mariadb.database.nova["nova_cell0"]';
    const rest = instances.filter((i) => i.address !== cell0);
    const gone = plan(rest, masker, state, new Map()).changes.find((c) => c.address === cell0)!;
    expect(gone.action).toBe('delete');
    expect(gone.notes).toEqual(['revokes only: another database block uses the account']);
    expect(gone.reasons[0]).toBe(
      `no longer in the configuration: revokes 'nova'@'%''s privileges on nova_cell0 (service.mariadb.database.nova["nova"] still uses the account); keeps the schema nova_cell0 and its data`,
    );
    const d = plan(instances, masker, state, new Map(), { destroy: true });
    expect(d.changes.find((c) => c.address === K)!.reasons[0]).toBe(
      `destroy: drops the account 'keystone'@'%'; keeps the schema keystone and its data (destroy --include-data drops it)`,
    );
    const all = plan(instances, masker, state, new Map(), { destroy: true, includeData: true });
    expect(all.changes.find((c) => c.address === K)!.notes).toEqual([
      'drops the schema and its data (--include-data)',
    ]);
    expect(all.changes.find((c) => c.address === K)!.reasons[0]).toBe(
      `destroy: drops the account 'keystone'@'%' and the schema keystone with its data (--include-data)`,
    );
  });

  it('the state keeps a verifier and secret markers, never a password; kolla rollback rebuilds the instance from them', async () => {
    const { instances, masker } = await load(main(KEYSTONE));
    const r = stateOf(instances, masker).resources[0]!;
    expect(r).toMatchObject({
      kind: 'database',
      database: { schema: 'keystone', user: 'keystone', host: '%' },
      secrets: { password: '((secret.keystone_pw))', admin_password: '((secret.root_pw))' },
    });
    const back = kindOf('database').fromState(r, masker) as DatabaseInstance;
    expect(back.spec.password).toBe(SECRETS.keystone_pw);
    expect(back.adminPassword).toBe(SECRETS.root_pw);
    expect(kindOf('database').fromState(r, new SecretMasker({}))).toBeUndefined();
  });
});
