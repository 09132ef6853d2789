import { describe, expect, it } from 'vitest';
import { serialEdges } from '../../../src/kinds/container.js';

function addSerialBatches(g: Dag, changes: Change[], byAddr: Map<string, Instance>, hosts: string[]): void {
  for (const [later, earlier] of serialEdges(changes, byAddr, hosts)) g.connect(later, earlier);
}
import { Dag } from '../../../src/graph/dag.js';
import type { Change } from '../../../src/plans/plan.js';
import type { ContainerInstance, Instance } from '../../../src/expand/instances.js';

function inst(host: string, serial: number | string): ContainerInstance {
  return {
    address: `service.agent.container.agent["${host}"]`,
    kind: 'container',
    host,
    dependsOn: [],
    service: 'agent',
    serial,
    options: { ignoreChanges: [], kollaStart: false, configStrategy: 'COPY_ALWAYS' },
    spec: {} as ContainerInstance['spec'],
  };
}

function batches(serial: number | string, hosts: string[]): string[][] {
  const insts = hosts.map((h) => inst(h, serial));
  const changes = insts.map(
    (i) =>
      ({
        address: i.address,
        kind: 'container',
        host: i.host,
        action: 'replace',
        reasons: [],
        attrs: [],
        dependsOn: [],
      }) as Change,
  );
  const g = new Dag();
  for (const c of changes) g.add(c.address);
  addSerialBatches(g, changes, new Map<string, Instance>(insts.map((i) => [i.address, i])), hosts);
  // Group hosts by their depth in the dependency chain.
  const depth = (a: string): number => Math.max(0, ...g.dependenciesOf(a).map((d) => depth(d) + 1));
  const out: string[][] = [];
  for (const i of insts) (out[depth(i.address)] ??= []).push(i.host);
  return out;
}

describe('serial batches', () => {
  it('one host at a time', () => {
    expect(batches(1, ['a', 'b', 'c'])).toEqual([['a'], ['b'], ['c']]);
  });
  it('two at a time', () => {
    expect(batches(2, ['a', 'b', 'c', 'd', 'e'])).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });
  it('a percentage of the service hosts', () => {
    expect(batches('34%', ['a', 'b', 'c'])).toEqual([['a'], ['b'], ['c']]);
    expect(batches('50%', ['a', 'b', 'c', 'd'])).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
  it('a failure in batch 2 of 3 leaves batch 3 untouched', async () => {
    const insts = ['a', 'b', 'c'].map((h) => inst(h, 1));
    const changes = insts.map(
      (i) =>
        ({
          address: i.address,
          kind: 'container',
          host: i.host,
          action: 'replace',
          reasons: [],
          attrs: [],
          dependsOn: [],
        }) as Change,
    );
    const g = new Dag();
    for (const c of changes) g.add(c.address);
    addSerialBatches(g, changes, new Map<string, Instance>(insts.map((i) => [i.address, i])), [
      'a',
      'b',
      'c',
    ]);
    const visited: string[] = [];
    const { results } = await g.walk(10, async (n) => {
      visited.push(n);
      if (n.includes('"b"')) throw new Error('unhealthy');
    });
    expect(visited).toEqual(['service.agent.container.agent["a"]', 'service.agent.container.agent["b"]']);
    expect(results.get('service.agent.container.agent["c"]')).toBe('skipped');
  });
});
