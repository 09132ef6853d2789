/**
 * Rendering an image's Dockerfile template (nunjucks, Jinja2 syntax) the way kolla-build
 * does: the same variables (base_distro, namespace, tag, kolla_version, ...), the
 * `customizable` filter, and `--template-override` files that `{% extends parent_template %}`
 * and replace `{% block %}`s. Also reads the FROM lines back out of the result, which is how
 * an image without `parent` finds its parent.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type nunjucks from 'nunjucks';
import { createTemplateEnvironment, templateError } from '../render/template.js';
import { nunjucksLib } from '../lazy/modules.js';
import { DiagnosticError, errorAt } from '../diags/diagnostic.js';
import { kollaVersion } from '../version.js';
import type { ImageSpec } from './image-spec.js';
import { RenderTracker, type BuildCache } from './build-cache.js';

export interface RenderOptions {
  /** Name → full reference of every image block (`image.NAME`). */
  refs: Record<string, string>;
  /** The configuration directory: a search path for `{% include %}` and `{% import %}`. */
  configDir: string;
  /**
   * `--template-override` files, in order. As in kolla-build the first one extends
   * `parent_template` (the image's own template) and the later ones are appended to it,
   * their `{% extends %}` line dropped.
   */
  overrides?: string[];
  /** Rendered Dockerfiles kept between runs. */
  cache?: BuildCache;
}

/** Render the Dockerfile of `spec`; `parentRef` is the declared parent's reference. */
export function renderDockerfile(
  spec: ImageSpec,
  parentRef: string | undefined,
  opts: RenderOptions,
): string {
  const dirs = [path.dirname(spec.template), opts.configDir];
  for (const o of opts.overrides ?? []) dirs.push(path.dirname(path.resolve(o)));
  const searchPaths = [...new Set(dirs)];
  const vars = templateVars(spec, parentRef, opts.refs);
  const overrides = opts.overrides ?? [];
  if (!opts.cache)
    return renderWithEnv(spec, vars, searchPaths, overrides, opts.configDir, new RenderTracker());
  // Everything the result depends on besides the files the rendering reads (which the cache
  // checks itself). The display names only appear in errors, which are never cached.
  const inputs = {
    template: spec.template,
    searchPaths,
    overrides: overrides.map((o) => path.resolve(o)),
    vars,
  };
  return opts.cache.renderDockerfile(inputs, (track) =>
    renderWithEnv(spec, vars, searchPaths, overrides, opts.configDir, track),
  );
}

function renderWithEnv(
  spec: ImageSpec,
  vars: Record<string, unknown>,
  searchPaths: string[],
  overrides: string[],
  configDir: string,
  track: RenderTracker,
): string {
  const env = environment(searchPaths);
  track.loaders((env as unknown as { loaders: unknown[] }).loaders);
  const display = path.relative(configDir, spec.template) || spec.template;
  track.file(spec.template);
  const own = compile(env, readTemplate(spec.template, display), display, spec.template);
  if (overrides.length === 0) return render(own, vars, display, spec.template);
  for (const o of overrides) track.file(path.resolve(o));
  const merged = mergeOverrides(overrides);
  const overrideName = path.basename(overrides[0]!);
  const top = compile(env, merged, overrideName, path.resolve(overrides[0]!));
  return render(top, { ...vars, parent_template: own }, overrideName, path.resolve(overrides[0]!));
}

/** kolla-build's _merge_overrides: the first file whole, the others without their extends line. */
function mergeOverrides(files: string[]): string {
  let out = '';
  files.forEach((f, i) => {
    const text = readTemplate(path.resolve(f), f);
    out += i === 0 ? text : text.replace(/.*\{%.*extends.*\n/, '');
    if (!out.endsWith('\n')) out += '\n';
  });
  return out;
}

/** The variables a template sees: kolla-build's, then `args`, then kolla's own. */
export function templateVars(
  spec: ImageSpec,
  parentRef: string | undefined,
  refs: Record<string, string>,
): Record<string, unknown> {
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const slash = spec.repository.lastIndexOf('/');
  return {
    base_distro: 'debian',
    base_image: 'debian',
    base_distro_tag: 'bookworm',
    base_arch: arch,
    debian_arch: arch === 'aarch64' ? 'arm64' : 'amd64',
    base_package_type: 'deb',
    distro_package_manager: 'apt',
    supported_distro_name: 'Debian',
    namespace: slash >= 0 ? spec.repository.slice(0, slash) : '',
    image_prefix: '',
    maintainer: 'kolla',
    use_dumb_init: true,
    clean_package_cache: true,
    users: {},
    ...spec.args,
    name: spec.name,
    image_name: spec.name,
    ref: spec.ref,
    repository: spec.repository,
    tag: spec.tag,
    parent: parentRef ?? '',
    image: refs,
    args: spec.args,
    labels: spec.labels,
    kolla_version: kollaVersion(),
  };
}

function environment(searchPaths: string[]): nunjucks.Environment {
  const env = createTemplateEnvironment(searchPaths);
  // kolla-build's filter: `pkgs | customizable("packages")` lets an override template set
  // <image>_packages_override, _append or _remove.
  env.addFilter(
    'customizable',
    function (this: { ctx: Record<string, unknown> }, list: unknown, kind: string) {
      if (!Array.isArray(list)) return list;
      const image = String(this.ctx['image_name'] ?? '').replace(/-/g, '_');
      const key = `${image}_${kind}_`;
      const ctx = this.ctx;
      if (ctx[`${key}override`] !== undefined) return ctx[`${key}override`];
      let out = [...(list as unknown[])];
      const append = ctx[`${key}append`];
      if (Array.isArray(append)) out = [...out, ...(append as unknown[])];
      const remove = ctx[`${key}remove`];
      if (Array.isArray(remove)) out = out.filter((x) => !(remove as unknown[]).includes(x));
      return out;
    },
  );
  // kolla-build's method, for Debian: one RUN-able install with the lists cleaned after.
  env.addGlobal('debian_package_install', (packages: unknown) => {
    const list = (Array.isArray(packages) ? packages : [packages]).map(String).filter((p) => p !== '');
    if (list.length === 0) return 'true';
    return (
      'apt-get update && apt-get -y install --no-install-recommends ' +
      list.join(' ') +
      ' && apt-get clean && rm -rf /var/lib/apt/lists/*'
    );
  });
  return env;
}

function readTemplate(file: string, display: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw errorAt(`Cannot read template ${display}`, undefined, e instanceof Error ? e.message : String(e));
  }
}

function compile(env: nunjucks.Environment, src: string, display: string, file: string): nunjucks.Template {
  try {
    return new (nunjucksLib().Template)(src, env, file, true);
  } catch (e) {
    throw templateError(e, src, display);
  }
}

function render(t: nunjucks.Template, vars: Record<string, unknown>, display: string, file: string): string {
  try {
    return t.render(vars);
  } catch (e) {
    if (e instanceof DiagnosticError) throw e;
    let src = '';
    try {
      src = readFileSync(file, 'utf8');
    } catch {
      /* only for the position */
    }
    throw templateError(e, src, display);
  }
}

export interface FromLine {
  /** The image reference, build args substituted; undefined for `scratch` and earlier stages. */
  ref?: string;
  /** What the line says after FROM (flags removed). */
  raw: string;
  /** `AS name` */
  stage?: string;
  line: number;
}

/**
 * The FROM instructions of a Dockerfile, with `${ARG}` / `$ARG` substituted from the ARGs
 * declared before the first FROM (their defaults, overridden by `buildArgs`).
 */
export function fromLines(dockerfile: string, buildArgs: Record<string, string> = {}): FromLine[] {
  const out: FromLine[] = [];
  const globals: Record<string, string> = {};
  const stages = new Set<string>();
  const lines = logicalLines(dockerfile);
  let seenFrom = false;
  for (const { text, line } of lines) {
    const m = /^\s*(\w+)\s+(.*)$/.exec(text);
    if (!m) continue;
    const instr = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (instr === 'ARG' && !seenFrom) {
      for (const part of rest.split(/\s+/)) {
        const eq = part.indexOf('=');
        const k = eq >= 0 ? part.slice(0, eq) : part;
        const v = eq >= 0 ? unquote(part.slice(eq + 1)) : undefined;
        const given = buildArgs[k];
        if (given !== undefined) globals[k] = given;
        else if (v !== undefined) globals[k] = v;
      }
      continue;
    }
    if (instr !== 'FROM') continue;
    seenFrom = true;
    const words = rest.split(/\s+/).filter((w) => !w.startsWith('--'));
    const image = substitute(words[0] ?? '', globals);
    const stage = words.length >= 3 && words[1]!.toUpperCase() === 'AS' ? words[2]!.toLowerCase() : undefined;
    const f: FromLine = { raw: image, line };
    if (image !== 'scratch' && image !== '' && !stages.has(image.toLowerCase())) f.ref = image;
    if (stage !== undefined) {
      f.stage = stage;
      stages.add(stage);
    }
    out.push(f);
  }
  return out;
}

/** Lines joined across backslash continuations, comments and blank lines dropped. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const raw = text.split('\n');
  let cur = '';
  let start = 0;
  raw.forEach((l, i) => {
    const t = l.replace(/\r$/, '');
    if (cur === '' && /^\s*(#|$)/.test(t)) return;
    if (cur === '') start = i + 1;
    if (/\\\s*$/.test(t)) {
      cur += t.replace(/\\\s*$/, ' ');
      return;
    }
    cur += t;
    out.push({ text: cur, line: start });
    cur = '';
  });
  if (cur !== '') out.push({ text: cur, line: start });
  return out;
}

function substitute(s: string, vars: Record<string, string>): string {
  return s.replace(
    /\$\{(\w+)(?::?([-+])([^}]*))?\}|\$(\w+)/g,
    (_m, a: string, op: string, word: string, b: string) => {
      const name = a ?? b;
      const v = vars[name];
      if (op === '-') return v !== undefined && v !== '' ? v : word;
      if (op === '+') return v !== undefined && v !== '' ? word : '';
      return v ?? '';
    },
  );
}

function unquote(s: string): string {
  return /^(["']).*\1$/.test(s) ? s.slice(1, -1) : s;
}
