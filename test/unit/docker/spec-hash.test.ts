// Spec hashing and the string parsers: pure functions, no engine needed.
import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../../../src/expand/instances.js';
import {
  checkSpec,
  parsePort,
  parseRestartPolicy,
  parseVolume,
  toHealthConfig,
} from '../../../src/providers/docker/container-options.js';
import { durationMs, parseDuration } from '../../../src/providers/docker/duration.js';
import { canonicalJson, specHash } from '../../../src/providers/docker/spec-hash.js';
import { inPlaceBlocker, inPlaceChanges, inPlaceSettings } from '../../../src/providers/docker/in-place.js';
import { testSpec } from '../../helpers/docker.js';

describe('specHash', () => {
  const base = testSpec('web', {
    command: ['sh', '-c', 'sleep 1'],
    environment: { B: '2', A: '1' },
    labels: { x: 'y', a: 'b' },
    healthcheck: { test: ['CMD', 'true'], interval: '1s', retries: 3 },
  });

  it('is stable across key order at every level', () => {
    const reordered = Object.fromEntries(Object.entries(base).reverse()) as unknown as ContainerSpec;
    reordered.environment = { A: '1', B: '2' };
    reordered.labels = { a: 'b', x: 'y' };
    reordered.healthcheck = { retries: 3, interval: '1s', test: ['CMD', 'true'] };
    expect(specHash(reordered)).toBe(specHash(base));
    expect(specHash(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treats an undefined optional field like an absent one', () => {
    expect(specHash({ ...base, user: undefined } as unknown as ContainerSpec)).toBe(specHash(base));
  });

  it('changes with the image and with other replace-forcing fields', () => {
    expect(specHash({ ...base, image: 'kolla-test/busybox:2' })).not.toBe(specHash(base));
    expect(specHash({ ...base, environment: { A: '1', B: '3' } })).not.toBe(specHash(base));
    expect(specHash({ ...base, command: ['sh', '-c', 'sleep 2'] })).not.toBe(specHash(base));
  });

  it('ignores in-place fields and health_timeout', () => {
    const changed = {
      ...base,
      restart_policy: 'always',
      memory: 1 << 26,
      cpu_shares: 512,
      health_timeout: '5m',
    };
    expect(specHash(changed)).toBe(specHash(base));
  });

  it('canonicalJson sorts keys and keeps array order', () => {
    expect(canonicalJson({ b: [2, 1], a: { d: 1, c: undefined } })).toBe('{"a":{"d":1},"b":[2,1]}');
  });
});

describe('inPlaceChanges', () => {
  const spec = inPlaceSettings(testSpec('x', { restart_policy: 'on-failure:0', memory: 0, cpu_shares: 0 }));
  const have = (restart_policy: string, memory: number, cpu_shares: number) => ({
    restart_policy,
    memory,
    cpu_shares,
  });
  it('normalises Docker defaults', () => {
    expect(inPlaceChanges(spec, have('on-failure', 0, 1024))).toEqual([]);
    expect(inPlaceChanges({ ...spec, restart_policy: 'no' }, have('', 0, 0))).toEqual([]);
  });
  it('lists what differs', () => {
    expect(inPlaceChanges(spec, have('always', 5, 2))).toEqual(['restart_policy', 'memory', 'cpu_shares']);
  });
  it('refuses to remove a memory limit in place', () => {
    expect(inPlaceBlocker(spec, have('no', 1 << 26, 0))).toMatch(/memory limit/);
    expect(inPlaceBlocker({ ...spec, memory: 1 << 27 }, have('no', 1 << 26, 0))).toBe(undefined);
  });
});

describe('durations', () => {
  it('parses Go durations to nanoseconds', () => {
    expect(parseDuration('10s')).toBe(10e9);
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('500ms')).toBe(500e6);
    expect(parseDuration('1.5h')).toBe(5400e9);
    expect(parseDuration('2us')).toBe(2000);
    expect(parseDuration('0')).toBe(0);
    expect(durationMs('1m')).toBe(60_000);
  });
  it('rejects malformed and negative durations', () => {
    for (const bad of ['', '10', 's', '1x', '-1s', '1s ms', '1.s2']) {
      expect(() => parseDuration(bad), bad).toThrow();
    }
  });
});

describe('parsers', () => {
  it('parses volumes', () => {
    expect(parseVolume('')).toBeUndefined();
    expect(parseVolume('data:/var/lib/data')).toEqual({
      kind: 'volume',
      source: 'data',
      target: '/var/lib/data',
      options: [],
    });
    expect(parseVolume('/etc/kolla/x/:/var/lib/kolla/config_files/:ro')).toEqual({
      kind: 'bind',
      source: '/etc/kolla/x/',
      target: '/var/lib/kolla/config_files/',
      options: ['ro'],
    });
    expect(parseVolume('/run:/run:shared')?.options).toEqual(['shared']);
    expect(parseVolume('/anon')).toEqual({ kind: 'anonymous', target: '/anon', options: [] });
    expect(() => parseVolume('data:relative')).toThrow(/absolute/);
    expect(() => parseVolume('data:/x:bogus')).toThrow(/unknown option/);
    expect(() => parseVolume('bad name!:/x')).toThrow(/volume name/);
  });

  it('parses ports', () => {
    expect(parsePort('80')).toEqual([{ containerPort: '80/tcp', hostIp: '', hostPort: '' }]);
    expect(parsePort('8080:80')).toEqual([{ containerPort: '80/tcp', hostIp: '', hostPort: '8080' }]);
    expect(parsePort('127.0.0.1:5353:53/udp')).toEqual([
      { containerPort: '53/udp', hostIp: '127.0.0.1', hostPort: '5353' },
    ]);
    expect(parsePort('[::1]:8080:80')).toEqual([
      { containerPort: '80/tcp', hostIp: '::1', hostPort: '8080' },
    ]);
    expect(parsePort('127.0.0.1::80')).toEqual([
      { containerPort: '80/tcp', hostIp: '127.0.0.1', hostPort: '' },
    ]);
    expect(parsePort('9000-9001:8000-8001')).toEqual([
      { containerPort: '8000/tcp', hostIp: '', hostPort: '9000' },
      { containerPort: '8001/tcp', hostIp: '', hostPort: '9001' },
    ]);
    expect(() => parsePort('80/icmp')).toThrow(/protocol/);
    expect(() => parsePort('70000:80')).toThrow(/range/);
    expect(() => parsePort('1-3:1-2')).toThrow(/length/);
  });

  it('parses restart policies', () => {
    expect(parseRestartPolicy('no')).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('unless-stopped')).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure:5')).toEqual({ Name: 'on-failure', MaximumRetryCount: 5 });
    expect(() => parseRestartPolicy('sometimes')).toThrow(/restart_policy/);
  });

  it('normalises healthcheck tests', () => {
    expect(toHealthConfig({ test: ['CMD-SHELL', 'true'] }).Test).toEqual(['CMD-SHELL', 'true']);
    expect(toHealthConfig({ test: ['curl -f http://x'] }).Test).toEqual(['CMD-SHELL', 'curl -f http://x']);
    expect(toHealthConfig({ test: ['curl', '-f'] }).Test).toEqual(['CMD', 'curl', '-f']);
    expect(() => toHealthConfig({ test: [] })).toThrow(/empty/);
    expect(() => toHealthConfig({ test: ['CMD', 'true'], interval: '100us' })).toThrow(/1ms/);
  });

  it('checkSpec reports every bad field', () => {
    const problems = checkSpec(
      testSpec('x', { volumes: ['a:b'], ports: ['x'], restart_policy: 'maybe', health_timeout: 'soon' }),
    );
    expect(problems).toHaveLength(4);
    expect(checkSpec(testSpec('x', { network_mode: 'host', ports: ['80:80'] }))[0]).toMatch(/network_mode/);
    expect(checkSpec(testSpec('x', { labels: { 'kolla.project': 'evil' } }))[0]).toMatch(/reserved/);
    expect(checkSpec(testSpec('x', { memory: 1000 }))[0]).toMatch(/6MB/);
    expect(checkSpec(testSpec('x'))).toEqual([]);
  });
});
