#!/usr/bin/env node
// bench/scale-chart.svg from bench/scale-results.json (bench/scale.mjs): seconds against
// hosts for kolla and the floor, no-op plan and cold apply, on linear axes.
//
//   node bench/scale-chart.mjs [RESULTS.json] [OUT.svg]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './lib.mjs';

const input = process.argv[2] ?? path.join(root, 'bench', 'scale-results.json');
const output = process.argv[3] ?? path.join(root, 'bench', 'scale-chart.svg');
const r = JSON.parse(readFileSync(input, 'utf8'));
const series = [
  ['kolla cold apply', '#d62728', '', (s) => s.kolla_cold.ms],
  ['floor cold (gated)', '#d62728', '6 4', (s) => s.floor_cold.ms],
  ['kolla no-op plan', '#1f77b4', '', (s) => s.kolla_plan_median_ms],
  ['floor no-op', '#1f77b4', '6 4', (s) => s.floor_noop_median_ms],
];
const W = 640,
  H = 400,
  L = 60,
  R = 180,
  T = 30,
  B = 50;
const xs = r.sizes.map((s) => s.hosts);
const xMax = Math.max(...xs);
const yMax = Math.ceil(Math.max(...r.sizes.flatMap((s) => series.map(([, , , f]) => f(s)))) / 10000) * 10;
const x = (h) => L + (h / xMax) * (W - L - R);
const y = (sec) => H - B - (sec / yMax) * (H - T - B);
let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">\n`;
svg += `<rect width="${W}" height="${H}" fill="white"/>\n`;
svg += `<text x="${L}" y="18" font-size="14">kolla vs the floor, ${r.perHost} containers per host, parallelism ${r.parallelism} (${r.date.slice(0, 10)})</text>\n`;
for (let v = 0; v <= yMax; v += yMax / 5) {
  svg += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`;
  svg += `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v} s</text>\n`;
}
for (const h of xs) svg += `<text x="${x(h)}" y="${H - B + 18}" text-anchor="middle">${h}</text>\n`;
svg += `<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">hosts</text>\n`;
series.forEach(([name, color, dash, f], k) => {
  const pts = r.sizes.map((s) => `${x(s.hosts).toFixed(1)},${y(f(s) / 1000).toFixed(1)}`).join(' ');
  svg += `<polyline fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}" points="${pts}"/>\n`;
  const ly = T + 20 + k * 20;
  svg += `<line x1="${W - R + 15}" x2="${W - R + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}"/>`;
  svg += `<text x="${W - R + 46}" y="${ly + 4}">${name}</text>\n`;
});
svg += '</svg>\n';
writeFileSync(output, svg);
console.log(`wrote ${output}`);
