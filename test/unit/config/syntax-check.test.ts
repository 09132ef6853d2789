/** The reference parser as a second opinion: its failures are placed, its panics are not ours. */
import { describe, expect, it } from 'vitest';
import { checkSyntax } from '../../../src/config/syntax-check.js';

const file = (text: string): { name: string; path: string; text: string } => ({
  name: 'main.hcl',
  path: '/nowhere/main.hcl',
  text,
});

describe('checkSyntax (hcl2-parser)', () => {
  it('places a syntax error the reference parser finds', async () => {
    const [d] = await checkSyntax([file('a = {\n')]);
    expect(d?.range?.file).toBe('main.hcl');
    expect(d?.range?.start.line).toBeGreaterThanOrEqual(1);
  });

  it('does not crash when the parser panics converting a valid file (one block type, two label counts)', async () => {
    // Found by the fast-check test: HCL accepts this, the converter to JSON panics on it.
    const text = 's "a" "b" {\n}\ns "a" {\n}\n';
    await expect(checkSyntax([file(text)])).resolves.toEqual([]);
  });
});

describe('checkSyntax, conversion failures', () => {
  it('leaves a file the reference parser parses but cannot convert to JSON to kolla (no unplaced error)', async () => {
    await expect(checkSyntax([file('s "a" {\n}\ns "a" "b" {\n}\n')])).resolves.toEqual([]);
  });
});
