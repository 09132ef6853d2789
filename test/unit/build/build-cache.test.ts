// The build cache (.kolla/build-cache.json): an unchanged image reuses its rendered
// Dockerfile and context hash; any change to a context file, a template (or a file it
// includes), a build arg or the cache's own file gives the hash a fresh computation gives.
// No engine: build hashes only.
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildCache, type BuildCacheStats } from '../../../src/build/build-cache.js';
import { buildHashOf } from '../../../src/build/ensure-images.js';
import { configDir, writeFiles } from '../../helpers/kolla.js';
import { loadConfig } from '../../build/helpers.js';

const MAIN = `
image "base" {
  template = "base/Dockerfile.j2"
}
image "app" {
  template = "app/Dockerfile.j2"
  parent   = image.base
  args     = { VERSION = "1" }
}
`;

function project(extra: Record<string, string> = {}): string {
  return configDir({
    'main.hcl': MAIN,
    'base/Dockerfile.j2': 'FROM scratch\nCOPY etc /etc\n',
    'base/etc/motd': 'hello\n',
    'app/Dockerfile.j2': 'FROM {{ parent }}\n{% include "snippet.j2" %}\nCOPY files /files\n',
    'snippet.j2': 'ARG VERSION\nLABEL version={{ args.VERSION }}\n',
    'app/files/a.txt': 'a\n',
    'app/files/sub/b.txt': 'b\n',
    ...extra,
  });
}

/**
 * One run, as a new process makes it: a fresh cache read from the file. The cache's clock
 * runs 10 s ahead, so that files the test has just written count as settled (not "racily"
 * new), as they would be for a run a while after the edit.
 */
async function run(
  dir: string,
  name = 'app',
  now = (): number => Date.now() + 10_000,
): Promise<{ hash: string; fresh: string; stats: BuildCacheStats }> {
  const config = await loadConfig(dir);
  const cache = new BuildCache(dir, { buildId: 'test', now });
  const hash = await buildHashOf(config, name, { cache });
  const fresh = await buildHashOf(config, name, { cache: false });
  return { hash, fresh, stats: { ...cache.stats } };
}

const allHits = { renderHits: 2, renderMisses: 0, contextHits: 2, contextMisses: 0 };

describe('build cache', () => {
  it('reuses the rendered Dockerfiles and context hashes of an unchanged tree', async () => {
    const dir = project();
    const first = await run(dir);
    expect(first.stats).toEqual({ renderHits: 0, renderMisses: 2, contextHits: 0, contextMisses: 2 });
    expect(first.hash).toBe(first.fresh);
    const again = await run(dir);
    expect(again.stats).toEqual(allHits);
    expect(again.hash).toBe(first.hash);
    expect(readFileSync(path.join(dir, '.kolla/build-cache.json'), 'utf8')).toContain('LABEL version=1');
  });

  it('changes the hash when a file of a context changes, is added, removed, chmodded or relinked', async () => {
    const dir = project();
    let prev = (await run(dir)).hash;
    const edits: [string, () => void][] = [
      ['content (new size)', () => writeFileSync(path.join(dir, 'app/files/a.txt'), 'a changed\n')],
      [
        'content (same size, other time)',
        () => {
          const f = path.join(dir, 'app/files/a.txt');
          writeFileSync(f, 'A CHANGED\n');
          utimesSync(f, new Date(2000, 0, 1), new Date(2000, 0, 1));
        },
      ],
      ['a nested file', () => writeFileSync(path.join(dir, 'app/files/sub/b.txt'), 'bb\n')],
      ['a new file', () => writeFileSync(path.join(dir, 'app/files/c.txt'), 'c\n')],
      ['a new folder', () => mkdirSync(path.join(dir, 'app/files/empty'))],
      ['a removed file', () => unlinkSync(path.join(dir, 'app/files/c.txt'))],
      ['a mode', () => chmodSync(path.join(dir, 'app/files/a.txt'), 0o755)],
      ['a new link', () => symlinkSync('a.txt', path.join(dir, 'app/files/link'))],
      [
        'a link target',
        () => {
          unlinkSync(path.join(dir, 'app/files/link'));
          symlinkSync('sub/b.txt', path.join(dir, 'app/files/link'));
        },
      ],
    ];
    for (const [what, edit] of edits) {
      edit();
      const r = await run(dir);
      expect(r.hash, what).toBe(r.fresh);
      expect(r.hash, what).not.toBe(prev);
      expect(r.stats.contextMisses, what).toBe(1);
      expect(r.stats.renderHits, what).toBe(2);
      prev = r.hash;
    }
    expect((await run(dir)).stats).toEqual(allHits);
  });

  it("changes the descendants' hashes when a parent's context changes", async () => {
    const dir = project();
    const h0 = (await run(dir)).hash;
    writeFileSync(path.join(dir, 'base/etc/motd'), 'hello again\n');
    const r = await run(dir);
    expect(r.hash).toBe(r.fresh);
    expect(r.hash).not.toBe(h0);
  });

  it('renders again when the template or a file it includes changes, or an include resolves elsewhere', async () => {
    const dir = project();
    const h0 = (await run(dir)).hash;

    writeFiles(dir, {
      'app/Dockerfile.j2': 'FROM {{ parent }}\n{% include "snippet.j2" %}\nCOPY files /srv\n',
    });
    let r = await run(dir);
    expect(r.stats.renderMisses).toBe(1);
    expect(r.hash).toBe(r.fresh);
    expect(r.hash).not.toBe(h0);
    const h1 = r.hash;

    writeFiles(dir, { 'snippet.j2': 'ARG VERSION\nLABEL version={{ args.VERSION }} x=1\n' });
    r = await run(dir);
    expect(r.stats.renderMisses).toBe(1);
    expect(r.hash).toBe(r.fresh);
    expect(r.hash).not.toBe(h1);
    const h2 = r.hash;

    // The template's folder comes first in the search path: a snippet.j2 there now wins.
    writeFiles(dir, { 'app/snippet.j2': 'LABEL shadowed=1\n' });
    r = await run(dir);
    expect(r.stats.renderMisses).toBe(1);
    expect(r.hash).toBe(r.fresh);
    expect(r.hash).not.toBe(h2);
    // It is in the context folder too: the context changed as well.
    expect(r.stats.contextMisses).toBe(1);

    rmSync(path.join(dir, 'app/snippet.j2'));
    r = await run(dir);
    expect(r.hash).toBe(h2);
  });

  it('keys the entries by the build args, labels and references', async () => {
    const dir = project();
    const h0 = (await run(dir)).hash;
    writeFiles(dir, { 'main.hcl': MAIN.replace('VERSION = "1"', 'VERSION = "2"') });
    let r = await run(dir);
    expect(r.stats.renderMisses).toBe(1);
    expect(r.hash).toBe(r.fresh);
    expect(r.hash).not.toBe(h0);
    // The parent's reference (its tag) is in the Dockerfile's FROM line.
    writeFiles(dir, {
      'main.hcl': MAIN.replace('"base/Dockerfile.j2"', '"base/Dockerfile.j2"\n  tag = "zed"'),
    });
    r = await run(dir);
    expect(r.hash).toBe(r.fresh);
    expect(r.hash).not.toBe(h0);
    // Back to the first configuration: its entries were kept.
    writeFiles(dir, { 'main.hcl': MAIN });
    r = await run(dir);
    expect(r.stats).toEqual(allHits);
    expect(r.hash).toBe(h0);
  });

  it('does not trust files changed just before the run (racily clean)', async () => {
    const dir = project();
    // Runs right after the files were written (the clock stands still: no slow machine
    // makes them old enough).
    const writtenAt = Date.now();
    const first = await run(dir, 'app', () => writtenAt);
    expect(first.hash).toBe(first.fresh);
    // Nothing was stored: every file changed less than RACY_MS before.
    expect((await run(dir, 'app', () => writtenAt)).stats).toEqual({
      renderHits: 0,
      renderMisses: 2,
      contextHits: 0,
      contextMisses: 2,
    });
  });

  it('ignores a corrupt cache file and one written by another build', async () => {
    const dir = project();
    const h0 = (await run(dir)).hash;
    const file = path.join(dir, '.kolla/build-cache.json');
    const saved = readFileSync(file, 'utf8');
    writeFileSync(file, '{"format":1,');
    let r = await run(dir);
    expect(r.stats.renderMisses).toBe(2);
    expect(r.hash).toBe(h0);
    writeFileSync(file, saved.replace('"build":"test"', '"build":"other"'));
    r = await run(dir);
    expect(r.stats.contextMisses).toBe(2);
    expect(r.hash).toBe(h0);
  });

  it('is off without a build id', async () => {
    const dir = project();
    const config = await loadConfig(dir);
    const cache = new BuildCache(dir, {});
    expect(cache.enabled).toBe(false);
    await buildHashOf(config, 'app', { cache });
    expect(() => readFileSync(path.join(dir, '.kolla/build-cache.json'))).toThrow();
  });
});
