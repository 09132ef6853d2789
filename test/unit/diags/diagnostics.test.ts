/** Diagnostics: kept once, naming the module instances they came from (issue #16). */
import { describe, expect, it } from 'vitest';
import { Diagnostics, type SourceRange } from '../../../src/diags/diagnostic.js';
import { inModules, renderDiagnostic } from '../../../src/cli/render-diagnostics.js';
import { plain } from '../../../src/cli/colour.js';

const at: SourceRange = {
  file: 'm/main.hcl',
  start: { line: 1, col: 1, offset: 0 },
  end: { line: 1, col: 2, offset: 1 },
};

describe('Diagnostics of module instances', () => {
  it('a module view names its instance, and records in the whole run too', () => {
    const all = new Diagnostics();
    const a = all.forModule('module.a');
    a.error('Bad', at);
    expect(a.module).toBe('module.a');
    expect(all.module).toBeUndefined();
    expect(a.hasErrors()).toBe(true);
    expect([...all]).toEqual([{ severity: 'error', summary: 'Bad', range: at, modules: ['module.a'] }]);
  });

  it('the same diagnostic from several instances is kept once, naming each once', () => {
    const all = new Diagnostics();
    for (const m of ['module.a', 'module.x[0]', 'module.a', 'module.x[1]']) all.forModule(m).error('Bad', at);
    expect(all).toHaveLength(1);
    expect(all[0]!.modules).toEqual(['module.a', 'module.x[0]', 'module.x[1]']);
  });

  it('different details stay apart, each with its instance', () => {
    const all = new Diagnostics();
    all.forModule('module.a').error('Bad', at, 'one');
    all.forModule('module.b').error('Bad', at, 'two');
    expect(all.map((d) => [d.detail, d.modules])).toEqual([
      ['one', ['module.a']],
      ['two', ['module.b']],
    ]);
  });

  it('a view of a view records in the run; the innermost instance is named', () => {
    const all = new Diagnostics();
    const inner = all.forModule('module.a').forModule('module.a.module.b');
    inner.error('Bad', at);
    expect(all.map((d) => d.modules)).toEqual([['module.a.module.b']]);
  });

  it('a diagnostic pushed elsewhere is not changed when more instances are added', () => {
    const all = new Diagnostics();
    const d = { severity: 'error' as const, summary: 'Bad', modules: ['module.a'] };
    all.push(d);
    all.push({ ...d, modules: ['module.b'] });
    expect(d.modules).toEqual(['module.a']);
    expect(all[0]!.modules).toEqual(['module.a', 'module.b']);
  });
});

describe('rendering the instances', () => {
  it('names them under the message', () => {
    const all = new Diagnostics();
    all.forModule('module.a').error('Bad', at);
    all.forModule('module.b').error('Bad', at);
    expect(renderDiagnostic(all[0]!, '/nonexistent', plain)).toBe(
      'Error: m/main.hcl:1:1: Bad\n  (in module.a and module.b)\n',
    );
  });

  it('one, several, many; none when the address already names it', () => {
    const d = (modules: string[], address?: string) => ({
      severity: 'error' as const,
      summary: 's',
      modules,
      ...(address ? { address } : {}),
    });
    expect(inModules(d([]))).toBeUndefined();
    expect(inModules(d(['module.x["a b"]']))).toBe('in module.x["a b"]');
    expect(inModules(d(['module.a', 'module.b', 'module.c']))).toBe('in module.a, module.b and module.c');
    expect(inModules(d(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']))).toBe(
      'in m0, m1, m2, m3 and 3 more module instances',
    );
    expect(inModules(d(['module.a'], 'module.a.service.s.container.c["h"]'))).toBeUndefined();
  });
});
