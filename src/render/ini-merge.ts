/**
 * INI layering with the result kolla-ansible's merge_configs produces: sections in the
 * order they first appear (keys outside any section kept first, without a header); within
 * one file a repeated key collects all its values (oslo.config's MultiStrOpt), and a later
 * file that sets the key replaces all of them; an overridden key keeps its place; indented
 * continuation lines extend the previous value; comments are dropped; values are kept
 * verbatim (`%` included). Each section is written as `[name]`, `key = value` lines and one
 * blank line.
 */

/** A key's values in one file: each value is one or more lines. */
type Values = string[][];
type Section = Map<string, Values>;
export type IniDoc = Map<string, Section>;

/** Keys before any section header. */
export const ORPHAN = '\u0000orphan';

export function parseIni(text: string): IniDoc {
  const doc: IniDoc = new Map();
  let section: Section | undefined;
  let lastKey: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const trimmed = raw.trim();
    if (trimmed === '') {
      lastKey = undefined;
      continue;
    }
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    // Continuation: an indented line after a key extends its last value.
    if (/^\s/.test(raw) && lastKey !== undefined && section) {
      const vals = section.get(lastKey)!;
      vals[vals.length - 1]!.push(trimmed);
      continue;
    }
    const header = /^\[([^\]]*)\]\s*$/.exec(trimmed);
    if (header) {
      const name = header[1]!.trim();
      section = doc.get(name);
      if (!section) doc.set(name, (section = new Map()));
      lastKey = undefined;
      continue;
    }
    const sep = trimmed.search(/[=:]/);
    const key = (sep < 0 ? trimmed : trimmed.slice(0, sep)).trim();
    const value = sep < 0 ? '' : trimmed.slice(sep + 1).trim();
    if (!section) {
      section = doc.get(ORPHAN);
      if (!section) doc.set(ORPHAN, (section = new Map()));
    }
    const v = value === '' ? [] : [value];
    const cur = section.get(key);
    if (cur) cur.push(v);
    else section.set(key, [v]);
    lastKey = key;
  }
  return doc;
}

/** Layer `over` on `base`: every key `over` sets replaces base's values for it. */
export function mergeIni(base: IniDoc, over: IniDoc): IniDoc {
  const out: IniDoc = new Map([...base].map(([k, s]) => [k, new Map(s)]));
  for (const [name, sec] of over) {
    let s = out.get(name);
    if (!s) out.set(name, (s = new Map()));
    for (const [k, v] of sec)
      s.set(
        k,
        v.map((x) => [...x]),
      );
  }
  return out;
}

export function formatIni(doc: IniDoc): string {
  let out = '';
  for (const [name, sec] of doc) {
    if (name !== ORPHAN) out += `[${name}]\n`;
    for (const [key, values] of sec) {
      for (const v of values) {
        if (v.length === 0) {
          out += `${key} =\n`;
          continue;
        }
        // Further lines of a multi-line value line up under the first.
        const indent = ' '.repeat(key.length + 3);
        v.forEach((line, i) => (out += i === 0 ? `${key} = ${line}\n` : `${indent}${line}\n`));
      }
    }
    out += '\n';
  }
  return out;
}
