/**
 * Keystone's Fernet keys as kolla secrets, checked with the real keystone image
 * (kolla/keystone:zed): the keystone module's config files for two controllers — one with
 * the key set before a rotation, one after — are copied in by the image's kolla_start as a
 * deployment does, and keystone's own TokenFormatter (the code that issues and validates
 * tokens, reading the key repository as keystone.conf sets it) packs a token on each and
 * unpacks the other's: both ways accepted during a rolling rotation; a token of the old
 * primary still accepted after the rotation and refused after a second one; and kolla's
 * rotation leaves the keys in the order keystone-manage fernet_rotate leaves them.
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
import { ROOT, buildOnce, kolla } from '../helpers/kolla.js';
import { projectFilter } from '../../src/providers/docker/labels.js';

const IMAGE = 'kolla/keystone:zed';
const project = uniqueProject('ksk');
let docker: Dockerode;
let work: string;

const CONFIG = `
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
    database_address          = "10.0.0.1"
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
function run(configDir: string, label: string, tokens: string[]): Promise<Result> {
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
        'none',
        // sudo (kolla_start's copy step) looks its host name up: without an entry it waits for DNS.
        '--hostname',
        'keystone',
        '--add-host',
        'keystone:127.0.0.1',
        '-v',
        `${configDir}:/var/lib/kolla/config_files:ro`,
        '-v',
        `${path.join(work, 'check.py')}:/tmp/check.py:ro`,
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
}, 1_800_000);

afterAll(async () => {
  if (docker) await cleanupProject(docker, project);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('keystone key sets in the keystone image', () => {
  it('two controllers, one before and one after a rotation, accept each other; a token outlives one rotation, not two', async () => {
    const dir = path.join(work, 'config');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'main.hcl'), CONFIG);
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
});
