/**
 * The plan scenarios, each built from the same small stack (helpers.ts): the planner tests
 * assert on the Plan as data, the golden tests on its text.
 */
import {
  containerId,
  deployed,
  desired,
  emptyPriorState,
  imageIdOf,
  planOf,
  stack,
  PROJECT,
  type Planned,
  type StackParams,
} from './helpers.js';
import type { HostWorld, World } from '../../../src/providers/world.js';
import type { ObservedContainer } from '../../../src/providers/docker/refresh.js';
import type { DiffOptions } from '../../../src/engine/planner.js';
import { sha256 } from '../../../src/kinds/config-file.js';
import { ADDRESS_LABEL, PROJECT_LABEL } from '../../../src/providers/docker/labels.js';

export const DB = 'service.db.container.db["h1"]';
export const API1 = 'service.api.container.api["h1"]';
export const API2 = 'service.api.container.api["h2"]';
export const CONF1 = 'service.api.config["api.conf"]["h1"]';
export const CONF2 = 'service.api.config["api.conf"]["h2"]';
export const JSON1 = 'service.api.container.api.config_json["h1"]';
export const JSON2 = 'service.api.container.api.config_json["h2"]';
export const BOOT = 'service.api.bootstrap.db_sync';
export const VOL = 'volume.db_data["h1"]';
export const ORPHAN = 'service.old.container.worker["h1"]';

/** The stack as deployed by an earlier apply, planned against a changed configuration. */
export async function changed(p: Partial<StackParams>, o: Partial<DiffOptions> = {}): Promise<Planned> {
  const before = deployed(await desired(stack()));
  return planOf(await desired(stack(p)), before.state, before.world, o);
}

/** The stack as deployed, planned again after `edit` changed the hosts by hand. */
export async function drifted(edit: (w: World) => void, o: Partial<DiffOptions> = {}): Promise<Planned> {
  const d = await desired(stack());
  const before = deployed(d);
  edit(before.world);
  return planOf(d, before.state, before.world, o);
}

export const host = (w: World, h: string): HostWorld => {
  const hw = w.get(h);
  if (!hw) throw new Error(`no host ${h} in the world`);
  return hw;
};

export const container = (w: World, h: string, name: string): ObservedContainer => {
  const c = host(w, h).containers.get(name);
  if (!c) throw new Error(`no container ${name} on ${h}`);
  return c;
};

/** A container with this project's label that neither the configuration nor the state names. */
export function addOrphan(w: World): void {
  host(w, 'h1').containers.set('worker', {
    id: containerId('h1', 'worker'),
    name: 'worker',
    address: ORPHAN,
    specHash: sha256('an old spec'),
    imageRef: 'example/worker:0.9',
    imageId: imageIdOf('example/worker:0.9'),
    state: 'running',
    exitCode: 0,
    restartPolicy: 'unless-stopped',
    memory: 0,
    cpuShares: 0,
    labels: { [PROJECT_LABEL]: PROJECT, [ADDRESS_LABEL]: ORPHAN },
    restartCount: 0,
  });
}

export const scenarios: Record<string, () => Promise<Planned>> = {
  /** Nothing deployed, nothing on the hosts. */
  create: async () => planOf(await desired(stack()), emptyPriorState(), new Map()),

  /** Deployed as configured, and the hosts agree. */
  'no-changes': async () => changed({}),

  /** db's restart policy and memory limit: Docker's update call, no new container. */
  'update-in-place': async () => changed({ dbExtra: '    restart_policy = "always"\n    memory = "1g"' }),

  /** db's image tag: a new container. */
  replace: async () => changed({ dbImage: 'mariadb:11.4' }),

  /** api.conf changed: the file is rewritten on both hosts and api restarted to read it. */
  'restart-config': async () => changed({ apiConf: '[DEFAULT]\\ndebug = false\\nworkers = 4\\n' }),

  /** The bootstrap's command changed: it runs again, nothing else changes. */
  'bootstrap-rerun': async () => changed({ bootstrapCommand: 'api-manage db_sync --expand' }),

  /**
   * Changed by hand on the hosts: db and its volume removed, api on h1 stopped, and a
   * container with the project's label that nothing names. (A config file or an in-place
   * setting edited on a host are left out: their text is wrong today, see planner.test.ts.)
   */
  drift: async () =>
    drifted((w) => {
      host(w, 'h1').containers.delete('db');
      host(w, 'h1').volumes.delete('db_data');
      container(w, 'h1', 'api').state = 'exited';
      container(w, 'h2', 'api').memory = 256 * 1024 * 1024;
      host(w, 'h2').files.set('/etc/kolla/api/api.conf', sha256('[DEFAULT]\ndebug = true\n'));
      addOrphan(w);
    }),

  /** kolla plan -destroy: everything goes except the volume (kept without --include-volumes). */
  destroy: async () => {
    const before = deployed(await desired(stack()));
    return planOf(await desired(stack()), before.state, before.world, { destroy: true });
  },

  /** A first deploy with -target api on h2: it and what it depends on, not api on h1. */
  targeted: async () => planOf(await desired(stack()), emptyPriorState(), new Map(), { targets: [API2] }),
};
