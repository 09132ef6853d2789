/** Image blocks: an image instance on each host that runs a container of it. */
import { imageAddr } from '../addrs/address.js';
import type { ExpandContext } from './context.js';
import type { ImageInstance } from './instances.js';

export function imageInstances(
  ctx: ExpandContext,
  imageUse: ReadonlyMap<string, Set<string>>,
): ImageInstance[] {
  const blocks = ctx.config.blocks;
  if (imageUse.size === 0 || blocks.length === 0) return [];
  const refs = ctx.config.scope.tryEval({ kind: 'variable', name: 'image', range: blocks[0]!.range });
  const refOf = (name: string): string => {
    const v = refs.ok ? (refs.value as Record<string, unknown>)[name] : undefined;
    return typeof v === 'string' ? v : name;
  };
  const out: ImageInstance[] = [];
  for (const [name, hosts] of imageUse) {
    for (const h of hosts) {
      out.push({
        address: imageAddr(name, h),
        kind: 'image',
        host: h,
        dependsOn: [],
        name,
        ref: refOf(name),
      });
    }
  }
  return out;
}
