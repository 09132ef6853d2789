/**
 * The image graph: every image block with its rendered Dockerfile and its parents — the
 * image named by `parent`, and any other image block a FROM line builds on, as kolla-build
 * finds them — in build order (parents first). Selection by pattern (kolla-build's regexes,
 * ancestors included) and Graphviz DOT for `--list-dependencies`.
 */
import type { Diagnostics } from '../diags/diagnostic.js';
import { DiagnosticError } from '../diags/diagnostic.js';
import { Dag } from '../graph/dag.js';
import { sameRef, type ImageSpec } from './image-spec.js';
import type { BuildCache } from './build-cache.js';
import { fromLines, renderDockerfile, type RenderOptions } from './render-dockerfile.js';

export interface ImageNode {
  spec: ImageSpec;
  /** The rendered Dockerfile. */
  dockerfile: string;
  /** Image blocks this one builds on (the declared parent first). */
  parents: string[];
  children: string[];
  /** The final stage's FROM reference, when it is an image (not scratch or a stage). */
  baseRef?: string;
}

export interface ImageGraph {
  nodes: Map<string, ImageNode>;
  /** Parents before children; otherwise in declaration order. */
  order: string[];
  /** Where build hashes are kept between runs (the render options' cache). */
  cache?: BuildCache;
}

/**
 * Render every image and link it to its parents. Images whose template fails, or that sit in
 * a cycle, are left out with a diagnostic; so are the descendants of an image left out.
 */
export function buildImageGraph(specs: ImageSpec[], opts: RenderOptions, diags: Diagnostics): ImageGraph {
  const nodes = new Map<string, ImageNode>();
  const byName = new Map(specs.map((s) => [s.name, s]));
  const failed = new Set<string>();
  for (const spec of specs) {
    const parentRef = spec.declaredParent !== undefined ? opts.refs[spec.declaredParent] : undefined;
    let dockerfile: string;
    try {
      dockerfile = renderDockerfile(spec, parentRef, opts);
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      diags.push({ ...e.diagnostic, address: `image.${spec.name}` });
      failed.add(spec.name);
      continue;
    }
    const froms = fromLines(dockerfile, spec.args);
    const parents: string[] = [];
    if (spec.declaredParent !== undefined) parents.push(spec.declaredParent);
    for (const f of froms) {
      if (f.ref === undefined) continue;
      const hit = specs.find((o) => o.name !== spec.name && sameRef(o.ref, f.ref!));
      if (hit && !parents.includes(hit.name)) parents.push(hit.name);
    }
    if (froms.length === 0) {
      diags.error(
        `The Dockerfile of image "${spec.name}" has no FROM line`,
        spec.range,
        `${spec.template} rendered without a FROM instruction.`,
        `image.${spec.name}`,
      );
      failed.add(spec.name);
      continue;
    }
    if (spec.declaredParent !== undefined && parentRef !== undefined) {
      const usesParent = froms.some((f) => f.ref !== undefined && sameRef(f.ref, parentRef));
      if (!usesParent) {
        diags.warning(
          `Image "${spec.name}" declares parent image.${spec.declaredParent} but does not build FROM it`,
          spec.parentRange ?? spec.range,
          `No FROM line of its Dockerfile names ${parentRef}; use FROM {{ parent }} in the template.`,
          `image.${spec.name}`,
        );
      }
    }
    const last = froms[froms.length - 1]!;
    const node: ImageNode = { spec, dockerfile, parents, children: [] };
    if (last.ref !== undefined) node.baseRef = last.ref;
    nodes.set(spec.name, node);
  }

  // Cycles: every image in one is left out.
  const dag = new Dag();
  for (const n of nodes.values()) {
    dag.add(n.spec.name);
    for (const p of n.parents) if (nodes.has(p)) dag.connect(n.spec.name, p);
  }
  for (const c of dag.cycles()) {
    const first = byName.get(c[0]!);
    diags.error(
      `Image dependency cycle: ${c.map((x) => `image.${x}`).join(' → ')}`,
      first?.parentRange ?? first?.range,
      'Each image builds FROM the next; break the cycle.',
    );
    for (const x of c) failed.add(x);
  }

  // Leave out what cannot be built: failed images and, transitively, their descendants.
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of nodes.values()) {
      if (failed.has(n.spec.name)) continue;
      const bad = n.parents.find((p) => failed.has(p) || !nodes.has(p));
      if (bad !== undefined) {
        failed.add(n.spec.name);
        changed = true;
      }
    }
  }
  for (const f of failed) nodes.delete(f);
  for (const n of nodes.values()) for (const p of n.parents) nodes.get(p)?.children.push(n.spec.name);

  const declared = new Map(specs.map((s, i) => [s.name, i]));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const p of nodes.get(name)!.parents) visit(p);
    order.push(name);
  };
  for (const name of [...nodes.keys()].sort((a, b) => declared.get(a)! - declared.get(b)!)) visit(name);
  return opts.cache ? { nodes, order, cache: opts.cache } : { nodes, order };
}

/** Every ancestor of `name`, nearest first. */
export function ancestorsOf(g: ImageGraph, name: string): string[] {
  const out: string[] = [];
  const queue = [...(g.nodes.get(name)?.parents ?? [])];
  while (queue.length) {
    const p = queue.shift()!;
    if (out.includes(p)) continue;
    out.push(p);
    queue.push(...(g.nodes.get(p)?.parents ?? []));
  }
  return out;
}

/** Every descendant of `name`. */
export function descendantsOf(g: ImageGraph, name: string): string[] {
  const out: string[] = [];
  const queue = [...(g.nodes.get(name)?.children ?? [])];
  while (queue.length) {
    const c = queue.shift()!;
    if (out.includes(c)) continue;
    out.push(c);
    queue.push(...(g.nodes.get(c)?.children ?? []));
  }
  return out;
}

/**
 * Which of `names` to start first when fewer build slots than ready images: the longest
 * chain of builds still ahead of each image (its own cost plus its costliest child's chain,
 * among `names`), so that the images with the most work waiting behind them — a base that
 * a dozen images build on, nova_base before glance_api before kolla_toolbox — start before
 * a leaf that nothing waits for. The cost of one image is estimated by the length of its
 * rendered Dockerfile (longer files install and run more), the only measure known before a
 * first build. A parent always ranks above its children.
 */
export function buildPriority(g: ImageGraph, names: string[]): Map<string, number> {
  const chosen = new Set(names);
  const memo = new Map<string, number>();
  const chain = (n: string): number => {
    const known = memo.get(n);
    if (known !== undefined) return known;
    const node = g.nodes.get(n);
    if (!node) return 0;
    let below = 0;
    for (const c of node.children) if (chosen.has(c)) below = Math.max(below, chain(c));
    const v = Math.max(1, node.dockerfile.length) + below;
    memo.set(n, v);
    return v;
  };
  for (const n of names) chain(n);
  return memo;
}

/**
 * The images to build for `patterns` (regular expressions searched in image names, as
 * kolla-build's; none means all), with their ancestors, in build order. A pattern that
 * matches nothing is an error.
 */
export function selectImages(g: ImageGraph, patterns: string[], diags: Diagnostics): string[] {
  const chosen = new Set<string>();
  for (const m of matchImages(g, patterns, diags)) {
    chosen.add(m);
    for (const a of ancestorsOf(g, m)) chosen.add(a);
  }
  return g.order.filter((n) => chosen.has(n));
}

/** The images `patterns` match themselves (no ancestors), in build order; none means all. */
export function matchImages(g: ImageGraph, patterns: string[], diags: Diagnostics): string[] {
  if (patterns.length === 0) return [...g.order];
  const chosen = new Set<string>();
  for (const p of patterns) {
    let re: RegExp;
    try {
      re = new RegExp(p);
    } catch (e) {
      diags.error(`Invalid image pattern "${p}"`, undefined, (e as Error).message);
      continue;
    }
    const hits = g.order.filter((n) => re.test(n));
    if (hits.length === 0) {
      diags.error(
        `No image matches "${p}"`,
        undefined,
        `Images: ${g.order.join(', ') || 'none'}. Patterns are regular expressions searched in image names.`,
      );
    }
    for (const h of hits) chosen.add(h);
  }
  return g.order.filter((n) => chosen.has(n));
}

/** The parent → child edges of `names` in Graphviz DOT. */
export function imagesDot(g: ImageGraph, names: string[]): string {
  const lines = ['digraph images {', '  node [shape = box3d, fontname = "sans-serif"];'];
  const set = new Set(names);
  for (const n of names) lines.push(`  ${JSON.stringify(n)};`);
  for (const n of names) {
    for (const p of g.nodes.get(n)?.parents ?? []) {
      if (set.has(p)) lines.push(`  ${JSON.stringify(p)} -> ${JSON.stringify(n)};`);
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
