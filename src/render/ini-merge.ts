/**
 * INI layering as kolla-ansible's merge_configs does it: each later file's sections and
 * keys win; a key repeated within one file is multi-valued (oslo.config's MultiStrOpt)
 * and all its values are kept; comments of the overridden lines are dropped.
 */

type Section = Map<string, string[]>;
export type IniDoc = Map<string, Section>;

const DEFAULT = 'DEFAULT';

export function parseIni(text: string): IniDoc {
  const doc: IniDoc = new Map();
  let current = DEFAULT;
  const seenInFile = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      current = sec[1]!.trim();
      if (!doc.has(current)) doc.set(current, new Map());
      continue;
    }
    const eq = line.search(/[=:]/);
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    let s = doc.get(current);
    if (!s) doc.set(current, (s = new Map()));
    const id = `${current}\u0000${key}`;
    if (seenInFile.has(id)) s.get(key)!.push(value);
    else {
      s.set(key, [value]);
      seenInFile.add(id);
    }
  }
  return doc;
}

/** Merge `over` into `base`: a key set in `over` replaces all of base's values for it. */
export function mergeIni(base: IniDoc, over: IniDoc): IniDoc {
  const out: IniDoc = new Map([...base].map(([k, s]) => [k, new Map(s)]));
  for (const [name, sec] of over) {
    let s = out.get(name);
    if (!s) out.set(name, (s = new Map()));
    for (const [k, v] of sec) s.set(k, [...v]);
  }
  return out;
}

export function formatIni(doc: IniDoc): string {
  const parts: string[] = [];
  const names = [...doc.keys()].sort((a, b) => (a === DEFAULT ? -1 : b === DEFAULT ? 1 : 0));
  for (const name of names) {
    const s = doc.get(name)!;
    const lines = [`[${name}]`];
    for (const [k, vals] of s) for (const v of vals) lines.push(v === '' ? `${k} =` : `${k} = ${v}`);
    parts.push(lines.join('\n'));
  }
  return parts.join('\n\n') + '\n';
}
