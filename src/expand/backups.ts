/**
 * A bootstrap's `migrates` (issue #19): the schemas it migrates, found among the configuration's
 * `database` blocks — in any module — and grouped by the server that holds them, so that apply
 * can back them up before the bootstrap runs again and a rollback can restore them.
 */
import type { Diagnostics } from '../diags/diagnostic.js';
import { didYouMean } from '../diags/suggest.js';
import type { BackupTarget, DatabaseInstance, Instance } from './instances.js';

export function linkBackups(instances: readonly Instance[], diags: Diagnostics): void {
  const bySchema = new Map<string, DatabaseInstance[]>();
  for (const i of instances) {
    if (i.kind !== 'database') continue;
    const list = bySchema.get(i.spec.schema) ?? [];
    // Two accounts on one schema (nova and nova_cell0 share one user): the schema once per server.
    if (!list.some((d) => d.host === i.host && d.container === i.container)) list.push(i);
    bySchema.set(i.spec.schema, list);
  }
  for (const b of instances) {
    if (b.kind !== 'bootstrap' || !b.migrates?.length) continue;
    const targets = new Map<string, BackupTarget>();
    for (const schema of b.migrates) {
      const dbs = bySchema.get(schema) ?? [];
      if (dbs.length !== 1) {
        diags.error(
          dbs.length
            ? `Bootstrap ${b.address} migrates schema "${schema}", which ${dbs.length} database servers hold`
            : `Bootstrap ${b.address} migrates schema "${schema}", which no database block declares${didYouMean(schema, [...bySchema.keys()])}`,
          b.migratesRange ?? b.range,
          dbs.length
            ? `kolla backs the schema up before the bootstrap runs again: it must know which server's copy (${dbs.map((d) => d.address).join(', ')}).`
            : 'kolla backs the schemas a bootstrap migrates up before it runs again; declare the schema with a `database` block on its MariaDB service, or remove it from `migrates`.',
        );
        continue;
      }
      const d = dbs[0]!;
      const key = `${d.host}\0${d.container}\0${d.backupDir}`;
      const t = targets.get(key) ?? {
        host: d.host,
        container: d.container,
        dir: d.backupDir,
        schemas: [],
        adminUser: d.adminUser,
        timeoutMs: Math.max(d.timeoutMs, 600_000),
        ...(d.adminPassword !== undefined ? { adminPassword: d.adminPassword } : {}),
      };
      t.schemas.push(schema);
      targets.set(key, t);
    }
    if (targets.size) b.backups = [...targets.values()];
  }
}
