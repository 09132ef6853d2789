/**
 * Override files nobody reads: kolla-ansible ignores them silently, a known pitfall. The
 * folders of the root module's folder where overrides are looked for — named at the start of
 * an `overrides` path, or holding any path a config block (in any module, for any host) looked
 * for, as the catalogue's `config/` — are listed, and each file in them that no config block
 * read is a warning.
 */
import path from 'node:path';
import { readdirSync, type Dirent } from 'node:fs';
import type { ExpandContext } from './context.js';

export function warnUnusedOverrides(ctx: ExpandContext): void {
  const { config, diags } = ctx;
  const roots = new Set<string>();
  for (const b of config.blocks) {
    if (b.type !== 'service') continue;
    for (const c of b.blocks) {
      const o = c.attrs.get('overrides');
      if (!o || o.expr.kind !== 'tuple') continue;
      for (const item of o.expr.items) {
        const text =
          item.kind === 'literal'
            ? item.value
            : item.kind === 'template' && item.parts[0]?.kind === 'text'
              ? item.parts[0].value
              : undefined;
        const first = typeof text === 'string' ? text.split('/')[0] : undefined;
        if (first && first !== '..' && first !== '.' && !first.includes('$')) roots.add(first);
      }
    }
  }
  for (const f of ctx.overrides.looked) {
    const rel = path.relative(config.dir, f);
    const first = rel.split(path.sep)[0];
    if (first && !rel.startsWith('..') && !path.isAbsolute(rel) && rel.includes(path.sep)) roots.add(first);
  }
  for (const r of roots) {
    for (const f of listFiles(path.resolve(config.dir, r))) {
      if (ctx.overrides.used.has(f)) continue;
      diags.warning(
        `Override file ${path.relative(config.dir, f)} is not read by any config block`,
        undefined,
        'No config block lists it in its overrides (for any host), so it changes nothing. Check its name and folder.',
      );
    }
  }
}

function listFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : [],
    )
    .sort();
}
