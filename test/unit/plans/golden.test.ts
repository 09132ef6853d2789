/**
 * The plan as a user reads it: each scenario's rendered text (no colours) against
 * golden/<scenario>.txt. After a deliberate change to the planner or the renderer,
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/plans` rewrites the files; read the diff.
 */
import { afterAll, describe, it } from 'vitest';
import { removeConfigs } from '../expand/helpers.js';
import { expectGolden, planText } from './helpers.js';
import { scenarios } from './scenarios.js';

afterAll(removeConfigs);

describe('rendered plans match golden/*.txt', () => {
  for (const [name, build] of Object.entries(scenarios)) {
    it(name, async () => {
      const { plan, diagnostics } = await build();
      if (diagnostics.length) throw new Error(diagnostics.map((d) => d.summary).join('; '));
      expectGolden(name, planText(plan));
    });
  }
});
