/**
 * The build hash of an image: what decides whether an existing image is still what its
 * block describes. It covers the context tar (which holds the rendered Dockerfile), the
 * build args, the labels and the build hashes of its parent images, so a change anywhere
 * up the chain changes every descendant's hash. It is stored on the image as the label
 * `kolla.build-hash`; beside it `kolla.build-parent` records the image ID the final stage
 * was built FROM, so that a parent rebuilt to the same hash (`--no-cache`) or replaced
 * still makes its children stale.
 */
import { createHash } from 'node:crypto';
import { kollaVersion } from '../version.js';
import type { ImageSpec } from './image-spec.js';

export const BUILD_HASH_LABEL = 'kolla.build-hash';
export const BUILD_PARENT_LABEL = 'kolla.build-parent';
export const KOLLA_VERSION_LABEL = 'kolla_version';
const HASH_VERSION = 1;

/** The labels every build of `spec` gets (besides the two build labels). */
export function imageLabels(spec: ImageSpec): Record<string, string> {
  return { ...spec.labels, [KOLLA_VERSION_LABEL]: kollaVersion() };
}

export function combineBuildHash(parts: {
  contextHash: string;
  args: Record<string, string>;
  labels: Record<string, string>;
  parentHashes: string[];
}): string {
  const sorted = (o: Record<string, string>): [string, string][] =>
    Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const doc = JSON.stringify({
    v: HASH_VERSION,
    context: parts.contextHash,
    args: sorted(parts.args),
    labels: sorted(parts.labels),
    parents: parts.parentHashes,
  });
  return createHash('sha256').update(doc).digest('hex');
}
