/**
 * Template parsing: the contents of quoted strings, heredocs and bare templates, i.e.
 * literal text with `${ expr }` interpolations and `%{ if }` / `%{ for }` directives.
 *
 * Done in three passes, as HCL does: collect a flat list of items (decoding escapes),
 * apply heredoc indentation removal and `~` strip markers on that flat list (a marker
 * strips the text next to it even across directive nesting), then build the nested
 * if/for structure.
 */
import { errorAt } from '../../diags/diagnostic.js';
import type { SourceRange } from '../../diags/diagnostic.js';
import type { Expr, TemplatePart } from './ast.js';
import type { Token } from './lexer.js';

/**
 * What template parsing needs of the expression parser (parser.ts implements it). Declared
 * here, not imported, so that parser.ts → template.ts is the only edge between the two.
 */
export interface Parser {
  readonly file: string;
  next(): Token;
  peek(): Token;
  rawPeek(): Token;
  range(t: Token): SourceRange;
  checkInvalid(t: Token): void;
  parseExpression(): Expr;
  parseForHead(): { keyVar?: string; valueVar: string; collection: Expr };
  pushNewlines(significant: boolean): void;
  popNewlines(): void;
}

type Marks = { stripL: boolean; stripR: boolean; range: SourceRange };

type Item =
  | { t: 'text'; value: string; range: SourceRange; lineStart: boolean }
  | ({ t: 'interp'; expr: Expr } & Marks)
  | ({ t: 'if'; cond: Expr } & Marks)
  | ({ t: 'else' | 'endif' | 'endfor' } & Marks)
  | ({ t: 'for'; keyVar?: string; valueVar: string; collection: Expr } & Marks);

type EndType = 'cquote' | 'cheredoc' | 'eof';

/**
 * Parse template tokens after `open` up to the closing token (`end`). A template with
 * no sequences becomes a string literal, so static strings stay simple to analyse.
 */
export function parseTemplateTokens(p: Parser, open: Token, end: EndType, indent: boolean): Expr {
  const items: Item[] = [];
  let close: Token;
  const quoted = end === 'cquote';
  for (;;) {
    const t = p.rawPeek();
    if (t.type === end) {
      if (end !== 'eof') p.next();
      close = t;
      break;
    }
    switch (t.type) {
      case 'lit': {
        p.next();
        items.push({
          t: 'text',
          value: quoted ? decodeQuoted(t, p.file) : decodeBare(t.text),
          range: p.range(t),
          lineStart: t.lineStart === true,
        });
        continue;
      }
      case 'interp': {
        p.next();
        p.pushNewlines(false);
        const expr = p.parseExpression();
        const seqEnd = expectSeqEnd(p, t, 'interpolation expression');
        p.popNewlines();
        items.push({
          t: 'interp',
          expr,
          stripL: t.strip === true,
          stripR: seqEnd.strip === true,
          range: spanTok(p, t, seqEnd),
        });
        continue;
      }
      case 'control':
        p.next();
        items.push(parseDirective(p, t));
        continue;
      case 'eof':
        throw errorAt(
          'Unterminated template string',
          p.range(open),
          'No closing marker was found for the string.',
        );
      default:
        p.checkInvalid(t);
        throw errorAt('Invalid template', p.range(t), `Unexpected ${t.type} token in a template.`);
    }
  }
  if (indent) stripIndent(items);
  applyStripMarkers(items);
  const parts = buildTree(items);
  const range: SourceRange = { file: p.file, start: open.start, end: close.end };
  if (parts.every((x) => x.kind === 'text')) {
    return { kind: 'literal', value: parts.map((x) => (x.kind === 'text' ? x.value : '')).join(''), range };
  }
  return { kind: 'template', parts, range };
}

function spanTok(p: Parser, a: Token, b: Token): SourceRange {
  return { file: p.file, start: a.start, end: b.end };
}

function expectSeqEnd(p: Parser, open: Token, what: string): Token {
  const t = p.peek();
  if (t.type === 'seqend') return p.next();
  p.checkInvalid(t);
  if (t.type === 'eof') {
    throw errorAt(
      'Unclosed template sequence',
      p.range(open),
      'There is no closing brace for this template sequence before the end of the input.',
    );
  }
  throw errorAt(
    `Extra characters after ${what}`,
    p.range(t),
    `Expected a closing brace to end the ${what}, but found extra characters.`,
  );
}

function parseDirective(p: Parser, open: Token): Item {
  p.pushNewlines(false);
  const kw = p.next();
  let item: Item;
  const marks = (close: Token): Marks => ({
    stripL: open.strip === true,
    stripR: close.strip === true,
    range: spanTok(p, open, close),
  });
  const word = kw.type === 'ident' ? kw.text : '';
  switch (word) {
    case 'if': {
      const cond = p.parseExpression();
      item = { t: 'if', cond, ...marks(expectSeqEnd(p, open, 'if directive')) };
      break;
    }
    case 'for': {
      const head = p.parseForHead();
      const m = marks(expectSeqEnd(p, open, 'for directive'));
      item = { t: 'for', valueVar: head.valueVar, collection: head.collection, ...m };
      if (head.keyVar !== undefined) item.keyVar = head.keyVar;
      break;
    }
    case 'else':
    case 'endif':
    case 'endfor':
      item = { t: word, ...marks(expectSeqEnd(p, open, `${word} directive`)) };
      break;
    default:
      p.checkInvalid(kw);
      throw errorAt(
        'Invalid template directive',
        p.range(kw),
        'A template directive keyword ("if", "else", "endif", "for", "endfor") is expected at the beginning of a %{ sequence.',
      );
  }
  p.popNewlines();
  return item;
}

/** Heredoc/bare text: only `$${` and `%%{` are escapes. */
function decodeBare(raw: string): string {
  if (!raw.includes('{')) return raw;
  return raw.replace(/\$\$\{|%%\{/g, (m) => m.slice(1));
}

/** Quoted-string text: backslash escapes plus `$${` and `%%{`. */
function decodeQuoted(t: Token, file: string): string {
  const raw = t.text;
  if (!raw.includes('\\') && !raw.includes('{')) return raw;
  const out: string[] = [];
  let i = 0;
  let from = 0;
  const fail = (at: number, len: number, detail: string): never => {
    // Quoted literal chunks never span lines, so the column is a code point count.
    const colOf = (k: number): number => t.start.col + [...raw.slice(0, k)].length;
    const start = { line: t.start.line, col: colOf(at), offset: t.start.offset + at };
    const end = { line: t.start.line, col: colOf(at + len), offset: t.start.offset + at + len };
    throw errorAt('Invalid escape sequence', { file, start, end }, detail);
  };
  while (i < raw.length) {
    const c = raw[i];
    if ((c === '$' || c === '%') && raw[i + 1] === c && raw[i + 2] === '{') {
      out.push(raw.slice(from, i), c + '{');
      i += 3;
      from = i;
      continue;
    }
    if (c !== '\\') {
      i++;
      continue;
    }
    out.push(raw.slice(from, i));
    const sel = raw[i + 1];
    switch (sel) {
      case 'n':
        out.push('\n');
        break;
      case 'r':
        out.push('\r');
        break;
      case 't':
        out.push('\t');
        break;
      case '"':
        out.push('"');
        break;
      case '\\':
        out.push('\\');
        break;
      case 'u':
      case 'U': {
        const n = sel === 'u' ? 4 : 8;
        const hex = raw.slice(i + 2, i + 2 + n);
        if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(hex)) {
          fail(i, 2, `The \\${sel} escape sequence must be followed by ${n} hexadecimal digits.`);
        }
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) fail(i, 2 + n, 'The escape sequence does not encode a valid Unicode character.');
        out.push(String.fromCodePoint(cp));
        i += 2 + n;
        from = i;
        continue;
      }
      case undefined:
        fail(i, 1, 'A backslash must be followed by an escape sequence selector.');
        break;
      default:
        fail(i, 2, `The symbol "${sel}" is not a valid escape sequence selector.`);
    }
    i += 2;
    from = i;
  }
  out.push(raw.slice(from));
  return out.join('');
}

/**
 * `<<-` heredocs: remove the indentation common to all lines. Lines holding only
 * whitespace do not count towards the minimum (an empty line would make it zero).
 */
function stripIndent(items: Item[]): void {
  let min = Infinity;
  for (const it of items) {
    if (it.t !== 'text' || !it.lineStart) continue;
    if (/^[ \t]*\r?\n$/.test(it.value)) continue;
    const ws = /^[ \t]*/.exec(it.value)?.[0].length ?? 0;
    if (ws < min) min = ws;
  }
  if (min === Infinity || min === 0) return;
  for (const it of items) {
    if (it.t !== 'text' || !it.lineStart) continue;
    const ws = /^[ \t]*/.exec(it.value)?.[0].length ?? 0;
    it.value = it.value.slice(Math.min(ws, min));
  }
}

/** `${~` trims whitespace before the sequence, `~}` trims whitespace after it. */
function applyStripMarkers(items: Item[]): void {
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as Item;
    if (it.t === 'text') continue;
    const prev = items[i - 1];
    const next = items[i + 1];
    if (it.stripL && prev?.t === 'text') prev.value = prev.value.trimEnd();
    if (it.stripR && next?.t === 'text') next.value = next.value.trimStart();
  }
}

type Open =
  | { kind: 'if'; item: Item & { t: 'if' }; node: TemplatePart & { kind: 'if' }; inElse: boolean }
  | { kind: 'for'; item: Item & { t: 'for' }; node: TemplatePart & { kind: 'for' } };

function buildTree(items: Item[]): TemplatePart[] {
  const root: TemplatePart[] = [];
  const stack: Open[] = [];
  const target = (): TemplatePart[] => {
    const top = stack[stack.length - 1];
    if (!top) return root;
    if (top.kind === 'for') return top.node.body;
    return top.inElse ? top.node.else : top.node.then;
  };
  for (const it of items) {
    switch (it.t) {
      case 'text': {
        if (it.value === '') break;
        const parts = target();
        const last = parts[parts.length - 1];
        if (last?.kind === 'text') {
          // Heredoc lines arrive one token each; merge them (strings are ropes, no copying).
          last.value += it.value;
          last.range = { file: last.range.file, start: last.range.start, end: it.range.end };
        } else parts.push({ kind: 'text', value: it.value, range: it.range });
        break;
      }
      case 'interp':
        target().push({ kind: 'interp', expr: it.expr, range: it.range });
        break;
      case 'if': {
        const node: TemplatePart & { kind: 'if' } = {
          kind: 'if',
          cond: it.cond,
          then: [],
          else: [],
          range: it.range,
        };
        target().push(node);
        stack.push({ kind: 'if', item: it, node, inElse: false });
        break;
      }
      case 'for': {
        const node: TemplatePart & { kind: 'for' } = {
          kind: 'for',
          valueVar: it.valueVar,
          collection: it.collection,
          body: [],
          range: it.range,
        };
        if (it.keyVar !== undefined) node.keyVar = it.keyVar;
        target().push(node);
        stack.push({ kind: 'for', item: it, node });
        break;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (top?.kind !== 'if' || top.inElse) {
          throw errorAt(
            'Unexpected else clause',
            it.range,
            top?.kind === 'if'
              ? 'This if directive already has an else clause.'
              : 'An else clause must be inside an if directive.',
          );
        }
        top.inElse = true;
        break;
      }
      case 'endif':
      case 'endfor': {
        const want = it.t === 'endif' ? 'if' : 'for';
        const top = stack[stack.length - 1];
        if (top?.kind !== want) {
          throw errorAt(
            `Unexpected ${it.t} directive`,
            it.range,
            top
              ? `Expected an end${top.kind} directive to close the ${top.kind} directive at line ${top.item.range.start.line}.`
              : `An ${it.t} directive must close a ${want} directive.`,
          );
        }
        stack.pop();
        top.node.range = { file: it.range.file, start: top.node.range.start, end: it.range.end };
        break;
      }
    }
  }
  const open = stack[stack.length - 1];
  if (open) {
    throw errorAt(
      'Unclosed template directive',
      open.item.range,
      `There is no %{ end${open.kind} } to close this %{ ${open.kind} } directive.`,
    );
  }
  return root;
}
