import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseState } from '../../../src/states/statefile.js';
import { STATE_VERSION } from '../../../src/states/state.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/state-v1/state.v1.json', import.meta.url));

describe('state format migration', () => {
  it('reads a state written by kolla 0.1.0 (format 1) as format 2, each resource with its own fields', () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const v1 = JSON.parse(text) as { version: number; resources: Record<string, unknown>[] };
    expect(v1.version).toBe(1);
    const s = parseState(text, path.basename(FIXTURE));
    expect(s.version).toBe(STATE_VERSION);
    expect(s.resources.map((r) => r.address)).toEqual(v1.resources.map((r) => r['address']));
    for (const r of s.resources) {
      switch (r.kind) {
        case 'container':
          expect(r.spec.name).toBe('statev1fixture_a');
          expect(r.spec_hash).toMatch(/^[0-9a-f]{64}$/);
          expect(r.observed?.id).toMatch(/^[0-9a-f]{64}$/);
          expect(Object.keys(r).sort()).toEqual(
            [
              'address',
              'dependencies',
              'host',
              'kind',
              'observed',
              'options',
              'service',
              'spec',
              'spec_hash',
            ].sort(),
          );
          break;
        case 'bootstrap':
          expect(r.inputs_hash).toMatch(/^[0-9a-f]{64}$/);
          expect(r.image_id).toMatch(/^sha256:/);
          break;
        case 'config':
          expect(r.path).toMatch(/^\/tmp\/sv1-etc\/statev1fixture_a\//);
          expect(r.content_hash).toMatch(/^[0-9a-f]{64}$/);
          break;
        case 'volume':
          expect(r.volume.name).toBe('statev1fixture_data');
          break;
        default:
          throw new Error(`unexpected kind ${r.kind}`);
      }
    }
    // Secrets stay masked through the migration.
    expect(JSON.stringify(s)).toContain('((secret.db_password))');
    // (the fixture was written with the secret db_password = P5aYE7GQhcrzJSrBeFDcQTAd)
    expect(JSON.stringify(s)).not.toContain('P5aYE7GQhcrzJSrBeFDcQTAd');
  });

  it('refuses a resource whose kind is unknown, with its place', () => {
    const v1 = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { resources: Record<string, unknown>[] };
    v1.resources[0]!['kind'] = 'vm';
    expect(() => parseState(JSON.stringify(v1), 'x.json')).toThrow(/resources\[0\]\.kind: must be one of/);
  });
});
