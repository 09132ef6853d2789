/**
 * Images first: before an apply stops anything, every image its new containers and
 * bootstrap tasks run is on its host. A remote host that lacks one, or has another build of
 * it under the same tag, gets this machine's over its own connection (save → load) when
 * this machine has it; otherwise it pulls when it lacks it. Shared by the container and bootstrap kinds' prepare().
 */
import type { Change } from '../plans/plan.js';
import type { Instance } from '../expand/instances.js';
import { LocalTransport } from '../transport/local.js';
import { imageId, pullIfMissing } from '../providers/docker/image-ops.js';
import { ensureImageOnHost } from '../providers/docker/image-transfer.js';
import { isSshError } from '../transport/ssh-errors.js';
import { isHostCallError } from '../transport/call-limits.js';
import type { PrepareContext } from './kind.js';

/** A step that failed, with the address (or what) it concerns. */
export class StepError extends Error {
  constructor(
    readonly address: string,
    message: string,
  ) {
    super(message);
  }
}

/** Image references per host that these changes need (new or replaced containers, bootstraps). */
export function imagesNeeded(
  changes: readonly Change[],
  instances: ReadonlyMap<string, Instance>,
  imageOf: (i: Instance) => string | undefined,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const c of changes) {
    if (c.action === 'restart' || c.action === 'update' || c.action === 'noop' || c.action === 'delete')
      continue;
    const inst = instances.get(c.address);
    const ref = inst ? imageOf(inst) : undefined;
    if (!inst || ref === undefined) continue;
    const set = out.get(inst.host) ?? new Set<string>();
    set.add(ref);
    out.set(inst.host, set);
  }
  return out;
}

export async function ensureImagesOnHosts(
  refsByHost: Map<string, Set<string>>,
  ctx: PrepareContext,
): Promise<void> {
  let controller: Awaited<ReturnType<LocalTransport['docker']>> | undefined;
  for (const [host, refs] of refsByHost) {
    const docker = await ctx.transport(host).docker();
    for (const ref of refs) {
      try {
        if (ctx.isRemote(host)) {
          // This machine's image wins: one the host lacks, or has in another build (the tag
          // stays, the ID changes), is sent to it.
          controller ??= await new LocalTransport().docker();
          const want = await imageId(controller, ref);
          if (want !== undefined) {
            if ((await imageId(docker, ref)) !== want) {
              ctx.message('info', `Sending image ${ref} to host "${host}"...`);
              await ensureImageOnHost(docker, ref, controller);
            }
            continue;
          }
        }
        await pullIfMissing(docker, ref, () => {});
      } catch (e) {
        const msg =
          isSshError(e) || isHostCallError(e) ? e.message : `host "${host}": ${(e as Error).message}`;
        throw new StepError(`image ${ref}`, msg);
      }
    }
  }
}
