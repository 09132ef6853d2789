// Volumes (create with labels, idempotence, refusing foreign volumes, remove) and images
// (lookup, the pull-failure message when no registry is reachable).
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer, removeContainer } from '../../src/providers/docker/container-ops.js';
import { imageId, pullIfMissing } from '../../src/providers/docker/image-ops.js';
import { listVolumes } from '../../src/providers/docker/refresh.js';
import { createVolume, inspectVolume, removeVolume } from '../../src/providers/docker/volume-ops.js';
import {
  IMAGE_1,
  cleanupProject,
  ensureDocker,
  testMeta,
  testSpec,
  uniqueProject,
} from '../helpers/docker.js';

const project = uniqueProject('vol');
let docker: Dockerode;
const unlabelled = `${project}-foreign`;

beforeAll(async () => {
  docker = await ensureDocker();
});
afterAll(async () => {
  if (!docker) return;
  await cleanupProject(docker, project);
  await docker
    .getVolume(unlabelled)
    .remove()
    .catch(() => {});
});

describe('volumes', () => {
  it('creates with the project labels, idempotently', async () => {
    const spec = { name: `${project}-db`, driver: 'local', labels: { tier: 'data' } };
    const meta = { project, address: 'service.db.volume.db' };
    const v = await createVolume(docker, spec, meta);
    expect(v).toMatchObject({ name: spec.name, driver: 'local', address: meta.address });
    expect(v.labels).toEqual({ tier: 'data', 'kolla.project': project, 'kolla.address': meta.address });
    expect(await createVolume(docker, spec, meta)).toEqual(v);
    expect((await listVolumes(docker, project)).map((x) => x.name)).toEqual([spec.name]);
  });

  it('refuses to adopt a volume that kolla did not create', async () => {
    await docker.createVolume({ Name: unlabelled });
    await expect(
      createVolume(docker, { name: unlabelled, driver: 'local', labels: {} }, { project, address: 'a' }),
    ).rejects.toThrow(/already exists and is not managed by kolla/);
  });

  it('removes; a missing volume is fine, one in use is an error', async () => {
    const name = `${project}-busy`;
    await createVolume(docker, { name, driver: 'local', labels: {} }, { project, address: 'a' });
    const spec = testSpec(`${project}-user`, { volumes: [`${name}:/data`] });
    const id = await createContainer(docker, spec, testMeta(project, spec));
    await expect(removeVolume(docker, name)).rejects.toThrow(
      new RegExp(`remove volume ${name}: still in use`),
    );
    await removeContainer(docker, id);
    await removeVolume(docker, name);
    expect(await inspectVolume(docker, name)).toBeUndefined();
    await removeVolume(docker, name);
  });
});

describe('images', () => {
  it('looks up local images', async () => {
    expect(await imageId(docker, IMAGE_1)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await imageId(docker, 'kolla-test/absent:0')).toBeUndefined();
  });

  it('pullIfMissing returns a local image without pulling', async () => {
    const events: unknown[] = [];
    expect(await pullIfMissing(docker, IMAGE_1, (e) => events.push(e))).toBe(await imageId(docker, IMAGE_1));
    expect(events).toEqual([]);
  });

  it('explains a missing image whose pull fails', async () => {
    await expect(pullIfMissing(docker, 'kolla-test/absent:0')).rejects.toThrow(
      /^image kolla-test\/absent:0 not found locally and pull failed: .+/,
    );
  });
});
