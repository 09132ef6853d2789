/**
 * The plan as text, in Terraform's vocabulary and layout: drift first, then one block per
 * change with attribute-level `old -> new` lines and `# forces replacement`, config files
 * as unified diffs, and the summary line. A pure function of the plan.
 */
import { formatModulePath, parseAddress } from '../addrs/address.js';
import type { AttrChange, Change, Plan } from '../plans/plan.js';
import { catalogueChangeLine } from '../plans/catalogue.js';
import type { Palette } from './colour.js';
import { resourceTitle } from '../addrs/address.js';

const SYMBOL: Record<string, string> = {
  create: '  +',
  update: '  ~',
  replace: '-/+',
  delete: '  -',
  restart: '  ↻',
  run: '  ▶',
};

const VERB: Record<string, string> = {
  create: 'will be created',
  update: 'will be updated in-place',
  replace: 'must be replaced',
  delete: 'will be destroyed',
  restart: 'will be restarted',
  run: 'will run',
};

function fmt(v: unknown, sensitive: boolean): string {
  if (sensitive) return '(sensitive)';
  if (v === undefined) return 'null';
  return JSON.stringify(v);
}

function colourFor(p: Palette, action: string): (s: string) => string {
  switch (action) {
    case 'create':
      return p.green;
    case 'delete':
      return p.red;
    case 'replace':
      return p.yellow;
    case 'update':
    case 'restart':
    case 'run':
      return p.yellow;
    default:
      return (s) => s;
  }
}

function attrLine(a: AttrChange, action: string, p: Palette): string {
  const forces = a.forcesReplacement && action === 'replace' ? p.red(' # forces replacement') : '';
  if (a.before === undefined)
    return `      ${p.green('+')} ${a.path} = ${fmt(a.after, a.sensitive)}${forces}`;
  if (a.after === undefined) return `      ${p.red('-')} ${a.path} = ${fmt(a.before, a.sensitive)}${forces}`;
  return `      ${p.yellow('~')} ${a.path} = ${fmt(a.before, a.sensitive)} -> ${fmt(a.after, a.sensitive)}${forces}`;
}

function title(c: Change): string {
  return resourceTitle(c.address) ?? c.kind;
}

export function renderChange(c: Change, p: Palette): string {
  const col = colourFor(p, c.action);
  const lines: string[] = [];
  lines.push(p.bold(`  # ${c.address} ${VERB[c.action] ?? c.action}`));
  for (const r of c.reasons) lines.push(p.dim(`  #   (${r})`));
  if (c.backsUp?.length)
    lines.push(p.dim(`  #   (backs up ${c.backsUp.join(', ')} first: a rollback restores the backup)`));
  else if (c.irreversible) lines.push(p.dim('  #   (irreversible: a rollback does not undo what it did)'));
  lines.push(`${col(SYMBOL[c.action] ?? '   ')} ${title(c)} {`);
  for (const n of c.notes ?? []) if (c.action !== 'delete') lines.push(p.dim(`      # ${n}`));
  for (const a of c.attrs) {
    // A new resource shows what it sets, not the arguments left empty.
    if (c.action === 'create' && isEmpty(a.after)) continue;
    lines.push(attrLine(a, c.action, p));
  }
  if (c.path !== undefined && (c.action === 'create' || c.action === 'update')) {
    lines.push(`        path = ${JSON.stringify(c.path)}`);
  }
  if (c.textDiff !== undefined) {
    for (const raw of c.textDiff.replace(/\n$/, '').split('\n')) {
      const l = raw.replace(/\t$/, '');
      const coloured =
        l.startsWith('+') && !l.startsWith('+++')
          ? p.green(l)
          : l.startsWith('-') && !l.startsWith('---')
            ? p.red(l)
            : l.startsWith('@@')
              ? p.cyan(l)
              : l;
      lines.push(`        ${coloured}`);
    }
  } else if (c.sensitiveContent && c.action !== 'noop') {
    lines.push('        (sensitive content hidden)');
  }
  lines.push('    }');
  return lines.join('\n');
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  const run = s.run ? `, ${s.run} to run` : '';
  const move = plan.moved?.length ? `, ${plan.moved.length} to move` : '';
  const forget = plan.forgotten?.length ? `, ${plan.forgotten.length} to forget` : '';
  return `Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy, ${s.restart} to restart${run}${move}${forget}.`;
}

/** Secrets are kept in the plan as `((secret.NAME))` markers; people see `(sensitive)`. */
function hideMarkers(s: string): string {
  return s.replace(/\(\(secret\.[^()\s]+\)\)/g, '(sensitive)');
}

export function renderPlan(plan: Plan, p: Palette): string {
  return hideMarkers(renderPlanText(plan, p));
}

function renderPlanText(plan: Plan, p: Palette): string {
  const out: string[] = [];
  if (plan.catalogue) {
    out.push(p.bold(catalogueChangeLine(plan.catalogue)));
    out.push('');
  }
  if (plan.limit) {
    out.push(
      `${p.yellow(p.bold('Limited'))} to host${plan.limit.length > 1 ? 's' : ''} ${plan.limit.join(', ')} (--limit): other hosts were not read, and their state is kept as it was.`,
    );
    out.push('');
  }
  for (const u of plan.unreachable ?? []) {
    out.push(
      `${p.yellow(p.bold('Unreachable:'))} host ${u.host} is left out: nothing is planned for it, and its state is kept as it was (kolla apply brings it in sync once it is back). ${u.detail}`,
    );
    out.push('');
  }
  if (plan.targets.length) {
    out.push(
      `${p.yellow(p.bold('Targeted'))} to ${plan.targets.join(', ')} (-target) and what ${plan.targets.length > 1 ? 'they depend' : 'it depends'} on: the plan may not show every change the configuration needs. Use -target for exceptional cases (recovering from a mistake), not routinely.`,
    );
    out.push('');
  }
  if (plan.drift.length) {
    out.push(p.bold('Note: Objects have changed outside of kolla'));
    out.push('');
    for (const d of plan.drift) out.push(`  ${p.yellow('#')} ${d.address}: ${d.detail}`);
    out.push('');
  }
  const real = plan.changes
    .filter((c) => c.action !== 'noop')
    .sort((a, b) => a.address.localeCompare(b.address));
  const moved = plan.moved ?? [];
  const forgotten = plan.forgotten ?? [];
  if (moved.length || forgotten.length) {
    for (const m of moved) out.push(`  ${p.bold('#')} ${m.from} has moved to ${m.to}`);
    for (const f of forgotten)
      out.push(`  ${p.bold('#')} ${f} will be removed from the state, not destroyed (removed block)`);
    out.push('');
  }
  if (real.length === 0 && (moved.length || forgotten.length) && !plan.interrupted) {
    out.push(
      p.bold(`Plan: ${moved.length} to move, ${forgotten.length} to forget; nothing changes on the hosts.`),
    );
    return out.join('\n') + '\n';
  }
  if (real.length === 0 && plan.interrupted) {
    out.push(
      p.yellow(p.bold('No changes to the configuration,')) +
        ' but an interrupted apply must be dealt with first: `kolla apply` rolls it back (or `kolla apply --continue` keeps what it did).',
    );
    return out.join('\n') + '\n';
  }
  if (real.length === 0) {
    out.push(p.green(p.bold('No changes.')) + ' Your infrastructure matches the configuration.');
    if (plan.catalogue)
      out.push(
        `\`kolla apply\` records kolla ${plan.catalogue.to} in the state; nothing changes on the hosts.`,
      );
    return out.join('\n') + '\n';
  }
  out.push(
    'kolla will perform the following actions (symbols: + create, ~ update in-place, -/+ replace, - destroy, ↻ restart, ▶ run):',
  );
  out.push('');
  // Changes are sorted by address, so a module's are together: each module opens with its
  // path when there is more than the root.
  const modulesShown = real.some((c) => modulePathOf(c.address) !== '');
  let current: string | undefined;
  for (const c of real) {
    const m = modulePathOf(c.address);
    if (modulesShown && m !== current) {
      out.push(p.bold(`── ${m || 'root module'} ──`));
      out.push('');
      current = m;
    }
    out.push(renderChange(c, p));
    out.push('');
  }
  out.push(p.bold(summaryLine(plan)));
  const outs = Object.entries(plan.outputs);
  if (outs.length) {
    out.push('');
    out.push('Outputs:');
    for (const [k, v] of outs) out.push(`  ${k} = ${v.sensitive ? '(sensitive)' : JSON.stringify(v.value)}`);
  }
  return out.join('\n') + '\n';
}

/** `module.a["k"].module.b` of an address ("" for the root module's). */
function modulePathOf(address: string): string {
  const a = parseAddress(address);
  return typeof a === 'string' ? '' : formatModulePath(a.module);
}
