/** A `secret` block: a generated value kept in kolla.secrets.json under `name`. */
export interface SecretDecl {
  /** The key in kolla.secrets.json: the block's name, after the module path in a module. */
  name: string;
  length: number;
  kind: SecretKind;
  /** Key sets (`fernet_keys`, `credential_keys`): how many keys (max_active_keys, ≥ 3). */
  count?: number;
}

export type SecretKind =
  'password' | 'fernet_key' | 'hex' | 'uuid' | 'ssh_key' | 'fernet_keys' | 'credential_keys';

/** The default number of keys of a key set: keystone's max_active_keys (staged, secondary, primary). */
export const DEFAULT_KEY_COUNT = 3;

/**
 * A key set: a list of Fernet keys laid out as keystone's key repository numbers its files —
 * element 0 is the staged key, the last the primary, the ones between secondary keys (oldest
 * first). kolla.secrets.json keeps it as a JSON list; readers of the file see each key as the
 * entry `NAME[i]` (so each is masked on its own), and `secret.NAME` is the list.
 */
export function isKeySet(kind: SecretKind): boolean {
  return kind === 'fernet_keys' || kind === 'credential_keys';
}

/** The flat entry that holds element `i` of the key set `name`. */
export function keySetEntry(name: string, i: number): string {
  return `${name}[${i}]`;
}

/** The list `name` holds among flat entries (readSecrets), or undefined when it has no keys. */
export function keySetValue(values: Record<string, string> | undefined, name: string): string[] | undefined {
  if (!values) return undefined;
  const out: string[] = [];
  for (let i = 0; values[keySetEntry(name, i)] !== undefined; i++) out.push(values[keySetEntry(name, i)]!);
  return out.length ? out : undefined;
}

/**
 * What `secret.NAME` evaluates to: the value, or a key set's list; without a value (not
 * generated yet) a placeholder of the same shape, and `key` is noted in `missing`.
 */
export function secretScopeValue(
  d: SecretDecl,
  key: string,
  values: Record<string, string> | undefined,
  missing: Set<string>,
): string | string[] {
  if (isKeySet(d.kind)) {
    const v = keySetValue(values, key);
    if (v !== undefined) return v;
    missing.add(key);
    return Array.from(
      { length: d.count ?? DEFAULT_KEY_COUNT },
      (_, i) => `<secret ${key}[${i}] not generated>`,
    );
  }
  const v = values?.[key];
  if (v === undefined) missing.add(key);
  return v ?? `<secret ${key} not generated>`;
}
