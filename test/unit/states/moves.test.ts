/** Moving and forgetting resources in a state (moved/removed blocks, kolla state mv). */
import { describe, expect, it } from 'vitest';
import { replacePrefix } from '../../../src/addrs/address.js';
import { applyMoves, forgetResources, renameResources } from '../../../src/states/moves.js';
import type { State } from '../../../src/states/state.js';

function state(...addresses: [string, string[]?][]): State {
  return {
    version: 2,
    serial: 3,
    lineage: 'l',
    kolla_version: '0.1.0',
    project: 'p',
    outputs: {},
    resources: addresses.map(([address, dependencies = []]) => ({
      address,
      kind: 'volume',
      host: 'h',
      dependencies,
      spec: { name: 'v', driver: 'local', labels: {} },
    })) as unknown as State['resources'],
  };
}

describe('replacePrefix', () => {
  it('moves an address under a prefix, into and out of modules', () => {
    expect(replacePrefix('service.a.container.x["h"]', 'service.a', 'module.m.service.a')).toBe(
      'module.m.service.a.container.x["h"]',
    );
    expect(replacePrefix('module.m["k"].service.a.config["f"]["h"]', 'module.m["k"]', 'module.n')).toBe(
      'module.n.service.a.config["f"]["h"]',
    );
    expect(replacePrefix('service.ab.container.x["h"]', 'service.a', 'service.b')).toBeUndefined();
  });
});

describe('applyMoves', () => {
  it('renames the resources under from, and the dependencies that name them', () => {
    const r = applyMoves(
      state(['service.a.container.x["h"]'], ['service.b.container.y["h"]', ['service.a.container.x["h"]']]),
      [{ from: 'service.a', to: 'module.m.service.a' }],
    );
    expect(r.problems).toEqual([]);
    expect(r.moved).toEqual([
      { from: 'service.a.container.x["h"]', to: 'module.m.service.a.container.x["h"]' },
    ]);
    expect(r.state.resources.map((x) => [x.address, x.dependencies])).toEqual([
      ['module.m.service.a.container.x["h"]', []],
      ['service.b.container.y["h"]', ['module.m.service.a.container.x["h"]']],
    ]);
  });

  it('shows a chain of moves once, from the first address to the last', () => {
    const r = applyMoves(state(['service.a']), [
      { from: 'service.a', to: 'service.b' },
      { from: 'service.b', to: 'service.c' },
    ]);
    expect(r.moved).toEqual([{ from: 'service.a', to: 'service.c' }]);
  });

  it('refuses a move onto an address the state already has; a move that matches nothing is a no-op', () => {
    const r = applyMoves(state(['service.a'], ['service.b']), [
      { from: 'service.a', to: 'service.b' },
      { from: 'service.zzz', to: 'service.y' },
    ]);
    expect(r.problems).toEqual(['cannot move service.a to service.b: service.b is already in the state']);
    expect(r.state.resources.map((x) => x.address)).toEqual(['service.a', 'service.b']);
  });

  it('renames exactly (a saved plan) and forgets', () => {
    const s = renameResources(state(['service.a'], ['service.b', ['service.a']]), [
      { from: 'service.a', to: 'service.z' },
    ]);
    expect(s.resources.map((x) => [x.address, x.dependencies])).toEqual([
      ['service.b', ['service.z']],
      ['service.z', []],
    ]);
    expect(forgetResources(s, ['service.b']).resources.map((x) => x.address)).toEqual(['service.z']);
  });
});

describe('applyMoves refuses what would not be an address', () => {
  it('a service does not become a volume; a key where the addresses have one already', () => {
    const r = applyMoves(state(['service.a.container.x["h"]']), [{ from: 'service.a', to: 'volume.b' }]);
    expect(r.problems).toEqual(['cannot move service.a to volume.b: a service does not become a volume']);
    expect(r.state.resources.map((x) => x.address)).toEqual(['service.a.container.x["h"]']);
    const k = applyMoves(state(['module.a[0].volume.v["h"]']), [{ from: 'module.a', to: 'module.b["z"]' }]);
    expect(k.problems).toEqual([
      'cannot move module.a to module.b["z"]: module.b["z"][0].volume.v["h"] would not be an address',
    ]);
  });
});
