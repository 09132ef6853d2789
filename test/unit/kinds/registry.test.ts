import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allKinds, kindOfOp } from '../../../src/kinds/registry.js';
import { IN_PLACE_FIELDS, KOLLA_ONLY_FIELDS } from '../../../src/providers/docker/in-place.js';
import { packageRoot } from '../../../src/package-root.js';

describe('the kind registry', () => {
  it('has one kind per kind of the state schema, and each journal op belongs to one kind', () => {
    const schema = JSON.parse(
      readFileSync(path.join(packageRoot, 'schemas', 'state.schema.json'), 'utf8'),
    ) as {
      definitions: { resource: { oneOf: { $ref: string }[] } } & Record<
        string,
        { properties: { kind: { const: string } } }
      >;
    };
    const inSchema = schema.definitions.resource.oneOf.map(
      (r) => schema.definitions[r.$ref.split('/').pop()!]!.properties.kind.const,
    );
    expect(
      allKinds()
        .map((k) => k.kind)
        .sort(),
    ).toEqual([...inSchema].sort());
    const ops = allKinds().flatMap((k) => k.ops);
    expect(new Set(ops).size).toBe(ops.length);
    for (const k of allKinds()) for (const op of k.ops) expect(kindOfOp(op)).toBe(k);
  });

  it('the in-place container settings are listed once, and the config schema agrees', () => {
    const schema = JSON.parse(
      readFileSync(path.join(packageRoot, 'schemas', 'config.schema.json'), 'utf8'),
    ) as {
      $defs: { container: { properties: Record<string, { 'x-update'?: string }> } };
    };
    const props = schema.$defs.container.properties;
    const marked = (what: string): string[] =>
      Object.entries(props)
        .filter(([, p]) => p['x-update'] === what)
        .map(([k]) => k)
        .sort();
    expect(marked('in-place')).toEqual([...IN_PLACE_FIELDS].sort());
    for (const f of KOLLA_ONLY_FIELDS) expect(props[f]?.['x-update']).toBe('none');
  });
});
