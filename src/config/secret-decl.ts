/** A `secret` block: a generated value kept in kolla.secrets.json under `name`. */
export interface SecretDecl {
  /** The key in kolla.secrets.json: the block's name, after the module path in a module. */
  name: string;
  length: number;
  kind: 'password' | 'fernet_key' | 'hex' | 'uuid' | 'ssh_key';
}
