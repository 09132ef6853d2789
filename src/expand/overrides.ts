/**
 * Override files nobody reads: kolla-ansible ignores them silently, a known pitfall. The
 * folders of the root module's folder where overrides are looked for — named at the start of
 * an `overrides` path, or holding any path a config block (in any module, for any host) looked
 * for, as the catalogue's `config/` — are listed, and each file in them that no config block
 * read is a warning.
 *
 * Inline overrides likewise: a config block's `override_values = lookup(MAP, "nova.conf", {})`
 * (or `MAP["nova.conf"]`) reads the entry "nova.conf" of MAP, and each key of MAP that no config
 * block (of any module instance) reads is a warning, placed where the map is written — followed
 * up through the module inputs it is passed down by (kolla/openstack's `config_overrides`).
 */
import path from 'node:path';
import { readdirSync, type Dirent } from 'node:fs';
import type { ExpandContext } from './context.js';
import type { Expr } from '../config/hcl/ast.js';
import type { ModuleInstance } from '../config/modules.js';
import { DependencyFailed } from '../config/scope.js';
import { DiagnosticError, type SourceRange } from '../diags/diagnostic.js';
import { didYouMean } from '../diags/suggest.js';
import { formatModulePath } from '../addrs/address.js';

export function warnUnusedOverrides(ctx: ExpandContext): void {
  warnUnusedInlineOverrides(ctx);
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

/** `lookup(MAP, "key", ...)` or `MAP["key"]`: the map and the key an override_values reads. */
function lookupOf(e: Expr): { map: Expr; key: string } | undefined {
  if (e.kind === 'paren') return lookupOf(e.expr);
  if (e.kind === 'call' && e.name === 'lookup' && e.args.length >= 2) {
    const key = literalString(e.args[1]!);
    return key === undefined ? undefined : { map: e.args[0]!, key };
  }
  if (e.kind === 'index') {
    const key = literalString(e.key);
    return key === undefined ? undefined : { map: e.object, key };
  }
  return undefined;
}

function literalString(e: Expr): string | undefined {
  if (e.kind === 'literal' && typeof e.value === 'string') return e.value;
  if (e.kind === 'template' && e.parts.every((p) => p.kind === 'text'))
    return e.parts.map((p) => (p.kind === 'text' ? p.value : '')).join('');
  return undefined;
}

interface Origin {
  /** Where the map is written: a module call's argument followed up to the outermost. */
  range: SourceRange;
  expr: Expr;
  /** The name it is passed by (the outermost module input), or its expression's variable. */
  name: string;
}

/** Follow `var.NAME` up through the module calls that pass it, and `local.NAME` to its value. */
function originOf(m: ModuleInstance, e: Expr, byPath: Map<string, ModuleInstance>): Origin {
  let name = e.kind === 'getattr' ? e.name : 'the map';
  for (let hops = 0; hops < 64 && e.kind === 'getattr' && e.object.kind === 'variable'; hops++) {
    const attr = e.name;
    if (e.object.name === 'local') {
      const def = m.blocks.find((b) => b.type === 'locals' && b.attrs.has(attr))?.attrs.get(attr);
      if (!def) break;
      e = def.expr;
      continue;
    }
    if (e.object.name !== 'var' || !m.call) break;
    const arg = m.call.attrs.get(attr);
    const parent = byPath.get(formatModulePath(m.path.slice(0, -1)));
    if (!arg || !parent) break;
    name = attr;
    e = arg.expr;
    m = parent;
  }
  return { range: e.range, expr: e, name };
}

/** The range of `key` in an object literal, if the map is one and has it. */
function keyRange(o: Origin, key: string): SourceRange {
  if (o.expr.kind !== 'object') return o.range;
  for (const item of o.expr.items) {
    const k = item.key.kind === 'variable' ? item.key.name : literalString(item.key);
    if (k === key) return item.key.range;
  }
  return o.range;
}

function warnUnusedInlineOverrides(ctx: ExpandContext): void {
  const { config, diags } = ctx;
  const byPath = new Map(config.modules.map((m) => [formatModulePath(m.path), m]));
  const maps = new Map<string, { origin: Origin; keys: Set<string>; read: Set<string> }>();
  for (const m of config.modules) {
    for (const svc of m.blocks) {
      if (svc.type !== 'service') continue;
      for (const c of svc.blocks) {
        const a = c.type === 'config' ? c.attrs.get('override_values') : undefined;
        const pick = a && lookupOf(a.expr);
        if (!pick) continue;
        let value: unknown;
        try {
          value = m.scope.eval(pick.map);
        } catch (e) {
          // A map that needs the host (or fails): its problem is reported where it is used.
          if (e instanceof DiagnosticError || e instanceof DependencyFailed) continue;
          throw e;
        }
        if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
        const origin = originOf(m, pick.map, byPath);
        const id = `${origin.range.file}:${origin.range.start.offset}`;
        let entry = maps.get(id);
        if (!entry) maps.set(id, (entry = { origin, keys: new Set(), read: new Set() }));
        for (const k of Object.keys(value)) entry.keys.add(k);
        entry.read.add(pick.key);
      }
    }
  }
  for (const { origin, keys, read } of maps.values()) {
    for (const k of [...keys].sort()) {
      if (read.has(k)) continue;
      diags.warning(
        `Inline override "${k}" is not read by any config block${didYouMean(k, read)}`,
        keyRange(origin, k),
        `No config block takes the entry "${k}" of ${origin.name} (for any host), so it changes nothing. The config blocks read: ${[...read].sort().join(', ')}. Check the file name, and that its service is enabled.`,
      );
    }
  }
}
