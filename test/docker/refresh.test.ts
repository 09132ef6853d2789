// Refresh reads one project's containers with a single list call and reports them in
// the shape plan reads; volumes and images likewise.
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createContainer, startContainer } from '../../src/providers/docker/container-ops.js';
import { imageIds, listVolumes, refreshHost } from '../../src/providers/docker/refresh.js';
import { inPlaceChanges, inPlaceSettings } from '../../src/providers/docker/in-place.js';
import { createVolume } from '../../src/providers/docker/volume-ops.js';
import {
  IMAGE_1,
  IMAGE_2,
  cleanupProject,
  ensureDocker,
  testMeta,
  testSpec,
  uniqueProject,
} from '../helpers/docker.js';

const project = uniqueProject('refresh');
const other = uniqueProject('refresh-other');
let docker: Dockerode;

beforeAll(async () => {
  docker = await ensureDocker();
});
afterAll(async () => {
  if (docker) await Promise.all([cleanupProject(docker, project), cleanupProject(docker, other)]);
});

describe('refreshHost', () => {
  it("finds only the project's containers, with one list call", async () => {
    const web = testSpec(`${project}-web`, {
      image: IMAGE_2,
      restart_policy: 'on-failure:2',
      memory: 32 * 1024 * 1024,
      cpu_shares: 256,
    });
    const db = testSpec(`${project}-db`);
    const foreign = testSpec(`${other}-web`);
    const webId = await createContainer(docker, web, testMeta(project, web, 'service.web.container.web'));
    const dbId = await createContainer(docker, db, testMeta(project, db, 'service.db.container.db'));
    await createContainer(docker, foreign, testMeta(other, foreign));
    await startContainer(docker, webId);

    const list = vi.spyOn(docker, 'listContainers');
    const inspect = vi.spyOn(docker, 'getContainer');
    const observed = await refreshHost(docker, project);
    expect(list).toHaveBeenCalledTimes(1);
    expect(inspect).toHaveBeenCalledTimes(2);
    list.mockRestore();
    inspect.mockRestore();

    expect(observed.map((o) => o.name)).toEqual([db.name, web.name]);
    const [d, w] = observed;
    const ids = await imageIds(docker, [IMAGE_1, IMAGE_2]);
    expect(w).toMatchObject({
      id: webId,
      address: 'service.web.container.web',
      specHash: testMeta(project, web).specHash,
      imageRef: IMAGE_2,
      imageId: ids.get(IMAGE_2),
      state: 'running',
      restartPolicy: 'on-failure:2',
      memory: 32 * 1024 * 1024,
      cpuShares: 256,
      exitCode: 0,
      restartCount: 0,
    });
    expect(w?.labels['kolla.project']).toBe(project);
    expect(w?.startedAt).toMatch(/^\d{4}-/);
    expect(w?.health).toBeUndefined();
    expect(
      inPlaceChanges(inPlaceSettings(web), {
        restart_policy: w!.restartPolicy,
        memory: w!.memory,
        cpu_shares: w!.cpuShares,
      }),
    ).toEqual([]);

    expect(d).toMatchObject({ id: dbId, state: 'created', restartPolicy: 'no', imageId: ids.get(IMAGE_1) });
    expect(d?.startedAt).toBeUndefined();
    expect('startedAt' in d!).toBe(false); // exactOptionalPropertyTypes: absent, not undefined
  });

  it('returns an empty list for a project with nothing on the host', async () => {
    expect(await refreshHost(docker, uniqueProject('empty'))).toEqual([]);
  });
});

describe('listVolumes and imageIds', () => {
  it("lists the project's volumes only", async () => {
    await createVolume(
      docker,
      { name: `${project}-v`, driver: 'local', labels: { role: 'db' } },
      {
        project,
        address: 'volume.v',
      },
    );
    await createVolume(
      docker,
      { name: `${other}-v`, driver: 'local', labels: {} },
      { project: other, address: 'volume.v' },
    );
    const vols = await listVolumes(docker, project);
    expect(vols).toHaveLength(1);
    expect(vols[0]).toMatchObject({ name: `${project}-v`, driver: 'local', address: 'volume.v' });
    expect(vols[0]?.labels).toMatchObject({ role: 'db', 'kolla.project': project });
    expect(await listVolumes(docker, uniqueProject('empty'))).toEqual([]);
  });

  it('maps image references to IDs, undefined when absent', async () => {
    const ids = await imageIds(docker, [IMAGE_1, IMAGE_2, 'kolla-test/absent:0', IMAGE_1]);
    expect(ids.size).toBe(3);
    expect(ids.get(IMAGE_1)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ids.get(IMAGE_2)).toMatch(/^sha256:/);
    expect(ids.get(IMAGE_2)).not.toBe(ids.get(IMAGE_1));
    expect(ids.has('kolla-test/absent:0')).toBe(true);
    expect(ids.get('kolla-test/absent:0')).toBeUndefined();
  });
});
