/**
 * Key sets (secret type fernet_keys / credential_keys): Keystone's key repositories as kolla
 * secrets. Generated into kolla.secrets.json as a list (staged first, primary last), read back
 * as one masked entry per key, rotated as keystone-manage fernet_rotate rotates a repository;
 * the keystone module renders them as the same key files on every host, and a rotation is a
 * planned change (key files updated, keystone restarted, no key shown).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { expand } from '../../../src/expand/expand.js';
import type { ConfigInstance, Instance } from '../../../src/expand/instances.js';
import {
  generateKeySet,
  generateMissing,
  readSecrets,
  readSecretsFile,
  resizeKeySet,
  rotateKeySet,
  rotateSecret,
  secretsPath,
} from '../../../src/secrets/secrets-file.js';
import { SecretMasker } from '../../../src/states/secret-mask.js';
import { addressMatches } from '../../../src/addrs/address.js';
import { makePlan } from '../../../src/engine/planner.js';
import type { ResourceState } from '../../../src/states/state.js';
import { CREATED_AT, PROJECT, deployed, options, planOf, planText, type Desired } from '../plans/helpers.js';

const dirs: string[] = [];
function tmp(files: Record<string, string> = {}): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'kolla-keysets-'));
  dirs.push(d);
  for (const [f, t] of Object.entries(files)) writeFileSync(path.join(d, f), t);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const FERNET_KEY = /^[A-Za-z0-9_-]{43}=$/;

describe('rotateKeySet: keystone-manage fernet_rotate on files 0..N-1', () => {
  it('the staged key becomes the primary, a new staged key, the oldest secondary drops off', () => {
    const [s, x, p] = ['staged', 'secondary', 'primary'];
    const next = rotateKeySet([s, x, p], 3);
    expect(next).toHaveLength(3);
    expect(next[1]).toBe(p);
    expect(next[2]).toBe(s);
    expect(next[0]).toMatch(FERNET_KEY);
    expect(next).not.toContain(x);
    // Five keys: the three newer secondaries stay, in order.
    expect(rotateKeySet(['s', 'a', 'b', 'c', 'p'], 5).slice(1)).toEqual(['b', 'c', 'p', 's']);
  });

  it("every pair of consecutive sets accept each other's tokens; a token survives count - 2 rotations", () => {
    for (const count of [3, 4, 6]) {
      let keys = generateKeySet(count);
      const first = keys[count - 1]!;
      const survived: number[] = [];
      for (let r = 1; r <= count + 1; r++) {
        const next = rotateKeySet(keys, count);
        expect(next).toHaveLength(count);
        expect(new Set(next).size).toBe(count);
        // A host with the new set decrypts what the old primary encrypted, and the other way.
        expect(next).toContain(keys[count - 1]);
        expect(keys).toContain(next[count - 1]);
        keys = next;
        if (keys.includes(first)) survived.push(r);
      }
      expect(survived).toEqual(Array.from({ length: count - 2 }, (_, i) => i + 1));
    }
  });

  it('refuses fewer than 3 keys, and resizes a set whose count changed, keeping staged and primary', () => {
    expect(() => rotateKeySet(['a', 'b'], 2)).toThrow(/at least 3/);
    expect(resizeKeySet(['s', 'a', 'b', 'c', 'p'], 3)).toEqual(['s', 'c', 'p']);
    const grown = resizeKeySet(['s', 'a', 'p'], 5);
    expect(grown[0]).toBe('s');
    expect(grown.slice(3)).toEqual(['a', 'p']);
    expect(grown[1]).toMatch(FERNET_KEY);
    // Rotating a shorter set (count raised) still gives count keys.
    expect(rotateKeySet(['s', 'p'], 3).slice(1)).toEqual(['p', 's']);
  });
});

const DECLS = `
secret "tokens" { type = "fernet_keys" }
secret "creds" {
  type  = "credential_keys"
  count = 4
}
secret "pw" {}
secret "fk" { type = "fernet_key" }
output "tokens" { value = secret.tokens }
output "primary" { value = secret.tokens[2] }
`;

describe('the secrets file', () => {
  it('generate: a key set is a list of distinct Fernet keys (mode 0600), read back as masked entries NAME[i]', async () => {
    const dir = tmp({ 'main.hcl': DECLS });
    const r = await loadConfig({ dir, env: {}, syntaxCache: false });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.config!.secrets.map((d) => [d.name, d.kind, d.count])).toEqual([
      ['tokens', 'fernet_keys', 3],
      ['creds', 'credential_keys', 4],
      ['pw', 'password', undefined],
      ['fk', 'fernet_key', undefined],
    ]);
    const out = generateMissing(dir, r.config!.secrets);
    expect(out.generated).toEqual(['tokens', 'creds', 'pw', 'fk']);
    expect(statSync(secretsPath(dir)).mode & 0o777).toBe(0o600);
    const file = readSecretsFile(dir);
    expect(file['tokens']).toHaveLength(3);
    expect(file['creds']).toHaveLength(4);
    for (const k of [...(file['tokens'] as string[]), ...(file['creds'] as string[])])
      expect(k).toMatch(FERNET_KEY);
    // `type = "fernet_key"` makes a Fernet key (the block's `type` was not read: a password).
    expect(file['fk']).toMatch(FERNET_KEY);
    const flat = readSecrets(dir);
    expect(Object.keys(flat).sort()).toEqual(
      [
        'creds[0]',
        'creds[1]',
        'creds[2]',
        'creds[3]',
        'fk',
        'pw',
        'tokens[0]',
        'tokens[1]',
        'tokens[2]',
      ].sort(),
    );
    const m = new SecretMasker(flat);
    expect(m.mask(`key=${flat['tokens[2]']}\n`)).toBe('key=((secret.tokens[2]))\n');
    expect(m.unmask(m.mask(flat['tokens[1]']!))).toBe(flat['tokens[1]']);
    // A second generate keeps every value.
    expect(generateMissing(dir, r.config!.secrets).kept).toHaveLength(4);
    expect(readSecretsFile(dir)).toEqual(file);
  });

  it('secret.NAME of a key set is the list; without a value, placeholders of its length and a missing secret', async () => {
    const dir = tmp({ 'main.hcl': DECLS });
    const none = await loadConfig({ dir, env: {}, syntaxCache: false });
    const e0 = expand(none.config!, none.diagnostics);
    expect(e0.outputs['tokens']!.value).toEqual([0, 1, 2].map((i) => `<secret tokens[${i}] not generated>`));
    expect(none.config!.missingSecrets()).toContain('tokens');
    generateMissing(dir, none.config!.secrets);
    const r = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues: readSecrets(dir) });
    const e = expand(r.config!, r.diagnostics);
    const keys = readSecretsFile(dir)['tokens'] as string[];
    expect(e.outputs['tokens']!.value).toEqual(keys);
    expect(e.outputs['primary']!.value).toBe(keys[2]);
    expect(r.config!.missingSecrets()).toEqual([]);
  });

  it('rotate: a key set rotates, a password is replaced; a count change is a resize on generate', async () => {
    const dir = tmp({ 'main.hcl': DECLS });
    const r = await loadConfig({ dir, env: {}, syntaxCache: false });
    expect(rotateSecret(dir, r.config!.secrets, 'tokens')).toEqual({
      rotated: false,
      reason: 'not-generated',
    });
    generateMissing(dir, r.config!.secrets);
    const before = readSecretsFile(dir);
    expect(rotateSecret(dir, r.config!.secrets, 'tokens')).toEqual({
      rotated: true,
      keySet: true,
      kind: 'fernet_keys',
      count: 3,
    });
    const after = readSecretsFile(dir);
    const [s, , p] = before['tokens'] as string[];
    expect((after['tokens'] as string[]).slice(1)).toEqual([p, s]);
    expect(after['pw']).toBe(before['pw']);
    expect(rotateSecret(dir, r.config!.secrets, 'nope')).toEqual({ rotated: false, reason: 'not-declared' });

    writeFileSync(path.join(dir, 'main.hcl'), DECLS.replace('count = 4', 'count = 3'));
    const r3 = await loadConfig({ dir, env: {}, syntaxCache: false });
    expect(generateMissing(dir, r3.config!.secrets).resized).toEqual(['creds']);
    const creds = before['creds'] as string[];
    expect(readSecretsFile(dir)['creds']).toEqual([creds[0], creds[2], creds[3]]);
  });

  it('count is refused on a secret that is not a key set, and below 3', async () => {
    for (const [block, message] of [
      ['secret "pw" {\n  count = 3\n}\n', /"count" applies only to a key set/],
      ['secret "k" {\n  type  = "fernet_keys"\n  count = 2\n}\n', /count/],
    ] as const) {
      const r = await loadConfig({ dir: tmp({ 'main.hcl': block }), env: {}, syntaxCache: false });
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((d) => `${d.summary} ${d.detail ?? ''}`).join('\n')).toMatch(message);
    }
  });
});

/** The keystone module on three controllers, with its key sets. */
const KEYSTONE = `
kolla {
  project = "ks"
}
${['c1', 'c2', 'c3']
  .map(
    (h, i) => `host "${h}" {
  address = "10.0.0.${i + 1}"
  vars    = { api_interface_address = "10.0.0.${i + 1}" }
}`,
  )
  .join('\n')}
secret "keystone_fernet_keys" { type = "fernet_keys" }
secret "keystone_credential_keys" { type = "credential_keys" }
secret "pw" {}
service "mariadb" {
  hosts = ["c1"]
  container "mariadb" {
    image = "mariadb:10.11"
  }
  database "keystone" {
    container      = "mariadb"
    password       = secret.pw
    admin_password = secret.pw
  }
}
module "keystone" {
  source  = "kolla/keystone"
  image   = "kolla/keystone:zed"
  hosts   = ["c1", "c2", "c3"]
  globals = {
    common_env                = { KOLLA_CONFIG_STRATEGY = "COPY_ALWAYS" }
    healthcheck               = { interval = "30s", retries = 3, start_period = "5s", timeout = "30s" }
    overrides_dir             = "overrides"
    volume_prefix             = ""
    keystone_internal_url     = "http://10.0.0.250:5000"
    database_address          = "10.0.0.250"
    memcached_hosts           = ["c1", "c2", "c3"]
    rabbitmq_hosts            = ["c1", "c2", "c3"]
    openstack_region_name     = "RegionOne"
    openstack_service_workers = 2
  }
  public_url                 = "http://10.0.0.250:5000"
  keystone_admin_password    = secret.pw
  keystone_database_password = secret.pw
  rabbitmq_password          = secret.pw
  fernet_keys                = secret.keystone_fernet_keys
  credential_keys            = secret.keystone_credential_keys
}
`;

async function keystone(dir: string): Promise<Desired> {
  const r = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues: readSecrets(dir) });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const e = expand(r.config!, r.diagnostics);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { instances: e.instances, outputs: e.outputs, masker: new SecretMasker(r.config!.secretValues) };
}

const keyFiles = (instances: readonly Instance[], host: string, repo: string): string[] =>
  instances
    .filter(
      (i): i is ConfigInstance =>
        i.kind === 'config' && i.host === host && i.dest?.startsWith(`/etc/keystone/${repo}/`) === true,
    )
    .sort((a, b) => a.dest!.localeCompare(b.dest!))
    .map((i) => `${i.dest} ${i.sensitive} ${i.content}`);

describe('the keystone module with key sets', () => {
  it('renders the same key files 0..2 on every controller, no key volumes and no fernet_setup', async () => {
    const dir = tmp({ 'main.hcl': KEYSTONE });
    const r = await loadConfig({ dir, env: {}, syntaxCache: false });
    generateMissing(dir, r.config!.secrets);
    const d = await keystone(dir);
    const file = readSecretsFile(dir);
    for (const [repo, name] of [
      ['fernet-keys', 'keystone_fernet_keys'],
      ['credential-keys', 'keystone_credential_keys'],
    ] as const) {
      const expected = (file[name] as string[]).map((k, i) => `/etc/keystone/${repo}/${i} true ${k}`);
      for (const h of ['c1', 'c2', 'c3']) expect(keyFiles(d.instances, h, repo)).toEqual(expected);
    }
    const configJson = d.instances.find(
      (i): i is ConfigInstance =>
        i.kind === 'config' && i.host === 'c2' && i.name === 'config.json' && i.service === 'keystone',
    )!;
    expect(JSON.parse(configJson.content).config_files).toContainEqual({
      source: '/var/lib/kolla/config_files/fernet-key-2',
      dest: '/etc/keystone/fernet-keys/2',
      owner: 'keystone',
      perm: '0600',
    });
    expect(d.instances.filter((i) => i.kind === 'volume')).toEqual([]);
    expect(d.instances.filter((i) => i.kind === 'bootstrap').map((i) => i.name)).toEqual([
      'db_sync',
      'bootstrap',
    ]);
    const keystoneContainer = d.instances.find((i) => i.kind === 'container' && i.host === 'c1');
    expect(keystoneContainer?.kind === 'container' && keystoneContainer.spec.volumes.join(' ')).not.toMatch(
      /keys/,
    );
  });

  it('a rotation is a planned change: the key files on every host, keystone restarted, credential_migrate for credential keys; no key shown', async () => {
    const dir = tmp({ 'main.hcl': KEYSTONE });
    const r = await loadConfig({ dir, env: {}, syntaxCache: false });
    generateMissing(dir, r.config!.secrets);
    const before = deployed(await keystone(dir));
    // Nothing to do before the rotation.
    const same = planOf(await keystone(dir), before.state, before.world).plan;
    expect(same.changes.filter((c) => c.action !== 'noop')).toEqual([]);

    const old = readSecretsFile(dir)['keystone_fernet_keys'] as string[];
    rotateSecret(dir, r.config!.secrets, 'keystone_fernet_keys');
    const fresh = (readSecretsFile(dir)['keystone_fernet_keys'] as string[])[0]!;
    const { plan, diagnostics } = planOf(await keystone(dir), before.state, before.world);
    expect(diagnostics).toEqual([]);
    const changed = plan.changes.filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.address}`);
    // The bootstraps' inputs are the service's config files: they run again (both idempotent).
    const expected: string[] = [
      'run module.keystone.service.keystone.bootstrap.db_sync',
      'run module.keystone.service.keystone.bootstrap.bootstrap',
    ];
    for (const h of ['c1', 'c2', 'c3']) {
      for (const i of [0, 1, 2])
        expected.push(`update module.keystone.service.keystone.config["fernet-key-${i}"]["${h}"]`);
      expected.push(`restart module.keystone.service.keystone.container.keystone["${h}"]`);
    }
    expect(changed.sort()).toEqual(expected.sort());
    const text = planText(plan);
    for (const k of [...old, fresh]) expect(text).not.toContain(k);
    expect(JSON.stringify(plan)).not.toContain(fresh);

    rotateSecret(dir, r.config!.secrets, 'keystone_credential_keys');
    const cred = planOf(await keystone(dir), before.state, before.world).plan;
    expect(cred.changes.filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.address}`)).toContain(
      'run module.keystone.service.keystone.task.credential_migrate',
    );
  });

  it('upgrade: the key volumes of an earlier deployment are forgotten (removed blocks), not deleted', async () => {
    const dir = tmp({ 'main.hcl': KEYSTONE });
    const r = await loadConfig({ dir, env: {}, syntaxCache: false });
    generateMissing(dir, r.config!.secrets);
    const r2 = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues: readSecrets(dir) });
    const d = await keystone(dir);
    const before = deployed(d);
    // What the earlier module left in the state: its key volumes on every host.
    const volumes: ResourceState[] = ['keystone_fernet_tokens', 'keystone_credential_keys'].flatMap((v) =>
      ['c1', 'c2', 'c3'].map((h) => ({
        address: `module.keystone.volume.${v}["${h}"]`,
        kind: 'volume' as const,
        host: h,
        dependencies: [],
        volume: { name: v, driver: 'local', labels: {} },
      })),
    );
    const prior = { ...before.state, resources: [...before.state.resources, ...volumes] };
    // As `kolla plan` (engine/plan.ts) computes what removed blocks forget.
    const forget = new Set(
      volumes
        .map((v) => v.address)
        .filter((a) => r2.config!.stateEdits.removed.some((f) => addressMatches(f, a))),
    );
    expect(forget.size).toBe(6);
    const diagnostics: never[] = [];
    const plan = makePlan({
      project: PROJECT,
      kollaVersion: '0.0.0-test',
      instances: d.instances,
      prior,
      world: before.world,
      masker: d.masker,
      options: options(),
      outputs: d.outputs,
      variables: [],
      diagnostics,
      forget,
      removed: r2.config!.stateEdits.removed,
    });
    plan.created_at = CREATED_AT;
    expect(plan.changes.filter((c) => c.action !== 'noop')).toEqual([]);
    // Without the removed blocks the plan would delete the volumes.
    const without = planOf(d, prior, before.world).plan;
    expect(
      without.changes
        .filter((c) => c.action === 'delete')
        .map((c) => c.address)
        .sort(),
    ).toEqual(volumes.map((v) => v.address).sort());
  });

  it('the module refuses a key set of another size than it renders', async () => {
    const dir = tmp({
      'main.hcl': KEYSTONE.replace(
        'secret "keystone_fernet_keys" { type = "fernet_keys" }',
        'secret "keystone_fernet_keys" {\n  type  = "fernet_keys"\n  count = 4\n}',
      ),
    });
    const r = await loadConfig({ dir, env: {}, syntaxCache: false });
    generateMissing(dir, r.config!.secrets);
    const r2 = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues: readSecrets(dir) });
    if (r2.config) expand(r2.config, r2.diagnostics);
    expect(r2.diagnostics.map((d) => d.detail ?? d.summary).join('\n')).toMatch(/renders 3 Fernet keys/);
  });
});

it('the file is JSON with the key set as a list', () => {
  const dir = tmp({ 'main.hcl': DECLS });
  writeFileSync(secretsPath(dir), JSON.stringify({ tokens: ['a', 'b', 'c'], pw: 'x', bad: [1] }));
  expect(readSecretsFile(dir)).toEqual({ tokens: ['a', 'b', 'c'], pw: 'x' });
  expect(JSON.parse(readFileSync(secretsPath(dir), 'utf8')).tokens).toEqual(['a', 'b', 'c']);
});
