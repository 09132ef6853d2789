/**
 * Rendering one config block for one host: the template (or literal content) and each
 * existing override file, all rendered as templates, merged in order by format, then the
 * block's inline `override_values` as the last layer; and the
 * config.json that tells the image's kolla_start what to copy where and what to run.
 */
import { shellJoin } from './shell-quote.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Value } from '../config/hcl/ast.js';
import type { DecodedBlock } from '../config/decode.js';
import { DiagnosticError, type Diagnostics } from '../diags/diagnostic.js';
import { renderTemplateString } from '../render/template.js';
import { InlineValuesError, mergeLayers, type ConfigFormat, type InlineValues } from '../render/layers.js';
import { KOLLA_CONFIG_MOUNT } from './instances.js';
import { insideDir } from './host-paths.js';

export type RenderContext = Record<string, unknown>;

export function renderConfigFile(
  cfg: DecodedBlock,
  cv: Record<string, Value>,
  ctx: RenderContext,
  dir: string,
  diags: Diagnostics,
  /**
   * Override files that exist and were read (`used`), and every override path looked for
   * (`looked`), so that files nobody reads in those folders can be reported.
   */
  overrides: { used: Set<string>; looked: Set<string> },
  /** Folders templates and overrides may come from (a module's and the root's); default `dir`. */
  allowed: readonly string[] = [dir],
): string | undefined {
  const layers: string[] = [];
  const render = (text: string, name: string, attr: 'template' | 'overrides'): string | undefined => {
    try {
      return renderTemplateString(text, ctx, name);
    } catch (e) {
      if (e instanceof DiagnosticError) {
        // Some nunjucks errors (an unclosed {% if %} at the end of the file) carry no line:
        // point at the argument that names the template instead of nowhere.
        const d = e.diagnostic.range
          ? e.diagnostic
          : { ...e.diagnostic, range: cfg.attrs.get(attr)!.expr.range };
        if (!diags.some((x) => x.summary === d.summary)) diags.push(d);
        return undefined;
      }
      throw e;
    }
  };
  const outside = (name: string, attr: 'template' | 'overrides'): boolean => {
    if (allowed.some((d) => insideDir(d, path.resolve(dir, name)) !== undefined)) return false;
    const msg = `${attr === 'template' ? 'Template' : 'Override'} file ${name} is outside the configuration's directory`;
    if (!diags.some((d) => d.summary === msg))
      diags.error(
        msg,
        cfg.attrs.get(attr)!.expr.range,
        `kolla reads templates and overrides only from ${allowed.join(' and ')} (symlinks are followed): a file elsewhere could hold anything, and it would be shown in the plan.`,
      );
    return true;
  };
  if (typeof cv['template'] === 'string') {
    if (outside(cv['template'], 'template')) return undefined;
    const file = path.resolve(dir, cv['template']);
    if (!existsSync(file)) {
      const msg = `Template file not found: ${cv['template']}`;
      if (!diags.some((d) => d.summary === msg))
        diags.error(msg, cfg.attrs.get('template')!.expr.range, `Looked for ${file}.`);
      return undefined;
    }
    const out = render(readFileSync(file, 'utf8'), cv['template'], 'template');
    if (out === undefined) return undefined;
    layers.push(out);
  } else if (typeof cv['content'] === 'string') {
    layers.push(cv['content']);
  } else {
    const msg = `Config "${cfg.labels[0]}" needs a template or content`;
    if (!diags.some((d) => d.summary === msg)) diags.error(msg, cfg.labelRanges[0]);
    return undefined;
  }
  for (const o of Array.isArray(cv['overrides']) ? cv['overrides'] : []) {
    const file = path.resolve(dir, String(o));
    overrides.looked.add(file);
    if (!existsSync(file)) continue; // missing overrides are skipped, as in kolla-ansible
    if (outside(String(o), 'overrides')) return undefined;
    overrides.used.add(file);
    const out = render(readFileSync(file, 'utf8'), String(o), 'overrides');
    if (out === undefined) return undefined;
    layers.push(out);
  }
  const format = (typeof cv['format'] === 'string' ? cv['format'] : 'raw') as ConfigFormat;
  // The schema makes it an object (or null: none).
  const values = (cv['override_values'] ?? undefined) as InlineValues | undefined;
  try {
    return mergeLayers(format, layers, cv['extend_lists'] === true, values);
  } catch (e) {
    const inline = e instanceof InlineValuesError;
    const summary = `Cannot merge ${inline ? 'the override_values of ' : ''}config "${cfg.labels[0]}" as ${format}`;
    // Inline values are the same on every host: reported once.
    if (!inline || !diags.some((d) => d.summary === summary))
      diags.error(
        summary,
        inline ? cfg.attrs.get('override_values')!.expr.range : cfg.labelRanges[0],
        (e as Error).message,
      );
    return undefined;
  }
}

/** The config.json of Kolla's image contract. */
export function configJson(
  command: Value | undefined,
  files: { name: string; dest: string; owner: string; perm: string; optional: boolean }[],
): string {
  const cmd =
    command === undefined || command === null
      ? undefined
      : Array.isArray(command)
        ? shellJoin(command.map(String))
        : String(command);
  const doc: Record<string, unknown> = {};
  if (cmd !== undefined) doc['command'] = cmd;
  doc['config_files'] = files.map((f) => ({
    source: `${KOLLA_CONFIG_MOUNT}${f.name}`,
    dest: f.dest,
    owner: f.owner,
    perm: f.perm,
    ...(f.optional ? { optional: true } : {}),
  }));
  return JSON.stringify(doc, null, 2) + '\n';
}
