/**
 * Structural decoding: checks every body against the block schemas before anything is
 * evaluated — unknown arguments and blocks (with suggestions), missing required arguments,
 * wrong label counts, repeated single blocks, duplicate block names — and returns the
 * blocks with their arguments still as expressions.
 */
import type { Attribute, Block, Body, File } from './hcl/ast.js';
import type { Diagnostics, SourceRange } from '../diags/diagnostic.js';
import { didYouMean, nameSuggestion } from '../diags/suggest.js';
import { blockDefs, type BlockDef } from './schema.js';

export interface DecodedBlock {
  type: string;
  labels: string[];
  labelRanges: SourceRange[];
  def: BlockDef;
  attrs: Map<string, Attribute>;
  blocks: DecodedBlock[];
  range: SourceRange;
  typeRange: SourceRange;
}

/**
 * Decode the top level of every file into one list of blocks: the root module's (`root`) or
 * a called module's (`module_root`: no hosts, groups, images or kolla block).
 */
export function decodeFiles(
  files: File[],
  diags: Diagnostics,
  level: 'root' | 'module_root' = 'root',
): DecodedBlock[] {
  const defs = blockDefs();
  const root = defs.get(level)!;
  const out: DecodedBlock[] = [];
  const seen = new Map<string, DecodedBlock>();
  for (const f of files) {
    for (const a of f.body.attributes) {
      diags.error(
        `Unsupported argument "${a.name}" at the top level; arguments belong inside a block`,
        a.nameRange,
        `Only blocks (${Object.keys(root.blocks).join(', ')}) may appear at the top level.`,
      );
    }
    for (const b of f.body.blocks) {
      if (level === 'module_root' && !root.blocks[b.type] && defs.get('root')!.blocks[b.type]) {
        diags.error(
          `A ${b.type} block belongs in the root module`,
          b.typeRange,
          `Modules see the root module's hosts, groups and registries; declare them there. Blocks a module may declare: ${Object.keys(root.blocks).join(', ')}.`,
        );
        continue;
      }
      const d = decodeChild(b, root, level === 'root' ? 'the top level' : 'a module', diags);
      if (!d) continue;
      if (d.def.name === 'kolla' || d.def.name === 'locals') {
        if (d.def.name === 'kolla') {
          const prev = seen.get('kolla');
          if (prev) {
            diags.error(
              'Duplicate kolla block',
              d.typeRange,
              `A kolla block was already declared at ${place(prev.typeRange)}; only one is allowed.`,
            );
            continue;
          }
          seen.set('kolla', d);
        }
        out.push(d);
        continue;
      }
      if (d.labels.length === 0) {
        out.push(d); // moved, removed: as many as needed
        continue;
      }
      const key = `${d.type}.${d.labels.join('.')}`;
      const prev = seen.get(key);
      if (prev) {
        diags.error(
          `Duplicate ${d.type} "${d.labels.join('" "')}"`,
          d.labelRanges[0] ?? d.typeRange,
          `A ${d.type} named "${d.labels.join('" "')}" was already declared at ${place(prev.labelRanges[0] ?? prev.typeRange)}. Names must be unique.`,
        );
        continue;
      }
      seen.set(key, d);
      out.push(d);
    }
  }
  return out;
}

function place(r: SourceRange): string {
  return `${r.file}:${r.start.line}:${r.start.col}`;
}

function describe(b: Block): string {
  return b.labels.length ? `${b.type} "${b.labels[0]}"` : b.type;
}

function decodeChild(
  b: Block,
  parent: BlockDef,
  where: string,
  diags: Diagnostics,
): DecodedBlock | undefined {
  const rule = parent.blocks[b.type];
  if (!rule) {
    diags.error(
      `Unsupported block type "${b.type}" in ${where}${didYouMean(b.type, Object.keys(parent.blocks))}`,
      b.typeRange,
      Object.keys(parent.blocks).length
        ? `Blocks allowed here: ${Object.keys(parent.blocks).join(', ')}.`
        : 'No blocks are allowed here.',
    );
    return undefined;
  }
  const def = blockDefs().get(rule.def)!;
  if (b.labels.length !== def.labels.length) {
    const want = def.labels.length
      ? `exactly ${def.labels.length} label${def.labels.length > 1 ? 's' : ''} (${def.labels.join(', ')})`
      : 'no labels';
    diags.error(
      b.labels.length < def.labels.length
        ? `Missing name for ${b.type} block`
        : `Extraneous label for ${b.type} block`,
      b.labels.length > def.labels.length ? b.labelRanges[def.labels.length]! : b.typeRange,
      `A ${b.type} block takes ${want}, e.g. ${example(b.type, def)}.`,
    );
    return undefined;
  }
  for (let i = 0; i < b.labels.length; i++) {
    const l = b.labels[i]!;
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(l) && !(b.type === 'config' || b.type === 'backend')) {
      diags.error(
        `Invalid ${b.type} name "${l}"`,
        b.labelRanges[i],
        'Names may contain letters, digits, underscores, dashes and dots, and must not start with a dash or dot.',
      );
      return undefined;
    }
  }
  return decodeBody(b, def, diags);
}

function example(type: string, def: BlockDef): string {
  return `${type}${def.labels.map((l) => ` "${l}"`).join('')} { ... }`;
}

function decodeBody(b: Block, def: BlockDef, diags: Diagnostics): DecodedBlock {
  const body: Body = b.body;
  const what = describe(b);
  const attrs = new Map<string, Attribute>();
  // Names offered as "did you mean" for a misspelt argument: that one mistake is already
  // reported, so a missing required argument of the same name is not reported again.
  const suggested = new Set<string>();
  for (const a of body.attributes) {
    const prev = attrs.get(a.name);
    if (prev) {
      diags.error(
        `Duplicate argument "${a.name}" in ${what}`,
        a.nameRange,
        `The argument "${a.name}" was already set at ${place(prev.nameRange)}. Each argument may be set only once.`,
      );
      continue;
    }
    if (!def.anyAttributes && !(a.name in def.properties)) {
      const blockHint = def.blocks[a.name] ? ` ("${a.name}" is a block here: write ${a.name} { ... })` : '';
      const suggestion = nameSuggestion(a.name, Object.keys(def.properties));
      if (suggestion) suggested.add(suggestion);
      diags.error(
        `Unsupported argument "${a.name}" in ${what}${didYouMean(a.name, Object.keys(def.properties))}${blockHint}`,
        a.nameRange,
        Object.keys(def.properties).length
          ? `Arguments allowed in ${b.type}: ${Object.keys(def.properties).join(', ')}.`
          : `${b.type} takes no arguments.`,
      );
      continue;
    }
    attrs.set(a.name, a);
  }
  for (const r of def.required) {
    if (!attrs.has(r) && !body.attributes.some((a) => a.name === r) && !suggested.has(r)) {
      diags.error(
        `Missing required argument "${r}" in ${what}`,
        b.typeRange,
        `The argument "${r}" is required${def.properties[r]?.description ? `: ${def.properties[r]!.description}` : '.'}`,
      );
    }
  }
  const blocks: DecodedBlock[] = [];
  const counts = new Map<string, number>();
  const names = new Map<string, DecodedBlock>();
  for (const child of body.blocks) {
    if (def.properties[child.type] && !def.blocks[child.type]) {
      diags.error(
        `Unsupported block type "${child.type}" in ${what}; "${child.type}" is an argument here: write ${child.type} = ...`,
        child.typeRange,
      );
      continue;
    }
    const d = decodeChild(child, def, what, diags);
    if (!d) continue;
    const n = (counts.get(child.type) ?? 0) + 1;
    counts.set(child.type, n);
    const max = def.blocks[child.type]?.max;
    if (max !== undefined && n > max) {
      diags.error(
        `Duplicate ${child.type} block in ${what}`,
        child.typeRange,
        `Only ${max} ${child.type} block is allowed here.`,
      );
      continue;
    }
    if (d.labels.length) {
      const key = `${d.type}.${d.labels.join('.')}`;
      const prev = names.get(key);
      if (prev) {
        diags.error(
          `Duplicate ${d.type} "${d.labels[0]}" in ${what}`,
          d.labelRanges[0],
          `A ${d.type} named "${d.labels[0]}" was already declared at ${place(prev.labelRanges[0]!)}.`,
        );
        continue;
      }
      names.set(key, d);
    }
    blocks.push(d);
  }
  return {
    type: b.type,
    labels: b.labels,
    labelRanges: b.labelRanges,
    def,
    attrs,
    blocks,
    range: b.range,
    typeRange: b.typeRange,
  };
}
