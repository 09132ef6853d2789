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
  /**
   * The module instances (`module.a`, `module.x["k"].module.y[1]`) whose evaluation raised it,
   * when it arose inside modules: a module's files are one text for all its calls, so the
   * range alone does not say which call went wrong. The same diagnostic from several
   * instances is kept once, naming them all.
   */
  modules?: string[];
}

/** What each Diagnostics has already recorded, by key (kept outside the array: it is not an element). */
const recorded = new WeakMap<Diagnostics, Map<string, Diagnostic>>();

/** A module instance's view of the diagnostics: its module path, and where it records too. */
const views = new WeakMap<Diagnostics, { parent: Diagnostics; module: string }>();

/** What makes two diagnostics the same one: all but the module instances that raised it. */
function keyOf(d: Diagnostic): string {
  const r = d.range;
  return `${d.severity}\0${d.summary}\0${r ? `${r.file}:${r.start.line}:${r.start.col}` : ''}\0${d.detail ?? ''}\0${d.address ?? ''}`;
}

/**
 * The diagnostics of a run. The same diagnostic (severity, summary, place, detail) is kept
 * once: one block fails the same way for every host it is placed on and every instance of the
 * module that declares it — and then it names every module instance it came from.
 */
export class Diagnostics extends Array<Diagnostic> {
  override push(...items: Diagnostic[]): number {
    const view = views.get(this);
    if (view) {
      // Innermost first: a diagnostic that already names its instance keeps it.
      items = items.map((d) => (d.modules?.length ? d : { ...d, modules: [view.module] }));
      view.parent.push(...items);
    }
    let seen = recorded.get(this);
    if (!seen) recorded.set(this, (seen = new Map()));
    for (const d of items) {
      const k = keyOf(d);
      const first = seen.get(k);
      if (first) {
        if (first.modules && d.modules)
          for (const m of d.modules) if (!first.modules.includes(m)) first.modules.push(m);
        continue;
      }
      // A copy when it names modules: more may be added to the list kept here.
      const own = d.modules ? { ...d, modules: [...d.modules] } : d;
      seen.set(k, own);
      super.push(own);
    }
    return this.length;
  }

  /**
   * The diagnostics of one module instance (`module`: its path, `module.x[1]`): what is
   * recorded there names the instance, and is recorded here as well.
   */
  forModule(module: string): Diagnostics {
    const d = new Diagnostics();
    views.set(d, { parent: views.get(this)?.parent ?? this, module });
    return d;
  }

  /** The module instance whose view this is (forModule), if it is one. */
  get module(): string | undefined {
    return views.get(this)?.module;
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
