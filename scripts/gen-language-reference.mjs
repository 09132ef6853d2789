#!/usr/bin/env node
// Regenerates the "Language reference" section of README.md from schemas/config.schema.json,
// so that the documented arguments are exactly the ones the loader accepts.
import { readFileSync, writeFileSync } from 'node:fs';

const schema = JSON.parse(readFileSync(new URL('../schemas/config.schema.json', import.meta.url), 'utf8'));
const defs = schema.$defs;
const order = [
  'kolla',
  'backend',
  'variable',
  'validation',
  'locals',
  'secret',
  'host',
  'group',
  'registry',
  'volume',
  'service',
  'container',
  'healthcheck',
  'lifecycle',
  'config',
  'bootstrap',
  'task',
  'database',
  'rabbitmq_user',
  'image',
  'output',
  'module',
  'moved',
  'removed',
];
const lines = [];
for (const name of order) {
  const d = defs[name];
  const labels = (d['x-labels'] ?? []).map((l) => ` "${l.toUpperCase()}"`).join('');
  lines.push(`#### \`${name}${labels} { ... }\``, '', d.description ?? '', '');
  const props = Object.entries(d.properties ?? {});
  if (props.length) {
    lines.push('| argument | type | | description |', '|---|---|---|---|');
    for (const [k, p] of props) {
      const type = p.enum
        ? p.enum.map((e) => `\`"${e}"\``).join(' \\| ')
        : Array.isArray(p.type)
          ? p.type.join(' or ')
          : (p.type ?? (p['x-static'] ? 'references' : 'any'));
      const req = (d.required ?? []).includes(k) ? '**required**' : '';
      const upd =
        p['x-update'] === 'replace'
          ? ' *Forces replacement.*'
          : p['x-update'] === 'in-place'
            ? ' *Updated in place.*'
            : '';
      lines.push(`| \`${k}\` | ${type} | ${req} | ${(p.description ?? '').replace(/\|/g, '\\|')}${upd} |`);
    }
    lines.push('');
  }
  const blocks = Object.entries(d['x-blocks'] ?? {});
  if (blocks.length)
    lines.push(
      `Nested blocks: ${blocks.map(([b, r]) => `\`${b}\`${r.max === 1 ? ' (at most one)' : ''}`).join(', ')}.`,
      '',
    );
}
const text = lines.join('\n');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const start = '<!-- language-reference:start -->';
const end = '<!-- language-reference:end -->';
const i = readme.indexOf(start);
const j = readme.indexOf(end);
if (i < 0 || j < 0) throw new Error('README.md lacks the language-reference markers');
writeFileSync(
  new URL('../README.md', import.meta.url),
  readme.slice(0, i + start.length) + '\n' + text + '\n' + readme.slice(j),
);
