/**
 * Keystone's Fernet keys as kolla secrets, checked with the real keystone image
 * (kolla/keystone:zed): the keystone module's config files for two controllers — one with
 * the key set before a rotation, one after — are copied in by the image's kolla_start as a
 * deployment does, and keystone's own TokenFormatter (the code that issues and validates
 * tokens, reading the key repository as keystone.conf sets it) packs a token on each and
 * unpacks the other's: both ways accepted during a rolling rotation; a token of the old
 * primary still accepted after the rotation and refused after a second one; and kolla's
 * rotation leaves the keys in the order keystone-manage fernet_rotate leaves them. With a real
 * MariaDB: a credential stored with the first credential keys is still read after one
 * rotation, `keystone-manage credential_migrate` (the module's task) re-encrypts it with the
 * new primary, and without it a second rotation loses it (why rotate wants --force).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { expand } from '../../src/expand/expand.js';
import type { ConfigInstance } from '../../src/expand/instances.js';
import { imageId } from '../../src/providers/docker/image-ops.js';
import {
  generateMissing,
  readSecrets,
  readSecretsFile,
  rotateSecret,
} from '../../src/secrets/secrets-file.js';
import { cleanupProject, ensureDocker, uniqueProject } from '../helpers/docker.js';
import { MARIADB_IMAGE, ensureMariadbImage } from '../helpers/mariadb.js';
import { ROOT, buildOnce, kolla } from '../helpers/kolla.js';
import { projectFilter } from '../../src/providers/docker/labels.js';

const IMAGE = 'kolla/keystone:zed';
const project = uniqueProject('ksk');
let docker: Dockerode;
let work: string;

const config = (database: string): string => `
host "c1" {
  address = "10.0.0.1"
  vars    = { api_interface_address = "10.0.0.1" }
}
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
  image   = "${IMAGE}"
  hosts   = ["c1"]
  globals = {
    common_env                = { KOLLA_CONFIG_STRATEGY = "COPY_ALWAYS" }
    healthcheck               = { interval = "30s", retries = 3, start_period = "5s", timeout = "30s" }
    overrides_dir             = "overrides"
    volume_prefix             = ""
    keystone_internal_url     = "http://10.0.0.1:5000"
    database_address          = "${database}"
    memcached_hosts           = ["c1"]
    rabbitmq_hosts            = ["c1"]
    openstack_region_name     = "RegionOne"
    openstack_service_workers = 1
  }
  public_url                 = "http://10.0.0.1:5000"
  keystone_admin_password    = secret.pw
  keystone_database_password = secret.pw
  rabbitmq_password          = secret.pw
  fernet_keys                = secret.keystone_fernet_keys
  credential_keys            = secret.keystone_credential_keys
  # No memcached here.
  config_overrides           = { "keystone.conf" = { cache = { enabled = false } } }
}
`;

/**
 * Run in the container after kolla_start copied the config (as the keystone user): load
 * keystone.conf, unpack each token of argv (ok / refused), pack a new one; print JSON.
 * With "rotate": run keystone's own rotation on the repository first and print the keys it
 * loads (primary first).
 */
const CHECK = `
import json, os, subprocess, sys
import keystone.conf
from keystone.common import fernet_utils
from keystone import exception
CONF = keystone.conf.CONF
keystone.conf.configure()
CONF(args=[], project='keystone', default_config_files=['/etc/keystone/keystone.conf'])
from keystone.token import token_formatters
out = {}
if sys.argv[1] == 'rotate':
    subprocess.run(['keystone-manage', 'fernet_rotate', '--keystone-user', 'keystone', '--keystone-group', 'keystone'], check=True, capture_output=True)
repo = CONF.fernet_tokens.key_repository
out['files'] = sorted(os.listdir(repo))
out['mode'] = oct(os.stat(repo).st_mode & 0o777)
u = fernet_utils.FernetUtils(repo, CONF.fernet_tokens.max_active_keys, 'fernet_tokens')
out['valid'] = u.validate_key_repository()
out['keys'] = u.load_keys()
f = token_formatters.TokenFormatter()
out['accepted'] = []
for t in sys.argv[2:]:
    try:
        f.unpack(t)
        out['accepted'].append(True)
    except exception.ValidationError:
        out['accepted'].append(False)
out['token'] = f.pack(('token of ' + sys.argv[1]).encode())
print('RESULT ' + json.dumps(out))
`;

/**
 * Credentials, against the database: "create" runs db_sync and stores one; "migrate" runs
 * keystone-manage credential_migrate first; every step reads it back with the keys it has.
 */
const CREDENTIALS = `
import json, subprocess, sys
import keystone.conf
CONF = keystone.conf.CONF
keystone.conf.configure()
CONF(args=[], project='keystone', default_config_files=['/etc/keystone/keystone.conf'])
from keystone.server import backends
from keystone.credential.providers import fernet as cf
step = sys.argv[1]
if step == 'create':
    subprocess.run(['keystone-manage', 'db_sync'], check=True, capture_output=True)
api = backends.load_backends()['credential_api']
if step == 'create':
    api.create_credential('cred1', {'id': 'cred1', 'user_id': 'u1', 'type': 'ec2', 'blob': '{"access": "a", "secret": "s3"}'})
out = {}
if step == 'migrate':
    out['migrate'] = subprocess.run(['keystone-manage', 'credential_migrate'], capture_output=True).returncode
crypto, keys = cf.get_multi_fernet_keys()
out['primary'] = cf.primary_key_hash(keys)
out['stored'] = api.driver.get_credential('cred1')['key_hash']
try:
    out['blob'] = api.get_credential('cred1')['blob']
except Exception as e:
    out['error'] = type(e).__name__
print('RESULT ' + json.dumps(out), flush=True)
`;

interface Result {
  files: string[];
  mode: string;
  valid: boolean;
  keys: string[];
  accepted: boolean[];
  token: string;
}

/** The keystone container's files on c1 (config.json and the files it copies), into `dir`. */
async function render(dir: string, into: string): Promise<void> {
  const r = await loadConfig({ dir, env: {}, syntaxCache: false, secretValues: readSecrets(dir) });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const e = expand(r.config!, r.diagnostics);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  mkdirSync(into, { recursive: true });
  const files = e.instances.filter(
    (i): i is ConfigInstance => i.kind === 'config' && i.service === 'keystone' && i.host === 'c1',
  );
  expect(files.map((f) => f.name)).toContain('fernet-key-2');
  for (const f of files) writeFileSync(path.join(into, path.basename(f.path)), f.content, { mode: 0o644 });
}

/** Start the image as the keystone container starts (kolla_start copies the config in), then CHECK. */
function run(
  configDir: string,
  label: string,
  tokens: string[],
  script = 'check.py',
  network = 'none',
): Promise<Result> {
  const name = `${project}-${label}`;
  return new Promise((resolve, reject) => {
    execFile(
      'docker',
      [
        'run',
        '--rm',
        '--name',
        name,
        '--label',
        projectFilter(project),
        '--network',
        network,
        // sudo (kolla_start's copy step) looks its host name up: without an entry it waits for DNS.
        '--hostname',
        'keystone',
        '--add-host',
        'keystone:127.0.0.1',
        '-v',
        `${configDir}:/var/lib/kolla/config_files:ro`,
        '-v',
        `${path.join(work, script)}:/tmp/check.py:ro`,
        '-e',
        'KOLLA_CONFIG_STRATEGY=COPY_ALWAYS',
        '-e',
        `KOLLA_COMMAND=python3 /tmp/check.py ${label} ${tokens.join(' ')}`,
        IMAGE,
      ],
      { timeout: 120_000 },
      (err, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
        if (err || !line) reject(new Error(`${name}: ${err?.message ?? 'no result'}\n${stdout}\n${stderr}`));
        else resolve(JSON.parse(line.slice('RESULT '.length)) as Result);
      },
    );
  });
}

beforeAll(async () => {
  docker = await ensureDocker();
  if ((await imageId(docker, IMAGE)) === undefined) {
    // As the all-in-one builds it (kolla build keystone).
    execFileSync('bash', [path.join(ROOT, 'scripts/debian-base.sh')], { stdio: 'ignore', timeout: 900_000 });
    buildOnce();
    const r = await kolla(['build', 'keystone', '--no-color'], {
      cwd: path.join(ROOT, 'examples/all-in-one'),
    });
    expect(r.code, r.stderr).toBe(0);
  }
  work = mkdtempSync(path.join(os.tmpdir(), 'kolla-ksk-'));
  writeFileSync(path.join(work, 'check.py'), CHECK, { mode: 0o644 });
  writeFileSync(path.join(work, 'credentials.py'), CREDENTIALS, { mode: 0o644 });
}, 1_800_000);

afterAll(async () => {
  if (docker) await cleanupProject(docker, project);
  if (docker)
    await docker
      .getNetwork(`${project}-net`)
      .remove()
      .catch(() => {});
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('keystone key sets in the keystone image', () => {
  it('two controllers, one before and one after a rotation, accept each other; a token outlives one rotation, not two', async () => {
    const dir = path.join(work, 'config');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'main.hcl'), config('10.0.0.1'));
    const r = await loadConfig({ dir, env: {}, syntaxCache: false });
    generateMissing(dir, r.config!.secrets);
    const decls = r.config!.secrets;
    const setA = readSecretsFile(dir)['keystone_fernet_keys'] as string[];
    await render(dir, path.join(work, 'a'));
    rotateSecret(dir, decls, 'keystone_fernet_keys');
    const setB = readSecretsFile(dir)['keystone_fernet_keys'] as string[];
    await render(dir, path.join(work, 'b'));
    rotateSecret(dir, decls, 'keystone_fernet_keys');
    await render(dir, path.join(work, 'c'));

    // Controller A (old keys) and B (rotated), as two hosts during a rolling apply.
    const a = await run(path.join(work, 'a'), 'a', []);
    expect(a.valid).toBe(true);
    expect(a.files).toEqual(['0', '1', '2']);
    // Keystone's order: primary first (the highest file), the staged key (0) last.
    expect(a.keys).toEqual([setA[2], setA[1], setA[0]]);
    const b = await run(path.join(work, 'b'), 'b', [a.token]);
    expect(b.keys).toEqual([setB[2], setB[1], setB[0]]);
    expect(b.accepted).toEqual([true]); // A's token (old primary) on B
    const a2 = await run(path.join(work, 'a'), 'a2', [b.token]);
    expect(a2.accepted).toEqual([true]); // B's token (new primary: A's staged key) on A
    // After a second rotation the first primary is gone: A's token is refused, B's accepted.
    const c = await run(path.join(work, 'c'), 'c', [a.token, b.token]);
    expect(c.accepted).toEqual([false, true]);

    // keystone-manage fernet_rotate on A's repository keeps the keys kolla's rotation keeps,
    // in the same order (it numbers files differently: 0, 2, 3).
    const k = await run(path.join(work, 'a'), 'rotate', [a.token]);
    expect(k.files).toEqual(['0', '2', '3']);
    expect(k.keys.slice(0, 2)).toEqual([setB[2], setB[1]]);
    expect(k.accepted).toEqual([true]);
  }, 600_000);

  it('credentials: read after one rotation, re-encrypted by credential_migrate, lost after two without it', async () => {
    await ensureMariadbImage(docker);
    const net = `${project}-net`;
    const db = `${project}-db`;
    await docker.createNetwork({ Name: net, Labels: { 'kolla.project': project } });
    const server = [
      'set -e',
      'mysql_install_db --user=mysql --datadir=/var/lib/mysql --auth-root-authentication-method=socket >/tmp/install.log 2>&1',
      `printf "CREATE DATABASE keystone;\\nCREATE USER 'keystone'@'%%' IDENTIFIED BY 'kspw';\\nGRANT ALL ON keystone.* TO 'keystone'@'%%';\\n" > /tmp/init.sql`,
      'exec mysqld --user=mysql --datadir=/var/lib/mysql --bind-address=0.0.0.0 --skip-log-bin --init-file=/tmp/init.sql',
    ].join('\n');
    const c = await docker.createContainer({
      name: db,
      Image: MARIADB_IMAGE,
      User: 'root',
      Entrypoint: ['sh', '-c', server],
      Labels: { 'kolla.project': project },
      HostConfig: { NetworkMode: net },
    });
    await c.start();
    for (let i = 0; ; i++) {
      const ok = await new Promise<boolean>((resolve) =>
        execFile('docker', ['exec', db, 'mysql', '-uroot', '-e', 'USE keystone'], (err) => resolve(!err)),
      );
      if (ok) break;
      expect(i, 'MariaDB did not come up').toBeLessThan(120);
      await new Promise((r) => setTimeout(r, 1000));
    }

    const dir = path.join(work, 'creds');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'main.hcl'), config(db));
    const r = await loadConfig({ dir, env: {}, syntaxCache: false });
    writeFileSync(path.join(dir, 'kolla.secrets.json'), JSON.stringify({ pw: 'kspw' }), { mode: 0o600 });
    generateMissing(dir, r.config!.secrets);
    await render(dir, path.join(work, 'ca'));
    rotateSecret(dir, r.config!.secrets, 'keystone_credential_keys');
    await render(dir, path.join(work, 'cb'));
    rotateSecret(dir, r.config!.secrets, 'keystone_credential_keys');
    await render(dir, path.join(work, 'cc'));
    const step = (d: string, label: string): Promise<Record<string, unknown>> =>
      run(path.join(work, d), label, [], 'credentials.py', net).then(
        (x) => x as unknown as Record<string, unknown>,
      );
    const blob = '{"access": "a", "secret": "s3"}';

    const a = await step('ca', 'create');
    expect(a).toMatchObject({ blob, stored: a['primary'] });
    // Two rotations without a migration: the key that encrypted it is gone.
    expect(await step('cc', 'read')).toMatchObject({ error: expect.any(String) });
    // One rotation: still read (its key is a secondary now); the migration re-encrypts it.
    const b = await step('cb', 'read');
    expect(b).toMatchObject({ blob, stored: a['primary'] });
    expect(b['primary']).not.toBe(a['primary']);
    expect(await step('cb', 'migrate')).toMatchObject({ migrate: 0, blob, stored: b['primary'] });
    // After the migration the second rotation keeps it.
    expect(await step('cc', 'read')).toMatchObject({ blob, stored: b['primary'] });
  }, 900_000);
});
