/**
 * A host of the inventory as the configuration declares it: how it is reached, its groups
 * and variables. Part of the evaluated configuration (expand/ re-exports it).
 */
/** How a host is reached. */
export interface HostSpec {
  name: string;
  address: string;
  connection: 'local' | 'ssh';
  port: number;
  user: string;
  identityFile?: string;
  dockerSocket: string;
  dockerHost?: string;
  /** Another host to reach this one through (SSH jump host). */
  bastion?: string;
  dockerTlsCa?: string;
  dockerTlsCert?: string;
  dockerTlsKey?: string;
  /** Where this host's config files go, when not the configuration's `config_dir`. */
  configDir?: string;
  /** Directory on the host for kolla's per-project host locks. */
  lockDir: string;
  groups: string[];
  vars: Record<string, unknown>;
}
