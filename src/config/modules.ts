/**
 * Modules: a `module "name" { source = ... }` block calls a folder of .hcl files — a local
 * one (`./dir`, relative to the calling module) or one of kolla's catalogue (`kolla/NAME`,
 * shipped with kolla) — once, or once per `count` index or `for_each` key, or not at all
 * (`enabled = false`). Each instance evaluates in a scope of its own: its inputs (`var`,
 * from the call's arguments), locals, secrets (keyed in kolla.secrets.json by the module
 * path), services, volumes and module calls; it sees the root's hosts, groups, registries and
 * images. Its outputs are `module.NAME.OUTPUT` in the caller.
 *
 * Instances are made lazily (the first time `module.NAME` is read, or by `walk`), so a module
 * may use another's outputs in any order; a cycle is reported with its path, like a cycle of
 * locals, because every module's scope shares one evaluation with the root's.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Value } from './hcl/ast.js';
import type { DecodedBlock } from './decode.js';
import type { Diagnostics } from '../diags/diagnostic.js';
import { didYouMean } from '../diags/suggest.js';
import { referencesOf } from './hcl/traversal.js';
import { DependencyFailed, Scope } from './scope.js';
import { convert, typeString } from './type-constraint.js';
import { checkValidations, declareVariables, type VariableDecl } from './variables.js';
import { secretScopeValue, type SecretDecl } from './secret-decl.js';
import type { ModuleStep } from '../addrs/address.js';
import { formatModulePath } from '../addrs/address.js';
import { packageRoot } from '../package-root.js';

/** Where kolla's own modules live: `kolla/NAME` is `catalogue/NAME` of the package. */
export const CATALOGUE_DIR = path.join(packageRoot, 'catalogue');

/** Arguments of a module block that are not inputs. */
const META = new Set(['source', 'count', 'for_each', 'enabled', 'depends_on']);

/** Deeper than this is a mistake (a module that calls itself through another). */
const MAX_DEPTH = 16;

export interface ModuleInstance {
  /** Module calls from the root, outermost first; empty for the root module. */
  path: ModuleStep[];
  /** What addresses of this module start with: `""`, or `module.a["k"].module.b.`. */
  prefix: string;
  /** The module's folder: templates and overrides are relative to it. */
  dir: string;
  blocks: DecodedBlock[];
  scope: Scope;
  /** Address prefixes (`module.x`) of the module instances everything here waits for. */
  dependsOn: string[];
  /** The call, for placing diagnostics; none for the root. */
  call?: DecodedBlock;
}

/** What the module loader needs from the configuration loader. */
export interface ModuleEnv {
  diags: Diagnostics;
  /** The root module's folder. */
  rootDir: string;
  /** Each module call's source, read before evaluation (`loadModuleSources`); none: reported. */
  sources: ModuleSources;
  /** Sets up what every module scope has: locals, secret, service, volume, path... */
  defineCommon(scope: Scope, blocks: DecodedBlock[], module: ModuleInstance): void;
  /** The root's scope, whose hosts, groups, images and registries every module sees. */
  root: Scope;
  /** Secret values from kolla.secrets.json, by full key (readSecrets: a key set's keys as `KEY[i]`). */
  secretValues: Record<string, string> | undefined;
  /** Declared secrets (full keys), for `kolla secrets generate`. */
  secrets: SecretDecl[];
  /** Secrets used but without a value (full keys). */
  usedMissing: Set<string>;
  declareSecrets(blocks: DecodedBlock[], scope: Scope): SecretDecl[];
}

interface CallState {
  state: 'new' | 'busy' | 'done';
  value: Value;
  instances: ModuleInstance[];
}

/**
 * Defines `module` in `parent.scope`: one member per module call, made when first read.
 * Returns a function that makes every call's instances (recursively) and lists them.
 */
export function defineModuleCalls(parent: ModuleInstance, env: ModuleEnv): () => ModuleInstance[] {
  const calls = parent.blocks.filter((b) => b.type === 'module');
  const states = new Map<string, CallState>();
  const ensure = (call: DecodedBlock): CallState => {
    const name = call.labels[0]!;
    let st = states.get(name);
    if (st?.state === 'done') return st;
    if (st?.state === 'busy') {
      env.diags.error(
        `Cycle between modules: module "${name}" needs its own outputs to know its instances`,
        call.labelRanges[0],
        'Its count, for_each or enabled refers (through other values) to module.' + name + '.',
      );
      throw new DependencyFailed();
    }
    st = { state: 'busy', value: null, instances: [] };
    states.set(name, st);
    const made = instantiate(call, parent, env);
    st.state = 'done';
    st.value = made.value;
    st.instances = made.instances;
    return st;
  };
  const obj: Record<string, Value> = {};
  for (const call of calls) {
    Object.defineProperty(obj, call.labels[0]!, { get: () => ensure(call).value, enumerable: true });
  }
  parent.scope.setRoot('module', obj);
  return () => {
    const out: ModuleInstance[] = [];
    for (const call of calls) {
      let st: CallState;
      try {
        st = ensure(call);
      } catch (e) {
        if (e instanceof DependencyFailed) continue; // a cycle, reported
        throw e;
      }
      for (const inst of st.instances) out.push(inst, ...walkOf.get(inst)!());
    }
    return out;
  };
}

const walkOf = new WeakMap<ModuleInstance, () => ModuleInstance[]>();

type Keyed = { key?: string | number; extra?: Record<string, Value> };

function instanceKeys(
  call: DecodedBlock,
  parent: ModuleInstance,
  env: ModuleEnv,
): { keys: Keyed[]; shape: 'one' | 'none' | 'count' | 'for_each' } | undefined {
  const { diags } = env;
  const name = call.labels[0]!;
  const enabled = call.attrs.get('enabled');
  const count = call.attrs.get('count');
  const forEach = call.attrs.get('for_each');
  const set = [enabled && 'enabled', count && 'count', forEach && 'for_each'].filter(Boolean);
  if (set.length > 1) {
    diags.error(
      `Module "${name}" sets ${set.join(' and ')}`,
      call.labelRanges[0],
      'Use one of enabled, count and for_each.',
    );
    return undefined;
  }
  if (enabled) {
    const r = parent.scope.tryEval(enabled.expr);
    if (!r.ok) return undefined;
    if (typeof r.value !== 'boolean') {
      diags.error(`Invalid value for "enabled" in module "${name}"`, enabled.expr.range, 'bool required.');
      return undefined;
    }
    return r.value ? { keys: [{}], shape: 'one' } : { keys: [], shape: 'none' };
  }
  if (count) {
    const r = parent.scope.tryEval(count.expr);
    if (!r.ok) return undefined;
    if (typeof r.value !== 'number' || !Number.isInteger(r.value) || r.value < 0) {
      diags.error(
        `Invalid value for "count" in module "${name}"`,
        count.expr.range,
        'A whole number, 0 or more, is required.',
      );
      return undefined;
    }
    return {
      keys: Array.from({ length: r.value }, (_, i) => ({ key: i, extra: { count: { index: i } } })),
      shape: 'count',
    };
  }
  if (forEach) {
    const r = parent.scope.tryEval(forEach.expr);
    if (!r.ok) return undefined;
    const v = r.value;
    let pairs: [string, Value][] | undefined;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
      pairs = [...new Set(v as string[])].map((k) => [k, k]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) pairs = Object.keys(v).map((k) => [k, v[k]!]);
    if (!pairs) {
      diags.error(
        `Invalid value for "for_each" in module "${name}"`,
        forEach.expr.range,
        'A map, or a set (list) of strings, is required: one module instance per key.',
      );
      return undefined;
    }
    pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      keys: pairs.map(([k, value]) => ({ key: k, extra: { each: { key: k, value } } })),
      shape: 'for_each',
    };
  }
  return { keys: [{}], shape: 'one' };
}

export interface ModuleSource {
  dir: string;
  /** How diagnostics name the folder: relative to the root's, or `kolla/NAME`. */
  shownAs: string;
  blocks: DecodedBlock[];
}

/** Each module block (of every module, once per folder) → its source, when it could be read. */
export type ModuleSources = Map<DecodedBlock, ModuleSource>;

/**
 * Reads every module's files before anything is evaluated: a source is a literal, so the
 * tree of folders is known statically (as Terraform's `init` knows it). A folder that calls
 * itself, directly or through others, is an error at the `source` that closes the loop.
 */
export async function loadModuleSources(
  rootBlocks: DecodedBlock[],
  rootDir: string,
  read: (dir: string, shownAs: string) => Promise<DecodedBlock[] | undefined>,
  diags: Diagnostics,
): Promise<ModuleSources> {
  const sources: ModuleSources = new Map();
  const byDir = new Map<string, Promise<DecodedBlock[] | undefined>>();
  const visit = async (
    blocks: DecodedBlock[],
    dir: string,
    stack: string[],
    names: string[],
  ): Promise<void> => {
    for (const call of blocks) {
      if (call.type !== 'module') continue;
      const where = resolveSource(call, dir, rootDir, diags);
      if (!where) continue;
      if (stack.includes(where.dir)) {
        diags.error(
          `Module "${call.labels[0]}" calls a module it is part of`,
          call.attrs.get('source')!.expr.range,
          `${where.shownAs} is already on the path ${[...names, `module.${call.labels[0]}`].join(' → ')}: a module must not call itself.`,
        );
        continue;
      }
      if (stack.length >= MAX_DEPTH) {
        diags.error(
          `Modules nest deeper than ${MAX_DEPTH} levels at module "${call.labels[0]}"`,
          call.labelRanges[0],
        );
        continue;
      }
      let p = byDir.get(where.dir);
      const first = !p;
      if (!p) byDir.set(where.dir, (p = read(where.dir, where.shownAs)));
      const child = await p;
      if (!child) continue;
      sources.set(call, { ...where, blocks: child });
      // A folder's own calls are the same blocks wherever it is called from: visit once per
      // path only to find cycles.
      if (first || !stack.includes(where.dir))
        await visit(child, where.dir, [...stack, where.dir], [...names, `module.${call.labels[0]}`]);
    }
  };
  // The root's own folder is on the path: `source = "./"` in the root calls the root.
  await visit(rootBlocks, rootDir, [rootDir], []);
  return sources;
}

/** The module's folder from its `source`, or undefined (reported). */
export function resolveSource(
  call: DecodedBlock,
  parentDir: string,
  rootDir: string,
  diags: Diagnostics,
): { dir: string; shownAs: string } | undefined {
  const a = call.attrs.get('source');
  const name = call.labels[0]!;
  if (!a) return undefined; // the schema check says it is missing
  let source: string | undefined;
  if (a.expr.kind === 'literal' && typeof a.expr.value === 'string') source = a.expr.value;
  else if (a.expr.kind === 'template' && a.expr.parts.every((p) => p.kind === 'text'))
    source = a.expr.parts.map((p) => (p.kind === 'text' ? p.value : '')).join('');
  if (source === undefined) {
    diags.error(
      `Invalid source of module "${name}"`,
      a.expr.range,
      'The source must be a literal string: "./dir" or "kolla/NAME". (It decides which files are read, before anything is evaluated.)',
    );
    return undefined;
  }
  if (source.startsWith('kolla/')) {
    const entry = source.slice('kolla/'.length);
    const names = catalogueNames();
    if (!/^[a-z0-9_-]+$/.test(entry) || !names.includes(entry)) {
      diags.error(
        `No module "${source}" in kolla's catalogue${didYouMean(entry, names)}`,
        a.expr.range,
        names.length
          ? `The catalogue has: ${names.map((n) => `kolla/${n}`).join(', ')}.`
          : 'The catalogue is empty.',
      );
      return undefined;
    }
    return { dir: path.join(CATALOGUE_DIR, entry), shownAs: `kolla/${entry}` };
  }
  if (!source.startsWith('./') && !source.startsWith('../')) {
    diags.error(
      `Invalid source "${source}" of module "${name}"`,
      a.expr.range,
      'A module source is a local folder ("./modules/web", relative to this file\'s folder) or a module of kolla\'s catalogue ("kolla/keystone"). Registries and Git sources are not supported.',
    );
    return undefined;
  }
  const dir = path.resolve(parentDir, source);
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) {
    diags.error(
      `Module source "${source}" of module "${name}" is not a folder`,
      a.expr.range,
      `Looked for ${dir}${existsSync(dir) ? ' (it is a file)' : ''}.`,
    );
    return undefined;
  }
  const rel = path.relative(rootDir, dir);
  const shownAs = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : dir;
  return { dir, shownAs };
}

export function catalogueNames(): string[] {
  try {
    return readdirSync(CATALOGUE_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function instantiate(
  call: DecodedBlock,
  parent: ModuleInstance,
  env: ModuleEnv,
): { value: Value; instances: ModuleInstance[] } {
  const { diags } = env;
  const name = call.labels[0]!;
  const none = { value: null, instances: [] };
  const src = env.sources.get(call);
  if (!src) return none;
  const blocks = src.blocks;
  const decls = declareVariables(blocks, diags, src.dir);
  checkInputs(call, decls, src.shownAs, diags);
  const dependsOn = readDependsOn(call, parent, diags);
  const k = instanceKeys(call, parent, env);
  if (!k) return none;

  const instances: ModuleInstance[] = [];
  const values: Value[] = [];
  const keyed: Record<string, Value> = {};
  for (const { key, extra } of k.keys) {
    const stepPath: ModuleStep[] = [...parent.path, key === undefined ? { name } : { name, key }];
    // What goes wrong while this instance is evaluated names it: every call of a module
    // evaluates the same files.
    const instDiags = diags.forModule(formatModulePath(stepPath));
    const inst: ModuleInstance = {
      path: stepPath,
      prefix: `${formatModulePath(stepPath)}.`,
      dir: src.dir,
      blocks,
      scope: new Scope(src.dir, instDiags, parent.scope),
      dependsOn,
      call,
    };
    defineInputs(inst, decls, call, parent, extra, instDiags);
    env.defineCommon(inst.scope, blocks, inst);
    defineSecrets(inst, env);
    for (const r of ['hosts', 'host', 'group', 'groups', 'kolla', 'image', 'registry'])
      inst.scope.defineRoot(r, () => env.root.root(r));
    const outputs = inst.scope.lazyObject(
      'output',
      blocks
        .filter((b) => b.type === 'output' && b.attrs.has('value'))
        .map((b) => ({
          key: b.labels[0]!,
          label: `${inst.prefix}output.${b.labels[0]!}`,
          range: b.labelRanges[0]!,
          compute: () => inst.scope.eval(b.attrs.get('value')!.expr),
        })),
    );
    walkOf.set(inst, defineModuleCalls(inst, env));
    instances.push(inst);
    values.push(outputs);
    if (key !== undefined) keyed[String(key)] = outputs;
  }
  const value: Value =
    k.shape === 'one' ? values[0]! : k.shape === 'none' ? null : k.shape === 'count' ? values : keyed;
  return { value, instances };
}

/** An argument that is not an input the module declares is an error (with a suggestion). */
function checkInputs(
  call: DecodedBlock,
  decls: Map<string, VariableDecl>,
  shownAs: string,
  diags: Diagnostics,
): void {
  const name = call.labels[0]!;
  const known = [...decls.keys()];
  for (const [attr, a] of call.attrs) {
    if (META.has(attr) || decls.has(attr)) continue;
    diags.error(
      `Unsupported argument "${attr}" in module "${name}"${didYouMean(attr, known)}`,
      a.nameRange,
      known.length
        ? `${shownAs} takes the inputs: ${known.join(', ')}.`
        : `${shownAs} declares no inputs (variable blocks).`,
    );
  }
  for (const d of decls.values()) {
    if (d.hasDefault || call.attrs.has(d.name)) continue;
    diags.error(
      `Missing required input "${d.name}" for module "${name}"`,
      call.labelRanges[0],
      `${shownAs} declares variable "${d.name}"${d.description ? ` (${d.description})` : ''} without a default: set ${d.name} = ... in the module block.`,
    );
  }
}

function readDependsOn(call: DecodedBlock, parent: ModuleInstance, diags: Diagnostics): string[] {
  const a = call.attrs.get('depends_on');
  if (!a) return [];
  const calls = new Set(parent.blocks.filter((b) => b.type === 'module').map((b) => b.labels[0]!));
  const out: string[] = [];
  const items = a.expr.kind === 'tuple' ? a.expr.items : undefined;
  if (!items) {
    diags.error(
      `Invalid depends_on in module "${call.labels[0]}"`,
      a.expr.range,
      'A list of module.NAME references is required.',
    );
    return [];
  }
  for (const item of items) {
    const refs = referencesOf(item);
    const r = refs[0];
    if (refs.length !== 1 || !r || r.parts.length !== 2 || r.parts[0] !== 'module') {
      diags.error(
        `Invalid reference in depends_on of module "${call.labels[0]}"`,
        item.range,
        'Only module.NAME may be listed.',
      );
      continue;
    }
    const dep = r.parts[1]!;
    if (!calls.has(dep) || dep === call.labels[0]) {
      diags.error(
        dep === call.labels[0]
          ? `Module "${dep}" depends on itself`
          : `Reference to undeclared module "${dep}"${didYouMean(dep, calls)}`,
        item.range,
      );
      continue;
    }
    out.push(`${parent.prefix}module.${dep}`);
  }
  return out;
}

/** `var` of a module instance: each input from the call (evaluated in the caller), or its default. */
function defineInputs(
  inst: ModuleInstance,
  decls: Map<string, VariableDecl>,
  call: DecodedBlock,
  parent: ModuleInstance,
  extra: Record<string, Value> | undefined,
  /** The instance's diagnostics: an input fails for one instance (each.value...). */
  diags: Diagnostics,
): void {
  inst.scope.defineLazyObject(
    'var',
    [...decls.values()].map((d) => ({
      key: d.name,
      label: `${inst.prefix}var.${d.name}`,
      range: d.range,
      compute: (): Value => {
        const a = call.attrs.get(d.name);
        // A missing required input is reported once, at the call: what uses it stays quiet.
        if (!a) {
          if (!d.hasDefault) throw new DependencyFailed();
          return d.default ?? null;
        }
        const v = parent.scope.eval(a.expr, extra);
        let out: Value;
        try {
          out = convert(v, d.type);
        } catch (msg) {
          diags.error(
            `Invalid value for input "${d.name}" of module "${call.labels[0]}"`,
            a.expr.range,
            `${String(msg)} (type ${typeString(d.type)}).`,
          );
          throw new DependencyFailed();
        }
        if (out === null && !d.nullable) {
          diags.error(
            `Invalid value for input "${d.name}" of module "${call.labels[0]}"`,
            a.expr.range,
            'The variable is not nullable.',
          );
        }
        checkValidations(d, out, inst.dir, diags);
        return out;
      },
    })),
  );
}

/** `secret.NAME` in a module is the value kept under `<module path>.NAME` in kolla.secrets.json. */
function defineSecrets(inst: ModuleInstance, env: ModuleEnv): void {
  const decls = env.declareSecrets(inst.blocks, inst.scope);
  const values: Record<string, Value> = {};
  for (const s of decls) {
    const key = `${inst.prefix}${s.name}`;
    env.secrets.push({ ...s, name: key });
    Object.defineProperty(values, s.name, {
      enumerable: true,
      get: () => secretScopeValue(s, key, env.secretValues, env.usedMissing),
    });
  }
  inst.scope.setRoot('secret', values);
}
