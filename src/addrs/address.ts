/**
 * Resource addresses: the stable strings shown in plans and accepted by `-target`,
 * `state show` and `state rm`, e.g. `service.keystone.container.keystone["control01"]`.
 */

export function containerAddr(service: string, container: string, host: string): string {
  return `service.${service}.container.${container}[${q(host)}]`;
}

export function configAddr(service: string, file: string, host: string): string {
  return `service.${service}.config[${q(file)}][${q(host)}]`;
}

export function bootstrapAddr(service: string, name: string): string {
  return `service.${service}.bootstrap.${name}`;
}

export function volumeAddr(volume: string, host: string): string {
  return `volume.${volume}[${q(host)}]`;
}

export function imageAddr(image: string, host: string): string {
  return `image.${image}[${q(host)}]`;
}

function q(s: string): string {
  return JSON.stringify(s);
}

/**
 * Does `address` fall under `target`? A target selects itself and everything below it:
 * `service.keystone` selects all of keystone's containers, configs and bootstraps;
 * `service.keystone.container.keystone` selects that container on every host.
 */
export function addressMatches(target: string, address: string): boolean {
  if (address === target) return true;
  if (!address.startsWith(target)) return false;
  const next = address[target.length];
  return next === '.' || next === '[';
}

/** The host key at the end of an address (`...["control01"]` → control01), if any. */
export function hostOf(address: string): string | undefined {
  const m = /\["([^"]*)"\]$/.exec(address);
  return m ? m[1] : undefined;
}

const ADDRESS_RE =
  /^(service\.[A-Za-z0-9_-]+(\.container\.[A-Za-z0-9_-]+|\.bootstrap\.[A-Za-z0-9_-]+|\.config(\["[^"]*"\])?)?|volume\.[A-Za-z0-9_-]+|image\.[A-Za-z0-9_-]+)(\["[^"]*"\])?$/;

/** Is this a well-formed address (or address prefix usable as a target)? */
export function isValidAddress(s: string): boolean {
  return ADDRESS_RE.test(s);
}
