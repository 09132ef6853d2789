#!/usr/bin/env node
// bench/chart.svg from bench/out/results.json: time (log scale) against N (log scale), one
// panel per operation, one line per tool and variant; solid on the local engine, dashed on
// the three testbed hosts over SSH. Hand-written SVG, no dependencies.
//
//   node bench/chart.mjs     (bench/run.mjs also writes it after a run)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PANELS = [
  {
    title: 'Cold deployment',
    series: [
      ['kolla', 'cold', 'kolla apply', '#d62728'],
      ['compose', 'cold', 'compose up -d', '#1f77b4'],
      ['ansible', 'cold', 'Ansible playbook', '#2ca02c'],
      ['floor', 'cold', 'floor, health-gated', '#555555'],
      ['floor', 'cold_ungated', 'floor, not gated', '#aaaaaa'],
    ],
  },
  {
    title: 'No-op',
    series: [
      ['kolla', 'noop_plan', 'kolla plan', '#d62728'],
      ['kolla', 'noop_apply', 'kolla apply', '#ff9896'],
      ['compose', 'noop_apply', 'compose up -d', '#1f77b4'],
      ['ansible', 'noop_apply', 'Ansible playbook', '#2ca02c'],
      ['floor', 'noop_plan', 'floor list+inspect', '#555555'],
    ],
  },
  {
    title: 'One changed environment value',
    series: [
      ['kolla', 'change', 'kolla apply', '#d62728'],
      ['compose', 'change', 'compose up -d', '#1f77b4'],
      ['ansible', 'change', 'Ansible playbook', '#2ca02c'],
      ['floor', 'change', 'floor', '#555555'],
    ],
  },
];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const secLabel = (s) => (s >= 1 ? `${s} s` : `${s * 1000} ms`);

export function chart(results) {
  const W = 400;
  const H = 360;
  const M = { l: 58, r: 14, t: 34, b: 118 };
  // A failed run has a row without a time (op "failed"): it is listed in the report, not drawn.
  const rows = results.rows.filter((r) => r.n && Number.isFinite(r.median_ms));
  const sizes = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
  const secs = rows.map((r) => r.median_ms / 1000);
  const lo = Math.min(...secs, 1);
  const hi = Math.max(...secs, 1);
  const yTicks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const t = +(m * 10 ** e).toPrecision(1);
      if (t >= lo / 1.5 && t <= hi * 1.5) yTicks.push(t);
    }
  const y0 = Math.log10(Math.min(lo, yTicks[0]));
  const y1 = Math.log10(Math.max(hi, yTicks.at(-1)));
  const x0 = Math.log10(sizes[0]) - 0.1;
  const x1 = Math.log10(sizes.at(-1)) + 0.1;
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const X = (n) => M.l + (x1 === x0 ? pw / 2 : ((Math.log10(n) - x0) / (x1 - x0)) * pw);
  const Y = (s) => M.t + ph - (y1 === y0 ? ph / 2 : ((Math.log10(s) - y0) / (y1 - y0)) * ph);

  const panels = PANELS.map((p, k) => {
    const g = [
      `<g transform="translate(${k * W},0)">`,
      `<text x="${M.l + pw / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`,
    ];
    g.push(`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    for (const t of yTicks)
      g.push(
        `<line x1="${M.l}" x2="${M.l + pw}" y1="${Y(t)}" y2="${Y(t)}" stroke="#eee"/>`,
        `<text x="${M.l - 4}" y="${Y(t) + 4}" text-anchor="end" font-size="11">${secLabel(t)}</text>`,
      );
    for (const n of sizes)
      g.push(
        `<line x1="${X(n)}" x2="${X(n)}" y1="${M.t}" y2="${M.t + ph}" stroke="#eee"/>`,
        `<text x="${X(n)}" y="${M.t + ph + 15}" text-anchor="middle" font-size="11">${n}</text>`,
      );
    g.push(
      `<text x="${M.l + pw / 2}" y="${M.t + ph + 30}" text-anchor="middle" font-size="11">N containers</text>`,
    );
    p.series.forEach(([tool, op, label, colour], legend) => {
      let drawn = false;
      for (const [hosts, dash] of [
        ['local', ''],
        ['testbed', ' stroke-dasharray="5 3"'],
      ]) {
        const pts = rows
          .filter((r) => r.tool === tool && r.op === op && r.hosts === hosts)
          .sort((a, b) => a.n - b.n)
          .map((r) => [X(r.n), Y(r.median_ms / 1000)]);
        if (!pts.length) continue;
        drawn = true;
        g.push(
          `<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${pts.map((q) => q.map((v) => v.toFixed(1)).join(',')).join(' ')}"/>`,
        );
        for (const [a, b] of pts)
          g.push(`<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3" fill="${colour}"/>`);
      }
      if (!drawn) return;
      const ly = M.t + ph + 48 + 13 * legend;
      g.push(
        `<line x1="${M.l}" x2="${M.l + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="3"/>`,
        `<text x="${M.l + 28}" y="${ly}" font-size="11">${esc(label)}</text>`,
      );
    });
    g.push('</g>');
    return g.join('\n');
  });
  const title =
    `Median time against N (log–log), ${results.date.slice(0, 10)}, ${esc(results.machine)}. ` +
    'Solid: the local engine; dashed: three testbed hosts over SSH, the N containers spread over them.';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * PANELS.length}" height="${H + 24}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="${H + 16}" font-size="11" fill="#555">${title}</text>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}

export function writeChart(results, file) {
  writeFileSync(file, chart(results));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  writeChart(
    JSON.parse(readFileSync(path.join(here, 'out', 'results.json'), 'utf8')),
    path.join(here, 'chart.svg'),
  );
}
