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
    let err: unknown;
    try {
      [, err] = parser.parseToObject(f.text);
    } catch {
      // Its conversion to JSON panics on some valid files (a block type used both with and
      // without labels): the syntax was parsed, so our parser's verdict stands.
      err = undefined;
    }
    if (err === null || err === undefined) {
      cache.add(contentHash(f.text));
      added = true;
      continue;
    }
    const d = await describeError(f);
    if (d) out.push(d);
    else {
      cache.add(contentHash(f.text));
      added = true;
    }
  }
  if (cacheDir && added) saveCache(cacheDir, cache);
  return out;
}

/**
 * The reference parser's error, placed; undefined when the file parsed and only its
 * conversion to JSON failed (a block type used with different label counts): that is not a
 * syntax error, and kolla's decoder reports what is wrong with a position.
 */
async function describeError(f: SourceFile): Promise<Diagnostic | undefined> {
  const json = require('hcl2-json-parser') as Hcl2JsonParser;
  try {
    await json.parseToObject(f.text);
  } catch (e) {
    const msg = String(e instanceof Error ? e.message : e);
    if (/Unable to convert/.test(msg)) return undefined;
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
    return unplaced(f, msg);
  }
  return unplaced(f);
}

/** The reference parser refused the file without saying where: point at the file. */
function unplaced(f: SourceFile, msg?: string): Diagnostic {
  const start = { line: 1, col: 1, offset: 0 };
  return {
    severity: 'error',
    summary: `Syntax error in ${f.name}`,
    detail: `HashiCorp's HCL parser refuses this file without giving a position${msg && msg !== 'undefined' ? ` (${msg})` : ''}; kolla's own parser found nothing wrong. Please report it with the file.`,
    range: { file: f.name, start, end: start },
  };
}
