/**
 * `kolla render`: write the config files a deployment would deliver — per host and
 * container, exactly as apply would write them — into a local folder for inspection
 * (kolla-ansible's genconfig without touching any host). Files are mode 0600: they hold
 * secrets.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Instance } from '../expand/instances.js';
import { configFilesOf } from '../kinds/config-file.js';
import { addressMatches } from '../addrs/address.js';
import { KollaError } from '../diags/kolla-error.js';

export interface RenderedFile {
  address: string;
  host: string;
  path: string;
  written: string;
}

export function renderConfigs(instances: Instance[], addrs: string[], outDir: string): RenderedFile[] {
  const out: RenderedFile[] = [];
  for (const c of configFilesOf(instances)) {
    if (addrs.length && !addrs.some((a) => addressMatches(a, c.address))) continue;
    const file = path.join(outDir, c.host, c.container, c.name);
    // Names are checked when the configuration is expanded; this is the last guard.
    const root = path.resolve(outDir);
    if (!path.resolve(file).startsWith(root + path.sep))
      throw new KollaError('configuration', `${c.address} would be written outside ${root} (${file})`);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, c.content, { mode: 0o600 });
    out.push({ address: c.address, host: c.host, path: c.path, written: file });
  }
  return out;
}
