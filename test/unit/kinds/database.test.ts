/**
 * The database kind's pure part: diff against state and live server, the SQL it sends, and
 * that no password reaches a reason, a record or the refresh query.
 */
import { describe, expect, it } from 'vitest';
import {
  ALL_SCHEMA_PRIVILEGES,
  applySql,
  deleteSql,
  diffDatabase,
  nativePasswordHash,
  parseRefresh,
  passwordVerifier,
  refreshSql,
  toRecord,
  undoCreateSql,
  verifierMatches,
  type DatabaseSpec,
  type LiveDatabase,
} from '../../../src/kinds/database.js';

const PW = 's3cr3t-Pa55';
const spec: DatabaseSpec = {
  schema: 'keystone',
  user: 'keystone',
  host: '%',
  privileges: ['ALL PRIVILEGES'],
  password: PW,
};
const liveOk = (pw = PW): LiveDatabase => ({
  schemaExists: true,
  account: { plugin: 'mysql_native_password', authenticationString: nativePasswordHash(pw) },
  privileges: [...ALL_SCHEMA_PRIVILEGES],
});

describe('password verifiers', () => {
  it('computes mysql_native_password as MariaDB stores it', () => {
    // SELECT PASSWORD('password') on MariaDB 10.6
    expect(nativePasswordHash('password')).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  });
  it('a salted verifier matches its password only, and never contains it', () => {
    const v = passwordVerifier(PW);
    expect(v).not.toContain(PW);
    expect(verifierMatches(v, PW)).toBe(true);
    expect(verifierMatches(v, PW + 'x')).toBe(false);
    expect(verifierMatches('garbage', PW)).toBe(false);
    expect(passwordVerifier(PW)).not.toBe(v); // salted
  });
});

describe('diffDatabase', () => {
  it('creates schema, account and grants when nothing exists', () => {
    const d = diffDatabase(spec, undefined, { schemaExists: false, privileges: [] });
    expect(d).toMatchObject({ action: 'create', createSchema: true, createUser: true, setPassword: false });
    expect(d.grant).toEqual([...ALL_SCHEMA_PRIVILEGES].sort());
    expect(d.drift).toEqual([]);
  });
  it('is a no-op when the server matches', () => {
    const d = diffDatabase(spec, toRecord(spec, undefined), liveOk());
    expect(d.action).toBe('noop');
    expect(d.reasons).toEqual([]);
  });
  it('an account dropped by hand is drift and is re-created', () => {
    const d = diffDatabase(spec, toRecord(spec, undefined), { schemaExists: true, privileges: [] });
    expect(d).toMatchObject({ action: 'update', createUser: true, createSchema: false });
    expect(d.drift).toEqual([`account 'keystone'@'%' was dropped outside kolla`]);
  });
  it('a changed secret is a password update, with no secret in the reasons', () => {
    const prior = toRecord({ ...spec, password: 'old' }, undefined);
    const d = diffDatabase(spec, prior, liveOk('old'));
    expect(d).toMatchObject({ action: 'update', setPassword: true, createUser: false });
    expect(d.drift).toEqual([]);
    expect(JSON.stringify(d)).not.toContain(PW);
    expect(applySql(spec, d)).toBe(`ALTER USER 'keystone'@'%' IDENTIFIED BY '${PW}';\n`);
  });
  it('a password changed on the server by hand is drift', () => {
    const d = diffDatabase(spec, toRecord(spec, undefined), liveOk('other'));
    expect(d.setPassword).toBe(true);
    expect(d.drift).toEqual([`the password of 'keystone'@'%' was changed outside kolla`]);
  });
  it('grants what is missing and revokes what is not asked', () => {
    const s = { ...spec, privileges: ['select', 'INSERT'] };
    const d = diffDatabase(s, toRecord(s, undefined), { ...liveOk(), privileges: ['SELECT', 'DROP'] });
    expect(d).toMatchObject({ action: 'update', grant: ['INSERT'], revoke: ['DROP'] });
    expect(applySql(s, d)).toBe(
      "GRANT INSERT ON `keystone`.* TO 'keystone'@'%';\nREVOKE DROP ON `keystone`.* FROM 'keystone'@'%';\n",
    );
  });
  it('ALL PRIVILEGES does not revoke what a newer server adds to it (DELETE HISTORY)', () => {
    const live = { ...liveOk(), privileges: [...ALL_SCHEMA_PRIVILEGES, 'DELETE HISTORY'] };
    expect(diffDatabase(spec, toRecord(spec, undefined), live).action).toBe('noop');
  });
  it('without a refresh the state is the truth', () => {
    expect(diffDatabase(spec, toRecord(spec, undefined), undefined).action).toBe('noop');
    const d = diffDatabase(spec, toRecord({ ...spec, password: 'old' }, undefined), undefined);
    expect(d).toMatchObject({ action: 'update', setPassword: true });
    expect(diffDatabase(spec, undefined, undefined).action).toBe('create');
  });
});

describe('SQL', () => {
  it('create: schema, account with its password set, ALL PRIVILEGES', () => {
    const d = diffDatabase(spec, undefined, { schemaExists: false, privileges: [] });
    expect(applySql(spec, d)).toBe(
      [
        'CREATE DATABASE IF NOT EXISTS `keystone`;',
        `CREATE USER IF NOT EXISTS 'keystone'@'%' IDENTIFIED BY '${PW}';`,
        `ALTER USER 'keystone'@'%' IDENTIFIED BY '${PW}';`,
        "GRANT ALL PRIVILEGES ON `keystone`.* TO 'keystone'@'%';",
        '',
      ].join('\n'),
    );
  });
  it('escapes quotes and backslashes, and _ in a grant schema', () => {
    const s = { ...spec, schema: 'nova_api', password: "a'b\\c" };
    const d = diffDatabase(s, undefined, { schemaExists: false, privileges: [] });
    const sql = applySql(s, d);
    expect(sql).toContain("IDENTIFIED BY 'a\\'b\\\\c'");
    expect(sql).toContain('ON `nova\\_api`.*');
  });
  it('delete drops the account, the schema only with include-data; undo never drops a schema', () => {
    expect(deleteSql(spec, false)).toBe("DROP USER IF EXISTS 'keystone'@'%';\n");
    expect(deleteSql(spec, true)).toContain('DROP DATABASE IF EXISTS `keystone`;');
    expect(undoCreateSql(spec)).not.toContain('DATABASE');
  });
  it('refresh query has no password and its output parses', () => {
    expect(refreshSql(spec)).not.toContain(PW);
    const live = parseRefresh(
      `schema\tkeystone\naccount\tmysql_native_password\t*ABC\npriv\tselect\npriv\tINSERT\n`,
    );
    expect(live).toEqual({
      schemaExists: true,
      account: { plugin: 'mysql_native_password', authenticationString: '*ABC' },
      privileges: ['INSERT', 'SELECT'],
    });
    expect(parseRefresh('')).toEqual({ schemaExists: false, privileges: [] });
  });
  it('the state record holds no password and keeps its verifier while the password is unchanged', () => {
    const r = toRecord(spec, undefined);
    expect(JSON.stringify(r)).not.toContain(PW);
    expect(toRecord(spec, r).password_verifier).toBe(r.password_verifier);
    expect(toRecord({ ...spec, password: 'new' }, r).password_verifier).not.toBe(r.password_verifier);
  });
});
