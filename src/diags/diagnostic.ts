/**
 * Diagnostics: the one way core code reports a problem the user can fix.
 * Core functions return them (never throw them); the CLI renders them all at once.
 */

/** A position in a source file; line and col are 1-based, offset is 0-based (UTF-16 units). */
export interface Pos {
  line: number;
  col: number;
  offset: number;
}

/** A span of source text. */
export interface SourceRange {
  file: string;
  start: Pos;
  end: Pos;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  summary: string;
  detail?: string;
  /** The resource address the problem concerns, when there is one. */
  address?: string;
  range?: SourceRange;
}

/** A list of diagnostics with helpers to add to it and ask whether it holds an error. */
/** What each Diagnostics has already recorded (kept outside the array: it is not an element). */
const recorded = new WeakMap<Diagnostics, Set<string>>();

function keyOf(d: Diagnostic): string {
  const r = d.range;
  return `${d.severity}\0${d.summary}\0${r ? `${r.file}:${r.start.line}:${r.start.col}` : ''}\0${d.detail ?? ''}\0${d.address ?? ''}`;
}

/**
 * The diagnostics of a run. The same diagnostic (severity, summary, place, detail) is kept
 * once: one block fails the same way for every host it is placed on and every instance of the
 * module that declares it.
 */
export class Diagnostics extends Array<Diagnostic> {
  override push(...items: Diagnostic[]): number {
    let seen = recorded.get(this);
    if (!seen) recorded.set(this, (seen = new Set()));
    for (const d of items) {
      const k = keyOf(d);
      if (seen.has(k)) continue;
      seen.add(k);
      super.push(d);
    }
    return this.length;
  }

  error(summary: string, range?: SourceRange, detail?: string, address?: string): void {
    this.push(make('error', summary, range, detail, address));
  }

  warning(summary: string, range?: SourceRange, detail?: string, address?: string): void {
    this.push(make('warning', summary, range, detail, address));
  }

  hasErrors(): boolean {
    return this.some((d) => d.severity === 'error');
  }
}

function make(
  severity: Severity,
  summary: string,
  range: SourceRange | undefined,
  detail: string | undefined,
  address: string | undefined,
): Diagnostic {
  const d: Diagnostic = { severity, summary };
  if (range) d.range = range;
  if (detail !== undefined) d.detail = detail;
  if (address !== undefined) d.address = address;
  return d;
}

/** Thrown inside deep code (evaluator, decoder) and turned into a diagnostic at the boundary. */
export class DiagnosticError extends Error {
  constructor(public readonly diagnostic: Diagnostic) {
    super(diagnostic.summary);
    this.name = 'DiagnosticError';
  }
}

export function errorAt(summary: string, range?: SourceRange, detail?: string): DiagnosticError {
  return new DiagnosticError(make('error', summary, range, detail, undefined));
}

/** `file:line:col` of a range, or '' when there is none. */
export function formatPlace(range?: SourceRange): string {
  if (!range) return '';
  return `${range.file}:${range.start.line}:${range.start.col}`;
}
