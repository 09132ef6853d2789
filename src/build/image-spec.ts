/**
 * The `image` blocks of a configuration, evaluated: template and context paths, the declared
 * parent, build args, tags, labels and the registry (with its credentials) — everything a
 * build needs except the rendered Dockerfile. The full reference is taken from the scope's
 * `image` root so that it is exactly what `image.NAME` evaluates to in a container.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Expr, Value } from '../config/hcl/ast.js';
import type { Config } from '../config/config.js';
import type { ModuleInstance } from '../config/modules.js';
import type { Scope } from '../config/scope.js';
import type { DecodedBlock } from '../config/decode.js';
import { referencesOf } from '../config/hcl/traversal.js';
import { checkValues } from '../config/value-check.js';
import { DiagnosticError, type Diagnostics, type SourceRange } from '../diags/diagnostic.js';
import { DependencyFailed } from '../config/scope.js';
import { didYouMean } from '../diags/suggest.js';

export interface RegistrySpec {
  /** Name of the `registry` block, or undefined for a bare address. */
  name?: string;
  /** host[:port] */
  address: string;
  username?: string;
  password?: string;
  insecure: boolean;
}

export interface ImageSpec {
  name: string;
  /** The full reference: `<registry>/<repository>:<tag>` (what `image.NAME` evaluates to). */
  ref: string;
  /** The reference without its tag. */
  repository: string;
  tag: string;
  /** Further references to tag the image with (bare tags are put on `repository`). */
  extraRefs: string[];
  /** Absolute path of the Dockerfile template. */
  template: string;
  /** Absolute path of the build context (default: the template's directory). */
  context: string;
  /** The parent named by `parent`, when the block has one. */
  declaredParent?: string;
  /** Where `parent` is, for diagnostics. */
  parentRange?: SourceRange;
  args: Record<string, string>;
  labels: Record<string, string>;
  registry?: RegistrySpec;
  range: SourceRange;
}

const BARE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Every image block, evaluated; problems go to `diags` and leave the image out. */
export function imageSpecs(config: Config, diags: Diagnostics): ImageSpec[] {
  const blocks = imageBlocks(config);
  const names = new Set(blocks.map((x) => x.block.labels[0]!));
  const refs = imageRefMap(config);
  const out: ImageSpec[] = [];
  for (const { block, module } of blocks) {
    const s = imageSpec(config, block, module, names, refs, diags);
    if (s) out.push(s);
  }
  return out;
}

/**
 * Every image block, the root's and each module's (images are shared by name: a module
 * called twice declares its images once), with the module that declares it.
 */
export function imageBlocks(config: Config): { block: DecodedBlock; module: ModuleInstance }[] {
  const seen = new Set<string>();
  const out: { block: DecodedBlock; module: ModuleInstance }[] = [];
  for (const module of config.modules) {
    for (const block of module.blocks) {
      if (block.type !== 'image' || seen.has(block.labels[0]!)) continue;
      seen.add(block.labels[0]!);
      out.push({ block, module });
    }
  }
  return out;
}

/** Name → full reference, as `image.NAME` evaluates. */
export function imageRefMap(config: Config): Record<string, string> {
  let v: Value;
  try {
    v = config.scope.root('image');
  } catch (e) {
    // Already reported where the configuration was loaded.
    if (e instanceof DependencyFailed) return {};
    throw e;
  }
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function imageSpec(
  config: Config,
  b: DecodedBlock,
  module: ModuleInstance,
  names: Set<string>,
  refs: Record<string, string>,
  diags: Diagnostics,
): ImageSpec | undefined {
  const name = b.labels[0]!;
  const values: Record<string, Value> = {};
  let ok = true;
  for (const [k, a] of b.attrs) {
    const r = evalAttr(module.scope, a.expr, `argument "${k}" of image "${name}"`, diags);
    if (r.ok) values[k] = r.value;
    else ok = false;
  }
  if (!ok) return undefined;
  // `registry = registry.NAME` evaluates to the registry object; the schema only knows
  // the string form, so the object is checked here rather than there.
  const registryValue = values['registry'];
  const checked = { ...values };
  if (registryValue && typeof registryValue === 'object') delete checked['registry'];
  if (!checkValues(b, checked, diags)) return undefined;

  const ref = refs[name] ?? `kolla/${name}:latest`;
  const { repository, tag } = splitRef(ref);
  const template = path.resolve(module.dir, String(values['template']));
  const context =
    typeof values['context'] === 'string'
      ? path.resolve(module.dir, values['context'])
      : path.dirname(template);

  if (!isFile(template)) {
    diags.error(
      `The template of image "${name}" does not exist`,
      b.attrs.get('template')?.expr.range ?? b.typeRange,
      `${template} is not a file.`,
    );
    return undefined;
  }
  if (!isDir(context)) {
    const a = b.attrs.get('context') ?? b.attrs.get('template');
    diags.error(
      `The build context of image "${name}" is not a folder`,
      a?.expr.range ?? b.typeRange,
      `${context} does not exist or is not a folder${b.attrs.has('context') ? '' : " (the context defaults to the template's folder)"}.`,
    );
    return undefined;
  }

  const spec: ImageSpec = {
    name,
    ref,
    repository,
    tag,
    extraRefs: [],
    template,
    context,
    args: stringMap(checked['args']),
    labels: stringMap(checked['labels']),
    range: b.labelRanges[0] ?? b.typeRange,
  };
  const tags = checked['tags'];
  if (Array.isArray(tags)) {
    for (const t of tags) {
      if (typeof t !== 'string' || t === '') continue;
      const full = BARE_TAG.test(t) ? `${repository}:${t}` : t;
      if (full !== ref && !spec.extraRefs.includes(full)) spec.extraRefs.push(full);
    }
  }

  const parentAttr = b.attrs.get('parent');
  if (parentAttr) {
    spec.parentRange = parentAttr.expr.range;
    const parent = parentName(parentAttr.expr, values['parent'], names, refs);
    if (parent === undefined) {
      const shown = typeof values['parent'] === 'string' ? values['parent'] : 'this value';
      const bare = shown.replace(/^image\./, '');
      diags.error(
        `Unknown parent image "${shown}" of image "${name}"${didYouMean(bare, names)}`,
        parentAttr.expr.range,
        `parent must name another image block: image.NAME (or the string "image.NAME"). Images: ${[...names].join(', ') || 'none'}.`,
      );
      return undefined;
    }
    if (parent === name) {
      diags.error(`Image "${name}" is its own parent`, parentAttr.expr.range);
      return undefined;
    }
    spec.declaredParent = parent;
  }

  const reg = registrySpec(config, b, registryValue, diags);
  if (reg === null) return undefined;
  if (reg) spec.registry = reg;
  return spec;
}

/** The image block a `parent` argument names: a traversal, "image.NAME", "NAME" or a full reference. */
function parentName(
  expr: Expr,
  value: Value | undefined,
  names: Set<string>,
  refs: Record<string, string>,
): string | undefined {
  for (const r of referencesOf(expr)) {
    if (r.parts[0] === 'image' && r.parts[1] !== undefined && names.has(r.parts[1])) return r.parts[1];
  }
  if (typeof value !== 'string') return undefined;
  const m = /^image\.([A-Za-z0-9_-]+)$/.exec(value);
  if (m && names.has(m[1]!)) return m[1];
  if (names.has(value)) return value;
  const byRef = Object.entries(refs).find(([, r]) => sameRef(r, value));
  return byRef?.[0];
}

/**
 * The registry of an image: the `registry` block it names (by traversal, by "registry.NAME"
 * or by name) with its credentials, or a bare address. undefined when there is none, null
 * when it is wrong (reported).
 */
function registrySpec(
  config: Config,
  b: DecodedBlock,
  value: Value | undefined,
  diags: Diagnostics,
): RegistrySpec | undefined | null {
  const attr = b.attrs.get('registry');
  if (!attr || value === undefined || value === null) return undefined;
  const blocks = config.blocks.filter((x) => x.type === 'registry');
  const byName = (n: string): DecodedBlock | undefined => blocks.find((x) => x.labels[0] === n);
  let block: DecodedBlock | undefined;
  for (const r of referencesOf(attr.expr)) {
    if (r.parts[0] === 'registry' && r.parts[1] !== undefined) block = byName(r.parts[1]);
  }
  if (!block && value && typeof value === 'object' && !Array.isArray(value)) {
    const n = value['name'];
    if (typeof n === 'string') block = byName(n);
  }
  if (!block && typeof value === 'string') {
    block = byName(value.replace(/^registry\./, ''));
    if (!block) {
      if (value.startsWith('registry.')) {
        diags.error(
          `Unknown registry "${value}" of image "${b.labels[0]}"${didYouMean(
            value.slice(9),
            blocks.map((x) => x.labels[0]!),
          )}`,
          attr.expr.range,
        );
        return null;
      }
      return { address: value, insecure: false };
    }
  }
  if (!block) {
    diags.error(`Invalid registry of image "${b.labels[0]}"`, attr.expr.range, 'Use registry.NAME.');
    return null;
  }
  const rv: Record<string, Value> = {};
  for (const [k, a] of block.attrs) {
    const r = evalAttr(config.scope, a.expr, `argument "${k}" of registry "${block.labels[0]}"`, diags);
    if (!r.ok) return null;
    rv[k] = r.value;
  }
  if (!checkValues(block, rv, diags)) return null;
  const spec: RegistrySpec = {
    name: block.labels[0]!,
    address: String(rv['address']),
    insecure: rv['insecure'] === true,
  };
  if (typeof rv['username'] === 'string') spec.username = rv['username'];
  if (typeof rv['password'] === 'string') {
    // A secret without a value evaluates to a placeholder; pushing with it can only fail.
    for (const r of referencesOf(block.attrs.get('password')!.expr)) {
      if (
        r.parts[0] === 'secret' &&
        r.parts[1] !== undefined &&
        config.secretValues[r.parts[1]] === undefined
      ) {
        diags.error(
          `Secret "${r.parts[1]}" has no value`,
          block.attrs.get('password')!.expr.range,
          `The password of registry "${spec.name}" is secret.${r.parts[1]}, which is not in kolla.secrets.json. Add it there (or run kolla secrets generate).`,
        );
        return null;
      }
    }
    spec.password = rv['password'];
  }
  return spec;
}

/**
 * Evaluate one argument, its problems reported into `diags` (the caller's list, which need
 * not be the one the configuration was loaded with).
 */
function evalAttr(
  scope: Scope,
  expr: Expr,
  what: string,
  diags: Diagnostics,
): { ok: true; value: Value } | { ok: false } {
  try {
    return { ok: true, value: scope.eval(expr) };
  } catch (e) {
    if (e instanceof DiagnosticError) diags.push(e.diagnostic);
    else if (e instanceof DependencyFailed)
      diags.error(`Cannot evaluate the ${what}`, expr.range, 'A value it depends on failed (see above).');
    else throw e;
    return { ok: false };
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function stringMap(v: Value | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (x === null) continue;
    out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  }
  return out;
}

/** Split `reg:5000/a/b:tag` into repository and tag (latest when there is none). */
export function splitRef(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf('@');
  const base = at >= 0 ? ref.slice(0, at) : ref;
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  if (colon > slash) return { repository: base.slice(0, colon), tag: base.slice(colon + 1) };
  return { repository: base, tag: 'latest' };
}

/** `a/b` and `a/b:latest` are the same image; so are `debian` and `docker.io/library/debian`. */
export function normalizeRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const { repository, tag } = splitRef(ref);
  let repo = repository;
  const first = repo.split('/')[0] ?? '';
  const hasRegistry =
    repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) repo = `docker.io/${repo.includes('/') ? repo : `library/${repo}`}`;
  return `${repo}:${tag}`;
}

export function sameRef(a: string, b: string): boolean {
  return normalizeRef(a) === normalizeRef(b);
}
