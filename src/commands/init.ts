import { Flags } from '@oclif/core';
import { KollaCommand, commonFlags, UserError } from '../cli/base-command.js';
import { lockFlags, lockOptions } from '../cli/plan-flags.js';
import { previousBackend } from '../engine/backend/migration.js';
import { describeRecord, settingsOfRecord, writeBackendRecord } from '../engine/backend/record.js';
import { loadSettings } from '../engine/backend/settings.js';
import { DEFAULT_WORKSPACE } from '../engine/backend/workspace.js';
import { type WorkspaceStore, workspaceStoreOf } from '../engine/backend/workspace-store.js';
import { withLock, type LockOptions } from '../engine/with-lock.js';
import type { Backend } from '../states/backend.js';
import { PgBackend, PgBackendError } from '../states/pg-backend.js';
import type { PgHistoryRecord } from '../states/pg-backend.js';

export default class Init extends KollaCommand {
  static override description =
    'Set up the state backend of the configuration (creating the pg tables), and move the state when the backend block changed.';
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init -migrate-state   # after changing backend "local" to backend "pg" (or back)',
    '<%= config.bin %> init -reconfigure     # use the new backend without copying the state',
  ];
  static override flags = {
    ...commonFlags,
    ...lockFlags,
    'migrate-state': Flags.boolean({
      description:
        'Copy the state of every workspace, with its history, from the backend set up before to the configured one.',
      exclusive: ['reconfigure'],
    }),
    reconfigure: Flags.boolean({
      description:
        'Use the configured backend as it is, ignoring (not copying) the state of the previous one.',
    }),
    'force-copy': Flags.boolean({
      description:
        'With -migrate-state: overwrite states the new backend already has that do not follow the copied ones.',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    this.setup(flags);
    const settings = await loadSettings(this.dir, this.varArgs());
    const prev = previousBackend(this.dir, settings.backend);
    const to = workspaceStoreOf(this.dir, settings.backend, settings.history);
    try {
      if (prev && !flags.reconfigure) {
        if (!flags['migrate-state']) {
          throw new UserError(
            `Backend configuration changed: the state is in ${describeRecord(prev)}, and the configuration ` +
              `now asks for ${settings.backend.type}.\n` +
              `Run "kolla init -migrate-state" to copy the state (with its history and workspaces), or ` +
              `"kolla init -reconfigure" to use the new backend without copying.`,
          );
        }
        const fromSettings = settingsOfRecord(prev, settings.backend);
        const from = workspaceStoreOf(this.dir, fromSettings, settings.history);
        try {
          this.out(`Copying the state from ${from.describe()} to ${to.describe()}...`);
          await this.migrate(from, to, flags['force-copy'], lockOptions(flags, this.errColours));
        } catch (e) {
          if (
            prev.type === 'pg' &&
            e instanceof PgBackendError &&
            /password|authentication/i.test(e.message)
          ) {
            throw new UserError(
              `${e.message}\nThe password of the previous backend is not kept in .kolla/backend.json: set ` +
                `KOLLA_PG_CONN_STR to its full connection string (or PGPASSWORD) to copy from it.`,
            );
          }
          throw e;
        } finally {
          await from.close();
        }
        if (prev.type === 'local') {
          this.out(
            'The local state files were left in place as a backup; delete them once you have checked ' +
              'the new backend (kolla state pull).',
          );
        }
      } else if (prev) {
        this.out(`Not copying the state of ${describeRecord(prev)} (-reconfigure).`);
      } else if (flags['migrate-state']) {
        this.out('The backend did not change: nothing to migrate.');
      }
      // Reaching the backend: for pg this connects and creates the schema and tables.
      const workspaces = await to.list();
      writeBackendRecord(this.dir, settings.backend);
      this.out(`Successfully configured the backend "${settings.backend.type}": ${to.describe()}.`);
      if (workspaces.length > 1) this.out(`Workspaces: ${workspaces.join(', ')}`);
      this.out('kolla has been successfully initialized!');
    } finally {
      await to.close();
    }
  }

  /** Copies each workspace's state and history; the state is locked in both backends meanwhile. */
  private async migrate(
    from: WorkspaceStore,
    to: WorkspaceStore,
    forceCopy: boolean,
    lock: LockOptions,
  ): Promise<void> {
    const op = 'init -migrate-state';
    for (const ws of await from.list()) {
      const src = from.backend(ws);
      const dst = to.backend(ws);
      await withLock(src, lock, op, () =>
        withLock(dst, lock, op, () => this.copyWorkspace(ws, src, dst, to, forceCopy)),
      );
    }
  }

  private async copyWorkspace(
    ws: string,
    src: Backend,
    dst: Backend,
    to: WorkspaceStore,
    forceCopy: boolean,
  ): Promise<void> {
    const pending = await src.journal().open();
    if (pending) {
      throw new UserError(
        `Workspace "${ws}" has the journal of an interrupted apply (${pending.length} entries) in ` +
          `${src.describe()}: run kolla apply with the old backend to recover first.`,
      );
    }
    if (ws !== DEFAULT_WORKSPACE) await to.create(ws);
    const cur = await src.read();
    if (!cur) {
      this.out(`  workspace "${ws}": no state`);
      return;
    }
    const records: PgHistoryRecord[] = [];
    for (const entry of await src.history()) {
      const state = await src.readHistory(entry.serial);
      if (state && state.lineage === entry.lineage) records.push({ entry, state });
    }
    const existing = await dst.read();
    if (existing) {
      if (existing.lineage === cur.lineage && existing.serial === cur.serial) {
        this.out(`  workspace "${ws}": already has serial ${cur.serial}, nothing to copy`);
        return;
      }
      // An older copy of the same state (moved there before and back) may be replaced.
      const older = existing.lineage === cur.lineage && existing.serial < cur.serial;
      if (!older && !forceCopy) {
        throw new UserError(
          `Workspace "${ws}" already has a state in ${dst.describe()} (lineage ${existing.lineage}, ` +
            `serial ${existing.serial}) that the copied one (lineage ${cur.lineage}, serial ${cur.serial}) ` +
            `does not follow. Nothing was copied for it; use -force-copy to overwrite it.`,
        );
      }
    }
    if (dst instanceof PgBackend) {
      // One transaction, with the history's original times and messages.
      await dst.importHistory(records, cur);
    } else {
      for (const r of records) await dst.write(r.state, r.entry.message, { force: true });
      const last = records[records.length - 1];
      if (!last || last.state.serial !== cur.serial || last.state.lineage !== cur.lineage) {
        await dst.write(cur, 'init -migrate-state', { force: true });
      }
    }
    this.out(
      `  workspace "${ws}": copied serial ${cur.serial} with ${records.length} history ` +
        `entr${records.length === 1 ? 'y' : 'ies'}`,
    );
  }
}
