/**
 * Named volumes: create with kolla's labels, remove. Volumes hold data (databases), so
 * nothing here removes one implicitly, and a volume kolla did not create is never
 * silently taken over.
 */
import type Dockerode from 'dockerode';
import type { VolumeSpec } from '../../expand/instances.js';
import { dockerMessage, isConflict, isNotFound, wrapDockerError } from './errors.js';
import { ADDRESS_LABEL, CREATION_LABEL, PROJECT_LABEL, RESERVED_LABELS } from './labels.js';
import type { ObservedVolume } from './refresh.js';

export interface VolumeMeta {
  project: string;
  address: string;
  /** A token for this creation (labelled on the volume, kept in the journal): see removeCreatedVolume. */
  creation?: string;
}

/**
 * Create the volume, labelled with the project and address so that listVolumes finds
 * it. Docker's create returns an existing volume of the same name unchanged (without our
 * labels), so an existing volume is inspected first: one of this project is returned as
 * is; one without the project label, or with another driver, is an error rather than an
 * invisible adoption that every later refresh would report as missing.
 */
export async function createVolume(
  docker: Dockerode,
  spec: VolumeSpec,
  meta: VolumeMeta,
): Promise<ObservedVolume> {
  const driver = spec.driver === '' ? 'local' : spec.driver;
  const existing = await inspectVolume(docker, spec.name);
  if (existing !== undefined) {
    const owner = existing.labels[PROJECT_LABEL];
    if (owner !== meta.project) {
      throw new Error(
        `volume ${spec.name} already exists and is ${owner === undefined ? 'not managed by kolla' : `managed by project "${owner}"`}; ` +
          `remove it or import it into this project's state`,
      );
    }
    if (existing.driver !== driver) {
      throw new Error(`volume ${spec.name} already exists with driver "${existing.driver}", not "${driver}"`);
    }
    return existing;
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.labels)) {
    if (RESERVED_LABELS.includes(k))
      throw new Error(`volume ${spec.name}: label "${k}" is reserved for kolla`);
    labels[k] = v;
  }
  labels[PROJECT_LABEL] = meta.project;
  labels[ADDRESS_LABEL] = meta.address;
  if (meta.creation !== undefined) labels[CREATION_LABEL] = meta.creation;
  try {
    await docker.createVolume({ Name: spec.name, Driver: driver, Labels: labels });
  } catch (err) {
    throw wrapDockerError(`create volume ${spec.name}`, err);
  }
  const created = await inspectVolume(docker, spec.name);
  if (created === undefined) throw new Error(`create volume ${spec.name}: created but not found afterwards`);
  return created;
}

/** Remove the volume and its data. A missing volume is not an error; one in use is. */
export async function removeVolume(docker: Dockerode, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove();
  } catch (err) {
    if (isNotFound(err)) return;
    if (isConflict(err)) {
      throw new Error(`remove volume ${name}: still in use by a container (${dockerMessage(err)})`, {
        cause: err,
      });
    }
    throw wrapDockerError(`remove volume ${name}`, err);
  }
}

/**
 * Undo of a create: remove the volume only when it is the one that creation made — it carries
 * the creation's token (or, for a journal written before tokens, this project's and address's
 * labels). A create that failed, or found the volume already there, made nothing: the volume
 * there (another project's, one made by hand, or this project's from before) keeps its data.
 * Returns whether it removed the volume.
 */
export async function removeCreatedVolume(
  docker: Dockerode,
  name: string,
  meta: VolumeMeta,
): Promise<boolean> {
  const v = await inspectVolume(docker, name);
  if (v === undefined) return false;
  const ours =
    meta.creation !== undefined
      ? v.labels[CREATION_LABEL] === meta.creation
      : v.labels[PROJECT_LABEL] === meta.project && v.labels[ADDRESS_LABEL] === meta.address;
  if (!ours) return false;
  await removeVolume(docker, name);
  return true;
}

export async function inspectVolume(docker: Dockerode, name: string): Promise<ObservedVolume | undefined> {
  try {
    const v = await docker.getVolume(name).inspect();
    const labels = v.Labels ?? {};
    const o: ObservedVolume = { name: v.Name, driver: v.Driver, labels, mountpoint: v.Mountpoint };
    const address = labels[ADDRESS_LABEL];
    if (address !== undefined) o.address = address;
    return o;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw wrapDockerError(`inspect volume ${name}`, err);
  }
}
