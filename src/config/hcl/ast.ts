/**
 * The syntax tree of an HCL file: bodies of attributes and blocks, and expressions,
 * every node with its source range so that any error can point at the text.
 */
import type { SourceRange } from '../../diags/diagnostic.js';

/** A value in the language: what HCL calls cty values, as plain JSON-like data. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

export interface Body {
  attributes: Attribute[];
  blocks: Block[];
  range: SourceRange;
}

export interface Attribute {
  name: string;
  nameRange: SourceRange;
  expr: Expr;
  /** From the name to the end of the expression. */
  range: SourceRange;
}

export interface Block {
  type: string;
  typeRange: SourceRange;
  labels: string[];
  labelRanges: SourceRange[];
  body: Body;
  /** From the type to the closing brace. */
  range: SourceRange;
}

export interface File {
  name: string;
  body: Body;
}

/** One piece of a string template. */
export type TemplatePart =
  | { kind: 'text'; value: string; range: SourceRange }
  | { kind: 'interp'; expr: Expr; range: SourceRange }
  | { kind: 'if'; cond: Expr; then: TemplatePart[]; else: TemplatePart[]; range: SourceRange }
  | {
      kind: 'for';
      keyVar?: string;
      valueVar: string;
      collection: Expr;
      body: TemplatePart[];
      range: SourceRange;
    };

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

export type Expr =
  | { kind: 'literal'; value: Value; range: SourceRange }
  /** A quoted string or heredoc with interpolations or directives. */
  | { kind: 'template'; parts: TemplatePart[]; range: SourceRange }
  /** A root name: `var`, `local`, `host`, `x` in a for expression. */
  | { kind: 'variable'; name: string; range: SourceRange }
  | { kind: 'getattr'; object: Expr; name: string; range: SourceRange }
  | { kind: 'index'; object: Expr; key: Expr; range: SourceRange }
  /**
   * `object[*].rest`: `each` is evaluated with the variable `__splat__` bound to every
   * element (it is `{kind:'variable', name:'__splat__'}` when there is no rest).
   */
  | { kind: 'splat'; object: Expr; each: Expr; range: SourceRange }
  | { kind: 'tuple'; items: Expr[]; range: SourceRange }
  | { kind: 'object'; items: { key: Expr; value: Expr }[]; range: SourceRange }
  | { kind: 'call'; name: string; args: Expr[]; expandFinal: boolean; range: SourceRange }
  | { kind: 'unary'; op: '!' | '-'; operand: Expr; range: SourceRange }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; range: SourceRange }
  | { kind: 'conditional'; cond: Expr; then: Expr; else: Expr; range: SourceRange }
  | {
      kind: 'for';
      keyVar?: string;
      valueVar: string;
      collection: Expr;
      /** Present for object results `{for k, v in x : keyExpr => valueExpr}`. */
      keyExpr?: Expr;
      valueExpr: Expr;
      cond?: Expr;
      /** `...` after the value in an object for: group values by key into lists. */
      group: boolean;
      range: SourceRange;
    }
  | { kind: 'paren'; expr: Expr; range: SourceRange };
