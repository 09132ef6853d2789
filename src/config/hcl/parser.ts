/**
 * HCL native-syntax parser: bodies (attributes and blocks) and expressions, built on the
 * token stream of lexer.ts, producing the AST of ast.ts with a source range on every node.
 *
 * Structure follows HCL's hclsyntax parser: recursive descent with a stack saying whether
 * newlines are significant (they are in bodies and object constructors, where they separate
 * items; they are not inside (), [] and template sequences). Errors are DiagnosticErrors
 * with HCL's summaries; `parseFile` turns them into diagnostics and recovers at the next
 * line so one typo does not hide the others. Template strings are parsed in template.ts.
 */
import { DiagnosticError, errorAt } from '../../diags/diagnostic.js';
import type { Diagnostic, Pos, SourceRange } from '../../diags/diagnostic.js';
import type { Attribute, BinaryOp, Block, Body, Expr, File } from './ast.js';
import { lex, tokenRange } from './lexer.js';
import type { Token } from './lexer.js';
import { parseTemplateTokens } from './template.js';

// Static reference helpers live in traversal.ts; re-exported so callers need one import.
export { referencesOf, traversalOf } from './traversal.js';
export type { Reference, Traversal } from './traversal.js';

export interface ParseFileResult {
  /** Absent when there are syntax errors. */
  file?: File;
  diagnostics: Diagnostic[];
}

/** Parse an HCL file. Never throws: syntax problems are returned as diagnostics. */
export function parseFile(name: string, src: string): ParseFileResult {
  const diagnostics: Diagnostic[] = [];
  let body: Body | undefined;
  try {
    const p = new Parser(lex(src, name), name, diagnostics);
    body = p.parseFileBody();
  } catch (e) {
    diagnostics.push(toDiagnostic(e, name));
  }
  if (!body || diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { file: { name, body }, diagnostics };
}

/**
 * Parse one expression, e.g. a string from another format that holds HCL. `startPos` is
 * where `src` begins in `file`, so ranges point into the enclosing file.
 * Throws DiagnosticError on a syntax error.
 */
export function parseExpression(src: string, file: string, startPos?: Pos): Expr {
  const p = new Parser(lex(src, file, 'normal', startPos), file, []);
  return guard(file, () => p.parseWholeExpression());
}

/**
 * Parse a bare template (e.g. a file's content): literal text with `${}` and `%{}`
 * sequences, ending at end of input. Throws DiagnosticError on a syntax error.
 */
export function parseTemplate(src: string, file: string, startPos?: Pos): Expr {
  const p = new Parser(lex(src, file, 'template', startPos), file, []);
  return guard(file, () => p.parseWholeTemplate());
}

function guard<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DiagnosticError) throw e;
    throw new DiagnosticError(toDiagnostic(e, file));
  }
}

function toDiagnostic(e: unknown, file: string): Diagnostic {
  if (e instanceof DiagnosticError) return e.diagnostic;
  // A bug in the parser must still come out as a diagnostic, not a crash.
  const p = { line: 1, col: 1, offset: 0 };
  return {
    severity: 'error',
    summary: 'Internal parser error',
    detail: e instanceof Error ? e.message : String(e),
    range: { file, start: p, end: p },
  };
}

const BINARY_LEVELS: readonly (readonly BinaryOp[])[] = [
  ['||'],
  ['&&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['+', '-'],
  ['*', '/', '%'],
];

export function span(a: SourceRange, b: SourceRange): SourceRange {
  return { file: a.file, start: a.start, end: b.end };
}

/**
 * The token cursor and expression grammar. Exported for template.ts, which parses the
 * expressions inside template sequences with it.
 */
/** Deepest nesting of expressions the parser accepts. */
export const MAX_NESTING = 200;

export class Parser {
  private p = 0;
  /** Whether newlines are significant at the current nesting level. */
  private readonly nl: boolean[] = [true];
  /** Set once recovery has run into the end of the file: stop reporting. */
  private abort = false;

  constructor(
    private readonly toks: Token[],
    readonly file: string,
    private readonly diags: Diagnostic[],
  ) {}

  // ---- token cursor -------------------------------------------------------------------

  private index(): number {
    let i = this.p;
    if (!this.nl[this.nl.length - 1]) {
      while (this.toks[i]?.type === 'newline') i++;
    }
    return i;
  }

  peek(): Token {
    return this.at(this.index());
  }

  /** The token after the next one (newlines handled as for peek). */
  private peek2(): Token {
    let i = this.index() + 1;
    if (!this.nl[this.nl.length - 1]) {
      while (this.toks[i]?.type === 'newline') i++;
    }
    return this.at(i);
  }

  private at(i: number): Token {
    // The last token is always eof; never run past it.
    return (this.toks[i] ?? this.toks[this.toks.length - 1]) as Token;
  }

  next(): Token {
    const i = this.index();
    const t = this.at(i);
    if (i < this.toks.length - 1) this.p = i + 1;
    else this.p = this.toks.length - 1;
    return t;
  }

  /** The raw next token, newlines included regardless of mode (template parsing). */
  rawPeek(): Token {
    return this.at(this.p);
  }

  pushNewlines(significant: boolean): void {
    this.nl.push(significant);
  }

  popNewlines(): void {
    this.nl.pop();
  }

  range(t: Token): SourceRange {
    return tokenRange(this.file, t);
  }

  isPunct(t: Token, text: string): boolean {
    return t.type === 'punct' && t.text === text;
  }

  private isKeyword(t: Token, word: string): boolean {
    return t.type === 'ident' && t.text === word;
  }

  /** Throw the error an invalid token carries, if `t` is one. */
  checkInvalid(t: Token): void {
    if (t.type === 'invalid') {
      throw errorAt(t.summary ?? 'Invalid character', this.range(t), t.detail);
    }
  }

  // ---- bodies ---------------------------------------------------------------------------

  parseFileBody(): Body {
    const start = this.toks[0]?.start ?? { line: 1, col: 1, offset: 0 };
    const body = this.parseBody(undefined);
    const end = this.at(this.toks.length - 1).end;
    body.range = { file: this.file, start, end };
    return body;
  }

  /** Parse body items until `}` (when `open` is the block's brace) or end of file. */
  private parseBody(open: Token | undefined): Body {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    const seen = new Map<string, Attribute>();
    const startTok = this.peek();
    for (;;) {
      if (this.abort) break;
      const t = this.peek();
      if (t.type === 'newline') {
        this.next();
        continue;
      }
      if (t.type === 'eof') {
        if (open) {
          throw errorAt(
            'Unclosed configuration block',
            this.range(open),
            'There is no closing brace for this block before the end of the file. ' +
              'This may be caused by incorrect brace nesting elsewhere in this file.',
          );
        }
        break;
      }
      if (open && this.isPunct(t, '}')) break;
      const itemStart = this.p;
      const nlDepth = this.nl.length;
      try {
        if (t.type !== 'ident') {
          this.checkInvalid(t);
          throw errorAt(
            'Argument or block definition required',
            this.range(t),
            'An argument or block definition is required here.',
          );
        }
        const item = this.parseBodyItem();
        if ('expr' in item) {
          const prev = seen.get(item.name);
          if (prev) {
            throw errorAt(
              'Attribute redefined',
              item.nameRange,
              `The argument "${item.name}" was already set at ${prev.nameRange.file}:${prev.nameRange.start.line}:${prev.nameRange.start.col}. Each argument may be set only once.`,
            );
          }
          seen.set(item.name, item);
          attributes.push(item);
        } else blocks.push(item);
      } catch (e) {
        if (!(e instanceof DiagnosticError)) throw e;
        this.diags.push(e.diagnostic);
        // The throw skipped the pops of any brackets being parsed.
        this.nl.length = nlDepth;
        this.recover(itemStart);
        // Always make progress, whatever recovery decided.
        if (this.p <= itemStart && !this.abort) this.p = itemStart + 1;
      }
    }
    const endTok = this.peek();
    return {
      attributes,
      blocks,
      range: { file: this.file, start: startTok.start, end: endTok.start },
    };
  }

  /**
   * After an error in a body item, skip to the newline ending the item: the first newline
   * at bracket depth zero counted from the item's start and past the error point.
   */
  private recover(itemStart: number): void {
    const errAt = this.p;
    let depth = 0;
    for (let i = itemStart; i < this.toks.length; i++) {
      const t = this.at(i);
      if (t.type === 'eof') {
        this.p = i;
        this.abort = true;
        return;
      }
      switch (t.type) {
        case 'punct':
          if (t.text === '{' || t.text === '[' || t.text === '(') depth++;
          else if (t.text === '}' || t.text === ']' || t.text === ')') {
            depth--;
            if (depth < 0 && i > itemStart && i >= errAt) {
              // The enclosing block's closing brace: leave it for the block.
              this.p = i;
              return;
            }
            // A stray closer that is the item itself is skipped.
            if (depth < 0) depth = 0;
          }
          break;
        case 'oquote':
        case 'oheredoc':
        case 'interp':
        case 'control':
          depth++;
          break;
        case 'cquote':
        case 'cheredoc':
        case 'seqend':
          depth--;
          break;
        case 'newline':
          if (depth <= 0 && i >= errAt) {
            this.p = i + 1;
            return;
          }
          break;
        default:
      }
    }
  }

  private parseBodyItem(): Attribute | Block {
    const nameTok = this.next();
    const nameRange = this.range(nameTok);
    const t = this.peek();
    if (this.isPunct(t, '=')) {
      this.next();
      const expr = this.parseExpression();
      const end = this.peek();
      if (end.type !== 'newline' && end.type !== 'eof') {
        this.checkInvalid(end);
        if (this.isPunct(end, ',')) {
          throw errorAt(
            'Unexpected comma after argument',
            this.range(end),
            'Argument definitions must be separated by newlines, not commas. An argument definition must end with a newline.',
          );
        }
        throw errorAt(
          'Missing newline after argument',
          this.range(end),
          'An argument definition must end with a newline.',
        );
      }
      return { name: nameTok.text, nameRange, expr, range: span(nameRange, expr.range) };
    }
    const labels: string[] = [];
    const labelRanges: SourceRange[] = [];
    for (;;) {
      const l = this.peek();
      if (l.type === 'ident') {
        this.next();
        labels.push(l.text);
        labelRanges.push(this.range(l));
        continue;
      }
      if (l.type === 'oquote') {
        const [value, range] = this.parseLabelString();
        labels.push(value);
        labelRanges.push(range);
        continue;
      }
      break;
    }
    const open = this.peek();
    if (!this.isPunct(open, '{')) {
      this.checkInvalid(open);
      if (labels.length === 0) {
        throw errorAt(
          'Argument or block definition required',
          this.range(open),
          'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
        );
      }
      throw errorAt(
        'Invalid block definition',
        this.range(open),
        'Either a quoted string block label or an opening brace ("{") is expected here.',
      );
    }
    this.next();
    let body: Body;
    let close: Token;
    if (this.peek().type === 'newline' || this.peek().type === 'eof') {
      body = this.parseBody(open);
      close = this.next();
    } else {
      [body, close] = this.parseSingleLineBody(open);
    }
    // A block's body spans its braces.
    body.range = span(this.range(open), this.range(close));
    const after = this.peek();
    if (after.type !== 'newline' && after.type !== 'eof') {
      this.checkInvalid(after);
      throw errorAt(
        'Missing newline after block definition',
        this.range(after),
        'A block definition must end with a newline.',
      );
    }
    return {
      type: nameTok.text,
      typeRange: nameRange,
      labels,
      labelRanges,
      body,
      range: span(nameRange, this.range(close)),
    };
  }

  /** `b { a = 1 }` or `b {}`: at most one argument, no nested blocks. */
  private parseSingleLineBody(open: Token): [Body, Token] {
    const attributes: Attribute[] = [];
    let t = this.peek();
    if (!this.isPunct(t, '}')) {
      this.checkInvalid(t);
      if (t.type !== 'ident') {
        throw errorAt(
          'Argument or block definition required',
          this.range(t),
          'An argument definition is required here.',
        );
      }
      const nameTok = this.next();
      const eq = this.peek();
      if (!this.isPunct(eq, '=')) {
        throw errorAt(
          'Invalid single-argument block definition',
          this.range(nameTok),
          `A single-line block definition can contain only a single argument. If you meant to define argument "${nameTok.text}", use an equals sign to assign it a value. To define a nested block, place it on a line of its own within its parent block.`,
        );
      }
      this.next();
      const expr = this.parseExpression();
      const nameRange = this.range(nameTok);
      attributes.push({ name: nameTok.text, nameRange, expr, range: span(nameRange, expr.range) });
      t = this.peek();
      if (!this.isPunct(t, '}')) {
        this.checkInvalid(t);
        throw errorAt(
          'Invalid single-argument block definition',
          this.range(t),
          t.type === 'newline' || t.type === 'eof'
            ? 'A single-line block definition must end with a closing brace immediately after its single argument definition.'
            : 'A single-line block definition can contain only a single argument.',
        );
      }
    }
    const close = this.next();
    return [{ attributes, blocks: [], range: { file: this.file, start: open.end, end: close.start } }, close];
  }

  /** A quoted block label: a string without template sequences. */
  private parseLabelString(): [string, SourceRange] {
    const expr = this.parsePrimary();
    if (expr.kind !== 'literal' || typeof expr.value !== 'string') {
      throw errorAt(
        'Invalid string literal',
        expr.range,
        'Template sequences are not allowed in block labels. To include a literal "$", double it (as "$$") to escape it.',
      );
    }
    return [expr.value, expr.range];
  }

  // ---- expressions ----------------------------------------------------------------------

  parseWholeExpression(): Expr {
    this.pushNewlines(false);
    const e = this.parseExpression();
    const t = this.peek();
    if (t.type !== 'eof') {
      this.checkInvalid(t);
      throw errorAt(
        'Extra characters after expression',
        this.range(t),
        'An expression was successfully parsed, but extra characters were found after it.',
      );
    }
    this.popNewlines();
    return e;
  }

  parseWholeTemplate(): Expr {
    const first = this.rawPeek();
    return parseTemplateTokens(this, first, 'eof', false);
  }

  /** How deep expressions nest here; past MAX_NESTING the parser stops with a placed error, not a stack overflow. */
  private depth = 0;

  private enter(t: Token): void {
    if (++this.depth > MAX_NESTING)
      throw errorAt(
        'Expression nested too deeply',
        this.range(t),
        `Expressions may nest at most ${MAX_NESTING} levels (parentheses, brackets, operators).`,
      );
  }

  parseExpression(): Expr {
    this.enter(this.peek());
    try {
      return this.parseConditional();
    } finally {
      this.depth--;
    }
  }

  private parseConditional(): Expr {
    const cond = this.parseBinary(0);
    const q = this.peek();
    if (!this.isPunct(q, '?')) return cond;
    this.next();
    const then = this.parseExpression();
    const colon = this.peek();
    if (!this.isPunct(colon, ':')) {
      this.checkInvalid(colon);
      throw errorAt(
        'Missing false expression in conditional',
        this.range(colon),
        'The conditional operator (...?...:...) requires a false expression, delimited by a colon.',
      );
    }
    this.next();
    const otherwise = this.parseExpression();
    return { kind: 'conditional', cond, then, else: otherwise, range: span(cond.range, otherwise.range) };
  }

  private parseBinary(level: number): Expr {
    const ops = BINARY_LEVELS[level];
    if (!ops) return this.parseUnary();
    let left = this.parseBinary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.type !== 'punct' || !(ops as readonly string[]).includes(t.text)) return left;
      this.next();
      const right = this.parseBinary(level + 1);
      left = { kind: 'binary', op: t.text as BinaryOp, left, right, range: span(left.range, right.range) };
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (this.isPunct(t, '!') || this.isPunct(t, '-')) {
      this.next();
      this.enter(t);
      let operand: Expr;
      try {
        operand = this.parseUnary();
      } finally {
        this.depth--;
      }
      const range = span(this.range(t), operand.range);
      if (t.text === '-' && operand.kind === 'literal' && typeof operand.value === 'number') {
        // Fold negative number literals so `-1` is a plain literal for static analysis.
        return { kind: 'literal', value: -operand.value, range };
      }
      return { kind: 'unary', op: t.text as '!' | '-', operand, range };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  /** Attribute access, indexing and splats following a term. */
  private parsePostfix(base: Expr): Expr {
    let e = base;
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, '.')) {
        const n = this.peek2();
        if (this.isPunct(n, '*')) {
          this.next();
          this.next();
          e = this.parseSplat(e, span(this.range(t), this.range(n)), false);
          continue;
        }
        e = this.parseDotStep(e);
        continue;
      }
      if (this.isPunct(t, '[')) {
        this.next();
        this.pushNewlines(false);
        const star = this.peek();
        if (this.isPunct(star, '*')) {
          this.next();
          const close = this.expectCloseBracket(t);
          this.popNewlines();
          e = this.parseSplat(e, span(this.range(t), this.range(close)), true);
          continue;
        }
        const key = this.parseExpression();
        const close = this.expectCloseBracket(t);
        this.popNewlines();
        e = { kind: 'index', object: e, key, range: span(e.range, this.range(close)) };
        continue;
      }
      return e;
    }
  }

  /** `.name` or legacy `.0` after `object`. */
  private parseDotStep(object: Expr): Expr {
    this.next();
    const n = this.next();
    if (n.type === 'ident') {
      return { kind: 'getattr', object, name: n.text, range: span(object.range, this.range(n)) };
    }
    if (n.type === 'number') {
      const key: Expr = { kind: 'literal', value: Number(n.text), range: this.range(n) };
      return { kind: 'index', object, key, range: span(object.range, this.range(n)) };
    }
    this.checkInvalid(n);
    throw errorAt('Invalid attribute name', this.range(n), 'An attribute name is required after a dot.');
  }

  private expectCloseBracket(open: Token): Token {
    const close = this.peek();
    if (!this.isPunct(close, ']')) {
      this.checkInvalid(close);
      throw errorAt(
        'Missing close bracket on index',
        close.type === 'eof' ? this.range(open) : this.range(close),
        'The index operator must end with a closing bracket ("]").',
      );
    }
    return this.next();
  }

  /**
   * The traversal applied to each element by a splat. `[*]` takes every following
   * attribute, index and splat step; the legacy `.*` takes only attribute steps, so in
   * `a.*.b[0]` the index applies to the whole result, as in HCL.
   */
  private parseSplat(object: Expr, marker: SourceRange, full: boolean): Expr {
    let each: Expr = { kind: 'variable', name: '__splat__', range: marker };
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, '.')) {
        const n = this.peek2();
        if (n.type !== 'ident' && n.type !== 'number') break;
        each = this.parseDotStep(each);
        continue;
      }
      if (full && this.isPunct(t, '[')) {
        this.next();
        this.pushNewlines(false);
        if (this.isPunct(this.peek(), '*')) {
          this.next();
          const close = this.expectCloseBracket(t);
          this.popNewlines();
          each = this.parseSplat(each, span(this.range(t), this.range(close)), true);
          continue;
        }
        const key = this.parseExpression();
        const close = this.expectCloseBracket(t);
        this.popNewlines();
        each = { kind: 'index', object: each, key, range: span(each.range, this.range(close)) };
        continue;
      }
      break;
    }
    const end = each.kind === 'variable' ? marker : each.range;
    return { kind: 'splat', object, each, range: span(object.range, end) };
  }

  parsePrimary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case 'number': {
        this.next();
        return { kind: 'literal', value: Number(t.text), range: this.range(t) };
      }
      case 'ident': {
        this.next();
        if (t.text === 'true' || t.text === 'false') {
          return { kind: 'literal', value: t.text === 'true', range: this.range(t) };
        }
        if (t.text === 'null') return { kind: 'literal', value: null, range: this.range(t) };
        if (this.isPunct(this.peek(), '(')) return this.parseCall(t);
        return { kind: 'variable', name: t.text, range: this.range(t) };
      }
      case 'oquote': {
        this.next();
        return parseTemplateTokens(this, t, 'cquote', false);
      }
      case 'oheredoc': {
        this.next();
        return parseTemplateTokens(this, t, 'cheredoc', t.indent === true);
      }
      case 'punct':
        if (t.text === '(') return this.parseParen();
        if (t.text === '[') return this.parseTuple();
        if (t.text === '{') return this.parseObject();
        break;
      default:
    }
    this.checkInvalid(t);
    throw errorAt(
      'Invalid expression',
      this.range(t),
      t.type === 'eof'
        ? 'Expected the start of an expression, but found the end of the file.'
        : t.type === 'newline'
          ? 'Expected the start of an expression, but found the end of the line.'
          : 'Expected the start of an expression, but found an invalid expression token.',
    );
  }

  private parseParen(): Expr {
    const open = this.next();
    this.pushNewlines(false);
    const expr = this.peek().type === 'eof' ? undefined : this.parseExpression();
    const close = this.peek();
    if (!expr || !this.isPunct(close, ')')) {
      this.checkInvalid(close);
      throw errorAt(
        'Unbalanced parentheses',
        close.type === 'eof' ? this.range(open) : this.range(close),
        'Expected a closing parenthesis to terminate the expression.',
      );
    }
    this.next();
    this.popNewlines();
    return { kind: 'paren', expr, range: span(this.range(open), this.range(close)) };
  }

  private parseCall(nameTok: Token): Expr {
    const open = this.next();
    this.pushNewlines(false);
    const args: Expr[] = [];
    let expandFinal = false;
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, ')')) break;
      if (t.type === 'eof') {
        throw errorAt(
          'Unterminated function call',
          this.range(open),
          'There is no closing parenthesis for this function call before the end of the file.',
        );
      }
      args.push(this.parseExpression());
      const sep = this.peek();
      if (this.isPunct(sep, '...')) {
        this.next();
        expandFinal = true;
        const close = this.peek();
        if (!this.isPunct(close, ')')) {
          this.checkInvalid(close);
          throw errorAt(
            'Missing closing parenthesis',
            this.range(close),
            'An expanded function argument (with ...) must be immediately followed by closing parentheses.',
          );
        }
        break;
      }
      if (this.isPunct(sep, ',')) {
        this.next();
        continue;
      }
      if (this.isPunct(sep, ')')) break;
      this.checkInvalid(sep);
      if (sep.type === 'eof') continue; // reported as unterminated at the top of the loop
      throw errorAt(
        'Missing argument separator',
        this.range(sep),
        'A comma is required to separate each function argument from the next.',
      );
    }
    const close = this.next();
    this.popNewlines();
    return {
      kind: 'call',
      name: nameTok.text,
      args,
      expandFinal,
      range: span(this.range(nameTok), this.range(close)),
    };
  }

  private parseTuple(): Expr {
    const open = this.next();
    this.pushNewlines(false);
    if (this.isKeyword(this.peek(), 'for')) {
      const e = this.parseFor(open, false);
      this.popNewlines();
      return e;
    }
    const items: Expr[] = [];
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, ']')) break;
      if (t.type === 'eof') {
        throw errorAt(
          'Unclosed tuple constructor',
          this.range(open),
          'There is no closing bracket for this tuple before the end of the file.',
        );
      }
      items.push(this.parseExpression());
      const sep = this.peek();
      if (this.isPunct(sep, ',')) {
        this.next();
        continue;
      }
      if (this.isPunct(sep, ']')) break;
      this.checkInvalid(sep);
      if (sep.type === 'eof') continue; // reported as unclosed at the top of the loop
      throw errorAt(
        'Missing item separator',
        this.range(sep),
        'Expected a comma to mark the beginning of the next item.',
      );
    }
    const close = this.next();
    this.popNewlines();
    return { kind: 'tuple', items, range: span(this.range(open), this.range(close)) };
  }

  private parseObject(): Expr {
    const open = this.next();
    // A `for` may follow on the next line; look past newlines for it.
    this.pushNewlines(false);
    // `for` followed by `=` or `:` is an attribute named "for", not a for expression.
    const afterFor = this.peek2();
    if (this.isKeyword(this.peek(), 'for') && !this.isPunct(afterFor, '=') && !this.isPunct(afterFor, ':')) {
      const e = this.parseFor(open, true);
      this.popNewlines();
      return e;
    }
    this.popNewlines();
    this.pushNewlines(true);
    const items: { key: Expr; value: Expr }[] = [];
    for (;;) {
      let t = this.peek();
      while (t.type === 'newline') {
        this.next();
        t = this.peek();
      }
      if (this.isPunct(t, '}')) break;
      if (t.type === 'eof') {
        throw errorAt(
          'Unclosed object constructor',
          this.range(open),
          'There is no closing brace for this object before the end of the file.',
        );
      }
      let key: Expr;
      const after = this.peek2();
      if (t.type === 'ident' && (this.isPunct(after, '=') || this.isPunct(after, ':'))) {
        // A bare name is the literal key, as in HCL: `{ a = 1 }` has the key "a".
        this.next();
        key = { kind: 'literal', value: t.text, range: this.range(t) };
      } else {
        key = this.parseExpression();
      }
      const eq = this.peek();
      if (!this.isPunct(eq, '=') && !this.isPunct(eq, ':')) {
        this.checkInvalid(eq);
        throw errorAt(
          'Missing key/value separator',
          this.range(eq),
          'Expected an equals sign ("=") to mark the beginning of the attribute value.',
        );
      }
      this.next();
      const value = this.parseExpression();
      items.push({ key, value });
      const sep = this.peek();
      if (this.isPunct(sep, '}')) break;
      if (this.isPunct(sep, ',') || sep.type === 'newline') {
        this.next();
        continue;
      }
      this.checkInvalid(sep);
      if (sep.type === 'eof') continue; // reported as unclosed at the top of the loop
      throw errorAt(
        'Missing attribute separator',
        this.range(sep),
        'Expected a newline or comma to mark the beginning of the next attribute.',
      );
    }
    const close = this.next();
    this.popNewlines();
    return { kind: 'object', items, range: span(this.range(open), this.range(close)) };
  }

  /** Declared names of a `for`: `v` or `k, v`, then `in`. Shared with template directives. */
  parseForHead(): { keyVar?: string; valueVar: string; collection: Expr } {
    const a = this.next();
    if (a.type !== 'ident') {
      this.checkInvalid(a);
      throw errorAt(
        "Invalid 'for' expression",
        this.range(a),
        "For expression requires variable name after 'for'.",
      );
    }
    let keyVar: string | undefined;
    let valueVar = a.text;
    if (this.isPunct(this.peek(), ',')) {
      this.next();
      const b = this.next();
      if (b.type !== 'ident') {
        this.checkInvalid(b);
        throw errorAt(
          "Invalid 'for' expression",
          this.range(b),
          'For expression requires value variable name after comma.',
        );
      }
      keyVar = a.text;
      valueVar = b.text;
    }
    const inTok = this.next();
    if (!this.isKeyword(inTok, 'in')) {
      this.checkInvalid(inTok);
      throw errorAt(
        "Invalid 'for' expression",
        this.range(inTok),
        "For expression requires the 'in' keyword after its name declarations.",
      );
    }
    const collection = this.parseExpression();
    return keyVar === undefined ? { valueVar, collection } : { keyVar, valueVar, collection };
  }

  private parseFor(open: Token, isObject: boolean): Expr {
    this.next(); // `for`
    const head = this.parseForHead();
    const colon = this.next();
    if (!this.isPunct(colon, ':')) {
      this.checkInvalid(colon);
      throw errorAt(
        "Invalid 'for' expression",
        this.range(colon),
        'For expression requires a colon after the collection expression.',
      );
    }
    let keyExpr: Expr | undefined;
    let valueExpr = this.parseExpression();
    let group = false;
    const arrow = this.peek();
    if (this.isPunct(arrow, '=>')) {
      if (!isObject) {
        throw errorAt(
          "Invalid 'for' expression",
          this.range(arrow),
          'Key expression is not valid when building a tuple.',
        );
      }
      this.next();
      keyExpr = valueExpr;
      valueExpr = this.parseExpression();
    } else if (isObject) {
      this.checkInvalid(arrow);
      throw errorAt(
        "Invalid 'for' expression",
        this.range(arrow),
        'Key expression is required when building an object.',
      );
    }
    const dots = this.peek();
    if (this.isPunct(dots, '...')) {
      if (!isObject) {
        throw errorAt(
          "Invalid 'for' expression",
          this.range(dots),
          'Grouping ellipsis (...) cannot be used when building a tuple.',
        );
      }
      this.next();
      group = true;
    }
    let cond: Expr | undefined;
    if (this.isKeyword(this.peek(), 'if')) {
      this.next();
      cond = this.parseExpression();
    }
    const close = this.peek();
    const want = isObject ? '}' : ']';
    if (!this.isPunct(close, want)) {
      this.checkInvalid(close);
      throw errorAt(
        "Invalid 'for' expression",
        close.type === 'eof' ? this.range(open) : this.range(close),
        `Extra characters after the end of the 'for' expression; expected "${want}".`,
      );
    }
    this.next();
    const e: Expr = {
      kind: 'for',
      valueVar: head.valueVar,
      collection: head.collection,
      valueExpr,
      group,
      range: span(this.range(open), this.range(close)),
    };
    if (head.keyVar !== undefined) e.keyVar = head.keyVar;
    if (keyExpr) e.keyExpr = keyExpr;
    if (cond) e.cond = cond;
    return e;
  }
}
