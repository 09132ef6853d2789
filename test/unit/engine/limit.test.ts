import { describe, expect, it } from 'vitest';
import { resolveLimit } from '../../../src/engine/limit.js';

const config = {
  hosts: ['node1', 'node2', 'node3'].map((name) => ({ name })) as never,
  groups: { all: ['node1', 'node2', 'node3'], control: ['node1'], compute: ['node2', 'node3'] },
};

const hosts = (patterns: string[]): string[] => {
  const r = resolveLimit(config, patterns);
  if ('error' in r) throw new Error(r.error.summary);
  return [...r.hosts];
};

describe('--limit', () => {
  it('takes hosts and groups, repeated or comma-separated, in inventory order', () => {
    expect(hosts(['node3'])).toEqual(['node3']);
    expect(hosts(['compute'])).toEqual(['node2', 'node3']);
    expect(hosts(['node3,control'])).toEqual(['node1', 'node3']);
    expect(hosts(['node2', 'control'])).toEqual(['node1', 'node2']);
    expect(hosts(['all'])).toEqual(['node1', 'node2', 'node3']);
  });

  it('excludes with !name, alone meaning everything else', () => {
    expect(hosts(['!node3'])).toEqual(['node1', 'node2']);
    expect(hosts(['compute,!node2'])).toEqual(['node3']);
  });

  it('names an unknown host or group with a suggestion', () => {
    const r = resolveLimit(config, ['compte']);
    expect('error' in r && r.error.summary).toBe(
      '--limit: no host or group "compte"; did you mean "compute"?',
    );
  });

  it('refuses a limit that selects nothing', () => {
    const r = resolveLimit(config, ['control,!node1']);
    expect('error' in r && r.error.summary).toBe('--limit control,!node1 selects no host');
  });
});
