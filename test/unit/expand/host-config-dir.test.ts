/**
 * A host's `config_dir` (kolla-ansible's node_config_directory as a host variable): its config
 * files and config.json go there, other hosts keep the configuration's; a relative path is an
 * error at its line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigInstance } from '../../../src/expand/instances.js';
import { expandHcl, removeConfigs } from './helpers.js';

afterAll(removeConfigs);

const main = (dir: string): string => `
kolla {
  project    = "p"
  config_dir = "/etc/kolla"
}
host "a" {
  address = "10.0.0.1"
}
host "b" {
  address    = "10.0.0.2"
  config_dir = "${dir}"
}
service "s" {
  hosts = group.all
  config "s.conf" {
    content = "x = 1\\n"
    dest    = "/etc/s/s.conf"
  }
  container "s" {
    image = "busybox"
  }
}
`;

describe('host config_dir', () => {
  it("puts that host's files under it, and only that host's", async () => {
    const e = await expandHcl(main('/srv/b/kolla'));
    expect(e.messages()).toEqual([]);
    const paths = e.instances
      .filter((i): i is ConfigInstance => i.kind === 'config')
      .map((i) => `${i.host} ${i.path}`)
      .sort();
    expect(paths).toEqual([
      'a /etc/kolla/s/config.json',
      'a /etc/kolla/s/s.conf',
      'b /srv/b/kolla/s/config.json',
      'b /srv/b/kolla/s/s.conf',
    ]);
    expect(e.container('service.s.container.s["b"]').spec.volumes.join(' ')).toContain('/srv/b/kolla/s/');
  });

  it('must be absolute', async () => {
    const e = await expandHcl(main('kolla'));
    expect(e.messages().join('\n')).toMatch(/main\.hcl:11:\d+: Invalid config_dir for host "b"/);
  });
});
