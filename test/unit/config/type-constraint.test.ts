/** Type constraints: optional(T[, default]) object attributes, as Terraform 1.3's. */
import { describe, expect, it } from 'vitest';
import { parseExpression } from '../../../src/config/hcl/parser.js';
import { convert, parseType, typeString, type TypeConstraint } from '../../../src/config/type-constraint.js';

function typeOf(src: string): TypeConstraint {
  const t = parseType(parseExpression(src, 'test.hcl'));
  if (typeof t === 'string') throw new Error(t);
  return t;
}

function typeError(src: string): string {
  const t = parseType(parseExpression(src, 'test.hcl'));
  if (typeof t !== 'string') throw new Error(`expected an error, got ${typeString(t)}`);
  return t;
}

describe('optional object attributes', () => {
  const backend = typeOf(
    'object({ host = string, port = number, backup = optional(bool, false), weight = optional(number) })',
  );

  it('fills a left-out attribute with its default, or null without one', () => {
    expect(convert({ host: 'a', port: '80' }, backend)).toEqual({
      host: 'a',
      port: 80,
      backup: false,
      weight: null,
    });
  });

  it('keeps and converts a given value', () => {
    expect(convert({ host: 'a', port: 80, backup: 'true', weight: '3' }, backend)).toEqual({
      host: 'a',
      port: 80,
      backup: true,
      weight: 3,
    });
  });

  it('gives the default for an explicit null', () => {
    expect(convert({ host: 'a', port: 80, backup: null }, backend)).toMatchObject({ backup: false });
  });

  it('still requires the attributes that are not optional', () => {
    expect(() => convert({ host: 'a', backup: true }, backend)).toThrow('attribute "port" is required');
  });

  it('checks a given optional value against its type', () => {
    expect(() => convert({ host: 'a', port: 80, backup: 'maybe' }, backend)).toThrow('bool required');
  });

  it('works nested in lists and maps (every element gets the default)', () => {
    const t = typeOf(
      'map(object({ port = number, backends = list(object({ host = string, backup = optional(bool, false) })) }))',
    );
    expect(convert({ web: { port: 80, backends: [{ host: 'a' }, { host: 'b', backup: true }] } }, t)).toEqual(
      {
        web: {
          port: 80,
          backends: [
            { host: 'a', backup: false },
            { host: 'b', backup: true },
          ],
        },
      },
    );
  });

  it('takes a list or object literal as default, converted to the type', () => {
    const t = typeOf('object({ options = optional(list(string), ["a", 1]) })');
    expect(convert({}, t)).toEqual({ options: ['a', '1'] });
  });

  it('names optional attributes in the type string', () => {
    expect(typeString(backend)).toContain('backup=optional(bool)');
  });

  it('refuses a default that is not a constant, or of the wrong type, and optional outside an object', () => {
    expect(typeError('object({ a = optional(string, var.x) })')).toContain('must be a constant');
    expect(typeError('object({ a = optional(number, "x") })')).toContain('number required');
    expect(typeError('optional(string)')).toContain('only allowed as the type of an object attribute');
    expect(typeError('object({ a = optional() })')).toContain('optional(...) takes a type');
  });
});
