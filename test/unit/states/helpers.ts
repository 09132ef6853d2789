/** Shared fixtures of the state tests: scratch directories and a realistic state. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ContainerSpec } from '../../../src/expand/instances.js';
import type { State } from '../../../src/states/state.js';
import { STATE_VERSION } from '../../../src/states/state.js';

export async function scratchDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kolla-states-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function containerSpec(name = 'keystone'): ContainerSpec {
  return {
    name,
    image: 'quay.io/openstack.kolla/keystone:2024.1',
    environment: { KOLLA_CONFIG_STRATEGY: 'COPY_ALWAYS' },
    volumes: ['/etc/kolla/keystone/:/var/lib/kolla/config_files/:ro', 'kolla_logs:/var/log/kolla/'],
    ports: [],
    network_mode: 'host',
    privileged: false,
    cap_add: [],
    security_opt: [],
    labels: { 'kolla.managed': 'true' },
    restart_policy: 'unless-stopped',
    healthcheck: {
      test: ['CMD-SHELL', 'healthcheck_curl http://127.0.0.1:5000'],
      interval: '30s',
      retries: 3,
    },
    ulimits: [{ name: 'nofile', soft: 1048576, hard: -1 }],
    tmpfs: [],
    init: false,
    memory: 0,
    cpu_shares: 0,
    health_timeout: '5m',
  };
}

export function sampleState(serial = 1, lineage = '5b0f5a8e-6d43-4c3b-9a0e-0c1d2e3f4a5b'): State {
  return {
    version: STATE_VERSION,
    serial,
    lineage,
    kolla_version: '0.1.0',
    project: 'demo',
    resources: [
      {
        address: 'service.keystone.container.keystone["control01"]',
        kind: 'container',
        host: 'control01',
        dependencies: [
          'service.keystone.config.keystone_conf["control01"]',
          'volume.kolla_logs["control01"]',
        ],
        spec: containerSpec(),
        spec_hash: 'sha256:abc',
        options: { ignoreChanges: [], kollaStart: true, configStrategy: 'COPY_ALWAYS' },
        service: 'keystone',
        observed: { id: 'c0ffee', image_id: 'sha256:feed', state: 'running' },
      },
      {
        address: 'service.keystone.config.keystone_conf["control01"]',
        kind: 'config',
        host: 'control01',
        dependencies: [],
        service: 'keystone',
        path: '/etc/kolla/keystone/keystone.conf',
        content: '[database]\nconnection = mysql+pymysql://keystone:((secret.keystone_db))@db/keystone\n',
        content_hash: 'sha256:123',
        mode: '0600',
        sensitive: false,
        container: 'keystone',
      },
      {
        address: 'volume.kolla_logs["control01"]',
        kind: 'volume',
        host: 'control01',
        dependencies: [],
        volume: { name: 'kolla_logs', driver: 'local', labels: {} },
      },
      {
        address: 'image.keystone["control01"]',
        kind: 'image',
        host: 'control01',
        dependencies: [],
        ref: 'quay.io/openstack.kolla/keystone:2024.1',
      },
    ],
    outputs: { keystone_url: { value: 'http://control01:5000', sensitive: false } },
  };
}
