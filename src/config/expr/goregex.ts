/**
 * Terraform's regex functions take Go (RE2) syntax; this translates the parts that differ
 * from JavaScript's: `(?P<name>` groups, leading `(?flags)`, `\z`/`\A`, POSIX classes,
 * `\pL`, punctuation escapes JS's unicode mode rejects, and `$name` replacement templates.
 */

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Characters JS (unicode mode) allows after a backslash as a literal. */
const JS_SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);

/** Compile a Go regular expression. Throws Error with a readable message when invalid. */
export function compileGoRegex(pattern: string, global = false): RegExp {
  let src = pattern;
  let flags = 'u' + (global ? 'g' : '');
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    const f = lead[1] as string;
    if (f.includes('U')) throw new Error('the ungreedy flag (?U) is not supported');
    for (const c of f) if (!flags.includes(c)) flags += c;
    src = src.slice(lead[0].length);
  }
  const out: string[] = [];
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new Error('trailing backslash at end of expression');
      i++;
      if (n === 'z') out.push('(?![\\s\\S])');
      else if (n === 'A') out.push('(?<![\\s\\S])');
      else if ((n === 'p' || n === 'P') && src[i + 1] !== '{') {
        out.push(`\\${n}{${src[i + 1] ?? ''}}`);
        i++;
      } else if ((n === 'p' || n === 'P') && src[i + 1] === '{') {
        const end = src.indexOf('}', i);
        const name = src.slice(i + 2, end);
        // General categories (L, Lu) are accepted as is; other names are scripts.
        out.push(/^[A-Z][a-z]?$/.test(name) ? `\\${n}{${name}}` : `\\${n}{Script=${name}}`);
        i = end;
      } else if (n === 'x' && src[i + 1] === '{') {
        const end = src.indexOf('}', i);
        out.push(`\\u{${src.slice(i + 2, end)}}`);
        i = end;
      } else if (/[!-/:-@[-`{-~]/.test(n) && !JS_SYNTAX.has(n) && !(inClass && n === '-')) {
        out.push('\\x' + n.charCodeAt(0).toString(16).padStart(2, '0'));
      } else out.push('\\' + n);
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        const name = end > 0 ? src.slice(i + 2, end) : '';
        const neg = name.startsWith('^');
        const cls = POSIX[neg ? name.slice(1) : name];
        if (cls !== undefined && !neg) {
          out.push(cls);
          i = end + 1;
          continue;
        }
        if (cls !== undefined) throw new Error(`negated POSIX class [:${name}:] is not supported`);
      }
      if (c === ']') inClass = false;
      out.push(c === '[' ? '\\[' : c);
      continue;
    }
    if (c === '[') {
      inClass = true;
      out.push(c);
      // A `]` right after `[` or `[^` is a literal in Go.
      if (src[i + 1] === '^') {
        out.push('^');
        i++;
      }
      if (src[i + 1] === ']') {
        out.push('\\]');
        i++;
      }
      continue;
    }
    if (c === '(' && src.startsWith('(?P<', i)) {
      out.push('(?<');
      i += 3;
      continue;
    }
    if (c === '(' && src[i + 1] === '?' && /^\(\?[imsU-]+[:)]/.test(src.slice(i))) {
      throw new Error('inline flags are only supported at the start of the pattern');
    }
    out.push(c);
  }
  return new RegExp(out.join(''), flags);
}

/** Number of capture groups and the names of named ones. */
export function groupInfo(re: RegExp): { count: number; names: string[] } {
  const probe = new RegExp(`${re.source}|`, re.flags.replace('g', ''));
  const m = probe.exec('') as RegExpExecArray;
  return { count: m.length - 1, names: m.groups ? Object.keys(m.groups) : [] };
}

/**
 * Expand a Go replacement template (`$1`, `${1}`, `$name`, `${name}`, `$$`) for one match.
 * As in Go, `$1x` names the group "1x" (which does not exist, so it is empty).
 */
export function expandGoTemplate(template: string, m: RegExpExecArray): string {
  if (!template.includes('$')) return template;
  const out: string[] = [];
  let i = 0;
  while (i < template.length) {
    const c = template[i] as string;
    if (c !== '$') {
      out.push(c);
      i++;
      continue;
    }
    if (template[i + 1] === '$') {
      out.push('$');
      i += 2;
      continue;
    }
    let name: string | undefined;
    let next = i + 1;
    if (template[i + 1] === '{') {
      const end = template.indexOf('}', i + 2);
      const inner = end > 0 ? template.slice(i + 2, end) : '';
      if (end > 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        next = end + 1;
      }
    } else {
      const word = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (word) {
        name = word[0];
        next = i + 1 + word[0].length;
      }
    }
    if (name === undefined) {
      // A `$` not followed by a valid reference is kept literally, as in Go.
      out.push('$');
      i++;
      continue;
    }
    const value = /^[0-9]+$/.test(name) ? m[Number(name)] : m.groups?.[name];
    out.push(value ?? '');
    i = next;
  }
  return out.join('');
}
