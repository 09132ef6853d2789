/**
 * Flags shared by plan, apply and destroy, and their translation to engine options.
 */
import { Flags } from '@oclif/core';
import type { DiffOptions } from '../kinds/kind.js';
import { UserError } from './base-command.js';
import { parseAddress } from '../addrs/address.js';
import { durationMs } from '../providers/docker/duration.js';
import type { LockOptions } from '../engine/with-lock.js';
import type { Palette } from './colour.js';
import { progressPrinter } from './progress.js';

export const lockFlags = {
  lock: Flags.boolean({
    description: 'Take the state lock (disable with -lock=false).',
    default: true,
    allowNo: true,
  }),
  'lock-timeout': Flags.string({
    description: 'How long to wait for the state lock, e.g. 30s (default 0s).',
    default: '0s',
    helpValue: 'DURATION',
  }),
};

/**
 * -lock and -lock-timeout as the engine's lock options, for the commands that only take the
 * state lock (init, workspace, state): the wait for a held lock and a stale lock taken over
 * are printed on stderr.
 */
export function lockOptions(
  flags: { lock: boolean; 'lock-timeout': string },
  errColours: Palette,
): LockOptions {
  return {
    lock: flags.lock,
    lockTimeoutMs: parseDuration(flags['lock-timeout']),
    onEvent: progressPrinter(errColours, false, (s) => process.stderr.write(s)),
  };
}

export const planFlags = {
  'trust-new-host-keys': Flags.boolean({
    description:
      'Accept SSH host keys that known_hosts does not have yet, and record them. A changed key is always refused.',
  }),
  target: Flags.string({
    description: 'Limit the plan to this address and what it depends on. Repeatable.',
    multiple: true,
    helpValue: 'ADDR',
  }),
  limit: Flags.string({
    description:
      'Plan and apply only on these hosts or groups (comma-separated or repeated; !name excludes); the state of other hosts is carried over untouched.',
    multiple: true,
    helpValue: 'HOST_OR_GROUP',
  }),
  replace: Flags.string({
    description: 'Force replacement of this container even if unchanged. Repeatable.',
    multiple: true,
    helpValue: 'ADDR',
  }),
  refresh: Flags.boolean({
    description: 'Read the hosts before planning (disable with -refresh=false).',
    default: true,
    allowNo: true,
  }),
  'allow-quorum-loss': Flags.boolean({
    description:
      'Plan a rolling change of a `quorum` service (Galera, RabbitMQ) even when its hosts that are down or unhealthy mean a step would leave no majority of it running.',
  }),
  ...lockFlags,
};

/** -lock-timeout and the like: a Go duration ("30s", "2m", "1m30s", "500ms") or bare seconds. */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Number(t) * 1000;
  try {
    return durationMs(t);
  } catch {
    throw new UserError(`invalid duration "${s}"; use e.g. 30s, 2m or 500ms`);
  }
}

export function diffOptions(flags: {
  target?: string[] | undefined;
  limit?: string[] | undefined;
  replace?: string[] | undefined;
  refresh?: boolean | undefined;
  destroy?: boolean | undefined;
  'include-volumes'?: boolean | undefined;
  'include-data'?: boolean | undefined;
  'allow-quorum-loss'?: boolean | undefined;
}): DiffOptions {
  for (const a of [...(flags.target ?? []), ...(flags.replace ?? [])]) {
    const parsed = parseAddress(a);
    if (typeof parsed === 'string') {
      throw new UserError(
        `${parsed}. Addresses look like service.keystone, service.keystone.container.keystone["control01"] or volume.data["control01"]`,
      );
    }
  }
  return {
    destroy: flags.destroy === true,
    targets: flags.target ?? [],
    limit: flags.limit ?? [],
    replace: flags.replace ?? [],
    includeVolumes: flags['include-volumes'] === true,
    includeData: flags['include-data'] === true,
    refreshed: flags.refresh !== false,
    ...(flags['allow-quorum-loss'] ? { allowQuorumLoss: true } : {}),
  };
}
