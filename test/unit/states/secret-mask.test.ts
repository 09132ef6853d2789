import { describe, expect, it } from 'vitest';
import { SecretMasker, secretMarker } from '../../../src/states/secret-mask.js';

const secrets = {
  keystone_db: 's3cr3t-db',
  keystone_db_long: 's3cr3t-db-and-more',
  rabbit: 'R4bb1tPass',
  short: 'abc',
  same_as_rabbit: 'R4bb1tPass',
};

describe('SecretMasker', () => {
  const m = new SecretMasker(secrets);

  it('replaces secret values by markers and back', () => {
    const conf =
      'connection = mysql://keystone:s3cr3t-db@db/keystone\ntransport_url = rabbit://u:R4bb1tPass@mq\n';
    const masked = m.mask(conf);
    expect(masked).toBe(
      'connection = mysql://keystone:((secret.keystone_db))@db/keystone\ntransport_url = rabbit://u:((secret.rabbit))@mq\n',
    );
    expect(m.containsSecret(masked)).toBe(false);
    expect(m.unmask(masked)).toBe(conf);
  });

  it('masks the longest value first', () => {
    expect(m.mask('x=s3cr3t-db-and-more;y=s3cr3t-db')).toBe(
      'x=((secret.keystone_db_long));y=((secret.keystone_db))',
    );
    expect(m.unmask(m.mask('s3cr3t-db-and-more'))).toBe('s3cr3t-db-and-more');
  });

  it('ignores values shorter than 4 characters, and leaves unknown markers alone', () => {
    expect(m.mask('abc abcd')).toBe('abc abcd');
    expect(m.containsSecret('abc')).toBe(false);
    expect(m.unmask('((secret.gone)) ((secret.short))')).toBe('((secret.gone)) abc');
    expect(secretMarker('x')).toBe('((secret.x))');
  });

  it('treats regular-expression characters in values literally', () => {
    const r = new SecretMasker({ p: 'a.b*c(d)$1' });
    expect(r.mask('xa.b*c(d)$1y aXbbc')).toBe('x((secret.p))y aXbbc');
    expect(r.unmask('x((secret.p))y')).toBe('xa.b*c(d)$1y');
  });

  it('containsSecret', () => {
    expect(m.containsSecret('pw R4bb1tPass')).toBe(true);
    expect(m.containsSecret('pw R4bb1tPass')).toBe(true); // no regex state kept between calls
    expect(m.containsSecret('nothing here')).toBe(false);
    expect(new SecretMasker({}).containsSecret('anything')).toBe(false);
  });

  it('maskDeep and unmaskDeep walk arrays and objects (keys too) without changing the input', () => {
    const spec = {
      environment: { DB_PASS: 's3cr3t-db', R4bb1tPass: 'key' },
      command: ['run', '--password=R4bb1tPass'],
      memory: 0,
      privileged: false,
      healthcheck: null,
    };
    const before = structuredClone(spec);
    const masked = m.maskDeep(spec);
    expect(masked).toEqual({
      environment: { DB_PASS: '((secret.keystone_db))', '((secret.rabbit))': 'key' },
      command: ['run', '--password=((secret.rabbit))'],
      memory: 0,
      privileged: false,
      healthcheck: null,
    });
    expect(spec).toEqual(before);
    expect(JSON.stringify(masked)).not.toMatch(/s3cr3t|R4bb1t/);
    expect(m.unmaskDeep(masked)).toEqual(spec);
  });

  it('masks for display with (sensitive)', () => {
    expect(m.maskForDisplay('password = s3cr3t-db-and-more / R4bb1tPass')).toBe(
      'password = (sensitive) / (sensitive)',
    );
    expect(new SecretMasker({}).maskForDisplay('x')).toBe('x');
  });
});

describe('secret markers of module instances with any for_each key', () => {
  // The keys kolla.secrets.json holds for `secret "pw"` in `module "x" { for_each = ... }`.
  const keys = {
    space: 'module.x["a b"].pw',
    parens: 'module.x["f(1)"].pw',
    tab: 'module.x["t\\tu"].pw',
    nbsp: 'module.x["n\u00a0o"].pw',
    plain: 'module.x["plain"].pw',
    count: 'module.y[0].pw',
  };
  const values = {
    [keys.space]: 'value-of-a-b',
    [keys.parens]: 'value-of-f-1',
    [keys.tab]: 'value-of-t-u',
    [keys.nbsp]: 'value-of-n-o',
    [keys.plain]: 'value-of-plain',
    [keys.count]: 'value-of-y0',
  };
  const m = new SecretMasker(values);
  const text = Object.values(values).join(' | ');

  it('masks and unmasks every value, whatever the key holds', () => {
    const masked = m.mask(text);
    expect(masked).not.toMatch(/value-of/);
    expect(m.unmask(masked)).toBe(text);
    expect(m.unmaskDeep(m.maskDeep({ env: { A: text }, cmd: [text] }))).toEqual({
      env: { A: text },
      cmd: [text],
    });
  });

  it('markers hold no whitespace or parentheses (they end at "))", and display hides them)', () => {
    const masked = m.mask(text);
    const markers = masked.split(' | ');
    expect(markers).toHaveLength(6);
    for (const marker of markers) expect(marker).toMatch(/^\(\(secret\.[^()\s]+\)\)$/);
    // Escaped as JSON escapes inside the key's quotes: still the same key when read as JSON.
    expect(secretMarker(keys.space)).toBe('((secret.module.x["a\\u0020b"].pw))');
    expect(secretMarker(keys.parens)).toBe('((secret.module.x["f\\u00281\\u0029"].pw))');
  });

  it('keeps the markers of keys without such characters as they were', () => {
    expect(secretMarker(keys.plain)).toBe('((secret.module.x["plain"].pw))');
    expect(secretMarker(keys.count)).toBe('((secret.module.y[0].pw))');
    expect(secretMarker('keystone_db')).toBe('((secret.keystone_db))');
    expect(m.unmask('((secret.module.x["plain"].pw))')).toBe('value-of-plain');
  });

  it('two keys that differ only in a special character get different markers', () => {
    const r = new SecretMasker({
      'module.x["a b"].pw': 'first-value',
      'module.x["a\\tb"].pw': 'other-value',
    });
    expect(r.unmask(r.mask('first-value other-value'))).toBe('first-value other-value');
  });
});
