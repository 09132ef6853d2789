import { readdir, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaleLineageError } from '../../../src/states/backend.js';
import { LocalBackend } from '../../../src/states/local-backend.js';
import { STATE_VERSION } from '../../../src/states/state.js';
import { StateFileError, StateVersionError } from '../../../src/states/statefile.js';
import { sampleState, scratchDir } from './helpers.js';

const posix = process.platform !== 'win32';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await scratchDir()));
afterEach(() => cleanup());

const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('LocalBackend state file', () => {
  it('reads nothing before the first write, then what was written', async () => {
    const b = new LocalBackend(path.join(dir, 'kolla.state.json'));
    expect(await b.read()).toBeUndefined();
    await b.write(sampleState(1), 'apply');
    expect(await b.read()).toEqual(sampleState(1));
    expect(b.describe()).toBe(`local file ${path.join(dir, 'kolla.state.json')}`);
  });

  it('writes atomically: no temporary file left, mode 0600 even over an existing 0644 file', async () => {
    const file = path.join(dir, 'kolla.state.json');
    await writeFile(file, JSON.stringify(sampleState(1)), { mode: 0o644 });
    await chmod(file, 0o644);
    const b = new LocalBackend(file);
    await b.write(sampleState(2), 'apply');
    expect((await readdir(dir)).sort()).toEqual(['kolla.state.json', 'kolla.state.json.history']);
    if (posix) {
      expect(await modeOf(file)).toBe(0o600);
      expect(await modeOf(`${file}.history`)).toBe(0o700);
      expect(await modeOf(path.join(`${file}.history`, '00000002.json'))).toBe(0o600);
    }
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(sampleState(2));
  });

  it('narrows the mode of an existing state file when reading it', async () => {
    if (!posix) return;
    const file = path.join(dir, 'kolla.state.json');
    await writeFile(file, JSON.stringify(sampleState(1)));
    await chmod(file, 0o644);
    await new LocalBackend(file).read();
    expect(await modeOf(file)).toBe(0o600);
  });

  it('refuses invalid JSON naming the file, and a newer version telling to upgrade', async () => {
    const file = path.join(dir, 'kolla.state.json');
    const b = new LocalBackend(file);
    await writeFile(file, '{"version": 1, "serial"');
    await expect(b.read()).rejects.toThrow(StateFileError);
    await expect(b.read()).rejects.toThrow(`${file} is not valid JSON`);
    await writeFile(file, '');
    await expect(b.read()).rejects.toThrow(`${file} is not valid JSON`);
    await writeFile(file, JSON.stringify({ ...sampleState(1), version: STATE_VERSION + 1, new_field: 1 }));
    await expect(b.read()).rejects.toThrow(StateVersionError);
    await expect(b.read()).rejects.toThrow(/Upgrade kolla/);
    // and it is not overwritten by a write either
    await expect(b.write(sampleState(2), 'apply')).rejects.toThrow(StateVersionError);
  });

  it('refuses to write another lineage or a serial that is not newer, unless forced', async () => {
    const b = new LocalBackend(path.join(dir, 'kolla.state.json'));
    await b.write(sampleState(3, 'L1'), 'apply');
    await expect(b.write(sampleState(3, 'L1'), 'apply')).rejects.toThrow(StaleLineageError);
    await expect(b.write(sampleState(2, 'L1'), 'apply')).rejects.toThrow(/serial 2 over serial 3/);
    await expect(b.write(sampleState(4, 'L2'), 'apply')).rejects.toMatchObject({ reason: 'lineage' });
    await b.write(sampleState(1, 'L2'), 'state push -force', { force: true });
    expect((await b.read())?.lineage).toBe('L2');
  });

  it('refuses to write an invalid state', async () => {
    const b = new LocalBackend(path.join(dir, 'kolla.state.json'));
    const bad = { ...sampleState(1), serial: 1.5 };
    await expect(b.write(bad, 'apply')).rejects.toThrow(
      /Invalid state in the state to write:\n {2}- serial: whole number required, got number/,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('validates the state as it will be on disk (undefined fields dropped)', async () => {
    const b = new LocalBackend(path.join(dir, 'kolla.state.json'));
    const s = sampleState(1);
    Object.assign(s.resources[2]!, { service: undefined });
    await b.write(s, 'apply');
    expect((await b.read())?.resources[2]).not.toHaveProperty('service');
  });

  it('creates a missing parent directory', async () => {
    const b = new LocalBackend(path.join(dir, '.kolla', 'state.json'));
    await b.write(sampleState(1), 'apply');
    expect(await b.read()).toEqual(sampleState(1));
  });
});

describe('LocalBackend history', () => {
  it('keeps the last N states, readable by serial, with their metadata', async () => {
    const file = path.join(dir, 'kolla.state.json');
    const b = new LocalBackend(file, { historyLimit: 3 });
    for (let serial = 1; serial <= 5; serial++) await b.write(sampleState(serial), `apply ${serial}`);
    expect((await readdir(`${file}.history`)).sort()).toEqual([
      '00000003.json',
      '00000004.json',
      '00000005.json',
    ]);
    const h = await b.history();
    expect(h.map((e) => [e.serial, e.message, e.resources])).toEqual([
      [3, 'apply 3', 4],
      [4, 'apply 4', 4],
      [5, 'apply 5', 4],
    ]);
    expect(h[0]!.lineage).toBe(sampleState().lineage);
    expect(Date.parse(h[0]!.written_at)).not.toBeNaN();
    expect(await b.readHistory(4)).toEqual(sampleState(4));
    expect(await b.readHistory(1)).toBeUndefined();
    expect(await b.readHistory(99)).toBeUndefined();
    // each history file holds the entry beside the state
    const rec = JSON.parse(await readFile(path.join(`${file}.history`, '00000005.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(Object.keys(rec).sort()).toEqual(['entry', 'state']);
  });

  it('defaults to 20 states and rejects a limit below 1', async () => {
    expect(new LocalBackend(path.join(dir, 's.json')).historyLimit).toBe(20);
    expect(() => new LocalBackend(path.join(dir, 's.json'), { historyLimit: 0 })).toThrow(RangeError);
  });

  it('keeps the state of another lineage that had the same serial, aside', async () => {
    const file = path.join(dir, 'kolla.state.json');
    const b = new LocalBackend(file, { historyLimit: 5 });
    await b.write(sampleState(1, 'L1'), 'apply');
    await b.write(sampleState(1, 'L2'), 'state push -force', { force: true });
    expect((await readdir(`${file}.history`)).sort()).toEqual(['00000001-L1.json', '00000001.json']);
    expect((await b.readHistory(1))?.lineage).toBe('L2');
    expect((await b.history()).map((e) => e.lineage)).toEqual(['L2']);
  });

  it('reports a damaged history file instead of skipping it', async () => {
    const file = path.join(dir, 'kolla.state.json');
    const b = new LocalBackend(file);
    await b.write(sampleState(1), 'apply');
    await writeFile(path.join(`${file}.history`, '00000001.json'), '{');
    await expect(b.history()).rejects.toThrow(/History file .*00000001\.json is not valid JSON/);
    await expect(b.readHistory(1)).rejects.toThrow(StateFileError);
  });
});
