/**
 * kolla/rabbitmq's openstack user as a rabbitmq_user resource (no longer in definitions.json):
 * a cluster of three gets one user resource, on the first host's node; no config file holds
 * the password; and a broker deployed with the old layout (the user made by definitions.json)
 * is adopted: the user plans no change when the broker has it with the secret's password,
 * an update (not a create, not a failure) when its password differs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { expand } from '../../../src/expand/expand.js';
import type { Instance } from '../../../src/expand/instances.js';
import { rabbitPasswordHash } from '../../../src/kinds/rabbitmq-user.js';
import { emptyHostWorld } from '../../../src/providers/world.js';
import { SecretMasker } from '../../../src/states/secret-mask.js';
import { removeConfigs, writeConfig } from '../expand/helpers.js';
import { deployed, planOf, type Desired } from './helpers.js';

afterAll(removeConfigs);

const SECRETS = { rabbitmq_password: 'R4bbit-pw-value', cookie: 'C00kie-value' };
const USER = 'module.rabbitmq.service.rabbitmq.rabbitmq_user.openstack';

const main = (hosts: string[]): string => `
kolla {
  project = "demo"
}
${hosts
  .map(
    (h, i) => `host "${h}" {
  address = "10.0.0.${i + 1}"
  vars    = { api_interface_address = "10.0.0.${i + 1}" }
}`,
  )
  .join('\n')}
secret "rabbitmq_password" {}
secret "cookie" {}
module "rabbitmq" {
  source            = "kolla/rabbitmq"
  image             = "kolla/rabbitmq:zed"
  hosts             = ${JSON.stringify(hosts)}
  rabbitmq_password = secret.rabbitmq_password
  cluster_cookie    = secret.cookie
}
`;

async function load(hosts: string[]): Promise<Desired> {
  const dir = writeConfig({ 'main.hcl': main(hosts) });
  const r = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues: SECRETS });
  expect(r.diagnostics.map((d) => d.summary)).toEqual([]);
  const e = expand(r.config!, r.diagnostics);
  expect(r.diagnostics.map((d) => d.summary)).toEqual([]);
  return { instances: e.instances, outputs: e.outputs, masker: new SecretMasker(r.config!.secretValues) };
}

/** The same deployment as the module rendered it before the switch: the user in definitions.json. */
function oldLayout(d: Desired): Desired {
  const instances: Instance[] = d.instances
    .filter((i) => i.kind !== 'rabbitmq_user')
    .map((i) =>
      i.kind === 'config' && i.dest === '/etc/rabbitmq/definitions.json'
        ? {
            ...i,
            content: i.content
              .replace(
                '"users": []',
                `"users": [\n    {"name": "openstack", "password": ${JSON.stringify(SECRETS.rabbitmq_password)}, "tags": "administrator"}\n  ]`,
              )
              .replace(
                '"permissions": []',
                '"permissions": [\n    {"user": "openstack", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}\n  ]',
              ),
          }
        : i,
    );
  return { ...d, instances };
}

/** export_definitions of a broker with the openstack user (the password given), as the old layout made it. */
function exported(password: string): string {
  return JSON.stringify({
    users: [
      {
        name: 'openstack',
        password_hash: rabbitPasswordHash(password),
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: ['administrator'],
      },
    ],
    vhosts: [{ name: '/' }],
    permissions: [{ user: 'openstack', vhost: '/', configure: '.*', write: '.*', read: '.*' }],
  });
}

describe('kolla/rabbitmq: the openstack user as a rabbitmq_user', () => {
  it('a cluster of three: one user resource, on the first host, after its node; no password in a config file', async () => {
    const d = await load(['h1', 'h2', 'h3']);
    const users = d.instances.filter((i) => i.kind === 'rabbitmq_user');
    expect(users.map((u) => [u.address, u.host, u.dependsOn])).toEqual([
      [USER, 'h1', ['module.rabbitmq.service.rabbitmq.container.rabbitmq["h1"]']],
    ]);
    const u = users[0]!;
    expect(u.kind === 'rabbitmq_user' && u.spec).toEqual({
      user: 'openstack',
      vhost: '/',
      tags: ['administrator'],
      permissions: { configure: '.*', write: '.*', read: '.*' },
      password: SECRETS.rabbitmq_password,
    });
    const configs = d.instances.filter((i) => i.kind === 'config');
    for (const c of configs)
      if (c.kind === 'config') expect(c.content).not.toContain(SECRETS.rabbitmq_password);
    const defs = configs.filter((c) => c.kind === 'config' && c.dest === '/etc/rabbitmq/definitions.json');
    expect(defs.map((c) => c.host)).toEqual(['h1', 'h2', 'h3']);
    for (const c of defs)
      if (c.kind === 'config')
        expect(JSON.parse(c.content)).toEqual({
          vhosts: [{ name: '/', metadata: { default_queue_type: 'quorum' } }],
          users: [],
          permissions: [],
          policies: [],
        });
    // The plan from nothing creates the user once; after the apply the plan is empty.
    const first = planOf(d, deployed({ ...d, instances: [] }).state, new Map()).plan;
    expect(first.changes.filter((c) => c.kind === 'rabbitmq_user').map((c) => c.action)).toEqual(['create']);
    const after = deployed(d);
    after.world.get('h1')!.execs!.set(USER, { output: exported(SECRETS.rabbitmq_password) });
    const again = planOf(d, after.state, after.world);
    expect(again.diagnostics).toEqual([]);
    expect(again.plan.changes.filter((c) => c.action !== 'noop')).toEqual([]);
    expect(again.plan.drift).toEqual([]);
  });

  for (const hosts of [['aio'], ['h1', 'h2', 'h3']])
    it(`an upgrade from definitions.json's user (${hosts.length} host${hosts.length > 1 ? 's' : ''}) adopts it`, async () => {
      const d = await load(hosts);
      const before = deployed(oldLayout(d));
      const hw = before.world.get(hosts[0]!) ?? emptyHostWorld();
      hw.execs!.set(USER, { output: exported(SECRETS.rabbitmq_password) });
      const { plan, diagnostics } = planOf(d, before.state, before.world);
      expect(diagnostics).toEqual([]);
      // definitions.json loses the user (rewritten, the nodes restarted one at a time, as a
      // config change does); the user itself: no change, recorded in the state by the apply.
      expect(
        plan.changes
          .filter((c) => c.action !== 'noop')
          .map((c) => `${c.action} ${c.address}`)
          .sort(),
      ).toEqual(
        hosts
          .flatMap((h) => [
            `update module.rabbitmq.service.rabbitmq.config["definitions.json"]["${h}"]`,
            `restart module.rabbitmq.service.rabbitmq.container.rabbitmq["${h}"]`,
          ])
          .sort(),
      );
      expect(plan.changes.find((c) => c.address === USER)?.action).toBe('noop');
      expect(plan.drift).toEqual([]);
      // A broker whose user has another password: an update in place, never a create.
      hw.execs!.set(USER, { output: exported('another-password') });
      const other = planOf(d, before.state, before.world).plan.changes.find((c) => c.address === USER);
      expect(other?.action).toBe('update');
      expect(other?.reasons).toEqual(['the password of user openstack differs from its secret']);
    });
});
