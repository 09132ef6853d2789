/**
 * Shared setup of the `kolla build` tests: configurations in temp directories, loading them
 * the way commands do, the local test registry's credentials, and removing the images a
 * test file built.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import type { Config } from '../../src/config/config.js';
import { prepare } from '../../src/engine/prepare.js';

export const REGISTRY = '127.0.0.1:4000';
export const REGISTRY_USER = 'kolla';
export const REGISTRY_PASSWORD_FILE = '/var/lib/kolla-test/registry.password';

/** The test registry's password (scripts/registry-up.sh writes it). */
export function registryPassword(): string {
  return readFileSync(REGISTRY_PASSWORD_FILE, 'utf8').trim();
}

/** Write kolla.secrets.json into a configuration directory. */
export function writeSecrets(dir: string, values: Record<string, string>): void {
  writeFileSync(path.join(dir, 'kolla.secrets.json'), JSON.stringify(values, null, 2) + '\n', {
    mode: 0o600,
  });
}

/** Load a configuration as `kolla build` does; fails the test on any error diagnostic. */
export async function loadConfig(dir: string): Promise<Config> {
  const p = await prepare({ dir, requireSecrets: false });
  const errors = p.diagnostics.filter((d) => d.severity === 'error');
  if (!p.config || errors.length > 0)
    throw new Error(`configuration errors: ${errors.map((d) => d.summary).join('; ')}`);
  return p.config;
}

/** Remove every image whose reference starts with one of `prefixes` (best effort). */
export async function removeImages(docker: Dockerode, prefixes: string[]): Promise<void> {
  const images = await docker.listImages();
  const refs = images.flatMap((i) => i.RepoTags ?? []).filter((t) => prefixes.some((p) => t.startsWith(p)));
  for (const r of refs) {
    await docker
      .getImage(r)
      .remove({ force: true })
      .catch(() => {});
  }
}

/** Remove every image carrying the label `key=value`, newest (children) first. */
export async function removeLabelled(docker: Dockerode, label: string): Promise<void> {
  const images = await docker.listImages({ all: true, filters: { label: [label] } });
  images.sort((a, b) => b.Created - a.Created);
  for (const i of images) {
    await docker
      .getImage(i.Id)
      .remove({ force: true })
      .catch(() => {});
  }
}
