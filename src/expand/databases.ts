/**
 * Database blocks of a placed service (issue #19 item 1): a schema and the account that uses
 * it on the MariaDB server the service runs, kept by SQL run in one of the service's
 * containers. One instance on the service's first host — or one per key of `for_each`
 * (`each.key`, `each.value`), so that a module can declare the databases it is given as a map.
 * Each depends on its container (started, healthy) before its SQL runs.
 */
import type { Value } from '../config/hcl/ast.js';
import type { DecodedBlock } from '../config/decode.js';
import type { SourceRange } from '../diags/diagnostic.js';
import { checkValues } from '../config/value-check.js';
import { didYouMean } from '../diags/suggest.js';
import { databaseAddr } from '../addrs/address.js';
import { durationMs } from '../config/duration.js';
import { checkDuration, SpecError } from './container-spec.js';
import { evalAttrs, type ExpandContext } from './context.js';
import type { PlacedService } from './services.js';
import type { ContainerInstance, DatabaseInstance } from './instances.js';

const DEFAULT_TIMEOUT = '60s';

/** MariaDB's schema-level privileges that ALL PRIVILEGES grants on every supported version. */
export const ALL_SCHEMA_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'REFERENCES',
  'INDEX',
  'ALTER',
  'CREATE TEMPORARY TABLES',
  'LOCK TABLES',
  'EXECUTE',
  'CREATE VIEW',
  'SHOW VIEW',
  'CREATE ROUTINE',
  'ALTER ROUTINE',
  'EVENT',
  'TRIGGER',
];

/** What `privileges` may name: the schema privileges, ALL, and those of newer servers. */
const KNOWN_PRIVILEGES = [
  ...ALL_SCHEMA_PRIVILEGES,
  'ALL',
  'ALL PRIVILEGES',
  'GRANT OPTION',
  'DELETE HISTORY',
  'SHOW CREATE ROUTINE',
];

/** Schema names kolla accepts (MariaDB allows more; these need no quoting anywhere). */
const SCHEMA_NAME = /^[A-Za-z0-9_]{1,64}$/;
const USER_NAME = /^[A-Za-z0-9_.-]{1,80}$/;
const HOST_PATTERN = /^[A-Za-z0-9_.%:-]{1,255}$/;

export function expandDatabases(
  ctx: ExpandContext,
  svc: PlacedService,
  containers: readonly ContainerInstance[],
): DatabaseInstance[] {
  const out: DatabaseInstance[] = [];
  const containerBlocks = svc.block.blocks.filter((b) => b.type === 'container');
  const hostName = svc.hosts[0];
  if (hostName === undefined) return out;
  const host = ctx.hostsByName.get(hostName)!;
  const secretValues = new Set(Object.values(ctx.config.secretValues));
  const accounts = new Map<string, string>();
  for (const db of svc.block.blocks) {
    if (db.type !== 'database') continue;
    const label = db.labels[0]!;
    const keys = forEachKeys(ctx, db);
    if (!keys) continue;
    for (const k of keys) {
      const extra: Record<string, Value> = { ...ctx.hostNames(host) };
      if (k.key !== undefined) extra['each'] = { key: k.key, value: k.value ?? null };
      const values = evalAttrs(ctx, db, extra, ['for_each']);
      if (!values || !checkValues(db, values, ctx.diags)) continue;
      const what = `database "${label}"${k.key === undefined ? '' : `["${k.key}"]`}`;
      const cname = String(values['container']);
      if (!containerBlocks.some((b) => b.labels[0] === cname)) {
        ctx.report(
          `Unknown container "${cname}" for ${what}${didYouMean(
            cname,
            containerBlocks.map((b) => b.labels[0]!),
          )}`,
          db.attrs.get('container')!.expr.range,
        );
        break;
      }
      const target = containers.find(
        (c) => c.host === hostName && c.address.includes(`.container.${cname}[`),
      );
      if (!target) continue;
      try {
        const schema = str(values['schema']) ?? k.key ?? label;
        const inst: DatabaseInstance = {
          address: ctx.addr(databaseAddr(svc.name, label, k.key)),
          kind: 'database',
          host: hostName,
          dependsOn: [target.address],
          range: db.labelRanges[0]!,
          service: svc.name,
          name: k.key ?? label,
          container: target.spec.name,
          spec: {
            schema: checked('schema', schema, SCHEMA_NAME, 'letters, digits and _ (at most 64)'),
            user: checked(
              'user',
              str(values['user']) ?? schema,
              USER_NAME,
              'letters, digits, _, . and - (at most 80)',
            ),
            host: checked(
              'host',
              str(values['host']) ?? '%',
              HOST_PATTERN,
              'a host name, an address or a pattern with %',
            ),
            privileges: privileges(values['privileges']),
            password: secret('password', values['password'], secretValues)!,
          },
          adminUser: str(values['admin_user']) ?? 'root',
          timeoutMs: durationMs(checkDuration('timeout', values['timeout']) ?? DEFAULT_TIMEOUT),
          backupDir: backupDir(values['backup_dir']),
        };
        const admin = secret('admin_password', values['admin_password'], secretValues);
        if (admin !== undefined) inst.adminPassword = admin;
        const account = `${target.spec.name}\0${inst.spec.schema}\0${inst.spec.user}@${inst.spec.host}`;
        const prev = accounts.get(account);
        if (prev) {
          ctx.diags.error(
            `Two database blocks for schema "${inst.spec.schema}" and account '${inst.spec.user}'@'${inst.spec.host}'`,
            db.labelRanges[0],
            `${prev} already declares them on container ${target.spec.name}.`,
          );
          continue;
        }
        accounts.set(account, inst.address);
        out.push(inst);
      } catch (e) {
        if (e instanceof SpecError) {
          ctx.report(`Invalid ${what}: ${e.message}`, attrRange(db, e.attr));
          continue;
        }
        throw e;
      }
    }
  }
  return out;
}

function attrRange(b: DecodedBlock, attr: string): SourceRange | undefined {
  return b.attrs.get(attr)?.expr.range ?? b.labelRanges[0];
}

function backupDir(v: Value | undefined): string {
  const d = str(v) ?? '/backup';
  if (!/^\/[A-Za-z0-9_./-]*$/.test(d) || d.split('/').includes('..'))
    throw new SpecError(
      'backup_dir',
      `backup_dir "${d}" must be an absolute path (letters, digits, _ . - /)`,
    );
  return d.length > 1 ? d.replace(/\/+$/, '') : d;
}

function str(v: Value | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function checked(attr: string, v: string, re: RegExp, what: string): string {
  if (!re.test(v)) throw new SpecError(attr, `${attr} "${v}" is not valid (${what})`);
  return v;
}

function privileges(v: Value | undefined): string[] {
  if (!Array.isArray(v)) return ['ALL PRIVILEGES'];
  const out: string[] = [];
  for (const p of v) {
    const u = String(p).trim().toUpperCase().replace(/\s+/g, ' ');
    if (!KNOWN_PRIVILEGES.includes(u))
      throw new SpecError('privileges', `unknown privilege "${String(p)}"${didYouMean(u, KNOWN_PRIVILEGES)}`);
    out.push(u);
  }
  if (!out.length) throw new SpecError('privileges', 'privileges is empty');
  return out;
}

/** A password must come from a secret: kolla masks only secrets' values. */
function secret(attr: string, v: Value | undefined, secrets: ReadonlySet<string>): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v);
  // A declared secret without a value yet (validate before `kolla secrets generate`) is one too.
  if (!secrets.has(s) && !/^<secret \S+ not generated>$/.test(s))
    throw new SpecError(
      attr,
      `${attr} must be a secret (e.g. ${attr} = secret.keystone_database_password), so that it is masked everywhere and kept out of the state`,
    );
  return s;
}

/** The block once (no key), or once per key of `for_each`; undefined when it is invalid (reported). */
function forEachKeys(ctx: ExpandContext, b: DecodedBlock): { key?: string; value?: Value }[] | undefined {
  const a = b.attrs.get('for_each');
  if (!a) return [{}];
  const r = ctx.scope.tryEval(a.expr);
  if (!r.ok) return undefined;
  const v = r.value;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
    return [...new Set(v as string[])].map((k) => ({ key: k, value: k }));
  if (v && typeof v === 'object' && !Array.isArray(v))
    return Object.entries(v).map(([key, value]) => ({ key, value }));
  ctx.report(
    `Invalid for_each in database "${b.labels[0]}": a map or a list of strings is required`,
    a.expr.range,
  );
  return undefined;
}
