/**
 * Jinja-style templates (config files, `templatefile()`), rendered with nunjucks.
 * Owns the nunjucks environment settings and turns nunjucks errors into diagnostics that
 * name the template and line. Filters (Jinja2/Ansible compatibility) are registered in
 * `createTemplateEnvironment`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type nunjucks from 'nunjucks';
import { nunjucksLib } from '../lazy/modules.js';
import { addFilters } from './filters.js';
import { DiagnosticError, errorAt } from '../diags/diagnostic.js';
import type { Pos } from '../diags/diagnostic.js';

const OPTIONS: nunjucks.ConfigureOptions = {
  // A misspelt variable must be an error, not an empty string in a config file.
  throwOnUndefined: true,
  autoescape: false,
  trimBlocks: false,
};

/**
 * A configured environment. `searchPaths` are where `{% include %}` / `{% import %}`
 * look (the template's own directory for files).
 */
export function createTemplateEnvironment(searchPaths: string[] = []): nunjucks.Environment {
  const loader = searchPaths.length > 0 ? new (nunjucksLib().FileSystemLoader)(searchPaths) : null;
  const env = new (nunjucksLib().Environment)(loader, OPTIONS);
  addFilters(env);
  env.addGlobal('range', boundedRange);
  countLoopIterations();
  return env;
}

/**
 * Every `{% for %}` iteration counts against one budget per render, whatever it loops over
 * (three nested loops over a 1,000-element list are a billion): nunjucks sets `loop.index`
 * on its frame once per iteration, and that call is counted. nunjucks has no hook for this,
 * so its Frame's `set` is wrapped, once per process.
 */
export const MAX_TEMPLATE_LOOP_ITERATIONS = 1_000_000;
let loopBudget = MAX_TEMPLATE_LOOP_ITERATIONS;
let loopsCounted = false;

function countLoopIterations(): void {
  if (loopsCounted) return;
  loopsCounted = true;
  type Frame = { set(name: string, ...rest: unknown[]): unknown };
  const runtime = nunjucksLib().runtime as unknown as { Frame: { prototype: Frame } };
  const frame = runtime.Frame.prototype;
  const set = frame.set;
  frame.set = function (this: unknown, name: string, ...rest: unknown[]): unknown {
    if (name === 'loop.index' && --loopBudget < 0)
      throw new Error(
        `this template loops more than ${MAX_TEMPLATE_LOOP_ITERATIONS.toLocaleString('en')} times in all (nested loops multiply); kolla stops templates that large`,
      );
    return set.call(this, name, ...rest);
  };
}

/**
 * Loops are bounded: every value `range()` makes counts against one budget per render, so a
 * template such as `{% for i in range(100000000) %}` (or three nested range(1000)) stops with
 * an error at its line instead of running `kolla validate` out of memory.
 */
export const MAX_TEMPLATE_RANGE_VALUES = 1_000_000;
let rangeBudget = MAX_TEMPLATE_RANGE_VALUES;

function boundedRange(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0) throw new Error('range(): step must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  rangeBudget -= count;
  if (rangeBudget < 0)
    throw new Error(
      `range(): this template would loop over more than ${MAX_TEMPLATE_RANGE_VALUES.toLocaleString('en')} values; kolla stops templates that large`,
    );
  return Array.from({ length: count }, (_, i) => start + i * step);
}

let sharedEnv: nunjucks.Environment | undefined;

/**
 * Compiled templates by name and text: one template renders for many containers and hosts
 * (nova.conf for each nova service, on each host), and compiling is most of the cost.
 */
const compiled = new Map<string, nunjucks.Template>();
const MAX_COMPILED = 500;

/** Render template text; `name` is used in error messages (usually the file name). */
export function renderTemplateString(src: string, vars: Record<string, unknown>, name: string): string {
  sharedEnv ??= createTemplateEnvironment();
  const key = `${name}\u0000${src}`;
  let t = compiled.get(key);
  if (!t) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    t = new (nunjucksLib().Template)(src, sharedEnv, name, false);
    compiled.set(key, t);
  }
  return renderWith(t, src, vars, name);
}

/** Render a template file; includes are resolved relative to its directory. */
export function renderTemplateFile(file: string, vars: Record<string, unknown>, displayName = file): string {
  let src: string;
  try {
    src = readFileSync(file, 'utf8');
  } catch (e) {
    throw errorAt(
      `Cannot read template ${displayName}`,
      undefined,
      e instanceof Error ? e.message : String(e),
    );
  }
  return render(createTemplateEnvironment([path.dirname(file)]), src, vars, displayName);
}

function render(env: nunjucks.Environment, src: string, vars: Record<string, unknown>, name: string): string {
  return renderWith(new (nunjucksLib().Template)(src, env, name, false), src, vars, name);
}

function renderWith(t: nunjucks.Template, src: string, vars: Record<string, unknown>, name: string): string {
  rangeBudget = MAX_TEMPLATE_RANGE_VALUES;
  loopBudget = MAX_TEMPLATE_LOOP_ITERATIONS;
  try {
    return t.render(vars);
  } catch (e) {
    if (e instanceof DiagnosticError) throw e;
    throw templateError(e, src, name);
  }
}

/**
 * nunjucks puts the position only in the message, as "(name) [Line 3, Column 5]\n  msg";
 * split it back into a position and the bare message. An error inside an included (or
 * extended) template names that file, without a range in ours.
 */
export function templateError(e: unknown, src: string, name: string): DiagnosticError {
  const raw = e instanceof Error ? e.message : String(e);
  const m = /^\((.*?)\)(?: \[Line (\d+)(?:, Column (\d+))?\])?\n\s*/.exec(raw);
  const message = (m ? raw.slice(m[0].length) : raw).replace(/^Error: /, '');
  const where = m?.[1] ? path.basename(m[1]) : name;
  const line = m?.[2] !== undefined ? Number(m[2]) : undefined;
  if (line === undefined) return errorAt(`Error in template ${name}`, undefined, message);
  const col = m?.[3] !== undefined ? Number(m[3]) : 1;
  if (where !== path.basename(name))
    return errorAt(`Error in template ${where} at line ${line}`, undefined, message);
  const start = posOf(src, line, col);
  return errorAt(`Error in template ${name} at line ${line}`, { file: name, start, end: start }, message);
}

function posOf(src: string, line: number, col: number): Pos {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = src.indexOf('\n', offset);
    if (nl < 0) break;
    offset = nl + 1;
  }
  return { line, col, offset: offset + col - 1 };
}
