/**
 * Keeps secret values out of the state and out of what kolla prints. In the state, each
 * occurrence of a secret's value becomes the marker `((secret.NAME))`, which unmask() turns
 * back into the value from the secrets file; on screen it becomes `(sensitive)`.
 *
 * NAME is the secret's key in kolla.secrets.json — in a module, the module path first:
 * `module.x["a b"].pw`. A marker ends at the first `))`, and readers of the state and the plan
 * find markers as `((secret.` + anything but parentheses and whitespace + `))`; so in NAME,
 * parentheses and whitespace (which only a `for_each` key, inside its JSON quotes, can hold)
 * are written as JSON escapes (`module.x["a\u0020b"].pw`), which read as JSON are the same
 * key. Every other key is its own marker name, as it always was.
 */

/** Values shorter than this are not masked: "yes" or "10" would be replaced everywhere. */
export const MIN_SECRET_LENGTH = 4;

const MARKER = /\(\(secret\.([^()\s]+)\)\)/g;

export function secretMarker(name: string): string {
  return `((secret.${markerName(name)}))`;
}

/** The key as a marker writes it: parentheses and whitespace as JSON unicode escapes. */
function markerName(key: string): string {
  return key.replace(/[()\s]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class SecretMasker {
  /** value → name; for two secrets with the same value, the first name in sort order. */
  private readonly byValue = new Map<string, string>();
  /** Marker name (the key, escaped: see markerName) → value. */
  private readonly byName = new Map<string, string>();
  /** All maskable values, longest first, so that a secret containing another is masked whole. */
  private readonly find: RegExp | undefined;

  constructor(secrets: Record<string, string>) {
    for (const name of Object.keys(secrets).sort()) {
      const value = secrets[name];
      if (value === undefined) continue;
      this.byName.set(markerName(name), value);
      if (value.length >= MIN_SECRET_LENGTH && !this.byValue.has(value)) this.byValue.set(value, name);
    }
    const values = [...this.byValue.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    // Alternation tries alternatives in order, so the longest value wins at each position.
    this.find = values.length ? new RegExp(values.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  /** `s` with every secret value replaced by its marker. */
  mask(s: string): string {
    if (!this.find) return s;
    return s.replace(this.find, (v) => secretMarker(this.byValue.get(v) ?? ''));
  }

  /**
   * `s` with every marker of a known secret replaced by its value. A marker of a secret that
   * is no longer in the secrets file stays as it is (it then differs from any real value,
   * so the resource shows as changed rather than silently getting a wrong value).
   */
  unmask(s: string): string {
    return s.replace(MARKER, (m, name: string) => this.byName.get(name) ?? m);
  }

  /** For display: every secret value replaced by `(sensitive)`. */
  maskForDisplay(s: string): string {
    if (!this.find) return s;
    return s.replace(this.find, '(sensitive)');
  }

  containsSecret(s: string): boolean {
    if (!this.find) return false;
    this.find.lastIndex = 0;
    const found = this.find.test(s);
    this.find.lastIndex = 0;
    return found;
  }

  /** A copy of `v` with mask() applied to every string in it, object keys included. */
  maskDeep<T>(v: T): T {
    return mapStrings(v, (s) => this.mask(s));
  }

  unmaskDeep<T>(v: T): T {
    return mapStrings(v, (s) => this.unmask(s));
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Maps the strings of JSON-like data (arrays and plain objects); other values are kept as they are. */
function mapStrings<T>(v: T, f: (s: string) => string): T {
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return f(x);
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object' && isPlainObject(x)) {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) out[f(k)] = walk(val);
      return out;
    }
    return x;
  };
  return walk(v) as T;
}

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}
