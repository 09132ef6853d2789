/**
 * The contract between the evaluator and functions: what a function receives (evaluated
 * arguments, the context, the call's range) and how it reports a bad argument so the
 * evaluator can point at that argument's source text.
 */
import type { SourceRange } from '../../diags/diagnostic.js';
import type { Value } from '../hcl/ast.js';

export interface EvalContext {
  /** Root names. Own properties (getters allowed) or a prototype chain of them. */
  variables: Record<string, Value>;
  /** Defaults to the standard functions. */
  functions?: Record<string, FunctionImpl>;
  /** Directory that relative paths in `file()` and friends are relative to. */
  baseDir: string;
  /**
   * Elements `for` expressions and template `for` directives may still iterate, shared by
   * every evaluation of one configuration (default: a fresh FOR_BUDGET per evaluation).
   */
  budget?: { left: number };
}

/** How many elements `for` loops may iterate while one configuration is evaluated. */
export const FOR_BUDGET = 10_000_000;

export type FunctionImpl = (args: Value[], ctx: EvalContext, callRange: SourceRange) => Value;

/**
 * Thrown by a function about one argument (0-based `argIndex`); the evaluator reports
 * "Invalid function argument" at that argument, naming the function and position.
 */
export class FunctionArgError extends Error {
  constructor(
    readonly argIndex: number,
    message: string,
    /** The parameter's name, for the message. */
    readonly param?: string,
  ) {
    super(message);
    this.name = 'FunctionArgError';
  }
}

/** Thrown by a function about the call as a whole ("Error in function call"). */
export class FunctionCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FunctionCallError';
  }
}
