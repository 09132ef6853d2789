/**
 * Task blocks: one instance on the service's first host (or each host), running in the named
 * container of its service, after that container, the containers of the services it depends
 * on and the tasks written before it; bad container names and references are placed errors.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskInstance } from '../../../src/expand/instances.js';
import { taskInputsHash } from '../../../src/kinds/task.js';
import { expandHcl, removeConfigs } from './helpers.js';

afterAll(removeConfigs);

const HOSTS = `
host "c1" {
  address = "10.0.0.1"
  groups  = ["control"]
}
host "c2" {
  address = "10.0.0.2"
  groups  = ["control", "compute"]
}
`;

const main = (task: string): string => `${HOSTS}
service "compute" {
  hosts = group.compute
  container "nova_compute" {
    image = "busybox"
  }
}
service "cell" {
  hosts = group.control
  container "nova_conductor" {
    image = "busybox"
  }
  ${task}
}
`;

describe('task blocks', () => {
  it('expand to a task on the first host, after its container and its depends_on services', async () => {
    const e = await expandHcl(
      main(`
  task "discover" {
    container  = "nova_conductor"
    depends_on = [service.compute]
    until      = "wait_for \${join(" ", group.compute)}"
    retries    = 3
    delay      = "2s"
    command    = "discover --all"
  }
  task "signal" {
    container = "nova_conductor"
    command   = ["kill", "-HUP", "1"]
  }`),
    );
    expect(e.messages()).toEqual([]);
    const t = e.get('service.cell.task.discover') as TaskInstance;
    expect(t).toMatchObject({
      kind: 'task',
      host: 'c1',
      container: 'nova_conductor',
      command: ['discover', '--all'],
      until: ['wait_for', 'c2'],
      retries: 3,
      delayMs: 2000,
      timeoutMs: 300_000,
    });
    expect(t.dependsOn.sort()).toEqual([
      'service.cell.container.nova_conductor["c1"]',
      'service.compute.container.nova_compute["c2"]',
    ]);
    const s = e.get('service.cell.task.signal') as TaskInstance;
    expect(s.dependsOn).toContain('service.cell.task.discover');
    expect(s.until).toBeUndefined();
    expect(e.graph).toBeDefined();
  });

  it('on_each_host: one per host, keyed by host', async () => {
    const e = await expandHcl(
      main(`
  task "t" {
    container    = "nova_conductor"
    command      = "true"
    on_each_host = true
  }`),
    );
    expect(e.addresses().filter((a) => a.includes('.task.'))).toEqual([
      'service.cell.task.t["c1"]',
      'service.cell.task.t["c2"]',
    ]);
  });

  it('an unknown container or service is an error at its line, with a suggestion', async () => {
    const e = await expandHcl(
      main(`
  task "t" {
    container  = "nova_conducter"
    command    = "true"
  }
  task "u" {
    container  = "nova_conductor"
    depends_on = [service.compte]
    command    = "true"
  }`),
    );
    const m = e.messages().join('\n');
    expect(m).toMatch(
      /main\.hcl:\d+:\d+: Unknown container "nova_conducter" for task "t"; did you mean "nova_conductor"\?/,
    );
    expect(m).toMatch(
      /main\.hcl:\d+:\d+: Reference to undeclared service "compte"; did you mean "compute"\?/,
    );
  });

  it('a missing command is a schema error', async () => {
    const e = await expandHcl(main(`task "t" { container = "nova_conductor" }`));
    expect(e.messages().join('\n')).toMatch(/command/);
  });

  it('the inputs hash changes with the condition, the command, the environment and the triggers', () => {
    const base: TaskInstance = {
      address: 'service.s.task.t',
      kind: 'task',
      host: 'h',
      dependsOn: [],
      service: 's',
      name: 't',
      container: 'c',
      command: ['a'],
      retries: 1,
      delayMs: 1,
      timeoutMs: 1,
      environment: { X: '1' },
      triggers: ['h1'],
    };
    const h = taskInputsHash(base);
    expect(taskInputsHash({ ...base, retries: 5, delayMs: 9 })).toBe(h);
    expect(taskInputsHash({ ...base, until: ['w'] })).not.toBe(h);
    expect(taskInputsHash({ ...base, command: ['b'] })).not.toBe(h);
    expect(taskInputsHash({ ...base, environment: { X: '2' } })).not.toBe(h);
    expect(taskInputsHash({ ...base, triggers: ['h1', 'h2'] })).not.toBe(h);
    expect(taskInputsHash({ ...base, container: 'd' })).not.toBe(h);
  });
});
