#!/usr/bin/env node
// The tables of bench/RESULTS.md from bench/out/results.json:
//
//   node bench/report.mjs           print them
//   node bench/report.mjs --write   replace the generated part of bench/RESULTS.md (between
//                                   the bench-report markers; the prose around it is kept)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sizing } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Rows of the tables: [tool, op, label]. */
const LINES = [
  ['kolla', 'cold', 'kolla: cold apply'],
  ['kolla', 'noop_plan', 'kolla: no-op plan'],
  ['kolla', 'noop_apply', 'kolla: no-op apply'],
  ['kolla', 'change', 'kolla: apply one change'],
  ['compose', 'cold', 'compose: cold `up -d`'],
  ['compose', 'noop_apply', 'compose: no-op `up -d`'],
  ['compose', 'change', 'compose: `up -d` one change'],
  ['ansible', 'cold', 'Ansible: cold playbook'],
  ['ansible', 'noop_apply', 'Ansible: no-op playbook'],
  ['ansible', 'change', 'Ansible: playbook one change'],
  ['floor', 'cold', 'floor: create+start, health-gated'],
  ['floor', 'cold_ungated', 'floor: create+start, not gated'],
  ['floor', 'noop_plan', 'floor: list+inspect'],
  ['floor', 'change', 'floor: list+inspect, replace one'],
];

const HOSTS = { local: 'local engine', testbed: 'three testbed hosts over SSH' };

const sec = (ms) =>
  ms == null ? '' : ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
const x = (r) => (r == null || !isFinite(r) ? '–' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)} ×`);

export function tables(results) {
  const get = (hosts, n, tool, op) =>
    results.rows.find((r) => r.hosts === hosts && r.n === n && r.tool === tool && r.op === op);
  const ms = (...k) => get(...k)?.median_ms;
  const sets = Object.keys(HOSTS).filter((h) => results.rows.some((r) => r.hosts === h && r.n));
  const sizes = [...new Set(results.rows.map((r) => r.n).filter(Boolean))].sort((a, b) => a - b);
  const v = results.versions;
  const out = [];
  out.push(
    `## ${results.date.slice(0, 10)}, ${results.machine}`,
    '',
    `${v.os ?? ''}, kernel ${v.kernel}; kolla ${v.kolla}, Node ${v.node}, Docker ${v.docker}` +
      (v.compose ? `, docker-compose ${v.compose}` : '') +
      (v.ansible ? `, Ansible ${v.ansible} with community.docker ${v.community_docker}` : '') +
      `. Medians of ${results.parts?.length > 1 ? 'the runs of each part (below)' : `${results.runs} runs (cold: ${results.cold_runs})`}. Healthcheck interval and ` +
      `parallelism (kolla, the floor, compose) by N: ${sizes.map((n) => `${n}: ${sizing(n).intervalS} s, ${sizing(n).parallelism}`).join('; ')}. Load average ${results.load_average_at_start?.join(' ')} at the start, ` +
      `${results.load_average_at_end?.join(' ')} at the end of the last part; ` +
      `${Math.round((results.parts ?? [results]).reduce((s, p) => s + (p.duration_s ?? 0), 0) / 60)} min in all` +
      (results.parts?.length > 1
        ? `, in ${results.parts.length} parts: ${results.parts
            .map(
              (p) =>
                `${p.date.slice(11, 16)} N=${p.sizes.join(',')} ${p.tools.join(',')} on ${p.hosts.join(',')} (${p.runs} runs, cold ${p.cold_runs}; ${Math.round(p.duration_s / 60)} min)`,
            )
            .join('; ')}.`
        : '.'),
  );
  for (const set of sets) {
    out.push(
      '',
      `### ${HOSTS[set]}`,
      '',
      `| | ${sizes.map((n) => `N = ${n}`).join(' | ')} |`,
      `|---|${sizes.map(() => '---:').join('|')}|`,
    );
    const cell = (n, tool, op) => {
      const r = get(set, n, tool, op);
      if (r) return sec(r.median_ms);
      return get(set, n, tool, 'failed') ? 'failed ¹' : '';
    };
    for (const [tool, op, label] of LINES) {
      if (!sizes.some((n) => get(set, n, tool, op) || get(set, n, tool, 'failed'))) continue;
      out.push(`| ${label} | ${sizes.map((n) => cell(n, tool, op)).join(' | ')} |`);
    }
    const rss = (n) => {
      const rs = results.rows
        .filter((r) => r.hosts === set && r.n === n && r.tool === 'kolla')
        .map((r) => r.peak_rss_mb ?? 0);
      return rs.length ? `${Math.max(...rs).toFixed(0)} MB` : '';
    };
    if (results.rows.some((r) => r.hosts === set && r.tool === 'kolla' && r.n))
      out.push(`| kolla: peak RSS (any operation) | ${sizes.map(rss).join(' | ')} |`);
  }
  const help = get('local', null, 'kolla', 'help');
  if (help) out.push('', `\`kolla --help\`: ${sec(help.median_ms)}.`);
  const failures = results.rows.filter((r) => r.op === 'failed');
  if (failures.length) {
    out.push('', '¹ Failed runs (the harness stopped the tool and went on; its error, shortened):', '');
    for (const r of failures)
      out.push(`* ${r.hosts} N = ${r.n}, ${r.tool}: \`${r.error.split('\n')[0].slice(0, 200)}\``);
  }

  out.push(
    '',
    '### Ratios',
    '',
    `| | ${sets.flatMap((s) => sizes.map((n) => `${s} ${n}`)).join(' | ')} |`,
    `|---|${sets.flatMap(() => sizes.map(() => '---:')).join('|')}|`,
  );
  const ratio = (label, f) =>
    out.push(`| ${label} | ${sets.flatMap((s) => sizes.map((n) => x(f(s, n)))).join(' | ')} |`);
  const div = (a, b) => (a == null || b == null ? null : a / b);
  ratio('kolla no-op plan / floor list+inspect', (s, n) =>
    div(ms(s, n, 'kolla', 'noop_plan'), ms(s, n, 'floor', 'noop_plan')),
  );
  ratio('kolla cold apply / floor gated', (s, n) =>
    div(ms(s, n, 'kolla', 'cold'), ms(s, n, 'floor', 'cold')),
  );
  ratio('kolla cold apply (gated) / compose cold (not gated)', (s, n) =>
    div(ms(s, n, 'kolla', 'cold'), ms(s, n, 'compose', 'cold')),
  );
  ratio('kolla one change / compose one change', (s, n) =>
    div(ms(s, n, 'kolla', 'change'), ms(s, n, 'compose', 'change')),
  );
  ratio('kolla one change / floor', (s, n) => div(ms(s, n, 'kolla', 'change'), ms(s, n, 'floor', 'change')));
  ratio('compose no-op / kolla no-op plan', (s, n) =>
    div(ms(s, n, 'compose', 'noop_apply'), ms(s, n, 'kolla', 'noop_plan')),
  );
  ratio('Ansible no-op / kolla no-op plan', (s, n) =>
    div(ms(s, n, 'ansible', 'noop_apply'), ms(s, n, 'kolla', 'noop_plan')),
  );
  ratio('compose cold / kolla cold', (s, n) => div(ms(s, n, 'compose', 'cold'), ms(s, n, 'kolla', 'cold')));
  ratio('Ansible cold / kolla cold', (s, n) => div(ms(s, n, 'ansible', 'cold'), ms(s, n, 'kolla', 'cold')));
  ratio('compose one change / kolla', (s, n) =>
    div(ms(s, n, 'compose', 'change'), ms(s, n, 'kolla', 'change')),
  );
  ratio('Ansible one change / kolla', (s, n) =>
    div(ms(s, n, 'ansible', 'change'), ms(s, n, 'kolla', 'change')),
  );
  ratio('kolla no-op plan: this / local', (s, n) =>
    div(ms(s, n, 'kolla', 'noop_plan'), ms('local', n, 'kolla', 'noop_plan')),
  );
  ratio('floor list+inspect: this / local', (s, n) =>
    div(ms(s, n, 'floor', 'noop_plan'), ms('local', n, 'floor', 'noop_plan')),
  );

  // The targets of issue #9.
  const T = 100;
  const check = (label, value, ok, shown) =>
    out.push(
      `* ${label}: ${value == null ? 'not measured' : `${shown(value)} — **${ok(value) ? 'met' : 'not met'}**`}`,
    );
  out.push('', '### Against the targets (issue #9)', '');
  check(
    `no-op plan at ${T} ≤ 2 × the floor`,
    div(ms('local', T, 'kolla', 'noop_plan'), ms('local', T, 'floor', 'noop_plan')),
    (r) => r <= 2,
    x,
  );
  check(
    `no-op plan at ${T} ≥ 3 × faster than compose's no-op \`up -d\``,
    div(ms('local', T, 'compose', 'noop_apply'), ms('local', T, 'kolla', 'noop_plan')),
    (r) => r >= 3,
    x,
  );
  check(
    `no-op plan at ${T} ≥ 50 × faster than Ansible's no-op run`,
    div(ms('local', T, 'ansible', 'noop_apply'), ms('local', T, 'kolla', 'noop_plan')),
    (r) => r >= 50,
    x,
  );
  check(
    `cold apply at ${T} ≤ 1.3 × the floor at the same parallelism`,
    div(ms('local', T, 'kolla', 'cold'), ms('local', T, 'floor', 'cold')),
    (r) => r <= 1.3,
    x,
  );
  check(
    `three hosts over SSH, no-op plan at ${T} ≤ 1.5 × the single host`,
    div(ms('testbed', T, 'kolla', 'noop_plan'), ms('local', T, 'kolla', 'noop_plan')),
    (r) => r <= 1.5,
    x,
  );
  const rss300 = results.rows.filter((r) => r.n === 300 && r.tool === 'kolla').map((r) => r.peak_rss_mb ?? 0);
  check(
    'peak RSS at 300 ≤ 200 MB',
    rss300.length ? Math.max(...rss300) : null,
    (m) => m <= 200,
    (m) => `${m.toFixed(0)} MB`,
  );
  check('`kolla --help` ≤ 0.3 s', help?.median_ms, (m) => m <= 300, sec);

  // The targets of issue #20 (health gates that do not wait for Docker's clock).
  out.push('', '### Against the targets (issue #20)', '');
  for (const n of [100, 300])
    check(
      `health-gated cold apply at ${n} ≤ 1.5 × compose's ungated \`up -d\``,
      div(ms('local', n, 'kolla', 'cold'), ms('local', n, 'compose', 'cold')),
      (r) => r <= 1.5,
      x,
    );
  check(
    `apply of one changed container at ${T} ≤ 1.5 × compose's`,
    div(ms('local', T, 'kolla', 'change'), ms('local', T, 'compose', 'change')),
    (r) => r <= 1.5,
    x,
  );
  for (const n of [10, 100, 300])
    check(
      `no-op plan at ${n} ≤ 2 × the floor's list+inspect`,
      div(ms('local', n, 'kolla', 'noop_plan'), ms('local', n, 'floor', 'noop_plan')),
      (r) => r <= 2,
      x,
    );
  return out.join('\n');
}

const START = '<!-- bench-report:start (generated by bench/report.mjs from bench/out/results.json) -->';
const END = '<!-- bench-report:end -->';

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const resultsFile = path.join(here, 'out', 'results.json');
  if (!existsSync(resultsFile)) {
    console.error(`no ${resultsFile}: run npm run bench first`);
    process.exit(1);
  }
  const md = tables(JSON.parse(readFileSync(resultsFile, 'utf8')));
  if (!process.argv.includes('--write')) console.log(md);
  else {
    const file = path.join(here, 'RESULTS.md');
    const old = readFileSync(file, 'utf8');
    const i = old.indexOf(START);
    const j = old.indexOf(END);
    const block = `${START}\n\n${md}\n\n![time against N](chart.svg)\n\n${END}`;
    const next =
      i >= 0 && j > i
        ? old.slice(0, i) + block + old.slice(j + END.length)
        : `${old.trimEnd()}\n\n${block}\n`;
    writeFileSync(file, next);
    console.error(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
