/**
 * Inputs of the planner, built without Docker: desired instances from a small HCL
 * configuration (loaded and expanded as `kolla plan` does), the state and the World a
 * successful apply of them would leave (each kind's own toState(), containers labelled
 * with their spec hash as the provider labels them), and makePlan() with a fixed clock.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { expand } from '../../../src/expand/expand.js';
import type { ContainerInstance, Instance } from '../../../src/expand/instances.js';
import type { Diagnostic } from '../../../src/diags/diagnostic.js';
import { makePlan, type DiffOptions } from '../../../src/engine/planner.js';
import { kindOf } from '../../../src/kinds/registry.js';
import { sha256 } from '../../../src/kinds/config-file.js';
import type { Observed } from '../../../src/kinds/kind.js';
import { emptyHostWorld, type HostWorld, type World } from '../../../src/providers/world.js';
import type { ObservedContainer } from '../../../src/providers/docker/refresh.js';
import { ADDRESS_LABEL, PROJECT_LABEL, SPEC_HASH_LABEL } from '../../../src/providers/docker/labels.js';
import { specHash } from '../../../src/providers/docker/spec-hash.js';
import { inPlaceSettings } from '../../../src/providers/docker/in-place.js';
import { renderPlan } from '../../../src/cli/render-plan.js';
import { plain } from '../../../src/cli/colour.js';
import type { Plan } from '../../../src/plans/plan.js';
import { SecretMasker } from '../../../src/states/secret-mask.js';
import { STATE_VERSION, type ResourceState, type State } from '../../../src/states/state.js';
import { writeConfig } from '../expand/helpers.js';

export const PROJECT = 'demo';
export const LINEAGE = '00000000-0000-4000-8000-000000000001';
/** created_at of every plan made here (makePlan reads the clock). */
export const CREATED_AT = '2024-01-01T00:00:00.000Z';

/** What each scenario may change in the configuration. */
export interface StackParams {
  dbImage: string;
  dbCommand: string;
  /** Extra arguments of the db container (in-place settings). */
  dbExtra: string;
  apiConf: string;
  apiMemory: string;
  /** Extra arguments of the api container. */
  apiExtra: string;
  bootstrapCommand: string;
  /** Whether the api service has its bootstrap task. */
  bootstrap: boolean;
}

export const BASE: StackParams = {
  dbImage: 'mariadb:10.11',
  dbCommand: '["mariadbd", "--bind-address=0.0.0.0"]',
  dbExtra: '',
  apiConf: '[DEFAULT]\\ndebug = false\\nworkers = 2\\n',
  apiMemory: '512m',
  apiExtra: '',
  bootstrapCommand: 'api-manage db_sync',
  bootstrap: true,
};

/**
 * Two hosts; db (a plain Docker container with a volume) on h1; api (a Kolla-style
 * container that reads api.conf and config.json, with a bootstrap task) on both, after db.
 */
export function stack(p: Partial<StackParams> = {}): string {
  const s = { ...BASE, ...p };
  return `
kolla {
  project = "${PROJECT}"
}

host "h1" {
  address = "10.0.0.1"
}
host "h2" {
  address = "10.0.0.2"
}

volume "db_data" {}

service "db" {
  hosts = ["h1"]
  container "db" {
    image       = "${s.dbImage}"
    kolla_start = false
    command     = ${s.dbCommand}
    volumes     = ["db_data:/var/lib/mysql"]
${s.dbExtra}
  }
}

service "api" {
  hosts      = group.all
  depends_on = [service.db]

  config "api.conf" {
    content = "${s.apiConf}"
    dest    = "/etc/api/api.conf"
  }

${s.bootstrap ? bootstrapBlock(s.bootstrapCommand) : ''}
  container "api" {
    image   = "example/api:1.0"
    command = "api --port 8080"
    memory  = "${s.apiMemory}"
${s.apiExtra}
  }
}

output "api_url" {
  value = "http://\${hosts.h1.address}:8080"
}
`;
}

const bootstrapBlock = (command: string): string => `
  bootstrap "db_sync" {
    image   = "example/api:1.0"
    command = "${command}"
  }
`;

export interface Desired {
  instances: Instance[];
  outputs: Record<string, { value: unknown; sensitive: boolean }>;
  masker: SecretMasker;
}

const loaded = new Map<string, Promise<Desired>>();

/**
 * Load and expand a configuration (once per text: the planner does not change its inputs);
 * throws on any diagnostic.
 */
export function desired(hcl: string): Promise<Desired> {
  let d = loaded.get(hcl);
  if (!d) loaded.set(hcl, (d = load(hcl)));
  return d;
}

async function load(hcl: string): Promise<Desired> {
  const dir = writeConfig({ 'main.hcl': hcl });
  const loaded = await loadConfig({ dir, env: {}, syntaxCache: false });
  const diags = loaded.diagnostics;
  if (!loaded.config || diags.length) throw new Error(`config: ${diags.map((d) => d.summary).join('; ')}`);
  const e = expand(loaded.config, diags);
  if (diags.length) throw new Error(`expand: ${diags.map((d) => d.summary).join('; ')}`);
  return { instances: e.instances, outputs: e.outputs, masker: new SecretMasker(loaded.config.secretValues) };
}

export function emptyPriorState(): State {
  return {
    version: STATE_VERSION,
    serial: 0,
    lineage: LINEAGE,
    kolla_version: '0.0.0-test',
    project: PROJECT,
    resources: [],
    outputs: {},
  };
}

export const options = (o: Partial<DiffOptions> = {}): DiffOptions => ({
  destroy: false,
  targets: [],
  replace: [],
  includeVolumes: false,
  refreshed: true,
  ...o,
});

export interface Planned {
  plan: Plan;
  diagnostics: Diagnostic[];
}

/** makePlan as engine/plan.ts calls it, with a fixed version and clock. */
export function planOf(d: Desired, prior: State, world: World, o: Partial<DiffOptions> = {}): Planned {
  const diagnostics: Diagnostic[] = [];
  const plan = makePlan({
    project: PROJECT,
    kollaVersion: '0.0.0-test',
    instances: d.instances,
    prior,
    world,
    masker: d.masker,
    options: options(o),
    outputs: d.outputs,
    variables: [],
    diagnostics,
  });
  plan.created_at = CREATED_AT;
  return { plan, diagnostics };
}

/** A made-up, stable ID for what Docker would report. */
export const containerId = (host: string, name: string): string => sha256(`container ${host}/${name}`);
export const imageIdOf = (ref: string): string => `sha256:${sha256(`image ${ref}`)}`;

/** A container as the provider's refresh reports one that kolla created from this instance. */
export function observedContainer(i: ContainerInstance): ObservedContainer {
  const hash = specHash(i.spec);
  const settings = inPlaceSettings(i.spec);
  return {
    id: containerId(i.host, i.spec.name),
    name: i.spec.name,
    address: i.address,
    specHash: hash,
    imageRef: i.spec.image,
    imageId: imageIdOf(i.spec.image),
    state: 'running',
    exitCode: 0,
    restartPolicy: settings.restart_policy,
    memory: settings.memory,
    cpuShares: settings.cpu_shares,
    labels: { [PROJECT_LABEL]: PROJECT, [ADDRESS_LABEL]: i.address, [SPEC_HASH_LABEL]: hash },
    startedAt: '2024-01-01T00:00:00Z',
    restartCount: 0,
  };
}

function hostWorld(world: World, host: string): HostWorld {
  let hw = world.get(host);
  if (!hw) world.set(host, (hw = emptyHostWorld()));
  return hw;
}

/** What a refresh finds after these instances were applied: containers, volumes, images, files. */
export function worldOf(instances: readonly Instance[]): World {
  const world: World = new Map();
  for (const i of instances) {
    const hw = hostWorld(world, i.host);
    switch (i.kind) {
      case 'container':
        hw.containers.set(i.spec.name, observedContainer(i));
        hw.images.set(i.spec.image, imageIdOf(i.spec.image));
        break;
      case 'bootstrap':
        hw.images.set(i.spec.image, imageIdOf(i.spec.image));
        break;
      case 'config':
        hw.files.set(i.path, sha256(i.content));
        break;
      case 'volume':
        hw.volumes.set(i.spec.name, {
          name: i.spec.name,
          driver: i.spec.driver,
          labels: { [PROJECT_LABEL]: PROJECT, [ADDRESS_LABEL]: i.address },
          mountpoint: `/var/lib/docker/volumes/${i.spec.name}/_data`,
          address: i.address,
        });
        break;
      case 'image':
        break;
    }
  }
  return world;
}

/**
 * The state and World after a successful apply of `d` from nothing: the create plan's
 * changes recorded by each kind's toState(), as apply's nextState() does.
 */
export function deployed(d: Desired): { state: State; world: World } {
  const { plan } = planOf(d, emptyPriorState(), new Map());
  const byAddr = new Map(d.instances.map((i) => [i.address, i]));
  const resources: ResourceState[] = [];
  for (const c of plan.changes) {
    const i = byAddr.get(c.address);
    if (!i) throw new Error(`no instance for ${c.address}`);
    let observed: Observed | undefined;
    if (i.kind === 'container')
      observed = { id: containerId(i.host, i.spec.name), image_id: imageIdOf(i.spec.image) };
    else if (i.kind === 'bootstrap') observed = { image_id: imageIdOf(i.spec.image) };
    resources.push(
      kindOf(i.kind).toState(i, c, undefined, observed, { masker: d.masker, instances: d.instances }),
    );
  }
  const state: State = {
    ...emptyPriorState(),
    serial: 1,
    resources: resources.sort((a, b) => a.address.localeCompare(b.address)),
    outputs: plan.outputs,
  };
  return { state, world: worldOf(d.instances) };
}

/** The plan as `kolla plan` prints it, without colours. */
export function planText(plan: Plan): string {
  return renderPlan(plan, plain);
}

const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');

/**
 * Compare `text` with golden/<name>.txt; with UPDATE_GOLDEN=1 (re)write the file instead.
 */
export function expectGolden(name: string, text: string): void {
  const file = path.join(GOLDEN_DIR, `${name}.txt`);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file))
    throw new Error(`no golden file ${file}: run UPDATE_GOLDEN=1 npx vitest run test/unit/plans`);
  expect(text, `${name}.txt differs (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(file, 'utf8'));
}
