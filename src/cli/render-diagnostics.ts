/**
 * Diagnostics as text: `file:line:col: summary`, the offending source line with a caret
 * under the column, then the detail.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../diags/diagnostic.js';
import type { Palette } from './colour.js';

export function renderDiagnostic(d: Diagnostic, baseDir: string, p: Palette): string {
  const label = d.severity === 'error' ? p.red(p.bold('Error:')) : p.yellow(p.bold('Warning:'));
  const place = d.range && d.range.file ? `${d.range.file}:${d.range.start.line}:${d.range.start.col}: ` : '';
  const lines = [`${label} ${place}${p.bold(d.summary)}`];
  if (d.range && d.range.file && d.range.start.line > 0) {
    const src = sourceLine(path.resolve(baseDir, d.range.file), d.range.start.line);
    if (src !== undefined) {
      const num = String(d.range.start.line);
      const width =
        d.range.end.line === d.range.start.line ? Math.max(1, d.range.end.col - d.range.start.col) : 1;
      lines.push('');
      lines.push(`  ${p.dim(num + ' |')} ${src}`);
      lines.push(
        `  ${' '.repeat(num.length)} ${p.dim('|')} ${' '.repeat(Math.max(0, d.range.start.col - 1))}${p.red('^'.repeat(width))}`,
      );
    }
  }
  if (d.address) lines.push(`  (${d.address})`);
  const within = inModules(d);
  if (within) lines.push(`  (${within})`);
  if (d.detail) {
    lines.push('');
    for (const l of d.detail.split('\n')) lines.push(`  ${l}`);
  }
  return lines.join('\n') + '\n';
}

/** How many module instances are named before "and N more". */
const MAX_MODULES_SHOWN = 5;

/**
 * `in module.a and module.b`: the module instances a diagnostic arose in, unless its address
 * already says so.
 */
export function inModules(d: Diagnostic): string | undefined {
  const ms = d.modules ?? [];
  if (!ms.length || (ms.length === 1 && d.address?.startsWith(`${ms[0]}.`))) return undefined;
  const shown = ms.length > MAX_MODULES_SHOWN ? ms.slice(0, MAX_MODULES_SHOWN - 1) : ms;
  const rest = ms.length - shown.length;
  if (rest) return `in ${shown.join(', ')} and ${rest} more module instances`;
  return `in ${shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}` : shown[0]}`;
}

const cache = new Map<string, string[] | undefined>();

function sourceLine(file: string, line: number): string | undefined {
  if (!cache.has(file)) {
    try {
      cache.set(file, readFileSync(file, 'utf8').split('\n'));
    } catch {
      cache.set(file, undefined);
    }
  }
  return cache.get(file)?.[line - 1]?.replace(/\t/g, ' ');
}

export function renderDiagnostics(ds: Diagnostic[], baseDir: string, p: Palette): string {
  return ds.map((d) => renderDiagnostic(d, baseDir, p)).join('\n');
}
