/**
 * Resource addresses: the stable strings shown in plans and accepted by `-target`,
 * `-replace`, `state show` and `state rm`, e.g. `service.keystone.container.keystone["control01"]`.
 *
 * One `Address` type, parsed and formatted here only. An address is a list of steps — names
 * joined by dots and index keys in brackets — with an optional module path in front
 * (`module.openstack.module.nova["k"]. ...`, room for modules). Every form:
 *
 *   service.x                              service.x.container.y["h"]
 *   service.x.container.y                  service.x.container.y.config_json["h"]
 *   service.x.config                       service.x.config["f"]["h"]
 *   service.x.bootstrap.b                  service.x.bootstrap.b["h"]   (on_each_host)
 *   service.x.task.t                       service.x.task.t["h"]        (on_each_host)
 *   volume.v    volume.v["h"]              image.i    image.i["h"]
 *
 * A target selects itself and everything below it: its steps are a prefix of the address's.
 */

/** One step: a name (`service`, `keystone`) or an index key (`["control01"]`, `[0]`). */
export type Step = { name: string } | { key: string | number };

export interface ModuleStep {
  name: string;
  key?: string | number;
}

export interface Address {
  /** Module calls from the root, outermost first; empty for the root module. */
  module: ModuleStep[];
  /** The resource part: `service.x.container.y["h"]` as steps. */
  steps: Step[];
}

/** Why `text` is not an address, or its steps. */
function tokenize(text: string): Step[] | string {
  const steps: Step[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (ch === '[') {
      const close = findClose(text, i);
      if (close < 0) return `unclosed "[" at position ${i + 1}`;
      const inner = text.slice(i + 1, close);
      let key: unknown;
      try {
        key = JSON.parse(inner);
      } catch {
        return `index ${inner} is not a quoted string or a number`;
      }
      if (typeof key !== 'string' && !(typeof key === 'number' && Number.isInteger(key) && key >= 0))
        return `index ${inner} is not a quoted string or a number`;
      steps.push({ key });
      i = close + 1;
      continue;
    }
    if (ch === '.') {
      if (steps.length === 0 || i + 1 >= n || text[i + 1] === '.' || text[i + 1] === '[')
        return `unexpected "." at position ${i + 1}`;
      i++;
      continue;
    }
    if (steps.length > 0 && text[i - 1] !== '.') return `expected "." or "[" at position ${i + 1}`;
    let j = i;
    // Names of services, containers and hosts: letters, digits, _ and -; never dots (a dot
    // separates steps).
    while (j < n && /[A-Za-z0-9_-]/.test(text[j]!)) j++;
    if (j === i) return `unexpected "${ch}" at position ${i + 1}`;
    steps.push({ name: text.slice(i, j) });
    i = j;
  }
  if (steps.length === 0) return 'empty address';
  return steps;
}

/** Index of the `]` closing the `[` at `open`, skipping brackets inside a JSON string. */
function findClose(text: string, open: number): number {
  let inString = false;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ']') return i;
  }
  return -1;
}

const isName = (s: Step | undefined): s is { name: string } => s !== undefined && 'name' in s;
const isKey = (s: Step | undefined): s is { key: string | number } => s !== undefined && 'key' in s;

/**
 * The resource grammar after the module path. Returns undefined when valid (as a full
 * address or as a prefix usable as a target), else why not.
 */
function checkResource(steps: Step[]): string | undefined {
  const [t, name, ...rest] = steps;
  if (!isName(t)) return 'an address starts with service, volume, image or module';
  if (t.name !== 'service' && t.name !== 'volume' && t.name !== 'image')
    return `unknown resource type "${t.name}" (service, volume, image or module)`;
  if (name === undefined) return undefined; // `service` alone: every service (a prefix)
  if (!isName(name)) return `${t.name} needs a name before an index`;
  if (t.name !== 'service') {
    // volume.v["h"], image.i["h"]
    if (rest.length === 0) return undefined;
    if (rest.length === 1 && isKey(rest[0]) && typeof rest[0].key === 'string') return undefined;
    return `${t.name}.${name.name} takes only a host index, e.g. ${t.name}.${name.name}["host"]`;
  }
  if (rest.length === 0) return undefined;
  const [sub, ...more] = rest;
  if (!isName(sub))
    return `service.${name.name} is followed by container, config, bootstrap, task, database or rabbitmq_user`;
  const hostOnly = (xs: Step[], what: string): string | undefined =>
    xs.length === 0 || (xs.length === 1 && isKey(xs[0]) && typeof xs[0].key === 'string')
      ? undefined
      : `${what} takes only a host index, e.g. ${what}["host"]`;
  switch (sub.name) {
    case 'container': {
      const [cname, ...tail] = more;
      if (cname === undefined) return undefined;
      if (!isName(cname)) return 'container needs a name, e.g. container.keystone';
      const what = `service.${name.name}.container.${cname.name}`;
      const [cj, ...after] = tail;
      if (isName(cj)) {
        if (cj.name !== 'config_json') return `unknown step "${cj.name}" after ${what} (config_json?)`;
        return hostOnly(after, `${what}.config_json`);
      }
      return hostOnly(tail, what);
    }
    case 'bootstrap':
    case 'task':
    case 'database':
    case 'rabbitmq_user': {
      const [bname, ...tail] = more;
      if (bname === undefined) return undefined;
      if (!isName(bname))
        return `${sub.name} needs a name, e.g. ${sub.name}.${sub.name === 'task' ? 'discover_computes' : sub.name === 'database' ? 'keystone' : sub.name === 'rabbitmq_user' ? 'openstack' : 'db_sync'}`;
      return hostOnly(tail, `service.${name.name}.${sub.name}.${bname.name}`);
    }
    case 'config': {
      if (more.length > 2 || !more.every((s) => isKey(s) && typeof s.key === 'string'))
        return `config takes a file and a host index, e.g. service.${name.name}.config["keystone.conf"]["host"]`;
      return undefined;
    }
    default:
      return `unknown step "${sub.name}" in service.${name.name} (container, config, bootstrap, task, database or rabbitmq_user)`;
  }
}

/** Parse an address (or a prefix of one, for -target); a string saying why not on failure. */
export function parseAddress(text: string): Address | string {
  const steps = tokenize(text.trim());
  if (typeof steps === 'string') return `Invalid address "${text}": ${steps}`;
  const module: ModuleStep[] = [];
  let i = 0;
  while (isName(steps[i]) && (steps[i] as { name: string }).name === 'module') {
    const name = steps[i + 1];
    if (!isName(name)) return `Invalid address "${text}": module needs a name, e.g. module.openstack`;
    const m: ModuleStep = { name: name.name };
    i += 2;
    const k = steps[i];
    if (isKey(k)) {
      m.key = k.key;
      i++;
    }
    module.push(m);
  }
  const rest = steps.slice(i);
  if (rest.length > 0) {
    const why = checkResource(rest);
    if (why) return `Invalid address "${text}": ${why}`;
  }
  return { module, steps: rest };
}

/** The canonical text of an address. */
export function formatAddress(a: Address): string {
  const parts: Step[] = [];
  for (const m of a.module) {
    parts.push({ name: 'module' }, { name: m.name });
    if (m.key !== undefined) parts.push({ key: m.key });
  }
  parts.push(...a.steps);
  let out = '';
  for (const s of parts) {
    if ('name' in s) out += (out ? '.' : '') + s.name;
    else out += `[${JSON.stringify(s.key)}]`;
  }
  return out;
}

/** `module.a["k"].module.b` for a module path (empty for the root). */
export function formatModulePath(path: ModuleStep[]): string {
  return formatAddress({ module: path, steps: [] });
}

/** Is this a well-formed address (or address prefix usable as a target)? */
export function isValidAddress(s: string): boolean {
  return typeof parseAddress(s) !== 'string';
}

function stepsOf(text: string): Step[] | undefined {
  const a = parseAddress(text);
  if (typeof a === 'string') return undefined;
  const out: Step[] = [];
  for (const m of a.module) {
    out.push({ name: 'module' }, { name: m.name });
    if (m.key !== undefined) out.push({ key: m.key });
  }
  return [...out, ...a.steps];
}

const matchCache = new Map<string, Step[] | undefined>();
function cachedSteps(text: string): Step[] | undefined {
  let s = matchCache.get(text);
  if (s === undefined && !matchCache.has(text)) {
    s = stepsOf(text);
    if (matchCache.size > 10_000) matchCache.clear();
    matchCache.set(text, s);
  }
  return s;
}

/**
 * Does `address` fall under `target`? A target selects itself and everything below it:
 * `service.keystone` selects all of keystone's containers, configs and bootstraps;
 * `service.keystone.container.keystone` selects that container on every host (and its
 * config.json); `module.openstack` selects the module's whole tree.
 */
export function addressMatches(target: string, address: string): boolean {
  if (address === target) return true;
  const t = cachedSteps(target);
  const a = cachedSteps(address);
  if (!t || !a || t.length > a.length) return false;
  for (let i = 0; i < t.length; i++) {
    const x = t[i]!;
    const y = a[i]!;
    if ('name' in x ? !('name' in y) || x.name !== y.name : !('key' in y) || x.key !== y.key) return false;
  }
  return true;
}

/**
 * `address` with its prefix `from` replaced by `to` (`service.a.container.x["h"]` with
 * `service.a` → `module.m.service.a` is `module.m.service.a.container.x["h"]`); undefined
 * when `from` does not select it.
 */
export function replacePrefix(address: string, from: string, to: string): string | undefined {
  if (!addressMatches(from, address)) return undefined;
  const a = cachedSteps(address)!;
  const f = cachedSteps(from)!;
  const t = cachedSteps(to);
  if (!t) return undefined;
  let out = '';
  for (const s of [...t, ...a.slice(f.length)]) {
    if ('name' in s) out += (out ? '.' : '') + s.name;
    else out += `[${JSON.stringify(s.key)}]`;
  }
  return out;
}

/** The host key at the end of an address (`...["control01"]` → control01), if any. */
export function hostOf(address: string): string | undefined {
  const s = cachedSteps(address);
  const last = s?.[s.length - 1];
  return isKey(last) && typeof last.key === 'string' ? last.key : undefined;
}

// Constructors of the addresses expand() gives instances.

const q = (s: string): string => JSON.stringify(s);

export function containerAddr(service: string, container: string, host: string): string {
  return `service.${service}.container.${container}[${q(host)}]`;
}

export function configJsonAddr(service: string, container: string, host: string): string {
  return `service.${service}.container.${container}.config_json[${q(host)}]`;
}

export function configAddr(service: string, file: string, host: string): string {
  return `service.${service}.config[${q(file)}][${q(host)}]`;
}

export function bootstrapAddr(service: string, name: string, host?: string): string {
  return `service.${service}.bootstrap.${name}${host === undefined ? '' : `[${q(host)}]`}`;
}

export function taskAddr(service: string, name: string, host?: string): string {
  return `service.${service}.task.${name}${host === undefined ? '' : `[${q(host)}]`}`;
}

/** A database block's address; `key` is its for_each key, when it has one. */
export function databaseAddr(service: string, name: string, key?: string): string {
  return `service.${service}.database.${name}${key === undefined ? '' : `[${q(key)}]`}`;
}

/** A rabbitmq_user block's address. */
export function rabbitmqUserAddr(service: string, name: string): string {
  return `service.${service}.rabbitmq_user.${name}`;
}

export function volumeAddr(volume: string, host: string): string {
  return `volume.${volume}[${q(host)}]`;
}

export function imageAddr(image: string, host: string): string {
  return `image.${image}[${q(host)}]`;
}

/** The title of an address in a plan: `container "keystone"`, `config "keystone.conf"`, ... */
export function resourceTitle(address: string): string | undefined {
  const a = parseAddress(address);
  if (typeof a === 'string') return undefined;
  const s = a.steps;
  const name = (i: number): string | undefined => {
    const x = s[i];
    return isName(x) ? x.name : undefined;
  };
  const key = (i: number): string | number | undefined => {
    const x = s[i];
    return isKey(x) ? x.key : undefined;
  };
  if (name(0) === 'service') {
    if (name(2) === 'container' && name(4) === 'config_json') return 'config "config.json"';
    if (name(2) === 'database' && key(4) !== undefined) return `database "${key(4)}"`;
    if (
      name(2) === 'container' ||
      name(2) === 'bootstrap' ||
      name(2) === 'task' ||
      name(2) === 'database' ||
      name(2) === 'rabbitmq_user'
    )
      return `${name(2)} "${name(3)}"`;
    if (name(2) === 'config' && key(3) !== undefined) return `config "${key(3)}"`;
  }
  if ((name(0) === 'volume' || name(0) === 'image') && name(1)) return `${name(0)} "${name(1)}"`;
  return undefined;
}
