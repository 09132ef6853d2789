// The floor: bench/floor.mjs (one Node process, plain Docker API calls) for the same
// containers and operations, timed as a whole process like the tools.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  IMAGE,
  LABEL,
  sizing,
  TESTBED_KEY,
  TESTBED_KNOWN_HOSTS,
  cleanup,
  containers,
  repeat,
  root,
  run,
} from '../lib.mjs';

export const tool = 'floor';

export async function bench({ n, hosts, dir, runs, coldRuns, ops }) {
  const specFile = path.join(dir, 'floor-spec.json');
  const write = (changed) =>
    writeFileSync(
      specFile,
      JSON.stringify({
        hosts: hosts.map(({ addr, socket, local }) => ({ addr, socket, local })),
        containers: containers(tool, n, hosts, changed).map((c) => ({
          name: c.name,
          host: hosts.indexOf(c.host),
          value: c.value,
        })),
        image: IMAGE,
        label: [LABEL, tool],
        parallelism: sizing(n).parallelism,
        interval_s: sizing(n).intervalS,
        key: TESTBED_KEY,
        knownHosts: TESTBED_KNOWN_HOSTS,
      }),
    );
  const floor = (op) => run(process.execPath, [path.join(root, 'bench', 'floor.mjs'), op, specFile]);
  const fresh = async () => {
    await cleanup(tool, hosts);
    write(false);
  };

  try {
    ops.cold_ungated = await repeat(coldRuns, fresh, () => floor('cold-ungated'));
    ops.cold = await repeat(coldRuns, fresh, () => floor('cold'));
    ops.noop_plan = await repeat(runs, null, async () => {
      const r = await floor('noop');
      if (Number(r.stdout.trim()) !== n)
        throw new Error(`floor no-op: listed ${r.stdout.trim()}, expected ${n}`);
      return r;
    });
    ops.change = await repeat(
      runs,
      (k) => write(k % 2 === 0),
      () => floor('change'),
    );
    return ops;
  } finally {
    await cleanup(tool, hosts);
  }
}
