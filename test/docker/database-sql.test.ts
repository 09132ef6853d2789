/**
 * The database kind's SQL against a real MariaDB (the kolla/mariadb:zed image, started here
 * with its own data directory under a unique container name): refresh → create → no-op;
 * an account dropped by hand is found and re-created; a password change is an ALTER USER after
 * which the new password logs in; a delete keeps the schema and its data unless include-data.
 * The password reaches mysql on stdin only: it is in neither the exec's command line nor an error.
 */
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applySql,
  deleteSql,
  diffDatabase,
  parseRefresh,
  refreshSql,
  revokeSchemaSql,
  toRecord,
  undoCreateSql,
  type DatabaseRecord,
  type DatabaseSpec,
} from '../../src/kinds/database.js';
import { execWithStdin, runSql } from '../../src/providers/docker/sql-exec.js';
import { ensureDocker, uniqueProject } from '../helpers/docker.js';
import { MARIADB_IMAGE, ensureMariadbImage } from '../helpers/mariadb.js';

const IMAGE = MARIADB_IMAGE;
const NAME = `${uniqueProject('dbk')}_mariadb`;
const ADMIN_PW = 'adm1n-Pw-for-test';
let docker: Dockerode;

const admin = { adminPassword: ADMIN_PW, timeoutMs: 30_000 };
const spec: DatabaseSpec = {
  schema: 'dbk_keystone',
  user: 'dbk_keystone',
  host: '%',
  privileges: ['ALL PRIVILEGES'],
  password: 'first-S3cret',
};

async function live(s: DatabaseSpec) {
  return parseRefresh(await runSql(docker, NAME, refreshSql(s), admin));
}

/** Can `user` log in with `password` (over TCP, so the '%' account is used)? */
async function canLogin(user: string, password: string): Promise<boolean> {
  const r = await execWithStdin(
    docker,
    NAME,
    ['mysql', '-h', '127.0.0.1', '-u', user, '-N', '-B'],
    'SELECT 1;',
    {
      environment: { MYSQL_PWD: password },
      timeoutMs: 30_000,
    },
  );
  return r.exitCode === 0;
}

beforeAll(async () => {
  docker = await ensureDocker();
  // The catalogue's image, as the all-in-one builds it (debian:bookworm first): on a machine
  // where the OpenStack demo has not run yet, this test builds it.
  await ensureMariadbImage(docker);
  const c = await docker.createContainer({
    name: NAME,
    Image: IMAGE,
    Entrypoint: ['sh', '-c'],
    Cmd: [
      'mysql_install_db --datadir=/tmp/db --auth-root-authentication-method=socket >/tmp/install.log 2>&1 && ' +
        'exec mysqld --datadir=/tmp/db --bind-address=127.0.0.1 --skip-log-bin',
    ],
    Labels: { 'kolla.test': 'database-sql' },
  });
  await c.start();
  // Wait for the server, then give root a password (as kolla's bootstrap does).
  for (let i = 0; ; i++) {
    const r = await execWithStdin(docker, NAME, ['mysql', '-u', 'root'], 'SELECT 1;', {
      user: 'root',
      timeoutMs: 10_000,
    });
    if (r.exitCode === 0) break;
    if (i > 60) throw new Error(`mariadb did not start: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 500));
  }
  const r = await execWithStdin(
    docker,
    NAME,
    ['mysql', '-u', 'root'],
    `ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('${ADMIN_PW}') OR unix_socket;` +
      // mysql_install_db's anonymous accounts would shadow 'user'@'%' from localhost.
      ` DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES;`,
    { user: 'root', timeoutMs: 10_000 },
  );
  if (r.exitCode !== 0) throw new Error(`setting the root password failed: ${r.stderr}`);
}, 1_800_000);

afterAll(async () => {
  await docker
    ?.getContainer(NAME)
    .remove({ force: true })
    .catch(() => undefined);
}, 30_000);

describe('database SQL against MariaDB', () => {
  let record: DatabaseRecord | undefined;

  it('creates the schema, account and grants; a no-op after', async () => {
    const before = await live(spec);
    expect(before).toEqual({ schemaExists: false, privileges: [] });
    const d = diffDatabase(spec, undefined, before);
    expect(d.action).toBe('create');
    await runSql(docker, NAME, applySql(spec, d), admin);
    record = toRecord(spec, undefined);
    const after = await live(spec);
    expect(after.schemaExists).toBe(true);
    expect(after.account?.plugin).toBe('mysql_native_password');
    expect(diffDatabase(spec, record, after)).toMatchObject({ action: 'noop', reasons: [] });
    expect(await canLogin(spec.user, spec.password)).toBe(true);
  });

  it('an account dropped by hand is drift, re-created by apply', async () => {
    await runSql(docker, NAME, `DROP USER '${spec.user}'@'%';`, admin);
    const d = diffDatabase(spec, record, await live(spec));
    expect(d).toMatchObject({ action: 'update', createUser: true, createSchema: false });
    expect(d.drift).toEqual([`account 'dbk_keystone'@'%' was dropped outside kolla`]);
    await runSql(docker, NAME, applySql(spec, d), admin);
    expect(diffDatabase(spec, record, await live(spec)).action).toBe('noop');
    expect(await canLogin(spec.user, spec.password)).toBe(true);
  });

  it('a changed secret is an ALTER USER: the new password logs in, the old does not', async () => {
    const next = { ...spec, password: "new-'S3cret\\x" };
    const d = diffDatabase(next, record, await live(next));
    expect(d).toMatchObject({ action: 'update', setPassword: true, createUser: false, grant: [] });
    expect(d.drift).toEqual([]);
    expect(JSON.stringify(d)).not.toContain('S3cret');
    await runSql(docker, NAME, applySql(next, d), admin);
    record = toRecord(next, record);
    expect(await canLogin(next.user, next.password)).toBe(true);
    expect(await canLogin(spec.user, spec.password)).toBe(false);
    expect(diffDatabase(next, record, await live(next)).action).toBe('noop');
  });

  it('a failing statement reports the server error without the password', async () => {
    const bad = `ALTER USER 'nobody_dbk'@'%' IDENTIFIED BY 'the-Hidden-pw';`;
    const err = await runSql(docker, NAME, bad, { ...admin, redact: ['the-Hidden-pw'] }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/exited with code 1/);
    // The client echoes the failing statement; the password in it is blanked.
    expect((err as Error).message).toContain("IDENTIFIED BY '(sensitive)'");
    expect((err as Error).message).not.toContain('the-Hidden-pw');
    expect((err as Error).message).not.toContain(ADMIN_PW);
  });

  it('delete keeps the schema and its data; include-data drops it; undo of a create drops only the account', async () => {
    await runSql(
      docker,
      NAME,
      `CREATE TABLE ${spec.schema}.t (x INT); INSERT INTO ${spec.schema}.t VALUES (42);`,
      admin,
    );
    await runSql(docker, NAME, deleteSql(spec, false), admin);
    let l = await live(spec);
    expect(l.account).toBeUndefined();
    expect(l.schemaExists).toBe(true);
    expect((await runSql(docker, NAME, `SELECT x FROM ${spec.schema}.t;`, admin)).trim()).toBe('42');

    await runSql(docker, NAME, applySql(spec, diffDatabase(spec, undefined, l)), admin);
    await runSql(docker, NAME, undoCreateSql(spec), admin);
    l = await live(spec);
    expect(l.account).toBeUndefined();
    expect(l.schemaExists).toBe(true);

    await runSql(docker, NAME, deleteSql(spec, true), admin);
    expect((await live(spec)).schemaExists).toBe(false);
  });

  it('revoking a shared account on one schema works whether the grant escaped its _ or not (the old bootstrap did not)', async () => {
    const user = `${spec.user}_sh`;
    await runSql(
      docker,
      NAME,
      `CREATE USER '${user}'@'%' IDENTIFIED BY 'x'; GRANT ALL PRIVILEGES ON \`a_one\`.* TO '${user}'@'%'; GRANT ALL PRIVILEGES ON \`a\\_two\`.* TO '${user}'@'%'; GRANT SELECT ON \`a_three\`.* TO '${user}'@'%';`,
      admin,
    );
    const grants = async () =>
      (await runSql(docker, NAME, `SELECT Db FROM mysql.db WHERE User = '${user}' ORDER BY Db;`, admin))
        .trim()
        .split('\n');
    expect(await grants()).toHaveLength(3);
    await runSql(docker, NAME, revokeSchemaSql({ schema: 'a_one', user, host: '%' }, false), admin);
    await runSql(docker, NAME, revokeSchemaSql({ schema: 'a_two', user, host: '%' }, false), admin);
    // Only the other schema's grant is left, and the account.
    expect(await grants()).toEqual(['a_three']);
    await runSql(docker, NAME, `DROP USER '${user}'@'%';`, admin);
  });

  it("runs no SQL, and sends no password, to a container that is not the given project's", async () => {
    // This test's server was made by hand: no kolla.project label.
    await expect(
      runSql(docker, NAME, `CREATE DATABASE must_not_exist;`, { ...admin, project: 'some-project' }),
    ).rejects.toThrow(/is not this project's \(not made by kolla\): no SQL runs there/);
    expect((await runSql(docker, NAME, "SHOW DATABASES LIKE 'must_not_exist';", admin)).trim()).toBe('');
  });
});
