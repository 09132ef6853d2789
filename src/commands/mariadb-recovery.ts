import { setMaxListeners } from 'node:events';
import { Flags } from '@oclif/core';
import { KollaCommand, commonFlags, varFlags } from '../cli/base-command.js';
import { EXIT_ERROR } from '../cli/exit-codes.js';
import { lockFlags, parseDuration } from '../cli/plan-flags.js';
import { progressPrinter } from '../cli/progress.js';
import { mariadbRecoveryOperation, type MariadbRecoveryOutcome } from '../engine/mariadb-recovery.js';

export default class MariadbRecovery extends KollaCommand {
  static override description =
    "Bring a MariaDB Galera cluster back after all its nodes stopped (kolla-ansible's mariadb_recovery): " +
    'running nodes that are not Synced in a Primary Component are stopped, each node’s last committed position (uuid:seqno) is read with kolla_mariadb_recover, ' +
    'the node with the highest seqno (ties: the first in hosts order) starts a new cluster from its data, and the others are started one at a time, each waited for until Synced. ' +
    'When a node is still Synced in a Primary Component, nothing is bootstrapped: the stopped nodes are started and join it. See docs/HA.md.';
  static override examples = [
    '<%= config.bin %> mariadb-recovery',
    '<%= config.bin %> mariadb-recovery --json',
    '<%= config.bin %> mariadb-recovery --service mariadb --container mariadb --sync-timeout 20m',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    ...commonFlags,
    ...varFlags,
    ...lockFlags,
    service: Flags.string({
      description: 'The service of the Galera container, when its name is in more than one service.',
      helpValue: 'NAME',
    }),
    container: Flags.string({
      description: 'The name of the Galera container (default mariadb).',
      helpValue: 'NAME',
    }),
    'sync-timeout': Flags.string({
      description:
        "How long each node may take to be Synced, e.g. 10m (default the container's health_timeout).",
      helpValue: 'DURATION',
    }),
    'trust-new-host-keys': Flags.boolean({
      description:
        'Accept SSH host keys that known_hosts does not have yet, and record them. A changed key is always refused.',
    }),
  };

  async run(): Promise<MariadbRecoveryOutcome> {
    const { flags } = await this.parse(MariadbRecovery);
    this.setup(flags);
    const json = this.jsonEnabled();
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    const onSigint = (): void => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      const r = await mariadbRecoveryOperation({
        dir: this.dir,
        vars: this.varArgs(),
        lock: flags.lock,
        lockTimeoutMs: parseDuration(flags['lock-timeout']),
        onEvent: progressPrinter(this.errColours, false, (s) => process.stderr.write(s)),
        onProgress: (text) => process.stderr.write(`${text}\n`),
        trustNewHostKeys: flags['trust-new-host-keys'] === true,
        signal: abort.signal,
        ...(flags.service !== undefined ? { service: flags.service } : {}),
        ...(flags.container !== undefined ? { container: flags.container } : {}),
        ...(flags['sync-timeout'] !== undefined
          ? { syncTimeoutMs: parseDuration(flags['sync-timeout']) }
          : {}),
      });
      if (r.diagnostics.some((d) => d.severity === 'error')) {
        if (json) this.logJson(r);
        else this.printDiagnostics(r.diagnostics);
        this.exit(EXIT_ERROR);
      }
      if (json) return r;
      this.printDiagnostics(r.diagnostics);
      this.out(this.colours.bold(`${r.service}: ${r.container}`));
      for (const n of r.nodes) {
        const pos = n.seqno !== undefined ? `seqno ${n.seqno}` : n.found;
        const mark = n.bootstrapped ? this.colours.green(' ← bootstrapped the cluster') : '';
        this.out(`  ${n.host.padEnd(12)} ${pos}${n.started ? ', started' : ''}${mark}`);
      }
      const summary =
        r.result === 'healthy'
          ? 'Every node was already Synced: nothing done.'
          : r.result === 'joined'
            ? 'The cluster was running: the stopped nodes joined it; every node is Synced.'
            : `The cluster started from ${r.bootstrapHost}; every node is Synced.`;
      this.out(this.colours.green(summary));
      return r;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  }
}
