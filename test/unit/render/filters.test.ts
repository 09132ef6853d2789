import { describe, expect, it } from 'vitest';
import { renderTemplateString } from '../../../src/render/template.js';
import { DiagnosticError } from '../../../src/diags/diagnostic.js';

const r = (t: string, v: Record<string, unknown> = {}): string => renderTemplateString(t, v, 'test.j2');

describe('Jinja2 / Ansible filters', () => {
  it.each([
    ['{{ "yes" | bool }}', 'true'],
    ['{{ "no" | bool }}', 'false'],
    ['{{ missing | default("d") }}', 'd'],
    ['{{ "" | default("d") }}', ''],
    ['{{ "" | default("d", true) }}', 'd'],
    ['{{ [1, 1, 2] | unique | join(",") }}', '1,2'],
    ['{{ {"a": 1} | to_json }}', '{"a":1}'],
    ['{{ {"a": [1]} | to_yaml }}', 'a:\n  - 1\n'],
    ['{{ "fe80::1" | ipwrap }}', '[fe80::1]'],
    ['{{ "10.0.0.1" | ipwrap }}', '10.0.0.1'],
    ['{{ "eth0-x" | regex_replace("-(x)$", "_\\\\1") }}', 'eth0_x'],
    ['{{ [1, 0, 2] | select | join(",") }}', '1,2'],
    ['{{ ["a", "b"] | select("equalto", "b") | join(",") }}', 'b'],
    ['{{ ["a", "b"] | reject("equalto", "b") | join(",") }}', 'a'],
    ['{{ "/a/b.conf" | basename }}', 'b.conf'],
  ])('%s → %j', (t, want) => {
    expect(r(t)).toBe(want);
  });

  it('map(attribute=...) and selectattr', () => {
    const hosts = [
      { name: 'a', api: { ip: '1' }, on: true },
      { name: 'b', api: { ip: '2' }, on: false },
    ];
    expect(r('{{ hosts | map(attribute="api.ip") | join(",") }}', { hosts })).toBe('1,2');
    expect(r('{{ hosts | selectattr("on") | map(attribute="name") | join(",") }}', { hosts })).toBe('a');
  });

  it('an undefined variable is an error naming the template and line', () => {
    try {
      r('line one\n{{ nope }}\n');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      const d = (e as DiagnosticError).diagnostic;
      expect(d.summary).toContain('test.j2');
      expect(d.summary).toContain('line 2');
      expect(d.range?.start.line).toBe(2);
    }
  });
});
