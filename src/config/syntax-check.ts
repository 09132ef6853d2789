/**
 * Syntax checking with the reference HCL implementation (hcl2-parser, HashiCorp's Go
 * parser compiled to JS). It reports only that a file failed, so the failing file is
 * re-parsed with its fork hcl2-json-parser, which keeps the message and `line,col`.
 *
 * The parser is a 4 MB bundle that costs about a quarter of a second to load, so it is
 * loaded only on a cache miss: files whose content hash passed once are recorded in
 * `.kolla/syntax-ok` under the configuration directory.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../diags/diagnostic.js';
import type { SourceFile } from './files.js';

const require = createRequire(import.meta.url);

type ParseResult = [unknown, unknown];
interface Hcl2Parser {
  parseToObject(src: string): ParseResult;
}
interface Hcl2JsonParser {
  parseToObject(src: string): Promise<unknown>;
}

function cachePath(dir: string): string {
  return path.join(dir, '.kolla', 'syntax-ok');
}

function loadCache(dir: string): Set<string> {
  try {
    return new Set(readFileSync(cachePath(dir), 'utf8').split('\n').filter(Boolean));
  } catch {
    return new Set();
  }
}

function saveCache(dir: string, hashes: Set<string>): void {
  try {
    mkdirSync(path.dirname(cachePath(dir)), { recursive: true });
    writeFileSync(cachePath(dir), [...hashes].slice(-500).join('\n') + '\n');
  } catch {
    // A read-only configuration directory only costs the cache.
  }
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Check every file with the reference parser; returns one diagnostic per failing file.
 * `cacheDir` may be undefined to bypass the cache.
 */
export async function checkSyntax(files: SourceFile[], cacheDir?: string): Promise<Diagnostic[]> {
  const cache = cacheDir ? loadCache(cacheDir) : new Set<string>();
  const todo = files.filter((f) => !cache.has(contentHash(f.text)));
  if (todo.length === 0) return [];
  const parser = require('hcl2-parser') as Hcl2Parser;
  const out: Diagnostic[] = [];
  let added = false;
  for (const f of todo) {
    const [, err] = parser.parseToObject(f.text);
    if (err === null || err === undefined) {
      cache.add(contentHash(f.text));
      added = true;
      continue;
    }
    out.push(await describeError(f));
  }
  if (cacheDir && added) saveCache(cacheDir, cache);
  return out;
}

async function describeError(f: SourceFile): Promise<Diagnostic> {
  const json = require('hcl2-json-parser') as Hcl2JsonParser;
  try {
    await json.parseToObject(f.text);
  } catch (e) {
    const msg = String(e instanceof Error ? e.message : e);
    // "parse config: [:24,44-25,1: Summary; Detail.]"
    const m = /:(\d+),(\d+)(?:-(\d+),(\d+))?: ([^;\]]*)(?:; ([^\]]*))?/.exec(msg);
    if (m) {
      const line = Number(m[1]);
      const col = Number(m[2]);
      const d: Diagnostic = {
        severity: 'error',
        summary: m[5]!.trim(),
        range: {
          file: f.name,
          start: { line, col, offset: 0 },
          end: { line: Number(m[3] ?? line), col: Number(m[4] ?? col), offset: 0 },
        },
      };
      if (m[6]) d.detail = m[6].trim();
      return d;
    }
    return { severity: 'error', summary: `Syntax error in ${f.name}`, detail: msg };
  }
  return { severity: 'error', summary: `Syntax error in ${f.name}` };
}
