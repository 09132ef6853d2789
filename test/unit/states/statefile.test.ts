import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type {
  ContainerOptions,
  ContainerSpec,
  HealthcheckSpec,
  VolumeSpec,
} from '../../../src/expand/instances.js';
import { StaleLineageError } from '../../../src/states/backend.js';
import type {
  ObservedContainer,
  BootstrapResource,
  ConfigResource,
  ContainerResource,
  ImageResource,
  VolumeResource,
  State,
} from '../../../src/states/state.js';
import { emptyState, STATE_VERSION } from '../../../src/states/state.js';
import {
  assertSuccessor,
  newLineage,
  nextState,
  parseState,
  STATE_SCHEMA_PATH,
  StateFileError,
  StateVersionError,
  validateState,
} from '../../../src/states/statefile.js';
import { sampleState } from './helpers.js';

describe('validateState', () => {
  it('accepts a complete state and the empty state', () => {
    const s = sampleState();
    expect(validateState(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(validateState(emptyState(newLineage(), 'p', '0.1.0')).resources).toEqual([]);
  });

  it('lists every problem with where it is', () => {
    const bad = JSON.parse(JSON.stringify(sampleState())) as Record<string, unknown>;
    const resources = bad['resources'] as Record<string, unknown>[];
    resources[2]!['kind'] = 'vm';
    delete resources[1]!['host'];
    (resources[0]!['spec'] as Record<string, unknown>)['memory'] = '1g';
    bad['serial'] = -1;
    bad['extra'] = true;
    let err: unknown;
    try {
      validateState(bad, 'kolla.state.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateFileError);
    const e = err as StateFileError;
    expect(e.source).toBe('kolla.state.json');
    expect(e.problems).toEqual(
      expect.arrayContaining([
        'resources[2].kind: must be one of "container", "bootstrap", "task", "volume", "config", "image", "database", "rabbitmq_user"',
        'resources[1]: missing required field "host"',
        'resources[0].spec.memory: whole number required, got string',
        'serial: must be >= 0',
        '(top level): unknown field "extra"',
      ]),
    );
    expect(e.message).toMatch(/^Invalid state in kolla\.state\.json:\n {2}- /);
  });

  it('rejects what is not an object, and duplicate addresses', () => {
    expect(() => validateState([])).toThrow(/expected a JSON object/);
    const s = sampleState();
    s.resources.push({ ...s.resources[2]! });
    expect(() => validateState(s)).toThrow(
      /resources\[4\]\.address: "volume\.kolla_logs\["control01"\]" appears more than once/,
    );
  });

  it('tells to upgrade kolla for a newer format version, before any schema error', () => {
    const newer = { version: STATE_VERSION + 1, kolla_version: '9.0.0', something: 'else' };
    expect(() => validateState(newer, 'x.json')).toThrow(StateVersionError);
    expect(() => validateState(newer, 'x.json')).toThrow(
      `x.json: this state has format version ${STATE_VERSION + 1} (written by kolla 9.0.0), but this kolla understands up to version ${STATE_VERSION}. Upgrade kolla`,
    );
  });
});

describe('parseState', () => {
  it('names the file when the JSON is invalid, and never returns an empty state', () => {
    expect(() => parseState('{"version": 1,', '/srv/kolla.state.json')).toThrow(
      /^\/srv\/kolla\.state\.json is not valid JSON \(.*\)\. kolla will not treat it as an empty state/,
    );
    expect(() => parseState('', '/srv/kolla.state.json')).toThrow(StateFileError);
  });
});

describe('lineage and serial', () => {
  it('starts a new lineage at serial 1 and keeps it afterwards', () => {
    const content = { kolla_version: '0.1.0', project: 'p', resources: [], outputs: {} };
    const first = nextState(undefined, content);
    expect(first.serial).toBe(1);
    expect(first.version).toBe(STATE_VERSION);
    expect(first.lineage).toMatch(/^[0-9a-f-]{36}$/);
    const second = nextState(first, { ...content, project: 'q' });
    expect(second).toMatchObject({ serial: 2, lineage: first.lineage, project: 'q' });
    // Copying the content of an older state (rollback) does not take its serial or lineage.
    const third = nextState(second, { ...sampleState(1, 'other'), kolla_version: '0.2.0' });
    expect(third).toMatchObject({ serial: 3, lineage: first.lineage, kolla_version: '0.2.0' });
    expect(newLineage()).not.toBe(newLineage());
  });

  it('assertSuccessor wants the same lineage and a greater serial', () => {
    const cur = sampleState(5, 'L1');
    expect(() => assertSuccessor(cur, sampleState(6, 'L1'))).not.toThrow();
    expect(() => assertSuccessor(cur, sampleState(5, 'L1'))).toThrow(StaleLineageError);
    try {
      assertSuccessor(cur, sampleState(9, 'L2'), 'local file /x');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StaleLineageError);
      expect((e as StaleLineageError).reason).toBe('lineage');
      expect((e as Error).message).toMatch(
        /lineage L2 over the unrelated state in local file \/x \(lineage L1\)/,
      );
    }
  });
});

/**
 * The schema must describe the TypeScript types field for field. These literals list every
 * field (Required<...> makes tsc reject a literal missing a field added to the type), and
 * the schema must have exactly those properties.
 */
describe('schema matches the types', () => {
  const schema = JSON.parse(readFileSync(STATE_SCHEMA_PATH, 'utf8')) as {
    $schema: string;
    properties: Record<string, unknown>;
    definitions: Record<string, { properties: Record<string, unknown> }>;
  };
  const keys = (o: object): string[] => Object.keys(o).sort();
  const props = (def: string): string[] => keys(schema.definitions[def]!.properties);

  it('is draft-07', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('State', () => {
    const all: Required<State> = { ...sampleState() };
    expect(keys(schema.properties)).toEqual(keys(all));
  });

  it('each kind of ResourceState', () => {
    const c = sampleState().resources.find((r) => r.kind === 'container');
    if (c?.kind !== 'container') throw new Error('sample has no container');
    const common = { address: '', host: '', dependencies: [] };
    const container: Required<ContainerResource> = {
      ...common,
      kind: 'container',
      spec: c.spec,
      spec_hash: '',
      options: { ignoreChanges: [], kollaStart: false, configStrategy: 'COPY_ONCE' },
      service: '',
      observed: { id: '', image_id: '', state: '' },
    };
    const bootstrap: Required<BootstrapResource> = {
      ...common,
      kind: 'bootstrap',
      spec: c.spec,
      spec_hash: '',
      service: '',
      inputs_hash: '',
      image_id: '',
      migrates: [],
      backups: [],
      restore: [],
      restore_since: 0,
    };
    const volume: Required<VolumeResource> = {
      ...common,
      kind: 'volume',
      volume: { name: '', driver: '', labels: {} },
    };
    const config: Required<ConfigResource> = {
      ...common,
      kind: 'config',
      service: '',
      container: '',
      path: '',
      content: '',
      content_hash: '',
      mode: '',
      sensitive: false,
    };
    const image: Required<ImageResource> = { ...common, kind: 'image', ref: '' };
    expect(props('containerResource')).toEqual(keys(container));
    expect(props('bootstrapResource')).toEqual(keys(bootstrap));
    expect(props('volumeResource')).toEqual(keys(volume));
    expect(props('configResource')).toEqual(keys(config));
    expect(props('imageResource')).toEqual(keys(image));
  });

  it('ContainerSpec and the other nested types', () => {
    const spec: Required<ContainerSpec> = {
      name: '',
      image: '',
      command: [],
      entrypoint: [],
      environment: {},
      volumes: [],
      ports: [],
      network_mode: '',
      privileged: false,
      pid_mode: '',
      ipc_mode: '',
      cap_add: [],
      security_opt: [],
      user: '',
      working_dir: '',
      labels: {},
      restart_policy: '',
      healthcheck: { test: [] },
      ulimits: [],
      tmpfs: [],
      init: false,
      memory: 0,
      cpu_shares: 0,
      health_timeout: '',
    };
    const hc: Required<HealthcheckSpec> = {
      test: [],
      interval: '',
      timeout: '',
      retries: 0,
      start_period: '',
    };
    const opts: Required<ContainerOptions> = {
      ignoreChanges: [],
      kollaStart: false,
      configStrategy: 'COPY_ONCE',
      stopTimeoutS: 0,
      listenPorts: [],
    };
    const vol: Required<VolumeSpec> = { name: '', driver: '', labels: {} };
    const obs: Required<ObservedContainer> = { id: '', image_id: '', state: '' };
    expect(props('containerSpec')).toEqual(keys(spec));
    expect(props('healthcheckSpec')).toEqual(keys(hc));
    expect(props('containerOptions')).toEqual(keys(opts));
    expect(props('volumeSpec')).toEqual(keys(vol));
    expect(props('observedContainer')).toEqual(keys(obs));
    expect(props('ulimitSpec')).toEqual(['hard', 'name', 'soft']);
  });
});
