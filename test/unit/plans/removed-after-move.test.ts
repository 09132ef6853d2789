/**
 * A `removed` block protects a container by its `kolla.address` label, which is the address
 * it was created at: a `moved` block renames it in the state, never on the host. Once the
 * removed block has forgotten it, the label (its old address) must still count as removed
 * while the moved block stays in the configuration — else the next plan deletes it as an
 * orphan (issue #16).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { makePlan } from '../../../src/engine/planner.js';
import type { Move } from '../../../src/states/moves.js';
import { addressesAfterMoves } from '../../../src/states/moves.js';
import type { Plan } from '../../../src/plans/plan.js';
import { removeConfigs } from '../expand/helpers.js';
import { deployed, desired, options, PROJECT, stack } from './helpers.js';
import { ORPHAN, addOrphan } from './scenarios.js';

afterAll(removeConfigs);

/**
 * The stack as deployed, plus `worker` on h1 labelled `service.old.container.worker["h1"]`
 * (created before a move) that the state no longer has (a removed block forgot it).
 */
async function planWith(removed: string[], moves: Move[]): Promise<Plan> {
  const d = await desired(stack());
  const { state, world } = deployed(d);
  addOrphan(world);
  return makePlan({
    project: PROJECT,
    kollaVersion: '0.0.0-test',
    instances: d.instances,
    prior: state,
    world,
    masker: d.masker,
    options: options(),
    outputs: d.outputs,
    variables: [],
    diagnostics: [],
    removed,
    moves,
  });
}

const touched = (plan: Plan): string[] => [
  ...plan.changes.filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.address}`),
  ...plan.drift.map((d) => `${d.kind} ${d.address}`),
];

describe('removed blocks and containers labelled with the address they had before a move', () => {
  it('without a removed block naming it, the container is an orphan (deleted)', async () => {
    const plan = await planWith([], [{ from: 'service.old', to: 'service.worker' }]);
    expect(touched(plan)).toEqual([`delete ${ORPHAN}`, `orphan ${ORPHAN}`]);
  });

  it('a removed block naming its old address protects it (as before)', async () => {
    expect(touched(await planWith(['service.old'], []))).toEqual([]);
  });

  it('a removed block naming the address it was moved to protects it', async () => {
    const plan = await planWith(['service.worker'], [{ from: 'service.old', to: 'service.worker' }]);
    expect(touched(plan)).toEqual([]);
  });

  it('through a chain of moves, and into a module', async () => {
    const chain = [
      { from: 'service.mid', to: 'module.m["a b"].service.w' },
      { from: 'service.old', to: 'service.mid' },
    ];
    expect(touched(await planWith(['module.m'], chain))).toEqual([]);
    expect(touched(await planWith(['module.m["a b"].service.w.container.worker'], chain))).toEqual([]);
  });

  it('a removed block naming something else does not protect it', async () => {
    const plan = await planWith(['service.other'], [{ from: 'service.old', to: 'service.worker' }]);
    expect(touched(plan)).toEqual([`delete ${ORPHAN}`, `orphan ${ORPHAN}`]);
  });
});

describe('addressesAfterMoves', () => {
  it('the address, then every address the moves take it to', () => {
    expect(
      addressesAfterMoves('service.a.container.c["h"]', [
        { from: 'service.b', to: 'service.c' },
        { from: 'service.a', to: 'service.b' },
        { from: 'service.x', to: 'service.y' },
      ]),
    ).toEqual(['service.a.container.c["h"]', 'service.b.container.c["h"]', 'service.c.container.c["h"]']);
  });

  it('ends on a cycle and on a move into its own subtree', () => {
    expect(
      addressesAfterMoves('service.a', [
        { from: 'service.a', to: 'service.b' },
        { from: 'service.b', to: 'service.a' },
      ]),
    ).toEqual(['service.a', 'service.b']);
    expect(
      addressesAfterMoves('module.m.service.s', [{ from: 'module.m', to: 'module.m.module.n' }]),
    ).toEqual(['module.m.service.s', 'module.m.module.n.service.s']);
  });
});
