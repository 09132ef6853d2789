// The bundles' ASCII escaping (scripts/bundle.mjs): every non-ASCII UTF-16 unit as a \uXXXX
// escape where that means the same, or the text as it is with the offset of the first place
// where it would not (test/unit/build/ascii-escape.test.ts).
import ts from 'typescript';

function templateRanges(text) {
  const sf = ts.createSourceFile('bundle.cjs', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const out = [];
  const visit = (n) => {
    if (
      ts.isNoSubstitutionTemplateLiteral(n) ||
      ts.isTemplateHead(n) ||
      ts.isTemplateMiddle(n) ||
      ts.isTemplateTail(n)
    )
      out.push([n.getStart(sf), n.end]);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** { text } escaped, or { text, unsafe } unchanged with the first offset that cannot be. */
export function asciiEscaped(text) {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return { text };
  const templates = templateRanges(text);
  let unsafe;
  // eslint-disable-next-line no-control-regex
  const ascii = text.replace(/[^\x00-\x7f]/g, (c, at) => {
    let backslashes = 0;
    for (let i = at - 1; i >= 0 && text[i] === '\\'; i--) backslashes++;
    const code = c.charCodeAt(0);
    if (
      backslashes % 2 === 1 ||
      (code >= 0xd800 && code <= 0xdfff) ||
      templates.some(([a, b]) => at >= a && at < b)
    )
      unsafe ??= at;
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return unsafe === undefined ? { text: ascii } : { text, unsafe };
}
