/** A state of another project is refused on read (issue #21 defect 12), unless it is empty. */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KollaError } from '../../../src/diags/kolla-error.js';
import { LocalBackend } from '../../../src/states/local-backend.js';
import { sampleState, scratchDir } from './helpers.js';

describe('state project check', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await scratchDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  it('refuses a non-empty state of another project, naming both', async () => {
    const file = path.join(dir, 'kolla.state.json');
    await new LocalBackend(file).write(sampleState(1), 'apply');
    const err = await new LocalBackend(file, { project: 'mine' }).read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KollaError);
    expect((err as KollaError).kind).toBe('state');
    expect((err as KollaError).message).toContain('project "demo"');
    expect((err as KollaError).message).toContain('project "mine"');
  });

  it('reads a state of its own project, and an empty state of any project', async () => {
    const file = path.join(dir, 'kolla.state.json');
    await new LocalBackend(file).write(sampleState(1), 'apply');
    expect((await new LocalBackend(file, { project: 'demo' }).read())?.project).toBe('demo');
    const empty = { ...sampleState(2), project: 'other', resources: [], outputs: {} };
    await new LocalBackend(file).write(empty, 'apply');
    expect((await new LocalBackend(file, { project: 'mine' }).read())?.project).toBe('other');
  });
});
