/**
 * `kolla secrets import passwords.yml`: a passwords.yml in kolla-ansible's format (comments,
 * empty entries, nested ssh key pairs, the names of services kolla does not deploy yet),
 * filled by a generator as kolla-genpwd fills it, becomes kolla.secrets.json for the catalogue
 * all-in-one (examples/all-in-one): every catalogue secret under its module path, mode 0600,
 * no value printed.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKolla, ROOT } from '../helpers/cli.js';
import { buildOnce } from '../helpers/kolla.js';

/** Names as kolla-ansible's etc/kolla/passwords.yml lists them (a sample of each kind). */
const PASSWORD_NAMES = [
  'ceph_cluster_fsid',
  'database_password',
  'mariadb_backup_database_password',
  'docker_registry_password',
  'keystone_admin_password',
  'keystone_database_password',
  'glance_database_password',
  'glance_keystone_password',
  'nova_database_password',
  'nova_api_database_password',
  'nova_keystone_password',
  'placement_keystone_password',
  'placement_database_password',
  'neutron_database_password',
  'neutron_keystone_password',
  'metadata_secret',
  'heat_database_password',
  'horizon_secret_key',
  'memcache_secret_key',
  'osprofiler_secret',
  'rabbitmq_password',
  'rabbitmq_monitoring_password',
  'rabbitmq_cluster_cookie',
  'haproxy_password',
  'keepalived_password',
];
const SSH_KEYS = ['nova_ssh_key', 'kolla_ssh_key', 'keystone_ssh_key'];

/** The template, then every entry filled (docker_registry_password stays empty, as it does). */
function generatedPasswordsYml(): { text: string; values: Record<string, string> } {
  const values: Record<string, string> = {};
  const lines = ['---', '###################', '# Database options', '####################'];
  for (const n of PASSWORD_NAMES) {
    if (n === 'docker_registry_password') {
      lines.push(`${n}:`);
      continue;
    }
    values[n] = randomBytes(24).toString('base64url');
    lines.push(`${n}: ${values[n]}`);
  }
  for (const k of SSH_KEYS)
    lines.push(`${k}:`, `  private_key: "-----BEGIN KEY-----"`, `  public_key: ssh-rsa AAAA`);
  return { text: lines.join('\n') + '\n', values };
}

let dir: string;
beforeAll(() => {
  buildOnce();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-import-'));
  // The example without what a deployment of it (README's demo) left beside it: its
  // secrets, state and address choice.
  const skip = /(^|\/)(kolla\.secrets\.json|kolla\.state\.json.*|\.kolla|.*\.auto\.vars\.hcl)$/;
  cpSync(path.join(ROOT, 'examples/all-in-one'), dir, { recursive: true, filter: (src) => !skip.test(src) });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kolla secrets import', () => {
  it("maps kolla-ansible's names onto the catalogue's secrets, 0600, values never printed", async () => {
    const { text, values } = generatedPasswordsYml();
    writeFileSync(path.join(dir, 'passwords.yml'), text, { mode: 0o600 });
    const r = await runKolla(['secrets', 'import', 'passwords.yml', '--chdir', dir], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(dir, 'kolla.secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    const names = [
      'database_password',
      'glance_database_password',
      'glance_keystone_password',
      'keystone_admin_password',
      'keystone_database_password',
      'memcache_secret_key',
      'metadata_secret',
      'neutron_database_password',
      'neutron_keystone_password',
      'nova_api_database_password',
      'nova_database_password',
      'nova_keystone_password',
      'placement_database_password',
      'placement_keystone_password',
      'rabbitmq_cluster_cookie',
      'rabbitmq_password',
    ];
    expect(secrets).toEqual(Object.fromEntries(names.map((n) => [`module.openstack.${n}`, values[n]])));
    for (const v of Object.values(values)) expect(r.stdout + r.stderr).not.toContain(v);
    expect(r.stdout).toContain('module.openstack.database_password ← database_password');
    expect(r.stdout).toContain('Imported 16 secret(s)');
    // passwords.yml has no Keystone keys (kolla-ansible keeps them on volumes): generate
    // makes them and keeps every imported value; then everything is there.
    const g = await runKolla(['secrets', 'generate', '--chdir', dir], { cwd: dir, timeoutMs: 60_000 });
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toContain('Generated 2 secret(s), kept 16 existing');
    const v = await runKolla(['validate', '--chdir', dir], { cwd: dir, timeoutMs: 60_000 });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).not.toContain('No value for secret');
  });

  it('--json lists what was imported, missing and unused', async () => {
    const r = await runKolla(['secrets', 'import', 'passwords.yml', '--chdir', dir, '--json'], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { imported: unknown[]; missing: string[]; unused: string[] };
    expect(out.imported).toHaveLength(16);
    expect(out.missing).toEqual([
      'module.openstack.keystone_fernet_keys',
      'module.openstack.keystone_credential_keys',
    ]);
    expect(out.unused).toContain('heat_database_password');
    expect(out.unused).not.toContain('nova_database_password');
    expect(out.unused).toContain('nova_ssh_key');
  });

  it('refuses a file that is not a passwords.yml, with a clear message', async () => {
    writeFileSync(path.join(dir, 'bad.yml'), '- a\n- b\n');
    const r = await runKolla(['secrets', 'import', 'bad.yml', '--chdir', dir], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a passwords.yml');
    expect(r.stderr).not.toContain('    at ');
  });
});

describe('kolla secrets generate, after secrets moved into a module', () => {
  it('gives a module secret the value of the root entry of its name that nothing declares any more', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'kolla-secret-move-'));
    try {
      cpSync(path.join(ROOT, 'examples/all-in-one'), d, { recursive: true });
      writeFileSync(
        path.join(d, 'kolla.secrets.json'),
        JSON.stringify({ database_password: 'old-root-value', unrelated: 'x' }),
        { mode: 0o600 },
      );
      const r = await runKolla(['secrets', 'generate', '--chdir', d], { cwd: d, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('module.openstack.database_password takes the value of database_password');
      expect(r.stdout).not.toContain('old-root-value');
      const s = JSON.parse(readFileSync(path.join(d, 'kolla.secrets.json'), 'utf8')) as Record<
        string,
        string
      >;
      expect(s['module.openstack.database_password']).toBe('old-root-value');
      expect(s['module.openstack.rabbitmq_password']).toMatch(/^.{16,}$/);
      expect(s['module.openstack.rabbitmq_password']).not.toBe('old-root-value');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('kolla secrets generate, after a module moved', () => {
  it('takes the secrets of module.a to module.b along with a moved block', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'kolla-secret-modmove-'));
    try {
      writeFileSync(
        path.join(d, 'main.hcl'),
        'host "h" { address = "127.0.0.1" }\nmodule "b" {\n  source = "./m"\n}\nmoved {\n  from = module.a\n  to   = module.b\n}\n',
      );
      writeFileSync(path.join(d, 'kolla.secrets.json'), JSON.stringify({ 'module.a.pw': 'kept-value' }), {
        mode: 0o600,
      });
      mkdirSync(path.join(d, 'm'));
      writeFileSync(path.join(d, 'm', 'main.hcl'), 'secret "pw" {}\n');
      const r = await runKolla(['secrets', 'generate', '--chdir', d], { cwd: d, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(readFileSync(path.join(d, 'kolla.secrets.json'), 'utf8')) as Record<
        string,
        string
      >;
      expect(s['module.b.pw']).toBe('kept-value');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('kolla secrets rotate of a key set', () => {
  it('rotates the Fernet keys as keystone does; refuses the credential keys without --force; prints no key', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'kolla-secret-rotate-'));
    try {
      cpSync(path.join(ROOT, 'examples/all-in-one'), d, {
        recursive: true,
        filter: (f) => !/kolla\.(state|secrets)|\.kolla$/.test(path.basename(f)),
      });
      const g = await runKolla(['secrets', 'generate', '--chdir', d], { cwd: d, timeoutMs: 60_000 });
      expect(g.code, g.stderr).toBe(0);
      const file = path.join(d, 'kolla.secrets.json');
      const read = (): Record<string, string | string[]> =>
        JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | string[]>;
      const before = read();
      const tokens = 'module.openstack.keystone_fernet_keys';
      const creds = 'module.openstack.keystone_credential_keys';
      const [s, , p] = before[tokens] as string[];

      const r = await runKolla(['secrets', 'rotate', tokens, '--chdir', d], { cwd: d, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('the staged key is now the primary');
      const after = read();
      expect((after[tokens] as string[]).slice(1)).toEqual([p, s]);
      for (const k of [...(before[tokens] as string[]), ...(after[tokens] as string[])])
        expect(r.stdout + r.stderr).not.toContain(k);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      const refused = await runKolla(['secrets', 'rotate', creds, '--chdir', d], {
        cwd: d,
        timeoutMs: 60_000,
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('credential key set');
      expect(refused.stderr).toContain('credential_migrate');
      expect(read()[creds]).toEqual(before[creds]);
      const forced = await runKolla(['secrets', 'rotate', creds, '--force', '--chdir', d], {
        cwd: d,
        timeoutMs: 60_000,
      });
      expect(forced.code, forced.stderr).toBe(0);
      expect((read()[creds] as string[])[2]).toBe((before[creds] as string[])[0]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
