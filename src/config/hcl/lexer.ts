/**
 * HCL native-syntax lexer: turns source text into tokens with positions.
 *
 * HCL's lexical grammar is context-sensitive (a `"` opens a template whose `${` opens an
 * expression whose `}` returns to the template), so the lexer keeps a stack of frames, like
 * HCL's own scanner. Template literal text is emitted raw; the parser decodes escapes so it
 * can report the exact position of a bad escape. Comments are dropped here, but a line
 * comment's newline is still emitted, because newlines terminate attributes.
 * Lexical errors become `invalid` tokens that the parser reports when it reaches them.
 */
import type { Pos, SourceRange } from '../../diags/diagnostic.js';

export type TokenType =
  | 'ident'
  | 'number'
  /** Operators and brackets; `text` holds the symbol. */
  | 'punct'
  | 'oquote'
  | 'cquote'
  /** `<<EOT` or `<<-EOT` including its newline; `text` is the marker, `indent` is set for `<<-`. */
  | 'oheredoc'
  | 'cheredoc'
  /** A chunk of literal template text, raw (escapes not decoded). */
  | 'lit'
  /** `${`, or `${~` with `strip`. */
  | 'interp'
  /** `%{`, or `%{~` with `strip`. */
  | 'control'
  /** The `}` (or `~}` with `strip`) that closes an interpolation or directive. */
  | 'seqend'
  | 'newline'
  | 'eof'
  | 'invalid';

export interface Token {
  type: TokenType;
  text: string;
  start: Pos;
  end: Pos;
  /** Strip marker (`~`) on an interp/control/seqend token. */
  strip?: boolean;
  /** On `oheredoc`: the `<<-` form, whose common indentation is removed. */
  indent?: boolean;
  /** On `lit` inside a heredoc: this chunk begins a line of the heredoc body. */
  lineStart?: boolean;
  /** On `invalid`: what to report. */
  summary?: string;
  detail?: string;
}

export type LexMode = 'normal' | 'template';

type Frame =
  | { kind: 'normal' }
  | { kind: 'brace' }
  | { kind: 'seq' }
  | { kind: 'quoted' }
  | { kind: 'heredoc'; marker: string; atLineStart: boolean }
  | { kind: 'raw' };

const IDENT_RE = /[\p{ID_Start}_][\p{ID_Continue}-]*/uy;
const NUMBER_RE = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const DIGITS_RE = /[0-9]+/y;
const HEREDOC_RE = /<<(-?)([\p{ID_Start}_][\p{ID_Continue}_-]*)[ \t]*\r?\n/uy;
const PUNCT2 = new Set(['==', '!=', '<=', '>=', '&&', '||', '=>']);
const PUNCT1 = new Set(['+', '-', '*', '/', '%', '<', '>', '!', '=', '?', ':', ',', '.', '(', ')', '[', ']']);

/**
 * Tokenize `src`. `mode: 'template'` lexes the whole source as a bare template (file
 * content given to `parseTemplate`), which ends at end of input rather than at a quote.
 */
export function lex(src: string, file: string, mode: LexMode = 'normal', startPos?: Pos): Token[] {
  return new Lexer(src, file, startPos).run(mode);
}

export function tokenRange(file: string, t: Token): SourceRange {
  return { file, start: t.start, end: t.end };
}

class Lexer {
  private i = 0;
  private line: number;
  private col: number;
  private readonly base: number;
  private readonly toks: Token[] = [];
  private readonly stack: Frame[] = [];

  constructor(
    private readonly src: string,
    private readonly file: string,
    startPos?: Pos,
  ) {
    this.line = startPos?.line ?? 1;
    this.col = startPos?.col ?? 1;
    this.base = startPos?.offset ?? 0;
  }

  run(mode: LexMode): Token[] {
    this.stack.push(mode === 'template' ? { kind: 'raw' } : { kind: 'normal' });
    while (this.i < this.src.length) {
      const top = this.stack[this.stack.length - 1];
      if (!top) {
        // Defensive: the bottom frame is never popped, but never loop forever if it were.
        this.stack.push({ kind: 'normal' });
        continue;
      }
      switch (top.kind) {
        case 'quoted':
          this.scanQuoted();
          break;
        case 'heredoc':
          this.scanHeredoc(top);
          break;
        case 'raw':
          this.scanRaw();
          break;
        default:
          this.scanNormal(top);
      }
    }
    // A template still open at end of input is unterminated (quoted strings and heredocs
    // report it themselves; a raw template simply ends here).
    const p = this.pos();
    this.toks.push({ type: 'eof', text: '', start: p, end: p });
    return this.toks;
  }

  private pos(): Pos {
    return { line: this.line, col: this.col, offset: this.base + this.i };
  }

  /** Advance over `n` UTF-16 units known to hold no newline. */
  private skip(n: number): void {
    let end = this.i + n;
    while (this.i < end) {
      const c = this.src.charCodeAt(this.i);
      const d = this.src.charCodeAt(this.i + 1);
      if (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        // A surrogate pair is one character and one column, never split.
        this.i += 2;
        if (end < this.i) end = this.i;
      } else this.i++;
      this.col++;
    }
  }

  /** Advance over one character, newline-aware. */
  private advance(): void {
    const c = this.src.charCodeAt(this.i);
    if (c === 10) {
      this.i++;
      this.line++;
      this.col = 1;
    } else this.skip(1);
  }

  private emit(type: TokenType, start: Pos, extra?: Partial<Token>): Token {
    const t: Token = { type, text: this.src.slice(start.offset - this.base, this.i), start, end: this.pos() };
    // Assigning (rather than spreading) keeps token objects cheap to build.
    if (extra) Object.assign(t, extra);
    this.toks.push(t);
    return t;
  }

  private invalid(start: Pos, summary: string, detail: string): void {
    this.emit('invalid', start, { summary, detail });
  }

  /** Length of the identifier at the cursor (0 if none); ASCII without the Unicode regex. */
  private identLength(): number {
    const src = this.src;
    const first = src.charCodeAt(this.i);
    const asciiStart = (first >= 97 && first <= 122) || (first >= 65 && first <= 90) || first === 95;
    if (!asciiStart && first < 128) return 0;
    let j = this.i + 1;
    if (asciiStart) {
      for (;;) {
        const ch = src.charCodeAt(j);
        const ok =
          (ch >= 97 && ch <= 122) ||
          (ch >= 65 && ch <= 90) ||
          (ch >= 48 && ch <= 57) ||
          ch === 95 ||
          ch === 45;
        if (!ok) break;
        j++;
      }
      if (j >= src.length || src.charCodeAt(j) < 128) return j - this.i;
    }
    // Non-ASCII letters: fall back to the Unicode definition (ID_Start, ID_Continue).
    const m = this.match(IDENT_RE);
    return m ? m[0].length : 0;
  }

  private match(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.i;
    return re.exec(this.src);
  }

  private scanNormal(top: Frame): void {
    const src = this.src;
    const c = src[this.i] as string;
    // A byte order mark is whitespace only where it marks the byte order: the file's start.
    if (
      c === ' ' ||
      c === '\t' ||
      (c === '\r' && src[this.i + 1] !== '\n') ||
      (c === '\ufeff' && this.i === 0)
    ) {
      this.skip(1);
      return;
    }
    const start = this.pos();
    if (c === '\n' || c === '\r') {
      if (c === '\r') this.skip(1);
      this.advance();
      this.emit('newline', start);
      return;
    }
    if (c === '#' || (c === '/' && src[this.i + 1] === '/')) {
      // The newline ending a line comment still terminates the attribute before it.
      let j = src.indexOf('\n', this.i);
      if (j < 0) j = src.length;
      if (j > this.i && src[j - 1] === '\r') j--;
      this.skip(j - this.i);
      return;
    }
    if (c === '/' && src[this.i + 1] === '*') {
      const j = src.indexOf('*/', this.i + 2);
      const stop = j < 0 ? src.length : j + 2;
      while (this.i < stop) this.advance();
      if (j < 0) this.invalid(start, 'Unterminated comment', 'There is no "*/" closing this comment.');
      return;
    }
    if (c >= '0' && c <= '9') {
      // After a dot only digits form the token, so the legacy index `a.0.1` is `a . 0 . 1`.
      const prev = this.toks[this.toks.length - 1];
      const afterDot = prev?.type === 'punct' && prev.text === '.';
      const m = this.match(afterDot ? DIGITS_RE : NUMBER_RE);
      this.skip(m ? m[0].length : 1);
      this.emit('number', start);
      return;
    }
    const idLen = this.identLength();
    if (idLen > 0) {
      this.skip(idLen);
      this.emit('ident', start);
      return;
    }
    if (c === '"') {
      this.skip(1);
      this.emit('oquote', start);
      this.stack.push({ kind: 'quoted' });
      return;
    }
    if (c === '<' && src[this.i + 1] === '<') {
      const m = this.match(HEREDOC_RE);
      if (m) {
        const marker = m[2] as string;
        this.skip(m[0].length - 1);
        this.advance();
        const t = this.emit('oheredoc', start, { indent: m[1] === '-' });
        t.text = marker;
        this.stack.push({ kind: 'heredoc', marker, atLineStart: true });
      } else {
        this.skip(2);
        this.invalid(
          start,
          'Invalid heredoc introduction',
          'A heredoc begins with "<<" or "<<-", an identifier marker, and a newline.',
        );
      }
      return;
    }
    if (c === '{') {
      this.skip(1);
      this.emit('punct', start);
      this.stack.push({ kind: 'brace' });
      return;
    }
    if (c === '}') {
      this.skip(1);
      if (top.kind === 'seq') {
        this.stack.pop();
        this.emit('seqend', start);
      } else {
        if (top.kind === 'brace') this.stack.pop();
        this.emit('punct', start);
      }
      return;
    }
    if (c === '~' && src[this.i + 1] === '}' && top.kind === 'seq') {
      this.skip(2);
      this.stack.pop();
      this.emit('seqend', start, { strip: true });
      return;
    }
    if (c === '.' && src[this.i + 1] === '.' && src[this.i + 2] === '.') {
      this.skip(3);
      this.emit('punct', start);
      return;
    }
    const n = src[this.i + 1];
    if (n !== undefined && PUNCT2.has(c + n)) {
      this.skip(2);
      this.emit('punct', start);
      return;
    }
    if (PUNCT1.has(c)) {
      this.skip(1);
      this.emit('punct', start);
      return;
    }
    this.skip(1);
    this.invalid(
      start,
      'Invalid character',
      `The character ${JSON.stringify(this.src.slice(start.offset - this.base, this.i))} is not used within the language.`,
    );
  }

  /** Open `${` / `%{` (with optional `~`) at the current position, if present. */
  private openSeq(): boolean {
    const src = this.src;
    const c = src[this.i];
    if ((c !== '$' && c !== '%') || src[this.i + 1] !== '{') return false;
    const start = this.pos();
    const strip = src[this.i + 2] === '~';
    this.skip(strip ? 3 : 2);
    this.emit(c === '$' ? 'interp' : 'control', start, strip ? { strip: true } : {});
    this.stack.push({ kind: 'seq' });
    return true;
  }

  /** True (and consumes) at `$${` or `%%{`, which are literal `${` and `%{`. */
  private escapedSeq(): boolean {
    const src = this.src;
    const c = src[this.i];
    if ((c === '$' || c === '%') && src[this.i + 1] === c && src[this.i + 2] === '{') {
      this.skip(3);
      return true;
    }
    return false;
  }

  private flushLit(start: Pos, extra?: Partial<Token>): void {
    if (this.i > start.offset - this.base || extra?.lineStart) this.emit('lit', start, extra);
  }

  private scanQuoted(): void {
    const src = this.src;
    const start = this.pos();
    while (this.i < src.length) {
      const c = src[this.i];
      if (c === '"') {
        this.flushLit(start);
        const q = this.pos();
        this.skip(1);
        this.emit('cquote', q);
        this.stack.pop();
        return;
      }
      if (c === '\\') {
        // Keep the escape raw; skip its selector so `\"` does not close the string.
        const n = src[this.i + 1];
        this.skip(n === undefined || n === '\n' || n === '\r' ? 1 : 2);
        continue;
      }
      if (this.escapedSeq()) continue;
      if (c === '\n' || c === '\r') {
        this.flushLit(start);
        this.stack.pop();
        this.invalid(
          this.pos(),
          'Invalid multi-line string',
          'Quoted strings may not be split over multiple lines. To produce a multi-line string, ' +
            'either use the \\n escape to represent a newline character or use the "heredoc" ' +
            'multi-line template syntax.',
        );
        return;
      }
      if ((c === '$' || c === '%') && src[this.i + 1] === '{') {
        this.flushLit(start);
        this.openSeq();
        return;
      }
      this.skip(1);
    }
    // End of input: the parser reports the unterminated string at its opening quote.
    this.flushLit(start);
    this.stack.pop();
  }

  private scanHeredoc(frame: { kind: 'heredoc'; marker: string; atLineStart: boolean }): void {
    const src = this.src;
    if (frame.atLineStart) {
      // The closing marker may be indented, and must be alone on its line.
      let j = this.i;
      while (src[j] === ' ' || src[j] === '\t') j++;
      if (src.startsWith(frame.marker, j)) {
        let k = j + frame.marker.length;
        while (src[k] === ' ' || src[k] === '\t') k++;
        if (k >= src.length || src[k] === '\n' || (src[k] === '\r' && src[k + 1] === '\n')) {
          this.skip(j - this.i);
          const start = this.pos();
          this.skip(frame.marker.length);
          this.emit('cheredoc', start);
          this.skip(k - this.i);
          this.stack.pop();
          return;
        }
      }
    }
    const lineStart = frame.atLineStart;
    frame.atLineStart = false;
    const start = this.pos();
    while (this.i < src.length) {
      const c = src[this.i];
      if (c === '\n') {
        this.advance();
        this.emit('lit', start, lineStart ? { lineStart: true } : {});
        frame.atLineStart = true;
        return;
      }
      if (this.escapedSeq()) continue;
      if ((c === '$' || c === '%') && src[this.i + 1] === '{') {
        // An empty line-start chunk is still emitted: it tells the indentation logic that
        // this line starts with a sequence (indentation zero).
        this.flushLit(start, lineStart ? { lineStart: true } : {});
        this.openSeq();
        return;
      }
      this.skip(1);
    }
    // End of input: the parser reports the unterminated heredoc at its opening marker.
    this.flushLit(start, lineStart ? { lineStart: true } : {});
    this.stack.pop();
  }

  private scanRaw(): void {
    const src = this.src;
    const start = this.pos();
    while (this.i < src.length) {
      if (this.escapedSeq()) continue;
      const c = src[this.i];
      if ((c === '$' || c === '%') && src[this.i + 1] === '{') {
        this.flushLit(start);
        this.openSeq();
        return;
      }
      this.advance();
    }
    this.flushLit(start);
  }
}
