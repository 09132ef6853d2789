/**
 * makePlan() as data: desired instances + prior state + what the refresh found → the Plan.
 * No Docker: the World is built by hand in the shape the provider's refresh reports.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Change, Plan } from '../../../src/plans/plan.js';
import { hasChanges } from '../../../src/plans/plan.js';
import { removeConfigs } from '../expand/helpers.js';
import {
  CREATED_AT,
  containerId,
  deployed,
  desired,
  emptyPriorState,
  imageIdOf,
  planOf,
  planText,
  stack,
} from './helpers.js';
import {
  API1,
  API2,
  BOOT,
  CONF1,
  CONF2,
  DB,
  JSON1,
  JSON2,
  ORPHAN,
  VOL,
  changed,
  container,
  drifted,
  host,
  scenarios,
} from './scenarios.js';
import { sha256 } from '../../../src/kinds/config-file.js';
import { emptyHostWorld } from '../../../src/providers/world.js';

afterAll(removeConfigs);

const ALL = [BOOT, CONF1, CONF2, JSON1, JSON2, API1, API2, DB, VOL].sort();

/** address → action, for every change. */
function actions(plan: Plan): Record<string, string> {
  return Object.fromEntries(plan.changes.map((c) => [c.address, c.action]));
}

/** address → action, for the changes that do something. */
function real(plan: Plan): Record<string, string> {
  return Object.fromEntries(
    plan.changes.filter((c) => c.action !== 'noop').map((c) => [c.address, c.action]),
  );
}

function change(plan: Plan, address: string): Change {
  const c = plan.changes.find((x) => x.address === address);
  if (!c) throw new Error(`no change for ${address}; have ${plan.changes.map((x) => x.address).join(', ')}`);
  return c;
}

const drifts = (plan: Plan): [string, string][] => plan.drift.map((d) => [d.address, d.kind]);

describe('create: nothing deployed, nothing on the hosts', () => {
  it('creates every instance and runs the bootstrap, in phase order', async () => {
    const { plan, diagnostics } = await scenarios['create']!();
    expect(diagnostics).toEqual([]);
    expect(actions(plan)).toEqual({
      [CONF1]: 'create',
      [CONF2]: 'create',
      [JSON1]: 'create',
      [JSON2]: 'create',
      [VOL]: 'create',
      [BOOT]: 'run',
      [DB]: 'create',
      [API1]: 'create',
      [API2]: 'create',
    });
    // Config files before the volume and the bootstrap, containers last.
    const order = plan.changes.map((c) => c.kind);
    expect(order.lastIndexOf('config')).toBeLessThan(order.indexOf('volume'));
    expect(order.lastIndexOf('bootstrap')).toBeLessThan(order.indexOf('container'));
    expect(plan.summary).toEqual({ add: 8, change: 0, destroy: 0, restart: 0, run: 1 });
    expect(plan.drift).toEqual([]);
    expect(hasChanges(plan)).toBe(true);
  });

  it('carries the plan header, the dependencies and the outputs', async () => {
    const { plan } = await scenarios['create']!();
    expect(plan).toMatchObject({
      format_version: 1,
      project: 'demo',
      prior_serial: 0,
      created_at: CREATED_AT,
      destroy: false,
      targets: [],
      outputs: { api_url: { value: 'http://10.0.0.1:8080', sensitive: false } },
    });
    expect(change(plan, API2).dependsOn).toEqual([CONF2, JSON2, DB, BOOT]);
    expect(change(plan, DB).dependsOn).toEqual([VOL]);
  });

  it('shows the arguments of a new container and the text of a new file', async () => {
    const { plan } = await scenarios['create']!();
    const db = change(plan, DB);
    expect(db.reasons).toEqual([]);
    expect(db.attrs.find((a) => a.path === 'image')).toEqual({
      path: 'image',
      after: 'mariadb:10.11',
      forcesReplacement: true,
      sensitive: false,
    });
    const conf = change(plan, CONF1);
    expect(conf.reasons).toEqual(['new file /etc/kolla/api/api.conf']);
    expect(conf.textDiff).toContain('+workers = 2');
    const boot = change(plan, BOOT);
    expect(boot).toMatchObject({ irreversible: true, reasons: ['it has not run yet'] });
  });

  it('is the same plan every time', async () => {
    const a = await scenarios['create']!();
    const b = await scenarios['create']!();
    expect(b.plan).toEqual(a.plan);
  });

  it('refuses a container name another project holds on the host', async () => {
    const d = await desired(stack());
    const h1 = emptyHostWorld();
    h1.others.set('db', 'other');
    const world = new Map([['h1', h1]]);
    const { diagnostics } = planOf(d, emptyPriorState(), world);
    expect(diagnostics.map((x) => [x.severity, x.address, x.summary])).toEqual([
      ['error', DB, 'Container name "db" on host "h1" is held by another project ("other")'],
    ]);
  });
});

describe('no changes: the state and the hosts match the configuration', () => {
  it('plans a no-op for everything', async () => {
    const { plan } = await scenarios['no-changes']!();
    expect(plan.changes.map((c) => c.address).sort()).toEqual(ALL);
    expect(real(plan)).toEqual({});
    expect(plan.drift).toEqual([]);
    expect(plan.summary).toEqual({ add: 0, change: 0, destroy: 0, restart: 0, run: 0 });
    expect(hasChanges(plan)).toBe(false);
    expect(plan.prior_serial).toBe(1);
  });

  it('records what runs now: the container and image IDs found', async () => {
    const { plan } = await scenarios['no-changes']!();
    expect(change(plan, DB)).toMatchObject({
      currentId: containerId('h1', 'db'),
      currentImageId: imageIdOf('mariadb:10.11'),
      imageRef: 'mariadb:10.11',
      imageId: imageIdOf('mariadb:10.11'),
    });
  });

  it('takes the state as the truth without a refresh (-refresh=false)', async () => {
    const { plan } = await drifted((w) => host(w, 'h1').containers.delete('db'), { refreshed: false });
    expect(real(plan)).toEqual({});
    expect(plan.drift).toEqual([]);
  });
});

describe('update in place', () => {
  it("changes db's restart policy and memory with Docker's update, no new container", async () => {
    const { plan } = await scenarios['update-in-place']!();
    expect(real(plan)).toEqual({ [DB]: 'update' });
    expect(change(plan, DB).attrs).toEqual([
      {
        path: 'restart_policy',
        before: 'unless-stopped',
        after: 'always',
        forcesReplacement: false,
        sensitive: false,
      },
      { path: 'memory', before: 0, after: 1073741824, forcesReplacement: false, sensitive: false },
    ]);
    expect(plan.summary).toMatchObject({ add: 0, change: 1, destroy: 0 });
  });

  it('replaces a container whose memory limit is removed (Docker cannot unset it in place)', async () => {
    const { plan } = await changed({ apiMemory: '0' });
    expect(real(plan)).toEqual({ [API1]: 'replace', [API2]: 'replace' });
    const c = change(plan, API1);
    expect(c.reasons).toEqual([
      'removing a memory limit needs a new container (Docker cannot unset it in place)',
    ]);
    expect(c.attrs).toEqual([
      { path: 'memory', before: 536870912, after: 0, forcesReplacement: true, sensitive: false },
    ]);
  });
});

describe('replace', () => {
  it('names the argument that forces replacement (image)', async () => {
    const { plan } = await scenarios['replace']!();
    expect(real(plan)).toEqual({ [DB]: 'replace' });
    const c = change(plan, DB);
    expect(c.reasons).toEqual(['the spec changed']);
    expect(c.attrs).toEqual([
      {
        path: 'image',
        before: 'mariadb:10.11',
        after: 'mariadb:11.4',
        forcesReplacement: true,
        sensitive: false,
      },
    ]);
    expect(c.currentId).toBe(containerId('h1', 'db'));
    expect(plan.summary).toMatchObject({ add: 1, destroy: 1 });
  });

  it('names the argument that forces replacement (command)', async () => {
    const { plan } = await changed({ dbCommand: '["mariadbd", "--bind-address=127.0.0.1"]' });
    expect(real(plan)).toEqual({ [DB]: 'replace' });
    expect(change(plan, DB).attrs).toEqual([
      {
        path: 'command',
        before: ['mariadbd', '--bind-address=0.0.0.0'],
        after: ['mariadbd', '--bind-address=127.0.0.1'],
        forcesReplacement: true,
        sensitive: false,
      },
    ]);
  });

  it('replaces what -replace asks for, and nothing else', async () => {
    const { plan } = await changed({}, { replace: ['service.api.container.api'] });
    expect(real(plan)).toEqual({ [API1]: 'replace', [API2]: 'replace' });
    expect(change(plan, API1).reasons).toEqual(['replacement requested with -replace']);
  });

  it('replaces a container whose image tag moved to another image', async () => {
    const { plan } = await drifted((w) => {
      container(w, 'h1', 'db').imageId = imageIdOf('mariadb:10.11 before a pull');
    });
    expect(real(plan)).toEqual({ [DB]: 'replace' });
    expect(drifts(plan)).toEqual([[DB, 'image-moved']]);
    expect(change(plan, DB).attrs).toEqual([
      {
        path: 'image_id',
        before: imageIdOf('mariadb:10.11 before a pull'),
        after: imageIdOf('mariadb:10.11'),
        forcesReplacement: true,
        sensitive: false,
      },
    ]);
  });
});

describe('restart for a changed config file', () => {
  it('rewrites api.conf and restarts api on each host to read it', async () => {
    const { plan } = await scenarios['restart-config']!();
    expect(real(plan)).toEqual({
      [CONF1]: 'update',
      [CONF2]: 'update',
      [API1]: 'restart',
      [API2]: 'restart',
      // The bootstrap's inputs are its service's config files on its host.
      [BOOT]: 'run',
    });
    for (const a of [API1, API2]) {
      expect(change(plan, a).restartFor).toEqual(['api.conf']);
      expect(change(plan, a).reasons).toEqual(['config api.conf changed']);
    }
    expect(change(plan, CONF1).reasons).toEqual(['api.conf changed']);
    expect(change(plan, CONF1).textDiff).toContain('-workers = 2\n+workers = 4');
    expect(plan.summary).toEqual({ add: 0, change: 2, destroy: 0, restart: 2, run: 1 });
  });

  it('replaces instead when the container copies its config once (COPY_ONCE)', async () => {
    const apiExtra = '    environment = { KOLLA_CONFIG_STRATEGY = "COPY_ONCE" }';
    const before = deployed(await desired(stack({ apiExtra })));
    const after = await desired(stack({ apiExtra, apiConf: '[DEFAULT]\\nworkers = 4\\n' }));
    const { plan } = planOf(after, before.state, before.world);
    expect(real(plan)).toMatchObject({ [API1]: 'replace', [API2]: 'replace' });
    expect(change(plan, API1).reasons).toEqual([
      'config api.conf changed and KOLLA_CONFIG_STRATEGY is COPY_ONCE',
    ]);
    expect(change(plan, API1).restartFor).toBeUndefined();
  });
});

describe('bootstrap', () => {
  it('runs again when its command changes, and only it', async () => {
    const { plan } = await scenarios['bootstrap-rerun']!();
    expect(real(plan)).toEqual({ [BOOT]: 'run' });
    expect(change(plan, BOOT)).toMatchObject({
      irreversible: true,
      reasons: ['its inputs (image, command, environment or config files) changed'],
    });
    expect(plan.summary).toEqual({ add: 0, change: 0, destroy: 0, restart: 0, run: 1 });
  });

  it('runs again when its image tag moved to another image', async () => {
    const { plan } = await drifted((w) => {
      host(w, 'h1').images.set('example/api:1.0', imageIdOf('example/api:1.0 rebuilt'));
    });
    expect(change(plan, BOOT).action).toBe('run');
    expect(change(plan, BOOT).imageId).toBe(imageIdOf('example/api:1.0 rebuilt'));
    // api on h1 runs the same tag: replaced; h2 still has the old image.
    expect(change(plan, API1).action).toBe('replace');
    expect(change(plan, API2).action).toBe('noop');
  });

  it('runs again when -replace asks for it', async () => {
    const { plan } = await changed({}, { replace: [BOOT] });
    expect(real(plan)).toEqual({ [BOOT]: 'run' });
    expect(change(plan, BOOT).reasons).toEqual(['a re-run was requested with -replace']);
  });
});

describe('drift: changed outside kolla', () => {
  it('recreates what was removed, starts what was stopped, puts back edits, removes an orphan', async () => {
    const { plan } = await scenarios['drift']!();
    expect(drifts(plan)).toEqual([
      [CONF2, 'file-edited'],
      [VOL, 'removed'],
      [DB, 'removed'],
      [API1, 'stopped'],
      [API2, 'edited'],
      [ORPHAN, 'orphan'],
    ]);
    expect(real(plan)).toEqual({
      [CONF2]: 'update',
      [VOL]: 'create',
      [DB]: 'create',
      [API1]: 'restart',
      [API2]: 'update',
      [ORPHAN]: 'delete',
    });
    expect(change(plan, DB).reasons).toEqual(['the container was removed outside kolla']);
    expect(change(plan, API1).reasons).toEqual(['the container is exited (stopped outside kolla): start it']);
    expect(change(plan, ORPHAN)).toMatchObject({
      kind: 'container',
      host: 'h1',
      containerName: 'worker',
      currentId: containerId('h1', 'worker'),
    });
    expect(plan.summary).toEqual({ add: 2, change: 2, destroy: 1, restart: 1, run: 0 });
  });

  it('replaces a container recreated by hand from another spec', async () => {
    const { plan } = await drifted((w) => void (container(w, 'h1', 'db').specHash = sha256('by hand')));
    expect(real(plan)).toEqual({ [DB]: 'replace' });
    expect(drifts(plan)).toEqual([[DB, 'recreated']]);
    expect(change(plan, DB).reasons).toEqual([
      'the container was recreated outside kolla with a different spec',
    ]);
  });

  it('puts back a config file edited on the host (and restarts what reads it)', async () => {
    const { plan } = await drifted((w) =>
      host(w, 'h2').files.set('/etc/kolla/api/api.conf', sha256('[DEFAULT]\ndebug = true\n')),
    );
    expect(drifts(plan)).toEqual([[CONF2, 'file-edited']]);
    expect(real(plan)).toEqual({ [CONF2]: 'update', [API2]: 'restart' });
    expect(change(plan, CONF2).reasons).toEqual(['/etc/kolla/api/api.conf was edited on the host']);
  });

  // The diff is from the text kolla last wrote: when that is the configured text, an empty
  // `---`/`+++` header was all the plan showed. The hashes say what changes instead.
  it('shows the host edit that the apply undoes (not an empty diff)', async () => {
    const { plan } = await drifted((w) =>
      host(w, 'h2').files.set('/etc/kolla/api/api.conf', sha256('[DEFAULT]\ndebug = true\n')),
    );
    const text = planText(plan);
    expect(text).not.toMatch(/\+\+\+ \/etc\/kolla\/api\/api\.conf\n {4}\}/);
  });

  it('sets back an in-place setting edited on the host', async () => {
    const { plan } = await drifted((w) => void (container(w, 'h1', 'api').memory = 256 * 1024 * 1024));
    expect(drifts(plan)).toEqual([[API1, 'edited']]);
    expect(real(plan)).toEqual({ [API1]: 'update' });
    expect(change(plan, API1).reasons).toEqual(['memory changed outside kolla']);
  });

  // `before` was once the state's value, not the one found on the host, so the plan read
  // `~ memory = 536870912 -> 536870912`.
  it('shows the value found on the host as the one changed', async () => {
    const { plan } = await drifted((w) => void (container(w, 'h1', 'api').memory = 256 * 1024 * 1024));
    expect(change(plan, API1).attrs).toEqual([
      { path: 'memory', before: 268435456, after: 536870912, forcesReplacement: false, sensitive: false },
    ]);
  });

  it('deletes what the configuration no longer names', async () => {
    const d = await desired(stack());
    const before = deployed(d);
    const { plan } = planOf(
      { ...d, instances: d.instances.filter((i) => i.address !== DB) },
      before.state,
      before.world,
    );
    expect(real(plan)).toEqual({ [DB]: 'delete' });
    expect(change(plan, DB)).toMatchObject({
      reasons: ['no longer in the configuration'],
      containerName: 'db',
      currentId: containerId('h1', 'db'),
    });
  });
});

describe('destroy', () => {
  it('deletes everything but the volume, and plans no outputs', async () => {
    const { plan } = await changed({}, { destroy: true });
    expect(real(plan)).toEqual({
      [DB]: 'delete',
      [API1]: 'delete',
      [API2]: 'delete',
      [CONF1]: 'delete',
      [CONF2]: 'delete',
      [JSON1]: 'delete',
      [JSON2]: 'delete',
      // Forgotten: nothing on the host to remove, but counted with what is destroyed.
      [BOOT]: 'delete',
    });
    expect(plan.destroy).toBe(true);
    expect(plan.outputs).toEqual({});
    expect(change(plan, DB).reasons).toEqual(['destroy']);
    expect(change(plan, CONF1).reasons).toEqual(['destroy']);
    expect(plan.summary).toEqual({ add: 0, change: 0, destroy: 8, restart: 0, run: 0 });
  });

  it('the golden scenario deletes the containers and files, and forgets the bootstrap', async () => {
    const { plan } = await scenarios['destroy']!();
    expect(Object.keys(real(plan)).sort()).toEqual([CONF1, CONF2, JSON1, JSON2, API1, API2, DB, BOOT].sort());
  });

  // A bootstrap's (and an image's) delete under -destroy once read "no longer in the
  // configuration" while it is still configured.
  it('says a bootstrap is forgotten because of the destroy, not that it left the configuration', async () => {
    const { plan } = await changed({}, { destroy: true });
    expect(change(plan, BOOT).reasons.join(' ')).not.toContain('no longer in the configuration');
  });

  it('deletes the volume too with --include-volumes', async () => {
    const { plan } = await changed({}, { destroy: true, includeVolumes: true });
    expect(change(plan, VOL).action).toBe('delete');
  });

  it('leaves out a container already gone from its host', async () => {
    const { plan } = await drifted((w) => host(w, 'h1').containers.delete('db'), { destroy: true });
    expect(plan.changes.map((c) => c.address)).not.toContain(DB);
  });
});

describe('-target', () => {
  it('keeps the target and everything it depends on', async () => {
    const { plan } = await scenarios['targeted']!();
    expect(plan.targets).toEqual([API2]);
    // api on h2 needs its files, db (and db's volume) and the bootstrap, which reads h1's files.
    expect(plan.changes.map((c) => c.address).sort()).toEqual(ALL.filter((a) => a !== API1));
    expect(plan.summary).toEqual({ add: 7, change: 0, destroy: 0, restart: 0, run: 1 });
  });

  it('a target selects everything below it: service.db is db and its volume', async () => {
    const { plan } = planOf(await desired(stack()), emptyPriorState(), new Map(), {
      targets: ['service.db'],
    });
    expect(actions(plan)).toEqual({ [VOL]: 'create', [DB]: 'create' });
  });

  it('-destroy -target takes what depends on the target with it (api goes with db)', async () => {
    const { plan } = await changed({}, { destroy: true, targets: ['service.db'] });
    const deleted = plan.changes.filter((c) => c.action === 'delete').map((c) => c.address);
    expect(deleted).toContain(DB);
    expect(deleted).toContain(API1);
    expect(deleted).toContain(API2);
  });

  it('restarts a running container whose health check fails (kolla-ansible check); a starting one is left alone', async () => {
    const { plan } = await drifted((w) => {
      container(w, 'h1', 'api').health = 'unhealthy';
      container(w, 'h2', 'api').health = 'starting';
    });
    expect(drifts(plan)).toEqual([[API1, 'unhealthy']]);
    expect(real(plan)).toEqual({ [API1]: 'restart' });
    expect(change(plan, API1).reasons).toEqual([
      'the container is unhealthy (its health check fails): restart it',
    ]);
  });

  it('an unhealthy container that is replaced anyway is not also restarted', async () => {
    const { plan } = await drifted((w) => {
      const c = container(w, 'h1', 'api');
      c.health = 'unhealthy';
      c.specHash = 'something else';
    });
    expect(drifts(plan).filter(([, k]) => k === 'unhealthy')).toEqual([]);
    expect(change(plan, API1).action).toBe('replace');
  });

  it('reports only the drift of what it selected', async () => {
    const { plan } = await drifted(
      (w) => {
        host(w, 'h1').containers.delete('db');
        container(w, 'h1', 'api').state = 'exited';
      },
      { targets: ['service.db'] },
    );
    expect(drifts(plan)).toEqual([[DB, 'removed']]);
    expect(real(plan)).toEqual({ [DB]: 'create' });
  });
});
