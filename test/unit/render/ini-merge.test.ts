/**
 * INI layering, with expected outputs written the way kolla-ansible's merge_configs writes
 * them (sections in first-seen order, one blank line after each, `key = value`).
 */
import { describe, expect, it } from 'vitest';
import { mergeLayers } from '../../../src/render/layers.js';

const merge = (...layers: string[]): string => mergeLayers('ini', layers);

describe('ini merge', () => {
  it('later files win per key and new sections are appended', () => {
    expect(
      merge(
        '[DEFAULT]\ndebug = False\nlog_dir = /var/log\n\n[database]\nconnection = a\n',
        '[DEFAULT]\ndebug = True\n\n[token]\nexpiration = 3600\n',
      ),
    ).toBe(
      '[DEFAULT]\ndebug = True\nlog_dir = /var/log\n\n[database]\nconnection = a\n\n[token]\nexpiration = 3600\n\n',
    );
  });

  it('keeps sections in the order they first appear (DEFAULT is not moved)', () => {
    expect(merge('[b]\nx = 1\n', '[a]\ny = 2\n[DEFAULT]\nz = 3\n')).toBe(
      '[b]\nx = 1\n\n[a]\ny = 2\n\n[DEFAULT]\nz = 3\n\n',
    );
  });

  it('an overridden key keeps its place in the section', () => {
    expect(merge('[s]\na = 1\nb = 2\nc = 3\n', '[s]\nb = 20\nd = 4\n')).toBe(
      '[s]\na = 1\nb = 20\nc = 3\nd = 4\n\n',
    );
  });

  it('a key repeated in one file keeps every value; a later file replaces them all', () => {
    expect(merge('[s]\nk = 1\nk = 2\n')).toBe('[s]\nk = 1\nk = 2\n\n');
    expect(merge('[s]\nk = 1\nk = 2\n', '[s]\nk = 3\n')).toBe('[s]\nk = 3\n\n');
    expect(merge('[s]\nk = 1\n', '[s]\nk = 2\nk = 3\n')).toBe('[s]\nk = 2\nk = 3\n\n');
  });

  it('drops comments and keeps % signs and other characters verbatim', () => {
    expect(
      merge('# top comment\n[s]\n; a comment\nfmt = %(asctime)s %(message)s\nurl = http://x/?a=b\n'),
    ).toBe('[s]\nfmt = %(asctime)s %(message)s\nurl = http://x/?a=b\n\n');
  });

  it('writes empty values as "key ="', () => {
    expect(merge('[s]\nempty =\nset = x\n', '[s]\nset =\n')).toBe('[s]\nempty =\nset =\n\n');
  });

  it('keeps keys before any section first, without a header', () => {
    expect(merge('orphan = 1\n[s]\nk = v\n')).toBe('orphan = 1\n\n[s]\nk = v\n\n');
  });

  it('continuation lines extend a value and are written aligned under it', () => {
    expect(merge('[s]\nlist = a\n  b\n  c\n')).toBe('[s]\nlist = a\n       b\n       c\n\n');
  });

  it('accepts ":" as a separator and trims spaces', () => {
    expect(merge('[s]\n  key:value  \n')).toBe('[s]\nkey = value\n\n');
  });

  it('merges three layers in order', () => {
    expect(merge('[s]\na = 1\n', '[s]\na = 2\n', '[s]\na = 3\nb = 1\n')).toBe('[s]\na = 3\nb = 1\n\n');
  });
});

describe('yaml and raw layers', () => {
  it('deep-merges maps and replaces lists', () => {
    expect(mergeLayers('yaml', ['a:\n  b: 1\n  l: [1, 2]\n', 'a:\n  c: 2\n  l: [3]\n'])).toBe(
      'a:\n  b: 1\n  l:\n    - 3\n  c: 2\n',
    );
  });

  it('extends lists with extend_lists', () => {
    expect(mergeLayers('yaml', ['l: [1, 2]\n', 'l: [3]\n'], true)).toBe('l:\n  - 1\n  - 2\n  - 3\n');
  });

  it('raw takes the last file whole', () => {
    expect(mergeLayers('raw', ['one\n', 'two\n'])).toBe('two\n');
  });

  it('json deep-merges', () => {
    expect(JSON.parse(mergeLayers('json', ['{"a":{"b":1}}', '{"a":{"c":2}}']))).toEqual({
      a: { b: 1, c: 2 },
    });
  });
});
