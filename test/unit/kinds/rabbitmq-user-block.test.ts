/**
 * The `rabbitmq_user` block without Docker: its expansion (defaults, the dependency on its
 * container, what waits for it, placed errors with suggestions) and its plan against a
 * made-up broker (export_definitions' output) and state: create, no-op, drift, deletes (the
 * user; the vhost only with --include-data and when no other block uses it), and no secret
 * value anywhere in the plan or the state.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { expand } from '../../../src/expand/expand.js';
import type { Instance, RabbitmqUserInstance } from '../../../src/expand/instances.js';
import { makePlan, type DiffOptions } from '../../../src/engine/planner.js';
import { kindOf } from '../../../src/kinds/registry.js';
import { rabbitPasswordHash } from '../../../src/kinds/rabbitmq-user.js';
import { emptyHostWorld, type World } from '../../../src/providers/world.js';
import { SecretMasker } from '../../../src/states/secret-mask.js';
import { STATE_VERSION, type ResourceState, type State } from '../../../src/states/state.js';
import { renderPlan } from '../../../src/cli/render-plan.js';
import { plain } from '../../../src/cli/colour.js';
import { parseAddress, resourceTitle } from '../../../src/addrs/address.js';
import { removeConfigs, writeConfig } from '../expand/helpers.js';

afterAll(removeConfigs);

const SECRETS = { rabbitmq_pw: 'R4bbit-pw-value', notify_pw: 'N0tify-pw-value' };

const main = (users: string): string => `
kolla {
  project = "demo"
}
host "h1" {
  address = "10.0.0.1"
}
host "h2" {
  address = "10.0.0.2"
}
secret "rabbitmq_pw" {}
secret "notify_pw" {}
service "rabbitmq" {
  hosts = group.all
  container "rabbitmq" {
    image = "kolla/rabbitmq:zed"
  }
  ${users}
}
`;

const O = 'service.rabbitmq.rabbitmq_user.openstack';
const OPENSTACK = `
  rabbitmq_user "openstack" {
    container = "rabbitmq"
    password  = secret.rabbitmq_pw
    tags      = ["administrator"]
  }`;
const NOTIFY = `
  rabbitmq_user "notify" {
    container   = "rabbitmq"
    vhost       = "/"
    password    = secret.notify_pw
    permissions = { configure = "", write = "^notifications", read = ".*" }
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

const user = (instances: Instance[], address: string): RabbitmqUserInstance => {
  const i = instances.find((x) => x.address === address);
  if (i?.kind !== 'rabbitmq_user')
    throw new Error(`no rabbitmq_user ${address}: ${instances.map((x) => x.address).join(', ')}`);
  return i;
};

describe('rabbitmq_user block expansion', () => {
  it('defaults: user from the label, vhost "/", permissions ".*"; after its container, on the first host', async () => {
    const { instances, messages } = await load(main(OPENSTACK + NOTIFY));
    expect(messages).toEqual([]);
    expect(user(instances, O)).toMatchObject({
      host: 'h1',
      container: 'rabbitmq',
      spec: {
        user: 'openstack',
        vhost: '/',
        tags: ['administrator'],
        permissions: { configure: '.*', write: '.*', read: '.*' },
        password: SECRETS.rabbitmq_pw,
      },
      dependsOn: ['service.rabbitmq.container.rabbitmq["h1"]'],
      timeoutMs: 60_000,
    });
    expect(user(instances, 'service.rabbitmq.rabbitmq_user.notify').spec.permissions).toEqual({
      configure: '',
      write: '^notifications',
      read: '.*',
    });
  });

  it('its address parses and titles like the other blocks of a service', () => {
    expect(typeof parseAddress(O)).toBe('object');
    expect(resourceTitle(O)).toBe('rabbitmq_user "openstack"');
    expect(parseAddress('service.rabbitmq.rabbitmq_usr.x')).toMatch(/rabbitmq_user/);
  });

  it("what depends on the broker's service waits for its users (a service's first start logs in with them)", async () => {
    const { instances, messages } = await load(
      main(OPENSTACK) +
        `
service "nova" {
  hosts      = ["h2"]
  depends_on = [service.rabbitmq]
  container "nova" {
    image = "nova"
  }
}
`,
    );
    expect(messages).toEqual([]);
    expect(instances.find((i) => i.address === 'service.nova.container.nova["h2"]')!.dependsOn).toContain(O);
  });

  it('placed errors: an unknown container, permission and tag (with suggestions), a password that is not a secret, a bad name, a duplicate user', async () => {
    const { messages } = await load(
      main(`
  rabbitmq_user "a" {
    container = "rabitmq"
    password  = secret.rabbitmq_pw
  }
  rabbitmq_user "b" {
    container   = "rabbitmq"
    password    = secret.rabbitmq_pw
    permissions = { configure = ".*", writ = ".*" }
  }
  rabbitmq_user "c" {
    container = "rabbitmq"
    password  = secret.rabbitmq_pw
    tags      = ["adminstrator"]
  }
  rabbitmq_user "d" {
    container = "rabbitmq"
    password  = "plain-text-pw"
  }
  rabbitmq_user "e" {
    container = "rabbitmq"
    vhost     = "bad vhost"
    password  = secret.rabbitmq_pw
  }
  rabbitmq_user "f" {
    container = "rabbitmq"
    user      = "e"
    password  = secret.rabbitmq_pw
  }
  rabbitmq_user "g" {
    container = "rabbitmq"
    user      = "e"
    password  = secret.rabbitmq_pw
  }
`),
    );
    expect(messages).toEqual([
      'main.hcl:20:17: Unknown container "rabitmq" for rabbitmq_user "a"; did you mean "rabbitmq"?',
      'main.hcl:26:19: Invalid rabbitmq_user "b": unknown permission "writ"; did you mean "write"? (configure, write, read)',
      'main.hcl:31:17: Invalid rabbitmq_user "c": unknown tag "adminstrator"; did you mean "administrator"?',
      'main.hcl:35:17: Invalid rabbitmq_user "d": password must be a secret (e.g. password = secret.rabbitmq_password), so that it is masked everywhere and kept out of the state',
      'main.hcl:39:17: Invalid rabbitmq_user "e": vhost "bad vhost" is not valid (letters, digits, _ . / - (at most 128))',
      'main.hcl:47:17: Two rabbitmq_user blocks for user "e"',
    ]);
  });

  it('a misspelt argument is placed with a suggestion; a missing password is a schema error', async () => {
    const bad = await load(
      main(`
  rabbitmq_user "h" {
    contianer = "rabbitmq"
    password  = secret.rabbitmq_pw
  }`),
    );
    expect(bad.messages.join('\n')).toMatch(
      /main\.hcl:20:5: Unsupported argument "contianer" in rabbitmq_user "h"; did you mean "container"\?/,
    );
    expect((await load(main(`rabbitmq_user "x" { container = "rabbitmq" }`))).messages.join('\n')).toMatch(
      /password/,
    );
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

function exported(users: { name: string; password: string; tags?: string[] }[], vhosts = ['/']): string {
  return JSON.stringify({
    users: users.map((u) => ({
      name: u.name,
      password_hash: rabbitPasswordHash(u.password),
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: u.tags ?? [],
    })),
    vhosts: vhosts.map((name) => ({ name })),
    permissions: users.map((u) => ({ user: u.name, vhost: '/', configure: '.*', write: '.*', read: '.*' })),
  });
}

function world(output: string, addresses: string[]): World {
  const hw = emptyHostWorld();
  for (const a of addresses) hw.execs!.set(a, { output });
  return new Map([['h1', hw]]);
}

function stateOf(instances: Instance[], masker: SecretMasker): State {
  const resources: ResourceState[] = instances
    .filter((i) => i.kind === 'rabbitmq_user')
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

describe('rabbitmq_user plan', () => {
  it('creates; a broker that holds it is a no-op; a deleted user is drift; no secret in the plan or state', async () => {
    const { instances, masker } = await load(main(OPENSTACK));
    const p = plan(instances, masker, empty, world(exported([]), [O]));
    const c = p.changes.find((x) => x.address === O)!;
    expect(c.action).toBe('create');
    const text = renderPlan(p, plain);
    expect(text).toContain('+ rabbitmq_user "openstack" {');
    expect(text).toContain('+ password = (sensitive)');
    const state = stateOf(instances, masker);
    const full = exported([{ name: 'openstack', password: SECRETS.rabbitmq_pw, tags: ['administrator'] }]);
    expect(
      plan(instances, masker, state, world(full, [O])).changes.find((x) => x.address === O)!.action,
    ).toBe('noop');
    const gone = plan(instances, masker, state, world(exported([]), [O]));
    expect(gone.drift).toEqual([
      { address: O, host: 'h1', kind: 'removed', detail: 'user openstack was deleted outside kolla' },
    ]);
    expect(gone.changes.find((x) => x.address === O)!.action).toBe('update');
    const rotated = await load(main(OPENSTACK), { ...SECRETS, rabbitmq_pw: 'R0tated-pw' });
    const r = plan(rotated.instances, rotated.masker, state, world(full, [O])).changes.find(
      (x) => x.address === O,
    )!;
    expect(r.action).toBe('update');
    expect(r.attrs).toEqual([
      {
        path: 'password',
        before: '(sensitive)',
        after: '(sensitive)',
        forcesReplacement: false,
        sensitive: true,
      },
    ]);
    for (const s of [JSON.stringify(p), JSON.stringify(gone), JSON.stringify(r), JSON.stringify(state), text])
      for (const v of [...Object.values(SECRETS), 'R0tated-pw']) expect(s).not.toContain(v);
  });

  it('a broker that cannot be read: planned from the state, with a note', async () => {
    const { instances, masker } = await load(main(OPENSTACK));
    const state = stateOf(instances, masker);
    const hw = emptyHostWorld();
    hw.execs!.set(O, { error: 'container rabbitmq is not running' });
    const c = plan(instances, masker, state, new Map([['h1', hw]])).changes.find((x) => x.address === O)!;
    expect(c.action).toBe('noop');
    expect(c.notes).toContain(
      'the broker could not be read (container rabbitmq is not running): planned from the state',
    );
  });

  it('deletes the user; the vhost only with destroy --include-data and when no other block uses it', async () => {
    const { instances, masker } = await load(main(OPENSTACK + NOTIFY));
    const state = stateOf(instances, masker);
    const rest = instances.filter((i) => i.address !== O);
    const gone = plan(rest, masker, state, new Map()).changes.find((c) => c.address === O)!;
    expect(gone.action).toBe('delete');
    expect(gone.reasons[0]).toBe(
      'no longer in the configuration: deletes the user openstack; keeps the vhost / (service.rabbitmq.rabbitmq_user.notify still uses it)',
    );
    expect(gone.notes).toEqual([]);
    const d = plan(instances, masker, state, new Map(), { destroy: true });
    expect(d.changes.find((c) => c.address === O)!.reasons[0]).toBe(
      'destroy: deletes the user openstack; keeps the vhost / and its queues (destroy --include-data deletes it)',
    );
    const targeted = plan(instances, masker, state, new Map(), {
      destroy: true,
      includeData: true,
      targets: [O],
    });
    expect(targeted.changes.map((c) => c.address)).toEqual([O]);
    expect(targeted.changes[0]!.notes).toEqual([]);
    expect(targeted.changes[0]!.reasons[0]).toBe(
      'destroy: deletes the user openstack; keeps the vhost / (service.rabbitmq.rabbitmq_user.notify still uses it)',
    );
    const one = await load(main(OPENSTACK));
    const all = plan(one.instances, one.masker, stateOf(one.instances, one.masker), new Map(), {
      destroy: true,
      includeData: true,
    });
    const c = all.changes.find((x) => x.address === O)!;
    expect(c.notes).toEqual(['deletes the vhost and its queues (--include-data)']);
    expect(c.reasons[0]).toBe(
      'destroy: deletes the user openstack and the vhost / with its queues and messages (--include-data)',
    );
  });

  it('the state keeps a verifier and a secret marker; kolla rollback rebuilds the instance from them', async () => {
    const { instances, masker } = await load(main(OPENSTACK));
    const r = stateOf(instances, masker).resources[0]!;
    expect(r).toMatchObject({
      kind: 'rabbitmq_user',
      rabbitmq_user: { user: 'openstack', vhost: '/', tags: ['administrator'] },
      secrets: { password: '((secret.rabbitmq_pw))' },
    });
    const back = kindOf('rabbitmq_user').fromState(r, masker) as RabbitmqUserInstance;
    expect(back.spec.password).toBe(SECRETS.rabbitmq_pw);
    expect(kindOf('rabbitmq_user').fromState(r, new SecretMasker({}))).toBeUndefined();
  });
});
