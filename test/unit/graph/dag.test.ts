/**
 * The generic DAG: edges point from a node to what it depends on. Cycles (one per strongly
 * connected component, shortest path), dependency-first order, and the bounded-concurrency
 * walk that stops scheduling after the first failure.
 */
import { describe, expect, it } from 'vitest';
import { Dag } from '../../../src/graph/dag.js';

function dag(edges: [string, string][], nodes: string[] = []): Dag {
  const g = new Dag();
  for (const n of nodes) g.add(n);
  for (const [a, b] of edges) g.connect(a, b);
  return g;
}

/** A visit that records when each node starts and ends, taking `ms` (per node). */
function recorder(ms: Record<string, number> = {}, fail: Set<string> = new Set()) {
  const log: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const visit = async (n: string): Promise<void> => {
    log.push(`start ${n}`);
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise((r) => setTimeout(r, ms[n] ?? 1));
    running--;
    log.push(`end ${n}`);
    if (fail.has(n)) throw new Error(`${n} failed`);
  };
  return { log, visit, max: () => maxRunning };
}

const before = (log: string[], a: string, b: string): boolean =>
  log.indexOf(a) >= 0 && log.indexOf(a) < log.indexOf(b);

describe('Dag basics', () => {
  it('keeps nodes, edges, dependencies and dependents', () => {
    const g = dag([
      ['web', 'db'],
      ['web', 'cache'],
      ['worker', 'db'],
    ]);
    g.add('lonely');
    g.add('web'); // adding again changes nothing
    expect(g.nodes().sort()).toEqual(['cache', 'db', 'lonely', 'web', 'worker']);
    expect(g.dependenciesOf('web').sort()).toEqual(['cache', 'db']);
    expect(g.dependentsOf('db').sort()).toEqual(['web', 'worker']);
    expect(g.dependenciesOf('lonely')).toEqual([]);
    expect(g.edges()).toHaveLength(3);
    const r = g.reversed();
    expect(r.dependenciesOf('db').sort()).toEqual(['web', 'worker']);
    expect(r.nodes().sort()).toEqual(g.nodes().sort());
  });
});

describe('Dag.topoOrder', () => {
  it('puts dependencies first, ties broken by name, isolated nodes included', () => {
    const g = dag(
      [
        ['keystone', 'mariadb'],
        ['keystone', 'memcached'],
        ['glance', 'keystone'],
        ['mariadb', 'volume'],
      ],
      ['zzz', 'aaa'],
    );
    const o = g.topoOrder();
    expect([...o].sort()).toEqual(['aaa', 'glance', 'keystone', 'mariadb', 'memcached', 'volume', 'zzz']);
    for (const [a, b] of g.edges()) expect(o.indexOf(b), `${b} before ${a}`).toBeLessThan(o.indexOf(a));
    expect(o).toEqual(['aaa', 'volume', 'mariadb', 'memcached', 'keystone', 'glance', 'zzz']);
  });

  it('is stable whatever the insertion order', () => {
    const edges: [string, string][] = [
      ['c', 'a'],
      ['b', 'a'],
      ['d', 'b'],
      ['d', 'c'],
    ];
    expect(dag(edges).topoOrder()).toEqual(dag([...edges].reverse()).topoOrder());
    expect(dag(edges).topoOrder()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('terminates on a cycle', () => {
    expect(
      dag([
        ['a', 'b'],
        ['b', 'a'],
      ])
        .topoOrder()
        .sort(),
    ).toEqual(['a', 'b']);
  });
});

describe('Dag.cycles', () => {
  it('finds none in a DAG', () => {
    expect(
      dag([
        ['a', 'b'],
        ['b', 'c'],
        ['a', 'c'],
      ]).cycles(),
    ).toEqual([]);
  });

  it('finds a self-loop', () => {
    expect(dag([['a', 'a']]).cycles()).toEqual([['a', 'a']]);
  });

  it('gives the path of a cycle, from its least node', () => {
    expect(
      dag([
        ['b', 'c'],
        ['c', 'a'],
        ['a', 'b'],
        ['x', 'a'],
      ]).cycles(),
    ).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('reports one cycle per strongly connected component, the shortest through its least node', () => {
    // a ⇄ b and a → c → d → a: one component, shortest cycle a → b → a
    const g = dag([
      ['a', 'b'],
      ['b', 'a'],
      ['a', 'c'],
      ['c', 'd'],
      ['d', 'a'],
      // a second, separate component
      ['x', 'y'],
      ['y', 'x'],
    ]);
    expect(g.cycles()).toEqual([
      ['a', 'b', 'a'],
      ['x', 'y', 'x'],
    ]);
  });

  it('reports a cycle between two services on many hosts once', () => {
    const g = new Dag();
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5'];
    for (const h of hosts)
      for (const k of hosts) {
        g.connect(`keystone[${h}]`, `glance[${k}]`);
        g.connect(`glance[${h}]`, `keystone[${k}]`);
      }
    expect(g.cycles()).toEqual([['glance[h1]', 'keystone[h1]', 'glance[h1]']]);
  });
});

describe('Dag.walk', () => {
  it('visits every node after all its dependencies finished', async () => {
    const g = dag([
      ['web', 'db'],
      ['web', 'cache'],
      ['db', 'volume'],
      ['worker', 'db'],
    ]);
    const r = recorder({ cache: 20, volume: 5 });
    const { results, errors } = await g.walk(10, r.visit);
    expect(errors.size).toBe(0);
    expect([...results.values()].every((x) => x === 'ok')).toBe(true);
    expect(results.size).toBe(5);
    for (const [a, b] of g.edges())
      expect(before(r.log, `end ${b}`, `start ${a}`), `${b} before ${a}`).toBe(true);
    // independent nodes run at the same time
    expect(before(r.log, 'start cache', 'end volume')).toBe(true);
  });

  it('never runs more than `parallelism` visits at once', async () => {
    const g = dag([], ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    const r = recorder();
    await g.walk(3, r.visit);
    expect(r.max()).toBe(3);
    const one = recorder();
    await g.walk(1, one.visit);
    expect(one.max()).toBe(1);
    // one at a time: ready nodes in name order
    expect(one.log.filter((l) => l.startsWith('start'))).toEqual(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => `start ${n}`),
    );
  });

  it('stops scheduling after the first failure: running visits finish, the rest are skipped', async () => {
    // Ready nodes start in name order: a-fails and b-slow run together; a-fails fails at once.
    const g = dag(
      [
        ['dependent', 'a-fails'],
        ['after-slow', 'b-slow'],
      ],
      ['c-later', 'd-later'],
    );
    const r = recorder({ 'a-fails': 1, 'b-slow': 30 }, new Set(['a-fails']));
    const { results, errors } = await g.walk(2, r.visit);
    expect(results.get('a-fails')).toBe('failed');
    expect(results.get('b-slow')).toBe('ok'); // was running: it finishes before walk resolves
    expect(r.log).toContain('end b-slow');
    expect(results.get('dependent')).toBe('skipped');
    expect(results.get('after-slow')).toBe('skipped'); // became ready after the failure
    expect(results.get('c-later')).toBe('skipped');
    expect(results.get('d-later')).toBe('skipped');
    expect([...errors.keys()]).toEqual(['a-fails']);
    expect((errors.get('a-fails') as Error).message).toBe('a-fails failed');
    expect(r.log.filter((l) => l.startsWith('start'))).toEqual(['start a-fails', 'start b-slow']);
  });

  it('counts a visit that throws synchronously as failed', async () => {
    const g = dag([['b', 'a']]);
    const { results, errors } = await g.walk(2, (n) => {
      if (n === 'a') throw new Error('boom');
      return Promise.resolve();
    });
    expect(results.get('a')).toBe('failed');
    expect(results.get('b')).toBe('skipped');
    expect((errors.get('a') as Error).message).toBe('boom');
  });

  it('starts nothing new once shouldStop says so', async () => {
    const g = dag([
      ['b', 'a'],
      ['c', 'b'],
    ]);
    const r = recorder();
    let stop = false;
    const { results } = await g.walk(
      1,
      async (n) => {
        await r.visit(n);
        stop = true;
      },
      () => stop,
    );
    expect(results.get('a')).toBe('ok');
    expect(results.get('b')).toBe('skipped');
    expect(results.get('c')).toBe('skipped');
  });

  it('finishes on an empty graph and with a parallelism below 1', async () => {
    expect((await new Dag().walk(4, async () => {})).results.size).toBe(0);
    const { results } = await dag([['b', 'a']]).walk(0, async () => {});
    expect(results.get('b')).toBe('ok');
  });

  it('leaves the nodes of a cycle unvisited instead of hanging', async () => {
    const g = dag(
      [
        ['a', 'b'],
        ['b', 'a'],
      ],
      ['c'],
    );
    const { results } = await g.walk(2, async () => {});
    expect(results.get('c')).toBe('ok');
    expect(results.get('a')).toBe('skipped');
    expect(results.get('b')).toBe('skipped');
  });
});
