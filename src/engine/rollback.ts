/**
 * Undoing an apply from its journal, newest step first: new containers removed, kept
 * containers renamed back and started, previous file contents restored, new volumes
 * removed, in-place updates reverted; containers whose files were restored are restarted
 * last so that they read the restored files. Bootstrap runs cannot be undone and are
 * reported as such.
 */
import type { JournalEntry } from '../states/state.js';
import type { HostConnections } from './hosts.js';
import type { SecretMasker } from '../states/secret-mask.js';
import type { EventSink } from './events.js';
import { isNotFound } from '../providers/docker/errors.js';
import { removeVolume } from '../providers/docker/volume-ops.js';
import { ADDRESS_LABEL } from '../providers/docker/labels.js';

export interface RollbackResult {
  ok: boolean;
  problems: string[];
}

export async function rollbackJournal(
  entries: JournalEntry[],
  conns: HostConnections,
  masker: SecretMasker,
  onEvent: EventSink,
): Promise<RollbackResult> {
  const problems: string[] = [];
  const restartAfter = new Map<string, { host: string; name: string }>();
  const step = async (text: string, fn: () => Promise<void>): Promise<void> => {
    onEvent({ type: 'rollback-step', text });
    try {
      await fn();
    } catch (e) {
      problems.push(`${text}: ${(e as Error).message}`);
    }
  };
  for (const e of [...entries].reverse()) {
    switch (e.op) {
      case 'create-container':
        await step(`remove new container ${e.name} on ${e.host}`, async () => {
          const docker = await conns.get(e.host).docker();
          const c = docker.getContainer(e.name);
          try {
            const info = await c.inspect();
            if (info.Config.Labels?.[ADDRESS_LABEL] !== e.address) return; // not ours any more
            await c.remove({ force: true });
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        });
        break;
      case 'keep-container':
        await step(`restore container ${e.name} on ${e.host}`, async () => {
          const docker = await conns.get(e.host).docker();
          const prev = docker.getContainer(e.prevName);
          let prevInfo;
          try {
            prevInfo = await prev.inspect();
          } catch (err) {
            if (isNotFound(err)) return; // never renamed, or already restored
            throw err;
          }
          // Whatever now holds the name is the new container: remove it.
          try {
            const cur = docker.getContainer(e.name);
            const info = await cur.inspect();
            if (info.Id !== prevInfo.Id) await cur.remove({ force: true });
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
          await prev.rename({ name: e.name });
          if (e.wasRunning)
            await docker
              .getContainer(e.name)
              .start()
              .catch((err: unknown) => {
                if ((err as { statusCode?: number }).statusCode !== 304) throw err;
              });
        });
        break;
      case 'stop-container':
        await step(`start container ${e.name} on ${e.host}`, async () => {
          const docker = await conns.get(e.host).docker();
          await docker
            .getContainer(e.name)
            .start()
            .catch((err: unknown) => {
              if ((err as { statusCode?: number }).statusCode !== 304) throw err;
            });
        });
        break;
      case 'write-file':
        await step(`restore ${e.path} on ${e.host}`, async () => {
          await conns.get(e.host).writeFileAtomic(e.path, masker.unmask(e.previous), parseInt(e.mode, 8));
        });
        break;
      case 'create-file':
        await step(`remove ${e.path} on ${e.host}`, async () => {
          await conns.get(e.host).removeFile(e.path);
        });
        break;
      case 'create-volume':
        await step(`remove new volume ${e.name} on ${e.host}`, async () => {
          const docker = await conns.get(e.host).docker();
          await removeVolume(docker, e.name);
        });
        break;
      case 'update-container':
        await step(`revert in-place settings of ${e.name} on ${e.host}`, async () => {
          const docker = await conns.get(e.host).docker();
          const [name, n] = e.previous.restart_policy.split(':');
          const body: Record<string, unknown> = {
            RestartPolicy: { Name: name === 'no' ? '' : name, MaximumRetryCount: n ? Number(n) : 0 },
          };
          if (e.previous.memory) body['Memory'] = e.previous.memory;
          if (e.previous.cpu_shares) body['CpuShares'] = e.previous.cpu_shares;
          await docker.getContainer(e.name).update(body);
        });
        break;
      case 'restart-container':
        restartAfter.set(`${e.host}/${e.name}`, { host: e.host, name: e.name });
        break;
      case 'run-bootstrap':
        onEvent({ type: 'rollback-step', text: `${e.address} ran and cannot be undone (irreversible)` });
        break;
      default:
        break;
    }
  }
  for (const r of restartAfter.values()) {
    await step(`restart ${r.name} on ${r.host} to read its restored files`, async () => {
      const docker = await conns.get(r.host).docker();
      await docker.getContainer(r.name).restart({ t: 10 });
    });
  }
  onEvent({ type: 'rollback-done', ok: problems.length === 0 });
  return { ok: problems.length === 0, problems };
}
