/** `.kolla/`: what kolla keeps beside a configuration (selected workspace, backend record, caches). */
import path from 'node:path';

/** `.kolla/` of the configuration directory. */
export function kollaDir(dir: string): string {
  return path.join(path.resolve(dir), '.kolla');
}
