/** The connection to a pg backend: its connection string (the block's, else the environment's). */
import type { BackendSettings } from '../../config/config.js';
import { connTarget, DEFAULT_PG_SCHEMA, PgStore } from '../../states/pg-store.js';
import { BackendSetupError } from './errors.js';

/** The connection string used when the pg backend block has no conn_str. */
export const PG_CONN_STR_ENV = 'KOLLA_PG_CONN_STR';

/** conn_str of the block, else KOLLA_PG_CONN_STR. */
export function pgConnStr(backend: BackendSettings, env: NodeJS.ProcessEnv = process.env): string {
  const s = backend.connStr ?? env[PG_CONN_STR_ENV];
  if (!s) {
    throw new BackendSetupError(
      `backend "pg" needs a connection string: set conn_str in the backend block or the ` +
        `${PG_CONN_STR_ENV} environment variable (postgres://user:password@host:5432/database).`,
    );
  }
  return s;
}

/** user@host:port/database of a pg backend's connection string, or undefined when it has none. */
export function connTargetOf(
  backend: BackendSettings,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const s = backend.connStr ?? env[PG_CONN_STR_ENV];
  return s ? connTarget(s) : undefined;
}

export function pgStoreFor(backend: BackendSettings): PgStore {
  return new PgStore({ connStr: pgConnStr(backend), schema: backend.schemaName ?? DEFAULT_PG_SCHEMA });
}
