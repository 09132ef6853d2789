/**
 * The rabbitmq_user kind's pure part: RabbitMQ's password hash (a vector made by the real
 * broker), parsing export_definitions, the diff against state and live broker, the
 * definitions it imports, and that no password reaches a reason, a record or an import.
 */
import { describe, expect, it } from 'vitest';
import {
  diffRabbitmqUser,
  importFor,
  parseDefinitions,
  rabbitHashMatches,
  rabbitPasswordHash,
  toRecord,
  type Definitions,
  type RabbitmqUserSpec,
} from '../../../src/kinds/rabbitmq-user.js';
import { verifierMatches } from '../../../src/kinds/database.js';

const PW = 's3cr3t-Pa55';
const spec: RabbitmqUserSpec = {
  user: 'openstack',
  vhost: '/',
  tags: ['administrator'],
  permissions: { configure: '.*', write: '.*', read: '.*' },
  password: PW,
};

/** What export_definitions prints for a broker holding the given users. */
function exported(o: {
  vhosts?: string[];
  users?: { name: string; password: string; tags?: string[] }[];
  permissions?: { user: string; vhost: string; configure: string; write: string; read: string }[];
}): string {
  return JSON.stringify({
    rabbit_version: '3.10.8',
    users: (o.users ?? []).map((u) => ({
      name: u.name,
      password_hash: rabbitPasswordHash(u.password),
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: u.tags ?? [],
      limits: {},
    })),
    vhosts: (o.vhosts ?? ['/']).map((name) => ({ name, limits: [], metadata: {} })),
    permissions: o.permissions ?? [],
    queues: [],
  });
}

const liveOk = (pw = PW): Definitions =>
  parseDefinitions(
    exported({
      users: [{ name: 'openstack', password: pw, tags: ['administrator'] }],
      permissions: [{ user: 'openstack', vhost: '/', configure: '.*', write: '.*', read: '.*' }],
    }),
  );

describe('RabbitMQ password hashes', () => {
  it('match what RabbitMQ 3.10 stores (a hash the broker made for "pw1")', () => {
    const real = 'l5WbvletWeS2WcACJEF1+MKkxLJHkqC+wE0PcxlTAXQPt5Hr';
    expect(rabbitHashMatches(real, 'rabbit_password_hashing_sha256', 'pw1')).toBe(true);
    expect(rabbitHashMatches(real, 'rabbit_password_hashing_sha256', 'pw1\n')).toBe(false);
    expect(rabbitPasswordHash('pw1', Buffer.from(real, 'base64').subarray(0, 4))).toBe(real);
  });
  it('other algorithms, a blank or unknown hash', () => {
    for (const a of ['rabbit_password_hashing_sha512', 'rabbit_password_hashing_md5'])
      expect(rabbitHashMatches(rabbitPasswordHash(PW, undefined, a), a, PW)).toBe(true);
    expect(rabbitHashMatches('', 'rabbit_password_hashing_sha256', PW)).toBe(false);
    expect(rabbitHashMatches(rabbitPasswordHash(PW), 'rabbit_password_hashing_rot13', PW)).toBe(false);
    expect(rabbitPasswordHash(PW)).not.toBe(rabbitPasswordHash(PW)); // salted
  });
});

describe('parseDefinitions', () => {
  it('reads users (tags as a list or, before 3.9, a string), vhosts and permissions', () => {
    const d = parseDefinitions(
      'Exporting definitions ...\n' +
        JSON.stringify({
          users: [
            {
              name: 'a',
              password_hash: 'x',
              hashing_algorithm: 'rabbit_password_hashing_sha256',
              tags: ['b', 'a'],
            },
            { name: 'old', password_hash: 'y', tags: 'administrator,monitoring' },
          ],
          vhosts: [{ name: '/' }, { name: 'v' }],
          permissions: [{ user: 'a', vhost: 'v', configure: '^c', write: '', read: '.*' }],
        }),
    );
    expect([...d.vhosts]).toEqual(['/', 'v']);
    expect(d.users.get('a')).toEqual({
      passwordHash: 'x',
      hashingAlgorithm: 'rabbit_password_hashing_sha256',
      tags: ['a', 'b'],
    });
    expect(d.users.get('old')!.tags).toEqual(['administrator', 'monitoring']);
    expect(d.permissions.get('a\0v')).toEqual({ configure: '^c', write: '', read: '.*' });
  });
  it('throws on output that is not definitions', () => {
    expect(() => parseDefinitions('Error: unable to connect')).toThrow(/no JSON/);
    expect(() => parseDefinitions('{"queues": []}')).toThrow(/no users/);
  });
});

describe('diffRabbitmqUser', () => {
  it('creates vhost, user and permissions when nothing exists', () => {
    const d = diffRabbitmqUser(spec, undefined, parseDefinitions(exported({ vhosts: [] })));
    expect(d).toMatchObject({
      action: 'create',
      createVhost: true,
      createUser: true,
      setPassword: false,
      setPermissions: true,
      drift: [],
    });
  });
  it('is a no-op when the broker matches', () => {
    expect(diffRabbitmqUser(spec, toRecord(spec, undefined), liveOk()).action).toBe('noop');
  });
  it('a user or vhost deleted by hand is drift', () => {
    const prior = toRecord(spec, undefined);
    const d = diffRabbitmqUser(spec, prior, parseDefinitions(exported({ vhosts: [] })));
    expect(d.action).toBe('update');
    expect(d.drift).toEqual([
      'vhost / was deleted outside kolla',
      'user openstack was deleted outside kolla',
    ]);
  });
  it('a rotated secret is a password change; one changed on the broker is drift too', () => {
    const prior = toRecord(spec, undefined);
    const rotated = { ...spec, password: 'n3w-pw' };
    const d = diffRabbitmqUser(rotated, prior, liveOk());
    expect(d).toMatchObject({ action: 'update', setPassword: true, setTags: false, setPermissions: false });
    expect(d.drift).toEqual([]);
    expect(d.reasons).toEqual(['the password of user openstack differs from its secret']);
    const byHand = diffRabbitmqUser(spec, prior, liveOk('changed-by-hand'));
    expect(byHand.drift).toEqual(['the password of user openstack was changed outside kolla']);
    for (const x of [d, byHand]) expect(JSON.stringify(x)).not.toContain(PW);
  });
  it('tags and permissions are updated; one changed by hand is drift', () => {
    const prior = toRecord(spec, undefined);
    const want = { ...spec, tags: ['monitoring'], permissions: { configure: '', write: '.*', read: '.*' } };
    const d = diffRabbitmqUser(want, prior, liveOk());
    expect(d).toMatchObject({ action: 'update', setTags: true, setPermissions: true, setPassword: false });
    expect(d.drift).toEqual([]);
    expect(d.reasons).toEqual([
      'user openstack has tags administrator (wants monitoring)',
      'the permissions of user openstack on vhost / differ (configure ".*", write ".*", read ".*"; wants configure "", write ".*", read ".*")',
    ]);
    const none = diffRabbitmqUser(
      spec,
      prior,
      parseDefinitions(exported({ users: [{ name: 'openstack', password: PW, tags: ['administrator'] }] })),
    );
    expect(none.drift).toEqual(['the permissions of user openstack on vhost / were changed outside kolla']);
  });
  it('a block moved to another vhost clears the old one', () => {
    const prior = toRecord({ ...spec, vhost: 'old' }, undefined);
    const live = parseDefinitions(
      exported({
        vhosts: ['/', 'old'],
        users: [{ name: 'openstack', password: PW, tags: ['administrator'] }],
        permissions: [{ user: 'openstack', vhost: 'old', configure: '.*', write: '.*', read: '.*' }],
      }),
    );
    const d = diffRabbitmqUser(spec, prior, live);
    expect(d).toMatchObject({
      action: 'update',
      clearVhost: 'old',
      setPermissions: true,
      createVhost: false,
    });
  });
  it('without refresh the state is the truth: a rotated secret is seen through its verifier', () => {
    const prior = toRecord(spec, undefined);
    expect(diffRabbitmqUser(spec, prior, undefined).action).toBe('noop');
    expect(diffRabbitmqUser({ ...spec, password: 'other' }, prior, undefined)).toMatchObject({
      action: 'update',
      setPassword: true,
    });
    expect(diffRabbitmqUser(spec, undefined, undefined).action).toBe('create');
  });
});

describe('importFor', () => {
  it('a new user gets a salted hash of its password, never the password', () => {
    const d = diffRabbitmqUser(spec, undefined, parseDefinitions(exported({ vhosts: [] })));
    const defs = importFor(spec, d, undefined);
    expect(defs.vhosts).toEqual([{ name: '/' }]);
    expect(defs.users).toHaveLength(1);
    const u = defs.users[0]!;
    expect(u).toMatchObject({
      name: 'openstack',
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: ['administrator'],
    });
    expect(rabbitHashMatches(u.password_hash, u.hashing_algorithm, PW)).toBe(true);
    expect(defs.permissions).toEqual([
      { user: 'openstack', vhost: '/', configure: '.*', write: '.*', read: '.*' },
    ]);
    expect(JSON.stringify(defs)).not.toContain(PW);
  });
  it("a tags-only change keeps the broker's hash", () => {
    const live = liveOk();
    const want = { ...spec, tags: [] };
    const d = diffRabbitmqUser(want, toRecord(spec, undefined), live);
    const defs = importFor(want, d, live.users.get('openstack'));
    expect(defs.users[0]!.password_hash).toBe(live.users.get('openstack')!.passwordHash);
    expect(defs.vhosts).toEqual([]);
    expect(defs.permissions).toEqual([]);
  });
});

describe('toRecord', () => {
  it('keeps a verifier (the same while the password is), never the password', () => {
    const r = toRecord(spec, undefined);
    expect(JSON.stringify(r)).not.toContain(PW);
    expect(verifierMatches(r.password_verifier, PW)).toBe(true);
    expect(toRecord(spec, r).password_verifier).toBe(r.password_verifier);
    expect(toRecord({ ...spec, password: 'x' }, r).password_verifier).not.toBe(r.password_verifier);
  });
});
