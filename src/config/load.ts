/**
 * Loading a configuration directory: read every `*.hcl`, check syntax with the reference
 * parser, parse with positions, decode against the schemas, resolve variables, and set up
 * the lazily evaluated scope (locals, hosts, groups, ...). All diagnostics of a run are
 * collected and returned together.
 */
import path from 'node:path';
import type { File, Value } from './hcl/ast.js';
import { DiagnosticError, Diagnostics, errorAt, type SourceRange } from '../diags/diagnostic.js';
import { didYouMean } from '../diags/suggest.js';
import { findConfigFiles, type SourceFile } from './files.js';
import { defineModuleCalls, loadModuleSources, type ModuleInstance } from './modules.js';
import { readStateEdits } from './moves.js';
import { checkSyntax } from './syntax-check.js';
import { parseFile } from './hcl/parser.js';
import { ParseCache } from './parse-cache.js';
import { decodeFiles, type DecodedBlock } from './decode.js';
import { declareVariables, resolveVariables, type VarArg } from './variables.js';
import { Scope, DependencyFailed } from './scope.js';
import { checkValues } from './value-check.js';
import type { Config, SecretDecl, Settings } from './config.js';
import { DEFAULT_KEY_COUNT, isKeySet, secretScopeValue } from './secret-decl.js';
import type { HostSpec } from './host-spec.js';
import { resolveGroups } from './groups.js';

/** Where apply's per-project host locks live on a host unless `lock_dir` says otherwise. */
export const DEFAULT_HOST_LOCK_DIR = '/var/lib/kolla/locks';

export interface LoadOptions {
  dir: string;
  vars?: VarArg[];
  env?: NodeJS.ProcessEnv;
  /** Secret values (from the secrets file); missing ones evaluate to a placeholder. */
  secretValues?: Record<string, string>;
  /** Use the syntax-check and parse caches under `.kolla/` (default true). */
  syntaxCache?: boolean;
}

export interface LoadResult {
  config?: Config;
  diagnostics: Diagnostics;
}

export async function loadConfig(opts: LoadOptions): Promise<LoadResult> {
  const diags = new Diagnostics();
  const dir = path.resolve(opts.dir);
  const sources = findConfigFiles(dir, diags);
  if (diags.hasErrors()) return { diagnostics: diags };

  const cacheDir = opts.syntaxCache === false ? undefined : dir;
  const cache = new ParseCache(cacheDir);
  const files = await parseSources(sources, cache, cacheDir, diags);
  if (!files) return { diagnostics: diags };
  cache.save();

  const blocks = decodeFiles(files, diags);
  // Every module's files, read now: evaluation below is synchronous.
  const moduleSources = await loadModuleSources(
    blocks,
    dir,
    async (mdir, shownAs) => {
      const msources = findConfigFiles(mdir, diags, `${shownAs}/`);
      if (!msources.length) return undefined;
      const mfiles = await parseSources(msources, cache, cacheDir, diags);
      if (!mfiles) return undefined;
      cache.save();
      return decodeFiles(mfiles, diags, 'module_root');
    },
    diags,
  );
  const settings = readSettings(blocks, dir, diags);
  const decls = declareVariables(blocks, diags, dir);
  const variables = resolveVariables(decls, opts.vars ?? [], opts.env ?? process.env, dir, diags);
  if (diags.hasErrors()) return { diagnostics: diags };

  const scope = new Scope(dir, diags);
  scope.setRoot('var', variables);
  const secrets = declareSecrets(blocks, scope, diags);
  // Getters, so that the secrets a configuration really uses (in expressions or templates)
  // are known: a used secret without a value is an error for plan and apply.
  const secretValues: Record<string, Value> = {};
  const usedMissing = new Set<string>();
  for (const s of secrets) {
    Object.defineProperty(secretValues, s.name, {
      enumerable: true,
      get: () => secretScopeValue(s, s.name, opts.secretValues, usedMissing),
    });
  }

  scope.setRoot('secret', secretValues);
  scope.setRoot('path', { root: dir, module: dir, cwd: process.cwd() });
  scope.setRoot('kolla', { project: settings.project, config_dir: settings.configDir });

  const root: ModuleInstance = { path: [], prefix: '', dir, blocks, scope, dependsOn: [] };
  defineCommon(scope, blocks, root, dir, diags);

  let hosts: HostSpec[] = [];
  let groups: Record<string, string[]> = { all: [] };
  scope.defineRoot('hosts', () => {
    hosts = evaluateHosts(blocks, scope, diags);
    return Object.fromEntries(hosts.map((h) => [h.name, hostValue(h)]));
  });
  scope.defineRoot('group', () => {
    void scope.root('hosts');
    groups = resolveGroups(blocks, hosts, diags);
    return groups;
  });
  scope.defineRoot('groups', () => scope.root('group'));
  scope.defineRoot('host', () => scope.root('hosts'));
  // Images are shared by name across modules: every module's image blocks, once all
  // module instances are made (below; nothing reads image.NAME while they are made).
  const allModules: ModuleInstance[] = [];
  scope.defineRoot('image', () => imageRefs(allModules, blocks, scope));
  scope.defineRoot('registry', () => registryValues(blocks, scope));

  const moduleSecrets: SecretDecl[] = [];
  const walk = defineModuleCalls(root, {
    diags,
    rootDir: dir,
    sources: moduleSources,
    defineCommon: (s, b, m) => defineCommon(s, b, m, dir, diags),
    root: scope,
    secretValues: opts.secretValues,
    secrets: moduleSecrets,
    usedMissing,
    declareSecrets: (b, s) => declareSecrets(b, s, diags),
  });
  const modules = [root, ...walk()];
  allModules.push(...modules);

  // Evaluate every local, host, group, input and output once so that their errors show even
  // when unused.
  for (const m of modules) m.scope.forceAll();
  // hosts/groups are recomputed above only through the scope; read them back.
  try {
    scope.root('group');
  } catch (e) {
    if (!(e instanceof DependencyFailed) && !(e instanceof DiagnosticError)) throw e;
  }

  const config: Config = {
    dir,
    settings,
    blocks,
    variables,
    variableDecls: decls,
    hosts,
    groups,
    secrets: [...secrets, ...moduleSecrets],
    secretValues: Object.fromEntries(Object.entries(opts.secretValues ?? {})),
    modules,
    stateEdits: readStateEdits(modules, diags),
    missingSecrets: () => [...usedMissing].sort(),
    scope,
  };
  return { config, diagnostics: diags };
}

function literal(b: DecodedBlock, name: string, scope: Scope): Value | undefined {
  const a = b.attrs.get(name);
  if (!a) return undefined;
  const r = scope.tryEval(a.expr);
  return r.ok ? r.value : undefined;
}

function readSettings(blocks: DecodedBlock[], dir: string, diags: Diagnostics): Settings {
  const s: Settings = {
    project: path
      .basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '-'),
    configDir: '/etc/kolla',
    parallelism: 10,
    settleTime: '2s',
    history: 20,
    hostTimeout: '60s',
    backupRetention: 10,
    backend: { type: 'local', path: 'kolla.state.json' },
  };
  const k = blocks.find((b) => b.type === 'kolla');
  if (!k) return s;
  const scope = new Scope(dir, diags);
  const values: Record<string, Value> = {};
  for (const [name, a] of k.attrs) {
    const r = scope.tryEval(a.expr);
    if (r.ok) values[name] = r.value;
  }
  checkValues(k, values, diags);
  if (typeof values['project'] === 'string') s.project = values['project'];
  if (typeof values['config_dir'] === 'string') s.configDir = values['config_dir'];
  if (typeof values['parallelism'] === 'number') s.parallelism = values['parallelism'];
  if (typeof values['settle_time'] === 'string') s.settleTime = values['settle_time'];
  if (typeof values['history'] === 'number') s.history = values['history'];
  if (typeof values['host_timeout'] === 'string') s.hostTimeout = values['host_timeout'];
  if (typeof values['backup_retention'] === 'number')
    s.backupRetention = Math.max(1, Math.floor(values['backup_retention']));
  const be = k.blocks.find((b) => b.type === 'backend');
  if (be) {
    const type = be.labels[0]!;
    if (type !== 'local' && type !== 'pg') {
      diags.error(
        `Unsupported backend type "${type}"${didYouMean(type, ['local', 'pg'])}`,
        be.labelRanges[0],
        'Backends: local, pg.',
      );
    } else {
      s.backend = { type };
      const bv: Record<string, Value> = {};
      for (const [name, a] of be.attrs) {
        const r = scope.tryEval(a.expr);
        if (r.ok) bv[name] = r.value;
      }
      checkValues(be, bv, diags);
      if (typeof bv['path'] === 'string') s.backend.path = bv['path'];
      else if (type === 'local') s.backend.path = 'kolla.state.json';
      if (typeof bv['conn_str'] === 'string') s.backend.connStr = bv['conn_str'];
      if (typeof bv['schema_name'] === 'string') s.backend.schemaName = bv['schema_name'];
    }
  }
  return s;
}

/** Secret declarations; their arguments are checked like any block's (length range, kind). */
function declareSecrets(blocks: DecodedBlock[], scope: Scope, diags: Diagnostics): SecretDecl[] {
  const out: SecretDecl[] = [];
  for (const b of blocks) {
    if (b.type !== 'secret') continue;
    const d: SecretDecl = { name: b.labels[0]!, length: 32, kind: 'password' };
    const values: Record<string, Value> = {};
    for (const [name, a] of b.attrs) {
      const r = scope.tryEval(a.expr);
      if (r.ok) values[name] = r.value;
    }
    // The name is declared even when an argument is wrong, so references to it still resolve.
    if (checkValues(b, values, diags)) {
      if (typeof values['length'] === 'number') d.length = values['length'];
      if (typeof values['type'] === 'string') d.kind = values['type'] as SecretDecl['kind'];
      if (isKeySet(d.kind))
        d.count = typeof values['count'] === 'number' ? values['count'] : DEFAULT_KEY_COUNT;
      else if (values['count'] !== undefined)
        diags.error(
          `"count" applies only to a key set`,
          b.attrs.get('count')!.expr.range,
          'A secret of type "fernet_keys" or "credential_keys" is a list of `count` keys.',
        );
    }
    out.push(d);
  }
  return out;
}

export function hostValue(h: HostSpec): Value {
  return {
    name: h.name,
    address: h.address,
    connection: h.connection,
    port: h.port,
    user: h.user,
    groups: h.groups,
    vars: h.vars as Value,
  };
}

function evaluateHosts(blocks: DecodedBlock[], scope: Scope, diags: Diagnostics): HostSpec[] {
  const out: HostSpec[] = [];
  for (const b of blocks) {
    if (b.type !== 'host') continue;
    const values: Record<string, Value> = {};
    let ok = true;
    for (const [name, a] of b.attrs) {
      const r = scope.tryEval(a.expr);
      if (r.ok) values[name] = r.value;
      else ok = false;
    }
    if (!ok || !checkValues(b, values, diags)) continue;
    const address = values['address'] as string;
    const local = address === '127.0.0.1' || address === 'localhost' || address === '::1';
    const h: HostSpec = {
      name: b.labels[0]!,
      address,
      connection: (values['connection'] as 'ssh' | 'local' | undefined) ?? (local ? 'local' : 'ssh'),
      port: (values['port'] as number | undefined) ?? 22,
      user: (values['user'] as string | undefined) ?? 'root',
      dockerSocket: (values['docker_socket'] as string | undefined) ?? '/var/run/docker.sock',
      lockDir: (values['lock_dir'] as string | undefined) ?? DEFAULT_HOST_LOCK_DIR,
      groups: (values['groups'] as string[] | undefined) ?? [],
      vars: (values['vars'] as Record<string, unknown> | undefined) ?? {},
    };
    if (typeof values['identity_file'] === 'string') h.identityFile = values['identity_file'];
    if (typeof values['config_dir'] === 'string') {
      if (values['config_dir'].startsWith('/')) h.configDir = values['config_dir'];
      else
        diags.error(
          `Invalid config_dir for host "${h.name}"`,
          b.attrs.get('config_dir')!.expr.range,
          `An absolute path on the host is required, e.g. "/etc/kolla"; got "${values['config_dir']}".`,
        );
    }
    if (typeof values['docker_host'] === 'string') h.dockerHost = values['docker_host'];
    if (typeof values['bastion'] === 'string') h.bastion = values['bastion'];
    if (typeof values['docker_tls_ca'] === 'string') h.dockerTlsCa = values['docker_tls_ca'];
    if (typeof values['docker_tls_cert'] === 'string') h.dockerTlsCert = values['docker_tls_cert'];
    if (typeof values['docker_tls_key'] === 'string') h.dockerTlsKey = values['docker_tls_key'];
    const tls = [h.dockerTlsCa, h.dockerTlsCert, h.dockerTlsKey].filter((x) => x !== undefined).length;
    if (tls > 0 && (tls < 3 || !h.dockerHost?.startsWith('tcp://'))) {
      diags.error(
        `Incomplete Docker TLS settings for host "${h.name}"`,
        b.labelRanges[0],
        'docker_tls_ca, docker_tls_cert and docker_tls_key go together, with a tcp:// docker_host.',
      );
    }
    out.push(h);
  }
  for (const h of out) {
    if (
      h.bastion !== undefined &&
      (h.bastion === h.name || !out.some((x) => x.name === h.bastion && x.connection === 'ssh'))
    ) {
      const b = blocks.find((x) => x.type === 'host' && x.labels[0] === h.name)!;
      diags.error(
        `Invalid bastion "${h.bastion}" for host "${h.name}"`,
        b.attrs.get('bastion')?.expr.range ?? b.labelRanges[0],
        'The bastion must name another host reached over SSH.',
      );
    }
  }
  return out;
}

/**
 * `image.NAME` → its full reference, for the image blocks of the root and of every module
 * (shared by name; each evaluated in the scope of the module that declares it).
 */
function imageRefs(modules: readonly ModuleInstance[], rootBlocks: DecodedBlock[], rootScope: Scope): Value {
  const out: Record<string, Value> = {};
  const regs = registryValues(rootBlocks, rootScope) as Record<string, { address: string }>;
  const from: Record<string, string> = {};
  for (const m of modules) {
    for (const b of m.blocks) {
      if (b.type !== 'image') continue;
      const name = b.labels[0]!;
      const ref = imageRef(b, m.scope, regs);
      if (!(name in out)) {
        out[name] = ref;
        from[name] = m.prefix;
      } else if (out[name] !== ref && from[name] !== '')
        // Shared by name: two instances of a module must agree on what an image is (the
        // root's own image block, when it has one, wins over every module's).
        throw errorAt(
          `Image "${name}" differs between module instances`,
          b.labelRanges[0],
          `It is ${String(out[name])} in ${from[name]!.slice(0, -1)} and ${String(ref)} in ${m.prefix.slice(0, -1)}. Images are shared by name: give them different names (or the same tag).`,
        );
    }
  }
  return out;
}

function imageRef(b: DecodedBlock, scope: Scope, regs: Record<string, { address: string }>): Value {
  {
    const name = b.labels[0]!;
    const repo = literal(b, 'repository', scope);
    const tag = literal(b, 'tag', scope);
    const reg = b.attrs.get('registry');
    let prefix = '';
    if (reg) {
      const r = scope.tryEval(reg.expr);
      if (
        r.ok &&
        r.value &&
        typeof r.value === 'object' &&
        !Array.isArray(r.value) &&
        typeof r.value['address'] === 'string'
      )
        prefix = `${r.value['address']}/`;
      else if (r.ok && typeof r.value === 'string') {
        const name = r.value.replace(/^registry\./, '');
        prefix = `${regs[name]?.address ?? r.value}/`;
      }
    }
    return `${prefix}${typeof repo === 'string' ? repo : `kolla/${name}`}:${typeof tag === 'string' ? tag : 'latest'}`;
  }
}

function registryValues(blocks: DecodedBlock[], scope: Scope): Value {
  const out: Record<string, Value> = {};
  for (const b of blocks) {
    if (b.type !== 'registry') continue;
    const address = literal(b, 'address', scope);
    const username = literal(b, 'username', scope);
    out[b.labels[0]!] = {
      name: b.labels[0]!,
      address: (address as string) ?? '',
      username: (username as string) ?? null,
    };
  }
  return out;
}

/**
 * Our parser gives positions for everything; the reference parser has the last word on what
 * is valid HCL. Undefined when a file has errors (reported).
 */
async function parseSources(
  sources: SourceFile[],
  cache: ParseCache,
  cacheDir: string | undefined,
  diags: Diagnostics,
): Promise<File[] | undefined> {
  const files: File[] = [];
  const failed = new Set<string>();
  for (const s of sources) {
    const hit = cache.get(s.name, s.text);
    if (hit) {
      files.push(hit);
      continue;
    }
    const r = parseFile(s.name, s.text);
    if (r.diagnostics.length) {
      diags.push(...r.diagnostics);
      failed.add(s.name);
    }
    if (r.file) {
      files.push(r.file);
      if (!r.diagnostics.length) cache.put(s.name, s.text, r.file);
    }
  }
  const syntax = await checkSyntax(
    sources.filter((s) => !failed.has(s.name)),
    cacheDir,
  );
  diags.push(...syntax);
  return failed.size || syntax.length ? undefined : files;
}

/** What every module's scope has, the root's included: locals, services, volumes, path. */
function defineCommon(
  scope: Scope,
  blocks: DecodedBlock[],
  module: ModuleInstance,
  rootDir: string,
  diags: Diagnostics,
): void {
  const localAttrs = blocks.filter((b) => b.type === 'locals').flatMap((b) => [...b.attrs.values()]);
  const seenLocals = new Map<string, SourceRange>();
  const members: { key: string; label: string; range: SourceRange; compute: () => Value }[] = [];
  for (const a of localAttrs) {
    const prev = seenLocals.get(a.name);
    if (prev) {
      diags.error(
        `Duplicate local value "${a.name}"`,
        a.nameRange,
        `local.${a.name} was already defined at ${prev.file}:${prev.start.line}:${prev.start.col}.`,
      );
      continue;
    }
    seenLocals.set(a.name, a.nameRange);
    members.push({
      key: a.name,
      label: `${module.prefix}local.${a.name}`,
      range: a.nameRange,
      compute: () => scope.eval(a.expr),
    });
  }
  scope.defineLazyObject('local', members);
  const named = (type: string): Value =>
    Object.fromEntries(
      blocks.filter((b) => b.type === type).map((b) => [b.labels[0]!, { name: b.labels[0]! }]),
    );
  scope.setRoot('service', named('service'));
  scope.setRoot('volume', named('volume'));
  if (module.path.length) scope.setRoot('path', { module: module.dir, root: rootDir, cwd: process.cwd() });
}
