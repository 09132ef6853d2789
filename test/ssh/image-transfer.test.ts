/**
 * Image distribution without a registry: the controller's engine → a testbed host's engine,
 * through the host's SSH connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Dockerode from 'dockerode';
import { HostConnections } from '../../src/engine/hosts.js';
import { ensureImageOnHost } from '../../src/providers/docker/image-transfer.js';
import { imageId } from '../../src/providers/docker/image-ops.js';
import { ensureDocker, IMAGE_2 } from '../helpers/docker.js';
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

  it('fails naming the image when the source does not have it either', async () => {
    const target = await conns.get('tb2').docker();
    await expect(ensureImageOnHost(target, 'kolla-test/nowhere:1', local)).rejects.toThrow(
      'image kolla-test/nowhere:1 is neither on the host nor on the engine it would be copied from',
    );
  });
});
