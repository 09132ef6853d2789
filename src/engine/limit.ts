/**
 * `--limit HOST_OR_GROUP` (kolla-ansible's and Ansible's --limit): plan and apply only the
 * instances on these hosts; the rest of the state is carried over untouched, and the other
 * hosts are not even contacted. Names are hosts or groups (`all` included), given as
 * repeated flags or comma-separated; `!name` excludes, as in Ansible's patterns.
 */
import type { Config } from '../config/config.js';
import type { Diagnostic } from '../diags/diagnostic.js';
import { didYouMean } from '../diags/suggest.js';

export type LimitResult = { hosts: Set<string> } | { error: Diagnostic };

export function resolveLimit(config: Pick<Config, 'hosts' | 'groups'>, patterns: string[]): LimitResult {
  const hostNames = config.hosts.map((h) => h.name);
  const names = patterns
    .flatMap((p) => p.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const include = new Set<string>();
  const exclude = new Set<string>();
  let anyInclude = false;
  for (const raw of names) {
    const neg = raw.startsWith('!');
    const name = neg ? raw.slice(1) : raw;
    let members: string[] | undefined;
    if (hostNames.includes(name)) members = [name];
    else if (config.groups[name]) members = config.groups[name];
    if (!members) {
      return {
        error: {
          severity: 'error',
          summary: `--limit: no host or group "${name}"${didYouMean(name, [...hostNames, ...Object.keys(config.groups)])}`,
          detail: `Hosts: ${hostNames.join(', ')}. Groups: ${Object.keys(config.groups).sort().join(', ')}.`,
        },
      };
    }
    if (neg) for (const m of members) exclude.add(m);
    else {
      anyInclude = true;
      for (const m of members) include.add(m);
    }
  }
  // Only exclusions ("!node3"): everything else.
  const base = anyInclude ? include : new Set(hostNames);
  const hosts = new Set(hostNames.filter((h) => base.has(h) && !exclude.has(h)));
  if (hosts.size === 0) {
    return {
      error: { severity: 'error', summary: `--limit ${names.join(',')} selects no host` },
    };
  }
  return { hosts };
}
