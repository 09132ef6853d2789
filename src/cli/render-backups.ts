/**
 * `kolla backup list` and `create` as text: one block per database server, one line per backup.
 */
import type { ServerBackups } from '../engine/backups.js';
import type { Palette } from './colour.js';

function size(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function renderBackups(servers: readonly ServerBackups[], p: Palette): string {
  const lines: string[] = [];
  for (const s of servers) {
    lines.push(
      p.bold(`${s.container} on ${s.host}`) + p.dim(` (${s.dir}; databases ${s.schemas.join(', ')})`),
    );
    if (s.error) lines.push(`  ${p.yellow('cannot list:')} ${s.error}`);
    else if (!s.backups.length) lines.push(p.dim('  no backups'));
    for (const b of s.backups)
      lines.push(
        `  ${b.id}  ${b.created}  ${size(b.size).padStart(10)}  ${b.schemas.join(',')}  ${p.dim(b.reason)}`,
      );
  }
  return lines.join('\n');
}
