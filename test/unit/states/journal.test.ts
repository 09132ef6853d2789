import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalCorruptError, LocalJournal, parseJournal } from '../../../src/states/journal.js';
import { LocalBackend } from '../../../src/states/local-backend.js';
import type { JournalEntry } from '../../../src/states/state.js';
import { scratchDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let file: string;
beforeEach(async () => {
  ({ dir, cleanup } = await scratchDir());
  file = path.join(dir, 'kolla.state.json.journal');
});
afterEach(() => cleanup());

const steps: JournalEntry[] = [
  { op: 'create-volume', host: 'control01', name: 'kolla_logs', address: 'volume.kolla_logs["control01"]' },
  {
    op: 'write-file',
    host: 'control01',
    path: '/etc/kolla/keystone/keystone.conf',
    address: 'a',
    previous: 'old',
    mode: '0600',
  },
  { op: 'restart-container', host: 'h1', name: 'x', address: 'a' },
];

describe('LocalJournal', () => {
  it('is <state>.journal of the local backend', () => {
    const j = new LocalBackend(path.join(dir, 'kolla.state.json')).journal();
    expect(j).toBeInstanceOf(LocalJournal);
    expect((j as LocalJournal).path).toBe(file);
  });

  it('records an apply as JSON lines (0600) and reports it as unfinished until commit', async () => {
    const j = new LocalJournal(file);
    expect(await j.open()).toBeUndefined();
    await j.begin('L1', 7);
    for (const e of steps) await j.append(e);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines).toHaveLength(steps.length + 2); // begin, steps, and the empty string after the last \n
    const open = await new LocalJournal(file).open();
    expect(open?.[0]).toMatchObject({ op: 'begin', lineage: 'L1', serial: 7 });
    expect(open?.slice(1)).toEqual(steps);
    await j.append({ op: 'commit' });
    expect(await j.open()).toBeUndefined();
    await j.close();
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await j.close(); // twice is fine
  });

  it('ignores a torn last line (crash mid-write) but not damage before it', async () => {
    const j = new LocalJournal(file);
    await j.begin('L1', 1);
    await j.append(steps[0]!);
    await appendFile(file, '{"op":"write-file","host":"contr');
    expect((await j.open())?.map((e) => e.op)).toEqual(['begin', 'create-volume']);
    // a torn line followed by more garbage is still the tail of one interrupted write
    await appendFile(file, '\n\u0000\u0000\u0000');
    expect((await j.open())?.map((e) => e.op)).toEqual(['begin', 'create-volume']);
    // zero bytes where the last line should be (space allocated, data never written)
    const whole = (await readFile(file, 'utf8')).split('\n').slice(0, 2).join('\n');
    await writeFile(file, `${whole}\n\u0000\u0000\u0000\u0000\u0000`);
    expect((await j.open())?.map((e) => e.op)).toEqual(['begin', 'create-volume']);
    expect(() =>
      parseJournal('{"op":"begin","lineage":"L","serial":1,"at":"x"}\nnot json\n{"op":"commit"}\n', file),
    ).toThrow(JournalCorruptError);
    expect(() => parseJournal('{"op":"done","address":"a"}\n', file)).toThrow(
      /line 1 \(first entry is "done", not "begin"\)/,
    );
    await j.close();
  });

  it('a journal of only a torn begin line means nothing was done', async () => {
    await writeFile(file, '{"op":"beg');
    expect(await new LocalJournal(file).open()).toBeUndefined();
    await writeFile(file, '');
    expect(await new LocalJournal(file).open()).toBeUndefined();
  });

  it('refuses to begin over an unfinished apply, and starts over a finished one', async () => {
    const j = new LocalJournal(file);
    await j.begin('L1', 1);
    await j.append(steps[0]!);
    const other = new LocalJournal(file);
    await expect(other.begin('L1', 1)).rejects.toThrow(/interrupted apply is recorded/);
    // a recovery run continuing it from another object appends to the same file
    await other.append({ op: 'commit' });
    expect(await other.open()).toBeUndefined();
    await other.begin('L1', 2);
    expect((await other.open())?.map((e) => e.op)).toEqual(['begin']);
    await other.close();
    await j.close();
  });

  it('append before begin is an error', async () => {
    await expect(new LocalJournal(file).append({ op: 'commit' })).rejects.toThrow(/not begun/);
  });

  it('parallel appends produce whole lines', async () => {
    const j = new LocalJournal(file);
    await j.begin('L1', 1);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        j.append({ op: 'restart-container', host: 'h1', name: 'x', address: `r${i}` }),
      ),
    );
    const got = await j.open();
    expect(got).toHaveLength(51);
    expect(new Set(got?.slice(1).map((e) => (e as { address: string }).address)).size).toBe(50);
    await j.close();
  });
});
