/**
 * Image distribution without a registry: the controller's engine → a testbed host's engine,
 * through the host's SSH connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Dockerode from 'dockerode';
import { HostConnections } from '../../src/engine/hosts.js';
import { ensureImageOnHost } from '../../src/providers/docker/image-transfer.js';
import { imageId } from '../../src/providers/docker/image-ops.js';
import { ensureDocker, IMAGE_1, IMAGE_2 } from '../helpers/docker.js';
import { ensureTestbed, testbedDocker, testbedHost, TESTBED_KNOWN_HOSTS } from '../helpers/testbed.js';

let local: Dockerode;
let conns: HostConnections;

beforeAll(async () => {
  local = await ensureDocker();
  await ensureTestbed(3);
  conns = new HostConnections(new Map([['tb2', testbedHost(2)]]), { knownHostsFile: TESTBED_KNOWN_HOSTS });
  await testbedDocker(2)
    .getImage(IMAGE_2)
    .remove({ force: true })
    .catch(() => {});
}, 600_000);

afterAll(async () => {
  await conns.closeAll();
});

describe('ensureImageOnHost', () => {
  it('copies a missing image over SSH, then finds it there', async () => {
    const target = await conns.get('tb2').docker();
    expect(await imageId(testbedDocker(2), IMAGE_2)).toBeUndefined();
    const progress: string[] = [];
    expect(await ensureImageOnHost(target, IMAGE_2, local, { onProgress: (t) => progress.push(t) })).toBe(
      true,
    );
    expect(await imageId(testbedDocker(2), IMAGE_2)).toBe(await imageId(local, IMAGE_2));
    expect(progress.join('\n')).toContain(`Loaded image: ${IMAGE_2}`);
    expect(await ensureImageOnHost(target, IMAGE_2, local)).toBe(false);
  });

  it('replaces another build of the image under the same tag (a rebuilt image)', async () => {
    const target = await conns.get('tb2').docker();
    const tag = { repo: 'kolla-test/rebuilt', tag: `t${process.pid}` };
    const ref = `${tag.repo}:${tag.tag}`;
    // The host has IMAGE_2 under the tag (an older build); this machine has IMAGE_1 under it.
    await testbedDocker(2).getImage(IMAGE_2).tag(tag);
    await local.getImage(IMAGE_1).tag(tag);
    try {
      expect(await imageId(testbedDocker(2), ref)).toBe(await imageId(local, IMAGE_2));
      expect(await ensureImageOnHost(target, ref, local)).toBe(true);
      expect(await imageId(testbedDocker(2), ref)).toBe(await imageId(local, IMAGE_1));
      expect(await ensureImageOnHost(target, ref, local)).toBe(false);
    } finally {
      await testbedDocker(2)
        .getImage(ref)
        .remove()
        .catch(() => {});
      await local
        .getImage(ref)
        .remove()
        .catch(() => {});
    }
  });

  it('fails naming the image when the source does not have it either', async () => {
    const target = await conns.get('tb2').docker();
    await expect(ensureImageOnHost(target, 'kolla-test/nowhere:1', local)).rejects.toThrow(
      'image kolla-test/nowhere:1 is neither on the host nor on the engine it would be copied from',
    );
  });
});
