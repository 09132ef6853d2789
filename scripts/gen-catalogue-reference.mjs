#!/usr/bin/env node
// Writes docs/CATALOGUE.md from the catalogue's modules themselves (catalogue/<name>/*.hcl):
// each module's inputs (type, default, description), outputs, secrets, services with their
// containers, volumes and images. Run after changing a module: node scripts/gen-catalogue-reference.mjs
// (npm run build first: it reads kolla's own parser from dist/).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { parseFile } = await import(path.join(root, 'dist/config/hcl/parser.js'));
const catalogue = path.join(root, 'catalogue');

const text = (src, range) => src.slice(range.start.offset, range.end.offset);
const attr = (src, block, name) => {
  const a = block.body.attributes.find((x) => x.name === name);
  return a ? text(src, a.expr.range) : undefined;
};
const unquote = (s) => (s && s.startsWith('"') ? JSON.parse(s) : s);

const lines = [
  '# The catalogue',
  '',
  'Modules shipped with kolla (`source = "kolla/NAME"`, offline). Generated from the modules by',
  '`node scripts/gen-catalogue-reference.mjs`; do not edit by hand.',
  '',
  '**Versions.** The catalogue is versioned with kolla: a new kolla may render other containers or',
  'config files from the same module call. The state records the kolla version of its last apply,',
  'and when a configuration that calls catalogue modules is planned by another version, `kolla plan`',
  '(and `apply`) says so first, even when nothing changes: `Catalogue: kolla/openstack changes from',
  "0.1.0 (the state's last apply) to 0.2.0.` (`plan --json` has `catalogue` with `modules`, `from`, `to`).",
  'Only the modules the configuration itself calls are named (kolla/openstack, not the service',
  'modules it calls); nothing is said for an empty state. The next `kolla apply` records the new',
  'version (with nothing to change on the hosts it only writes the state), and the line goes.',
  '',
  "**Overrides.** As kolla-ansible's node_custom_config: files in `config/` beside the root module",
  '(`global.conf`, `nova.conf`, `nova/nova-compute.conf`, `nova/<host>/nova.conf`...), merged into the',
  "rendered files in kolla-ansible's order. Or inline, one more layer after those files (so it wins),",
  "with kolla/openstack's `config_overrides`: file name (as the config directory names it) → section",
  '→ key → value; a list value repeats the key, a secret stays masked in the plan, and a file name no',
  'config block reads (a typo, a disabled service) is a warning at the name:',
  '',
  '```hcl',
  'module "openstack" {',
  '  source           = "kolla/openstack"',
  '  config_overrides = {',
  '    "nova.conf"    = { DEFAULT = { cpu_allocation_ratio = 16 } }',
  '    "ml2_conf.ini" = { ml2 = { path_mtu = 9000 } }',
  '  }',
  '}',
  '```',
  '',
  'The files it takes: galera.cnf, keystone.conf, keystone-uwsgi.ini, glance-api.conf, placement.conf,',
  'placement-api-uwsgi.ini, nova.conf, neutron.conf, ml2_conf.ini, linuxbridge_agent.ini,',
  "dhcp_agent.ini, metadata_agent.ini. In a module of your own, a config block's `override_values`",
  '(README, language reference) is the same layer.',
  '',
];
for (const name of readdirSync(catalogue, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort()) {
  const dir = path.join(catalogue, name);
  const blocks = [];
  let intro = '';
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.hcl'))
    .sort()) {
    const src = readFileSync(path.join(dir, f), 'utf8');
    if (f === 'main.hcl')
      intro = src
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) => l.replace(/^# ?/, ''))
        .join(' ');
    const r = parseFile(`${name}/${f}`, src);
    if (!r.file) throw new Error(`${name}/${f}: ${r.diagnostics.map((d) => d.summary).join('; ')}`);
    for (const b of r.file.body.blocks) blocks.push({ b, src });
  }
  lines.push(`## kolla/${name}`, '');
  if (intro) lines.push(intro.trim(), '');
  const of = (t) => blocks.filter((x) => x.b.type === t);
  if (of('variable').length) {
    lines.push('| input | type | default | description |', '|---|---|---|---|');
    for (const { b, src } of of('variable')) {
      const def = attr(src, b, 'default');
      const sens = attr(src, b, 'sensitive') === 'true' ? ' (sensitive)' : '';
      lines.push(
        `| \`${b.labels[0]}\` | \`${(attr(src, b, 'type') ?? 'any').replace(/\s+/g, ' ')}\` | ${def === undefined ? '**required**' : `\`${def.replace(/\s+/g, ' ')}\``} | ${(unquote(attr(src, b, 'description')) ?? '').replace(/\|/g, '\\|')}${sens} |`,
      );
    }
    lines.push('');
  }
  const list = (title, items) => {
    if (items.length) lines.push(`${title}: ${items.join(', ')}.`, '');
  };
  list(
    'Outputs',
    of('output').map(({ b }) => `\`${b.labels[0]}\``),
  );
  list(
    "Secrets (in kolla.secrets.json under the module path; `kolla secrets import` takes kolla-ansible's names)",
    of('secret').map(({ b }) => `\`${b.labels[0]}\``),
  );
  list(
    'Services',
    of('service').map(({ b }) => {
      const cs = b.body.blocks.filter((x) => x.type === 'container').map((x) => x.labels[0]);
      const cf = b.body.blocks.filter((x) => x.type === 'config').map((x) => x.labels[0]);
      const bs = b.body.blocks.filter((x) => x.type === 'bootstrap').map((x) => x.labels[0]);
      return `\`${b.labels[0]}\` (containers ${cs.join(', ') || 'none'}${cf.length ? `; config ${cf.join(', ')}` : ''}${bs.length ? `; bootstrap ${bs.join(' → ')}` : ''})`;
    }),
  );
  list(
    'Volumes',
    of('volume').map(({ b }) => `\`${b.labels[0]}\``),
  );
  list(
    'Images',
    of('image').map(({ b }) => `\`${b.labels[0]}\``),
  );
  list(
    'Calls',
    of('module').map(({ b, src }) => `\`${b.labels[0]}\` (${unquote(attr(src, b, 'source'))})`),
  );
}
writeFileSync(path.join(root, 'docs/CATALOGUE.md'), lines.join('\n'));
console.log('wrote docs/CATALOGUE.md');
