/**
 * Undoing an apply from its journal, newest step first: each step is undone by the kind
 * that wrote it (new containers removed, kept ones renamed back and started, previous file
 * contents restored, new volumes removed, in-place updates reverted). Containers whose files
 * were restored are restarted last, so that they read the restored files. Databases backed
 * up before a bootstrap migrated them are restored first, before any container step is undone;
 * other bootstrap runs cannot be undone and are reported as such.
 */
import type { JournalEntry, StepEntry } from '../states/state.js';
import { isStepEntry } from '../states/state.js';
import type { HostConnections } from './hosts.js';
import type { SecretMasker } from '../states/secret-mask.js';
import type { EventSink } from './events.js';
import { kindOfOp } from '../kinds/registry.js';
import type { UndoContext } from '../kinds/kind.js';
import { restartContainer } from '../providers/docker/container-ops.js';

export interface RollbackResult {
  ok: boolean;
  problems: string[];
}

export function undoContext(
  conns: HostConnections,
  masker: SecretMasker,
  project: string,
  note: (text: string) => void,
  restartLater: (host: string, name: string) => void = () => undefined,
): UndoContext {
  return { project, transport: (h) => conns.get(h), masker, restartLater, note };
}

export async function rollbackJournal(
  entries: readonly JournalEntry[],
  conns: HostConnections,
  masker: SecretMasker,
  onEvent: EventSink,
  project: string,
): Promise<RollbackResult> {
  const problems: string[] = [];
  const restart = new Map<string, { host: string; name: string }>();
  const ctx = undoContext(
    conns,
    masker,
    project,
    (text) => onEvent({ type: 'rollback-step', text }),
    (host, name) => restart.set(`${host}/${name}`, { host, name }),
  );
  const step = async (text: string, fn: () => Promise<void>): Promise<void> => {
    onEvent({ type: 'rollback-step', text });
    try {
      await fn();
    } catch (e) {
      problems.push(`${text}: ${(e as Error).message}`);
    }
  };
  const steps = [...entries].reverse().filter(isStepEntry);
  const first = (e: StepEntry): boolean => kindOfOp(e.op)?.undoFirst?.includes(e.op) === true;
  // Databases are restored from their backups first: the previous containers must not start
  // on a schema their code does not know. Only what was followed by a step of its own (the
  // bootstrap started): else the backup is kept and nothing is restored.
  const inOrder = entries.filter(isStepEntry);
  for (const e of steps.filter(first)) {
    const kind = kindOfOp(e.op)!;
    const followed = inOrder.slice(inOrder.indexOf(e) + 1).some((x) => x.address === e.address && !first(x));
    if (!followed) {
      onEvent({ type: 'rollback-step', text: `${e.address}: nothing to restore (it did not start)` });
      continue;
    }
    const what = kind.describeUndo(e) ?? e.op;
    const before = problems.length;
    await step(what, () => kind.undo(e, ctx));
    if (problems.length > before) {
      problems.push(
        'the rollback stopped there: the older containers must not start on a schema that is not restored. Fix the cause (kolla backup list, kolla backup restore ID) and run kolla apply again to finish the rollback.',
      );
      onEvent({ type: 'rollback-done', ok: false });
      return { ok: false, problems };
    }
  }
  for (const e of steps.filter((x) => !first(x))) {
    const kind = kindOfOp(e.op);
    if (!kind) {
      problems.push(`journal step "${e.op}" of ${e.address} is unknown to this kolla: check it by hand`);
      continue;
    }
    const what = kind.describeUndo(e);
    // A step with nothing of its own to undo (a restart done at the end, a bootstrap's note).
    if (what === undefined) await kind.undo(e, ctx);
    else await step(what, () => kind.undo(e, ctx));
  }
  for (const r of restart.values()) {
    await step(`restart ${r.name} on ${r.host} to read its restored files`, async () => {
      await restartContainer(await conns.get(r.host).docker(), r.name, 10);
    });
  }
  onEvent({ type: 'rollback-done', ok: problems.length === 0 });
  return { ok: problems.length === 0, problems };
}
