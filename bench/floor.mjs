// The floor for a no-op plan: one Node process that lists the project's containers and
// inspects each of them (what any tool must do at least), timed as a whole process.
import Docker from 'dockerode';

const project = process.argv[2];
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const list = await docker.listContainers({ all: true, filters: { label: [`kolla.project=${project}`] } });
const queue = [...list];
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (queue.length) await docker.getContainer(queue.pop().Id).inspect();
  }),
);
console.log(list.length);
