import { it } from 'vitest';
import { parseFile } from '../../../../src/config/hcl/parser.js';
import { evaluate } from '../../../../src/config/expr/evaluate.js';
it('x', () => {
  for (const n of [300, 3000, 30000]) {
    const src = Array.from({ length: n }, (_, i) => `service "s${i}" {\n  image = "img:\${var.tag}"\n  # comment\n  env = { A = "1", B = local.x }\n  ports = [for p in [1, 2] : p + ${i}]\n  script = <<-EOT\n    echo hi\n      there \${i}\n    EOT\n}\n`).join('');
    const t0 = performance.now();
    const f = parseFile('x', src);
    const t1 = performance.now();
    let k = 0;
    for (const b of f.file!.body.blocks) for (const a of b.body.attributes) { try { evaluate(a.expr, { variables: { var: { tag: 't' }, local: { x: 1 }, i: 2 }, baseDir: '.' }); k++; } catch (e) { console.log(e); throw e; } }
    console.log(n, src.length, (t1 - t0).toFixed(1), 'ms parse', (performance.now() - t1).toFixed(1), 'ms eval', k);
  }
});
