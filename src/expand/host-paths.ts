/**
 * The paths kolla derives from a configuration and writes on a host — `<config_dir>/<container>/<file>`
 * — and the files it reads for templates must stay where they belong: a config name is a file
 * name, a `dest` is a clean absolute path inside the container, a container name is Docker's,
 * and a template or override file is inside the configuration's directory (after symlinks),
 * so that no label or path can make kolla write outside its folders or print a file it should
 * not read.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';

/** Docker's container name rule, and a length that keeps every derived path component legal. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const MAX_CONTAINER_NAME = 128;

/** Why `name` cannot be a config block's name (a file name in the container's config folder). */
export function configNameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'it must be a file name';
  if (name.includes('/') || name.includes('\\')) return 'it must be a file name, without "/"';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (name.length > 200) return `it is ${name.length} characters long (at most 200)`;
  return undefined;
}

/** Why `dest` cannot be where kolla_start copies a file in the container. */
export function destProblem(dest: string): string | undefined {
  if (dest.includes('\0')) return 'it contains a NUL character';
  if (!dest.startsWith('/'))
    return 'it must be an absolute path in the container, e.g. /etc/keystone/keystone.conf';
  if (dest.split('/').some((s) => s === '..' || s === '.')) return 'it must not contain "." or ".." segments';
  if (path.posix.normalize(dest) !== dest || dest.endsWith('/'))
    return 'it must be a clean path to a file (no "//", no trailing "/")';
  return undefined;
}

export function containerNameProblem(name: string): string | undefined {
  if (name.length > MAX_CONTAINER_NAME)
    return `it is ${name.length} characters long (at most ${MAX_CONTAINER_NAME}: it names a folder on the host)`;
  if (!CONTAINER_NAME.test(name))
    return 'Docker allows letters, digits, "_", "." and "-", starting with a letter or digit';
  return undefined;
}

/**
 * The real path of `file` when it lies inside `dir` (symlinks resolved); undefined when it
 * lies outside. A file that does not exist is judged by its path.
 */
export function insideDir(dir: string, file: string): string | undefined {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const root = real(dir);
  const f = real(file);
  return f === root || f.startsWith(root + path.sep) ? f : undefined;
}
