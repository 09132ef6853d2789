/**
 * The registry of resource kinds: one entry per member of the instance kind union. The map
 * is typed exhaustively over `InstanceKind`, so adding a kind to the union without
 * registering its module here is a compile error. The engine reaches every kind through
 * `kindOf()` and `kindOfOp()`, never through a branch of its own.
 */
import type { Instance, InstanceKind } from '../expand/instances.js';
import type { ResourceState } from '../states/state.js';
import type { InstanceOf, ResourceKind } from './kind.js';
import { containerKind } from './container.js';
import { configFileKind } from './config-file.js';
import { volumeKind } from './volume.js';
import { bootstrapKind } from './bootstrap.js';
import { taskKind } from './task.js';
import { imageKind } from './image.js';
import { databaseKind } from './database.js';
import { rabbitmqUserKind } from './rabbitmq-user.js';

const KINDS: { readonly [K in InstanceKind]: ResourceKind<K> } = {
  container: containerKind,
  config: configFileKind,
  volume: volumeKind,
  bootstrap: bootstrapKind,
  task: taskKind,
  image: imageKind,
  database: databaseKind,
  rabbitmq_user: rabbitmqUserKind,
};

/**
 * The kind of an instance or resource, typed loosely: the caller passes values of that
 * kind (an instance and its own state), which the registry guarantees by construction.
 */
export function kindOf(k: InstanceKind): ResourceKind<InstanceKind> {
  return KINDS[k] as unknown as ResourceKind<InstanceKind>;
}

export function allKinds(): ResourceKind<InstanceKind>[] {
  return (Object.keys(KINDS) as InstanceKind[]).map(kindOf);
}

const byOp = new Map<string, ResourceKind<InstanceKind>>();
for (const k of allKinds()) for (const op of k.ops) byOp.set(op, k);

/** The kind that wrote a journal step (and undoes it), by the step's op. */
export function kindOfOp(op: string): ResourceKind<InstanceKind> | undefined {
  return byOp.get(op);
}

/** Kinds in planning order. */
export function kindsByPhase(): ResourceKind<InstanceKind>[] {
  return allKinds().sort((a, b) => a.planPhase - b.planPhase);
}

/** The instances of one kind (what a command about that kind works on: kolla backup's databases). */
export function instancesOf<K extends InstanceKind>(xs: readonly Instance[], kind: K): InstanceOf<K>[] {
  return xs.filter((x): x is InstanceOf<K> => x.kind === kind);
}

/** Group instances, resources or changes by their kind. */
export function groupByKind<T extends { kind: InstanceKind }>(xs: readonly T[]): Map<InstanceKind, T[]> {
  const out = new Map<InstanceKind, T[]>();
  for (const x of xs) {
    const list = out.get(x.kind);
    if (list) list.push(x);
    else out.set(x.kind, [x]);
  }
  return out;
}

export type AnyInstance = Instance;
export type AnyResource = ResourceState;
