/**
 * The block schemas (`schemas/config.schema.json`): which arguments and nested blocks each
 * block type takes, and the JSON Schema each block's evaluated arguments must satisfy.
 */
import { readFileSync } from 'node:fs';
import { packageRoot } from '../package-root.js';
import path from 'node:path';

export interface BlockRule {
  def: string;
  max?: number;
}

export interface BlockDef {
  name: string;
  description?: string;
  labels: string[];
  properties: Record<string, PropertySchema>;
  required: string[];
  anyAttributes: boolean;
  blocks: Record<string, BlockRule>;
  /** The JSON Schema of the evaluated arguments, for ajv. */
  jsonSchema: Record<string, unknown>;
}

export interface PropertySchema {
  type?: string | string[];
  description?: string;
  'x-update'?: 'replace' | 'in-place' | 'none';
  'x-static'?: 'references';
  [k: string]: unknown;
}

export const schemaDir = path.join(packageRoot, 'schemas');

let cached: Map<string, BlockDef> | undefined;

/** All block definitions, keyed by definition name (`root`, `service`, `container`, ...). */
export function blockDefs(): Map<string, BlockDef> {
  if (cached) return cached;
  const raw = JSON.parse(readFileSync(path.join(schemaDir, 'config.schema.json'), 'utf8')) as {
    $defs: Record<string, Record<string, unknown>>;
  };
  cached = new Map();
  for (const [name, d] of Object.entries(raw.$defs)) {
    const props = (d['properties'] ?? {}) as Record<string, PropertySchema>;
    const jsonProps: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) jsonProps[k] = stripExtensions(v);
    const def: BlockDef = {
      name,
      labels: (d['x-labels'] as string[] | undefined) ?? [],
      properties: props,
      required: (d['required'] as string[] | undefined) ?? [],
      anyAttributes: d['x-any-attributes'] === true,
      blocks: (d['x-blocks'] as Record<string, BlockRule> | undefined) ?? {},
      jsonSchema: {
        type: 'object',
        properties: jsonProps,
        additionalProperties: d['additionalProperties'] ?? false,
      },
    };
    if (typeof d['description'] === 'string') def.description = d['description'];
    cached.set(name, def);
  }
  return cached;
}

function stripExtensions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripExtensions);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('x-') || k === 'description') continue;
      out[k] = stripExtensions(x);
    }
    return out;
  }
  return v;
}
