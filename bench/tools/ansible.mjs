// Ansible (Debian's ansible: ansible-core 2.14 with the community.docker collection): one
// play, one community.docker.docker_container task looping over the host's containers.
// Local: `ansible_connection=local`. Testbed: SSH as root with the testbed key and known
// hosts, Ansible's defaults otherwise (ControlPersist) plus pipelining, `docker_host` =
// the host's own socket. docker_container in community.docker 3.x talks to the Docker API
// with its own vendored client: it needs python3-requests, not the Docker SDK for Python.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  IMAGE,
  LABEL,
  TESTBED_KEY,
  TESTBED_KNOWN_HOSTS,
  cleanup,
  containers,
  repeat,
  run,
  sizing,
} from '../lib.mjs';

export const tool = 'ansible';

/** The play: one docker_container task looping over `bench_containers` ({name, value}). */
export const playbook = (intervalS) => `- hosts: all
  gather_facts: false
  tasks:
    - name: bench containers
      community.docker.docker_container:
        docker_host: "{{ docker_host }}"
        name: "{{ item.name }}"
        image: ${IMAGE}
        command: ["sleep", "2147483647"]
        init: true
        network_mode: host
        stop_timeout: 1
        env:
          VALUE: "{{ item.value }}"
        labels:
          ${LABEL}: ${tool}
        healthcheck:
          test: ["CMD", "true"]
          interval: ${intervalS}s
        state: started
      loop: "{{ bench_containers }}"
      loop_control:
        label: "{{ item.name }}"
`;

function ansibleCfg(dir) {
  return `[defaults]
interpreter_python = /usr/bin/python3
forks = 10
nocolor = True
retry_files_enabled = False
local_tmp = ${dir}/ansible-tmp

[ssh_connection]
pipelining = True
ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${TESTBED_KNOWN_HOSTS} -o StrictHostKeyChecking=yes
`;
}

function inventory(n, hosts, changed) {
  const list = containers(tool, n, hosts, changed);
  const vars = (h) => {
    const v = {
      docker_host: `unix://${h.socket}`,
      bench_containers: list.filter((c) => c.host === h).map((c) => ({ name: c.name, value: c.value })),
    };
    if (h.local) return { ...v, ansible_connection: 'local' };
    return { ...v, ansible_host: h.addr, ansible_user: 'root', ansible_ssh_private_key_file: TESTBED_KEY };
  };
  return JSON.stringify({ all: { hosts: Object.fromEntries(hosts.map((h) => [h.name, vars(h)])) } }, null, 1);
}

/**
 * ansible-playbook with the play and inventory in `dir`; throws unless exactly `wantChanged`
 * loop items changed (the recap's changed=1 only says "some item changed").
 */
export async function runPlay(dir, wantChanged, what) {
  const r = await run('ansible-playbook', ['-i', 'inventory.json', 'play.yml'], {
    cwd: dir,
    env: { ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg'), ANSIBLE_FORCE_COLOR: '0' },
  });
  const changedItems = (r.stdout.match(/^changed: \[/gm) ?? []).length;
  if (changedItems !== wantChanged)
    throw new Error(
      `ansible ${what}: ${changedItems} items changed, expected ${wantChanged}:\n${r.stdout.slice(-3000)}`,
    );
  return r;
}

export async function bench({ n, hosts, dir, runs, coldRuns, ops }) {
  writeFileSync(path.join(dir, 'play.yml'), playbook(sizing(n).intervalS));
  writeFileSync(path.join(dir, 'ansible.cfg'), ansibleCfg(dir));
  const write = (changed) => writeFileSync(path.join(dir, 'inventory.json'), inventory(n, hosts, changed));
  const play = (wantChanged, what) => runPlay(dir, wantChanged, what);

  try {
    ops.cold = await repeat(
      coldRuns,
      async () => {
        await cleanup(tool, hosts);
        write(false);
      },
      () => play(n, 'cold'),
    );
    ops.noop_apply = await repeat(runs, null, () => play(0, 'no-op'));
    ops.change = await repeat(
      runs,
      (k) => write(k % 2 === 0),
      () => play(1, 'one change'),
    );
    return ops;
  } finally {
    await cleanup(tool, hosts);
  }
}
