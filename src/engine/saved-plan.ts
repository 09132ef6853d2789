/**
 * Applying a saved plan: it must still be the plan. Besides the state (stale lineage or
 * serial) and the configuration (every change's desired instance), the images: a plan
 * records the image ID each container and bootstrap would run, and if a tag has moved since
 * (someone pushed or built another image), applying it would deploy something it never
 * showed. Images the plan itself builds are expected to move.
 */
import type { Plan } from '../plans/plan.js';
import { imageId } from '../providers/docker/image-ops.js';
import { isImageBuild } from '../kinds/image.js';
import type { HostConnections } from './hosts.js';

/** One line per image that moved since the plan was made. */
export async function movedImages(plan: Plan, conns: HostConnections): Promise<string[]> {
  const byAddr = new Map(plan.changes.map((c) => [c.address, c]));
  const out: string[] = [];
  for (const c of plan.changes) {
    if (c.imageRef === undefined || c.imageId === undefined) continue;
    if (c.action === 'noop' || c.action === 'delete') continue;
    if (c.dependsOn.some((d) => isImageBuild(byAddr.get(d)))) continue;
    const now = await imageId(await conns.get(c.host).docker(), c.imageRef);
    if (now !== c.imageId) {
      out.push(
        `${c.imageRef} on host "${c.host}" (${c.address}) was ${short(c.imageId)} when planned and is ${now ? short(now) : 'gone'} now`,
      );
    }
  }
  return out;
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
