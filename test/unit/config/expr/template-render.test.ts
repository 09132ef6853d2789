import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderTemplateFile, renderTemplateString } from '../../../../src/render/template.js';
import { DiagnosticError } from '../../../../src/diags/diagnostic.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kolla-tpl-'));
writeFileSync(path.join(dir, 'main.j2'), '[main]\n{% include "part.j2" %}\nport={{ port }}\n');
writeFileSync(path.join(dir, 'part.j2'), 'name={{ name }}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function caught(f: () => unknown): DiagnosticError {
  try {
    f();
  } catch (e) {
    if (e instanceof DiagnosticError) return e;
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

describe('template rendering', () => {
  it('renders variables, loops and conditionals', () => {
    const out = renderTemplateString(
      '{% for h in hosts %}{{ h.name }}{% if not loop.last %},{% endif %}{% endfor %}',
      { hosts: [{ name: 'a' }, { name: 'b' }] },
      't.j2',
    );
    expect(out).toBe('a,b');
  });

  it('neither escapes HTML nor trims block newlines', () => {
    expect(renderTemplateString('{{ x }}', { x: '<a & b>' }, 't')).toBe('<a & b>');
    expect(renderTemplateString('{% if true %}\nx\n{% endif %}\n', {}, 't')).toBe('\nx\n\n');
  });

  it('reports an undefined variable with the template name and line', () => {
    const e = caught(() => renderTemplateString('line1\nvalue = {{ missing }}\n', {}, 'conf.j2'));
    expect(e.diagnostic.summary).toBe('Error in template conf.j2 at line 2');
    expect(e.diagnostic.detail).toContain('undefined');
    expect(e.diagnostic.range?.file).toBe('conf.j2');
    expect(e.diagnostic.range?.start.line).toBe(2);
    expect(e.diagnostic.range?.start.offset).toBe(6 + (e.diagnostic.range?.start.col ?? 1) - 1);
  });

  it('reports syntax errors with their line', () => {
    const e = caught(() => renderTemplateString('a\n\n{% if %}', {}, 'bad.j2'));
    expect(e.diagnostic.summary).toBe('Error in template bad.j2 at line 3');
  });

  it('reports errors without a line by the template name alone', () => {
    const e = caught(() => renderTemplateString('{{ x | nosuchfilter }}', { x: 1 }, 'f.j2'));
    expect(e.diagnostic.summary).toMatch(/^Error in template f\.j2/);
    expect(e.diagnostic.detail).toContain('nosuchfilter');
  });

  it('renders files with includes relative to the file', () => {
    expect(renderTemplateFile(path.join(dir, 'main.j2'), { name: 'n', port: 1 })).toBe(
      '[main]\nname=n\nport=1\n',
    );
  });

  it('names a missing template file', () => {
    const e = caught(() => renderTemplateFile(path.join(dir, 'nope.j2'), {}, 'nope.j2'));
    expect(e.diagnostic.summary).toBe('Cannot read template nope.j2');
  });
});
