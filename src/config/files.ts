/**
 * Finding and reading the configuration files of a directory: every `*.hcl` except
 * variable files (`*.vars.hcl`), read as strict UTF-8.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostics } from '../diags/diagnostic.js';

export interface SourceFile {
  /** Path as shown in diagnostics: relative to the configuration directory. */
  name: string;
  path: string;
  text: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Read one file as UTF-8; a read error or invalid UTF-8 is a diagnostic. */
export function readSource(file: string, shownAs: string, diags: Diagnostics): SourceFile | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    diags.error(`Failed to read file ${shownAs}`, undefined, (e as Error).message);
    return undefined;
  }
  try {
    let text = decoder.decode(buf);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { name: shownAs, path: file, text };
  } catch {
    const line = lineOfInvalidUtf8(buf);
    diags.error(
      `Invalid UTF-8 in ${shownAs}`,
      {
        file: shownAs,
        start: { line, col: 1, offset: 0 },
        end: { line, col: 1, offset: 0 },
      },
      'Configuration files must be UTF-8 encoded.',
    );
    return undefined;
  }
}

function lineOfInvalidUtf8(buf: Buffer): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 0x0a) {
      try {
        decoder.decode(buf.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return 1;
}

/** The configuration files of `dir`, sorted by name; shown as `shownPrefix` + name. */
export function findConfigFiles(dir: string, diags: Diagnostics, shownPrefix = ''): SourceFile[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) {
      diags.error(
        `${dir} is not a directory`,
        undefined,
        'Pass the configuration directory with --chdir DIR.',
      );
      return [];
    }
    entries = readdirSync(dir);
  } catch (e) {
    diags.error(`Cannot read configuration directory ${dir}`, undefined, (e as Error).message);
    return [];
  }
  const names = entries.filter((n) => n.endsWith('.hcl') && !n.endsWith('.vars.hcl')).sort();
  if (names.length === 0) {
    diags.error(
      `No configuration files in ${dir}`,
      undefined,
      'kolla reads every *.hcl file of the working directory (or of --chdir DIR). Create one, or point --chdir at the configuration.',
    );
    return [];
  }
  const out: SourceFile[] = [];
  for (const n of names) {
    const f = readSource(path.join(dir, n), shownPrefix + n, diags);
    if (f) out.push(f);
  }
  return out;
}

/** `*.auto.vars.hcl` files of `dir`, in lexical order (Terraform's rule). */
export function findAutoVarFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.auto.vars.hcl'))
      .sort()
      .map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}
