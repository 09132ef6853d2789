import path from 'node:path';
import { Flags } from '@oclif/core';
import { KollaCommand, commonFlags, varFlags } from '../cli/base-command.js';
import { EXIT_ERROR } from '../cli/exit-codes.js';
import { Diagnostics, type Diagnostic } from '../diags/diagnostic.js';
import { prepare } from '../engine/prepare.js';
import { LocalTransport } from '../transport/local.js';
import {
  DEFAULT_THREADS,
  defaultWorkDir,
  imagesDot,
  loadImageGraph,
  matchImages,
  runBuild,
  selectImages,
  writeDockerfiles,
  type BuildEvent,
  type ImageResult,
} from '../build/index.js';

/** An image's result as --json prints it (snake_case, as the other commands' JSON). */
interface ImageJson {
  name: string;
  address: string;
  ref: string;
  status: ImageResult['status'];
  id: string | null;
  build_hash: string | null;
  tags: string[];
  pushed: string[];
  elapsed_ms: number;
  error: string | null;
  reason: string | null;
  log_file: string | null;
  log_tail: string[] | null;
  push_error: string | null;
}

function imageJson(r: ImageResult): ImageJson {
  return {
    name: r.name,
    address: `image.${r.name}`,
    ref: r.ref,
    status: r.status,
    id: r.id ?? null,
    build_hash: r.hash ?? null,
    tags: r.tags,
    pushed: r.pushed,
    elapsed_ms: r.elapsedMs,
    error: r.error ?? null,
    reason: r.reason ?? null,
    log_file: r.logFile ?? null,
    log_tail: r.logTail ?? null,
    push_error: r.pushError ?? null,
  };
}

interface BuildResult {
  ok: boolean;
  images?: ImageJson[];
  summary?: { built: number; up_to_date: number; failed: number; skipped: number; push_failed: number };
  list?: { name: string; ref: string; parents: string[]; template: string; context: string }[];
  dot?: string;
  dockerfiles?: string[];
  diagnostics: Diagnostic[];
}

export default class Build extends KollaCommand {
  static override description =
    'Build the images of the `image` blocks from their Dockerfile templates, parents first, skipping images that have not changed; optionally push them to their registry.';
  static override examples = [
    '<%= config.bin %> build',
    '<%= config.bin %> build keystone --push',
    '<%= config.bin %> build "^(base|openstack_base)$" --no-cache --threads 2',
    '<%= config.bin %> build --template-override overrides/template.j2 --template-only',
    '<%= config.bin %> build --list-dependencies | dot -Tsvg > images.svg',
  ];
  static override strict = false;
  static override args = {};
  static override usage = 'build [PATTERN...] [FLAGS]';
  static override enableJsonFlag = true;
  static override flags = {
    ...commonFlags,
    ...varFlags,
    threads: Flags.integer({
      char: 'T',
      description: 'Images built at once.',
      default: DEFAULT_THREADS,
      min: 1,
    }),
    'no-cache': Flags.boolean({
      description:
        'Rebuild the images the patterns match (all without patterns) without the layer cache, even when unchanged; their parents are rebuilt only when changed.',
    }),
    push: Flags.boolean({ description: "Push each image to its block's registry after building it." }),
    'template-only': Flags.boolean({
      description: 'Only render the Dockerfiles into the work dir; build nothing.',
    }),
    'work-dir': Flags.string({
      description:
        'Where rendered Dockerfiles and build logs go (default .kolla/build/ in the configuration directory).',
      helpValue: 'DIR',
    }),
    'list-images': Flags.boolean({ description: 'List the selected images in build order and exit.' }),
    'list-dependencies': Flags.boolean({
      description: 'Print the parent → child graph of the selected images in Graphviz DOT and exit.',
    }),
    'template-override': Flags.string({
      description:
        'A template that {% extends parent_template %} and overrides {% block %}s of every image template, as kolla-build. Repeatable.',
      multiple: true,
      multipleNonGreedy: true,
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<BuildResult> {
    const { flags, argv } = await this.parse(Build);
    this.setup(flags);
    const json = this.jsonEnabled();
    const patterns = (argv as string[]).filter((a) => a !== '');
    // Secrets the images do not use need no value here; a registry password without one is
    // reported for the images that push with it.
    const p = await prepare({ dir: this.dir, vars: this.varArgs(), requireSecrets: false });
    const diags: Diagnostic[] = [...p.diagnostics];
    const fail = (): never => {
      if (json) this.logJson({ ok: false, diagnostics: diags } satisfies BuildResult);
      else this.printDiagnostics(diags);
      return this.exit(EXIT_ERROR);
    };
    if (!p.config || p.diagnostics.hasErrors()) return fail();
    const config = p.config;

    const overrides = (flags['template-override'] ?? []).map((f) => path.resolve(f));
    const { graph, diagnostics } = loadImageGraph(config, { templateOverrides: overrides });
    const selected = selectImages(graph, patterns, diagnostics);
    const matched = matchImages(graph, patterns, new Diagnostics());
    diags.push(...diagnostics);
    if (diagnostics.hasErrors()) return fail();
    if (!json) this.printDiagnostics(diags); // warnings only, here

    if (flags['list-images']) {
      const list = selected.map((n) => {
        const node = graph.nodes.get(n)!;
        return {
          name: n,
          ref: node.spec.ref,
          parents: node.parents,
          template: node.spec.template,
          context: node.spec.context,
        };
      });
      if (!json) for (const i of list) this.out(`${i.name}  ${this.colours.dim(i.ref)}`);
      return { ok: true, list, diagnostics: diags };
    }
    if (flags['list-dependencies']) {
      const dot = imagesDot(graph, selected);
      if (!json) process.stdout.write(dot);
      return { ok: true, dot, diagnostics: diags };
    }

    const workDir = flags['work-dir'] ? path.resolve(flags['work-dir']) : defaultWorkDir(config);
    if (flags['template-only']) {
      const dockerfiles = writeDockerfiles(graph, selected, workDir);
      if (!json) for (const f of dockerfiles) this.out(path.relative(process.cwd(), f) || f);
      return { ok: true, dockerfiles, diagnostics: diags };
    }
    if (selected.length === 0) {
      if (!json) this.out('No images to build.');
      return { ok: true, images: [], diagnostics: diags };
    }

    const docker = await new LocalTransport().docker();
    const images = await runBuild(graph, selected, {
      docker,
      threads: flags.threads,
      noCache: flags['no-cache'] ? matched : false,
      push: flags.push,
      workDir,
      ...(json ? {} : { onEvent: (e: BuildEvent) => this.progress(e) }),
    });

    const count = (s: ImageResult['status']): number => images.filter((r) => r.status === s).length;
    const summary = {
      built: count('built'),
      up_to_date: count('up-to-date'),
      failed: count('failed'),
      skipped: count('skipped'),
      push_failed: images.filter((r) => r.pushError !== undefined).length,
    };
    const ok = summary.failed === 0 && summary.skipped === 0 && summary.push_failed === 0;
    const result: BuildResult = { ok, images: images.map(imageJson), summary, diagnostics: diags };
    if (json) {
      if (!ok) {
        this.logJson(result);
        this.exit(EXIT_ERROR);
      }
      return result;
    }
    const c = this.colours;
    const parts = [`${summary.built} built`, `${summary.up_to_date} up to date`];
    if (summary.failed) parts.push(c.red(`${summary.failed} failed`));
    if (summary.skipped) parts.push(c.yellow(`${summary.skipped} skipped`));
    if (summary.push_failed) parts.push(c.red(`${summary.push_failed} not pushed`));
    this.out('');
    this.out(
      `${ok ? c.green(c.bold('Build complete:')) : c.red(c.bold('Build failed:'))} ${parts.join(', ')}.`,
    );
    if (!ok) {
      const e = this.errColours;
      for (const r of images) {
        if (r.status === 'failed')
          process.stderr.write(
            `${e.red(e.bold('Error:'))} image.${r.name}: ${r.error ?? 'failed'}${r.logFile ? ` (log: ${r.logFile})` : ''}\n`,
          );
        if (r.pushError !== undefined)
          process.stderr.write(`${e.red(e.bold('Error:'))} image.${r.name}: ${r.pushError}\n`);
      }
      this.exit(EXIT_ERROR);
    }
    return result;
  }

  /** One line per event, prefixed with the image's address. */
  private progress(e: BuildEvent): void {
    const c = this.colours;
    const addr = (n: string): string => c.bold(`image.${n}`);
    const width = Math.max(60, (process.stdout.columns ?? 120) - 4);
    const cut = (s: string, room: number): string => (s.length > room ? `${s.slice(0, room - 1)}…` : s);
    switch (e.type) {
      case 'building':
        this.out(`${addr(e.name)}: Building ${e.ref}...`);
        break;
      case 'step':
        this.out(`${addr(e.name)}: ${cut(e.text, width - e.name.length - 8)}`);
        break;
      case 'push':
        this.out(`${addr(e.name)}: Pushing ${e.ref}...`);
        break;
      case 'pushed':
        this.out(`${addr(e.name)}: Pushed ${e.ref}${e.text ? c.dim(` (${e.text})`) : ''}`);
        break;
      case 'warning':
        this.out(c.yellow(`Warning: ${e.text}`));
        break;
      case 'done': {
        const r = e.result;
        const secs = `${(r.elapsedMs / 1000).toFixed(1)}s`;
        const id = r.id ? c.dim(` (${r.id.replace(/^sha256:/, '').slice(0, 12)})`) : '';
        if (r.status === 'built') this.out(`${addr(r.name)}: ${c.green('Built')} after ${secs}${id}`);
        else if (r.status === 'up-to-date') this.out(`${addr(r.name)}: Up to date${id}`);
        else if (r.status === 'skipped') this.out(c.yellow(`${addr(r.name)}: Skipped: ${r.reason ?? ''}`));
        else {
          this.out(c.red(`${addr(r.name)}: Build failed after ${secs}: ${r.error ?? ''}`));
          if (r.logTail?.length) {
            this.out(c.dim(`  Last ${r.logTail.length} lines of the build log:`));
            for (const l of r.logTail) this.out(c.dim(`  | ${l}`));
          }
          if (r.logFile) this.out(`  Full log: ${r.logFile}`);
        }
        break;
      }
      case 'push-failed':
        this.out(c.red(`${addr(e.name)}: Push failed: ${e.error}`));
        break;
    }
  }
}
