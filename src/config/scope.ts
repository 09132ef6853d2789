/**
 * The evaluation scope: the root names an expression may use (`var`, `local`, `hosts`,
 * `group`, ...), each computed lazily and at most once, so that locals, hosts and groups
 * may refer to each other in any order; a cycle is reported with its path.
 */
import type { Expr, Value } from './hcl/ast.js';
import { DiagnosticError, errorAt, type Diagnostics, type SourceRange } from '../diags/diagnostic.js';
import { didYouMean } from '../diags/suggest.js';
import { referencesOf } from './hcl/traversal.js';
import { evaluate } from './expr/evaluate.js';
import { standardFunctions } from './expr/functions.js';
import { FOR_BUDGET } from './expr/context.js';

/** Root names whose members are declared by blocks: what to call a missing one. */
const DECLARED: Record<string, { what: string; how: string }> = {
  var: { what: 'input variable', how: 'a variable "NAME" {} block' },
  local: { what: 'local value', how: 'an argument of a locals block' },
  group: { what: 'group', how: 'a group "NAME" {} block or a host\'s groups' },
  groups: { what: 'group', how: 'a group "NAME" {} block or a host\'s groups' },
  hosts: { what: 'host', how: 'a host "NAME" {} block' },
  host: { what: 'host', how: 'a host "NAME" {} block' },
  secret: { what: 'secret', how: 'a secret "NAME" {} block' },
  service: { what: 'service', how: 'a service "NAME" {} block' },
  volume: { what: 'volume', how: 'a volume "NAME" {} block' },
  image: { what: 'image', how: 'an image "NAME" {} block' },
  registry: { what: 'registry', how: 'a registry "NAME" {} block' },
};

/** Thrown when a value depends on one that already failed (and was reported). */
export class DependencyFailed extends Error {
  constructor() {
    super('dependency failed');
  }
}

interface Lazy {
  label: string;
  range?: SourceRange | undefined;
  compute: () => Value;
  state: 'new' | 'busy' | 'done' | 'failed';
  value?: Value;
}

export class Scope {
  private readonly lazies = new Map<string, Lazy>();
  /** Values being computed, shared by a module's scope and its callers': cycles cross modules. */
  private readonly stack: Lazy[];
  private readonly rootValues: Record<string, Value> = {};
  /** Ranges of the expressions being evaluated, innermost last: where a cycle closes. */
  private readonly exprStack: SourceRange[];

  /** `parent`: the scope of the module that calls this one (they share one evaluation). */
  constructor(
    readonly baseDir: string,
    private readonly diags: Diagnostics,
    parent?: Scope,
  ) {
    this.stack = parent?.stack ?? [];
    this.exprStack = parent?.exprStack ?? [];
    this.budget = parent?.budget ?? { left: FOR_BUDGET };
    this.reported = parent?.reported ?? new Set<string>();
  }

  /** Add a root name whose whole value is computed lazily. */
  defineRoot(name: string, compute: () => Value, label = name): void {
    const lazy = this.lazy(`root:${name}`, label, compute);
    Object.defineProperty(this.rootValues, name, {
      get: () => this.force(lazy),
      enumerable: true,
      configurable: true,
    });
  }

  /** Add a root name that is an object whose members are computed lazily one by one. */
  defineLazyObject(
    name: string,
    members: { key: string; label: string; range?: SourceRange; compute: () => Value }[],
  ): void {
    const obj = this.lazyObject(name, members);
    Object.defineProperty(this.rootValues, name, { value: obj, enumerable: true, configurable: true });
  }

  /** An object whose members are computed lazily, once, in this scope's evaluation (cycles found). */
  lazyObject(
    name: string,
    members: { key: string; label: string; range?: SourceRange; compute: () => Value }[],
  ): Record<string, Value> {
    const obj: Record<string, Value> = {};
    for (const m of members) {
      const lazy = this.lazy(`${name}:${m.key}`, m.label, m.compute, m.range);
      Object.defineProperty(obj, m.key, { get: () => this.force(lazy), enumerable: true });
    }
    return obj;
  }

  setRoot(name: string, value: Value): void {
    Object.defineProperty(this.rootValues, name, {
      value,
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }

  /** Force a member of a lazy object so its diagnostics are reported even when unused. */
  forceAll(): void {
    for (const l of this.lazies.values()) {
      try {
        this.force(l);
      } catch {
        // reported already
      }
    }
  }

  private lazy(key: string, label: string, compute: () => Value, range?: SourceRange): Lazy {
    const l: Lazy = { label, range, compute, state: 'new' };
    this.lazies.set(key, l);
    return l;
  }

  private force(l: Lazy): Value {
    if (l.state === 'done') return l.value!;
    if (l.state === 'failed') throw new DependencyFailed();
    if (l.state === 'busy') {
      const from = this.stack.indexOf(l);
      const cycle = [...this.stack.slice(from), l].map((x) => x.label);
      l.state = 'failed';
      // Roots such as hosts and group have no position of their own: point at the
      // expression that closed the cycle instead.
      const at = l.range ?? [...this.exprStack].reverse().find((r) => r.file !== '');
      this.diags.error(
        `Cycle in references: ${cycle.join(' → ')}`,
        at,
        'These values refer to each other; break the cycle.',
      );
      throw new DependencyFailed();
    }
    l.state = 'busy';
    this.stack.push(l);
    try {
      l.value = l.compute();
      l.state = 'done';
      return l.value;
    } catch (e) {
      if (l.state === 'busy') l.state = 'failed';
      if (e instanceof DiagnosticError) {
        this.diags.push(e.diagnostic);
        throw new DependencyFailed();
      }
      throw e;
    } finally {
      this.stack.pop();
    }
  }

  /** What `for` loops may still iterate across every evaluation of this configuration. */
  private readonly budget: { left: number };

  /** The variables of each `extra` object already seen (callers reuse one object per host). */
  private readonly withExtra = new WeakMap<Record<string, Value>, Record<string, Value>>();

  /** Evaluate `expr` with the roots plus `extra` names (e.g. `host` inside a service). */
  eval(expr: Expr, extra?: Record<string, Value>): Value {
    let variables: Record<string, Value> = this.rootValues;
    const cached = extra && this.withExtra.get(extra);
    if (cached) variables = cached;
    else if (extra) {
      variables = Object.create(this.rootValues) as Record<string, Value>;
      for (const [k, v] of Object.entries(extra))
        Object.defineProperty(variables, k, { value: v, enumerable: true });
      // Own-property lookups must also see the inherited roots.
      for (const k of Object.keys(this.rootValues)) {
        if (!(k in extra))
          Object.defineProperty(variables, k, { get: () => this.rootValues[k]!, enumerable: true });
      }
      this.withExtra.set(extra, variables);
    }
    this.exprStack.push(expr.range);
    try {
      return evaluate(expr, {
        variables,
        functions: standardFunctions,
        baseDir: this.baseDir,
        budget: this.budget,
      });
    } catch (e) {
      if (e instanceof DiagnosticError) throw undeclaredReference(e, expr, variables, extra) ?? e;
      throw e;
    } finally {
      this.exprStack.pop();
    }
  }

  /** The value of a root name (forcing it when lazy), for code that needs it directly. */
  root(name: string): Value {
    return this.rootValues[name]!;
  }

  /**
   * Evaluate and report: returns undefined (with the diagnostic recorded) instead of throwing.
   */
  tryEval(expr: Expr, extra?: Record<string, Value>): { ok: true; value: Value } | { ok: false } {
    try {
      return { ok: true, value: this.eval(expr, extra) };
    } catch (e) {
      if (e instanceof DiagnosticError) {
        this.report(e);
        return { ok: false };
      }
      if (e instanceof DependencyFailed) return { ok: false };
      throw e;
    }
  }

  private readonly reported: Set<string>;

  /**
   * Record a diagnostic once, even when the same expression fails for several hosts — once
   * per module instance: each instance's is recorded, and the same one from several instances
   * is kept once naming them all (Diagnostics.push).
   */
  report(e: DiagnosticError): void {
    const d = e.diagnostic;
    const key = `${d.summary}@${d.range?.file}:${d.range?.start.line}:${d.range?.start.col}@${this.diags.module ?? ''}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.diags.push(d);
  }
}

/**
 * The evaluator reports `var.nme` as an "Unsupported attribute" of the object `var`; say
 * instead what is missing — an undeclared variable, local, group, host... — as Terraform
 * does. Only an error that escaped evaluation is reworded, so try() and can() still work.
 */
function undeclaredReference(
  e: DiagnosticError,
  expr: Expr,
  variables: Record<string, Value>,
  extra: Record<string, Value> | undefined,
): DiagnosticError | undefined {
  const d = e.diagnostic;
  if (d.summary !== 'Unsupported attribute' || !d.range) return undefined;
  for (const ref of referencesOf(expr)) {
    const [root, name] = ref.parts;
    if (root === undefined || name === undefined || !Object.hasOwn(DECLARED, root)) continue;
    if (!within(d.range, ref.range) || !(d.detail ?? '').includes(`"${name}"`)) continue;
    const inService = extra !== undefined && root in extra;
    if (inService) continue;
    let obj: Value | undefined;
    try {
      obj = variables[root];
    } catch {
      continue; // a root that failed: its own error stands
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj) || Object.hasOwn(obj, name)) continue;
    const kind = DECLARED[root]!;
    const hint =
      root === 'host' && ['name', 'address', 'vars', 'groups', 'user', 'port', 'connection'].includes(name)
        ? ` Outside a service, host.NAME is the host block NAME; host.${name} means the host being expanded only inside a service block.`
        : '';
    return errorAt(
      `Reference to undeclared ${kind.what} "${name}"${didYouMean(name, Object.keys(obj))}`,
      d.range,
      `No ${kind.what} "${name}" is declared; declare it with ${kind.how.replace('NAME', name)}.${hint}`,
    );
  }
  return undefined;
}

function within(inner: SourceRange, outer: SourceRange): boolean {
  const key = (p: { line: number; col: number }): number => p.line * 1e6 + p.col;
  return (
    inner.file === outer.file && key(inner.start) >= key(outer.start) && key(inner.start) <= key(outer.end)
  );
}
