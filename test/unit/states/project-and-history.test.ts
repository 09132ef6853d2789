/** A state of another project is refused on read (issue #21 defect 12), unless it is empty. */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KollaError } from '../../../src/diags/kolla-error.js';
import { FAILED_HISTORY_LIMIT, outcomeOfMessage } from '../../../src/states/backend.js';
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

describe('history retention by outcome', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await scratchDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  it('keeps the good states when many applies fail', async () => {
    const b = new LocalBackend(path.join(dir, 'kolla.state.json'), { historyLimit: 3 });
    let serial = 1;
    for (let i = 0; i < 3; i++) await b.write(sampleState(serial++), 'apply', { outcome: 'applied' });
    for (let i = 0; i < 20; i++) {
      await b.write(sampleState(serial++), 'apply failed: x: boom; rolled back', { outcome: 'failed' });
    }
    const h = await b.history();
    expect(h.filter((e) => e.outcome === 'applied').map((e) => e.serial)).toEqual([1, 2, 3]);
    expect(h.filter((e) => e.outcome === 'failed')).toHaveLength(FAILED_HISTORY_LIMIT);
  });

  it('derives the outcome of an old entry from its message', async () => {
    expect(outcomeOfMessage('apply failed: a: b; rolled back')).toBe('failed');
    expect(outcomeOfMessage('interrupted apply rolled back')).toBe('recovered');
    expect(outcomeOfMessage('apply')).toBe('applied');
    expect(outcomeOfMessage('destroy')).toBe('applied');
    expect(outcomeOfMessage('state rm service.x')).toBe('edited');
    const b = new LocalBackend(path.join(dir, 'kolla.state.json'));
    await b.write(sampleState(1), 'apply failed: a: b; rolled back');
    expect((await b.history())[0]?.outcome).toBe('failed');
  });
});
