/** quorumProblems: a rolling change of a `quorum = true` service that would leave no majority running. */
import { describe, expect, it } from 'vitest';
import { quorumProblems } from '../../../src/kinds/container.js';
import type { Action, Change, Drift, DriftKind } from '../../../src/plans/plan.js';
import type { ContainerInstance } from '../../../src/expand/instances.js';

const HOSTS = ['ctl1', 'ctl2', 'ctl3'];

function member(host: string, opts: { serial?: number | string; quorum?: boolean } = {}): ContainerInstance {
  return {
    address: `service.mariadb.container.mariadb["${host}"]`,
    kind: 'container',
    host,
    dependsOn: [],
    service: 'mariadb',
    ...(opts.serial !== undefined ? { serial: opts.serial } : { serial: 1 }),
    ...(opts.quorum === false ? {} : { quorum: true }),
    options: { ignoreChanges: [], kollaStart: false, configStrategy: 'COPY_ALWAYS' },
    spec: {} as ContainerInstance['spec'],
  };
}

function change(i: ContainerInstance, action: Action): Change {
  return {
    address: i.address,
    kind: 'container',
    host: i.host,
    action,
    reasons: [],
    attrs: [],
    dependsOn: [],
  } as Change;
}

function drift(i: ContainerInstance, kind: DriftKind): Drift {
  return { address: i.address, host: i.host, kind } as Drift;
}

describe('quorumProblems', () => {
  const [a, b, c] = HOSTS.map((h) => member(h));

  it('lets a rolling restart of 3 healthy members through (one at a time keeps 2 of 3)', () => {
    expect(
      quorumProblems(
        [a!, b!, c!].map((i) => change(i, 'restart')),
        [],
        [a!, b!, c!],
        new Set(),
      ),
    ).toEqual([]);
  });

  it('refuses a rolling restart of the 2 reachable members while the third host is unreachable', () => {
    const p = quorumProblems(
      [change(a!, 'restart'), change(b!, 'restart')],
      [],
      [a!, b!, c!],
      new Set(['ctl3']),
    );
    expect(p).toHaveLength(1);
    expect(p[0]).toContain('service.mariadb needs a majority of its 3 hosts running');
    expect(p[0]).toContain('stops ctl1, ctl2 1 at a time while ctl3 is unreachable');
    expect(p[0]).toContain('leaves 1 running, fewer than 2');
  });

  it('counts a stopped or unhealthy member as out, and a change to that member itself as harmless', () => {
    expect(
      quorumProblems([change(a!, 'restart')], [drift(b!, 'unhealthy')], [a!, b!, c!], new Set()),
    ).toHaveLength(1);
    // Restarting only the unhealthy one (bringing it back) stops nothing that runs.
    expect(
      quorumProblems([change(b!, 'restart')], [drift(b!, 'unhealthy')], [a!, b!, c!], new Set()),
    ).toEqual([]);
    expect(
      quorumProblems([change(a!, 'replace')], [drift(c!, 'stopped')], [a!, b!, c!], new Set()),
    ).toHaveLength(1);
  });

  it('counts a batch: serial = 2 of 3 stops a majority even when all are healthy', () => {
    const wide = HOSTS.map((h) => member(h, { serial: 2 }));
    const p = quorumProblems(
      wide.map((i) => change(i, 'restart')),
      [],
      wide,
      new Set(),
    );
    expect(p[0]).toContain('2 at a time');
  });

  it('treats a service without serial as stopping all its changed members at once', () => {
    const all = HOSTS.map((h) => {
      const { serial: _serial, ...rest } = member(h);
      return rest as ContainerInstance;
    });
    const p = quorumProblems(
      all.map((i) => change(i, 'replace')),
      [],
      all,
      new Set(),
    );
    expect(p[0]).toContain('at once');
  });

  it('tells two services of the same name in two modules apart', () => {
    const inModule = (m: string, h: string): ContainerInstance => ({
      ...member(h),
      address: `module.${m}.service.mariadb.container.mariadb["${h}"]`,
    });
    const one = ['h1', 'h2', 'h3'].map((h) => inModule('one', h));
    const two = ['h4', 'h5', 'h6'].map((h) => inModule('two', h));
    // Cluster one has h2 stopped and h1 restarting: 1 of 3. Cluster two is healthy.
    const p = quorumProblems(
      [change(one[0]!, 'restart'), change(two[0]!, 'restart')],
      [drift(one[1]!, 'stopped')],
      [...one, ...two],
      new Set(),
    );
    expect(p).toHaveLength(1);
    expect(p[0]).toContain('module.one.service.mariadb needs a majority of its 3 hosts');
  });

  it('ignores services without quorum, single-host services and first deploys', () => {
    const plain = HOSTS.map((h) => member(h, { quorum: false }));
    expect(
      quorumProblems(
        plain.map((i) => change(i, 'restart')),
        [],
        plain,
        new Set(['ctl3']),
      ),
    ).toEqual([]);
    expect(quorumProblems([change(a!, 'restart')], [], [a!], new Set())).toEqual([]);
    // A first deploy: nothing runs yet, nothing is stopped.
    expect(
      quorumProblems(
        [a!, b!, c!].map((i) => change(i, 'create')),
        [],
        [a!, b!, c!],
        new Set(),
      ),
    ).toEqual([]);
  });
});
