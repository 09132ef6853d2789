/**
 * One transport per host per run, opened on first use and closed at the end.
 */
import type { HostSpec } from '../expand/instances.js';
import type { Transport } from '../transport/transport.js';
import { LocalTransport } from '../transport/local.js';

export class HostConnections {
  private readonly open = new Map<string, Transport>();

  constructor(private readonly hosts: Map<string, HostSpec>) {}

  get(name: string): Transport {
    let t = this.open.get(name);
    if (t) return t;
    const h = this.hosts.get(name);
    if (!h) throw new Error(`unknown host "${name}"`);
    if (h.connection !== 'local') {
      throw new Error(
        `host "${name}" (${h.address}) is reached over SSH, which this version of kolla cannot do yet; use connection = "local" for the local engine`,
      );
    }
    const opts: { host: string; dockerSocket: string; dockerHost?: string } = {
      host: name,
      dockerSocket: h.dockerSocket,
    };
    if (h.dockerHost) opts.dockerHost = h.dockerHost;
    t = new LocalTransport(opts);
    this.open.set(name, t);
    return t;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.open.values()].map((t) => t.close()));
    this.open.clear();
  }
}
