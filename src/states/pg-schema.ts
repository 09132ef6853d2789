/**
 * The tables of the PostgreSQL backend, created on first use in the configured schema, and
 * the advisory lock keys. One schema holds every workspace of a configuration:
 *
 *   states      the current state of each workspace (one row per workspace)
 *   history     every state written, with what wrote it (pruned to the history limit)
 *   journal     the entries of the apply in progress (or interrupted), per workspace
 *   locks       who holds each workspace's lock; the lock itself is an advisory lock
 *   workspaces  workspaces created with `kolla workspace new` (before their first state)
 *   meta        the layout version of these tables
 *
 * States are stored as the JSON text kolla wrote (not jsonb), so that what is read back is
 * byte for byte what was written, like the local file.
 */
import { createHash } from 'node:crypto';

/** Version of the table layout; a newer one in the database means a newer kolla created it. */
export const PG_LAYOUT_VERSION = 1;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Why `name` cannot be a schema name, or undefined when it can. */
export function schemaNameProblem(name: string): string | undefined {
  if (SCHEMA_NAME.test(name)) return undefined;
  return (
    `invalid schema_name "${name}": use letters, digits and underscores (up to 63, not starting ` +
    `with a digit)`
  );
}

/** `"name"`: the identifier quoted, so that its case is kept. Names are validated first. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface Tables {
  schema: string;
  states: string;
  history: string;
  journal: string;
  locks: string;
  workspaces: string;
  meta: string;
}

export function tablesOf(schema: string): Tables {
  const s = quoteIdent(schema);
  return {
    schema: s,
    states: `${s}.states`,
    history: `${s}.history`,
    journal: `${s}.journal`,
    locks: `${s}.locks`,
    workspaces: `${s}.workspaces`,
    meta: `${s}.meta`,
  };
}

/** The DDL, idempotent. Run in one transaction under an advisory lock (see PgStore.ready). */
export function schemaDdl(t: Tables): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${t.schema};
CREATE TABLE IF NOT EXISTS ${t.states} (
  workspace  text PRIMARY KEY,
  serial     bigint NOT NULL,
  lineage    text NOT NULL,
  data       text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${t.history} (
  id         bigserial PRIMARY KEY,
  workspace  text NOT NULL,
  serial     bigint NOT NULL,
  lineage    text NOT NULL,
  written_at text NOT NULL,
  message    text NOT NULL,
  resources  integer NOT NULL,
  data       text NOT NULL
);
CREATE INDEX IF NOT EXISTS history_workspace_serial ON ${t.history} (workspace, serial);
-- 0.2: how the run that wrote the state ended (NULL in older rows: derived from message).
ALTER TABLE ${t.history} ADD COLUMN IF NOT EXISTS outcome text;
CREATE TABLE IF NOT EXISTS ${t.journal} (
  workspace  text NOT NULL,
  seq        bigserial NOT NULL,
  entry      text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace, seq)
);
CREATE TABLE IF NOT EXISTS ${t.locks} (
  workspace   text PRIMARY KEY,
  id          text NOT NULL,
  operation   text NOT NULL,
  who         text NOT NULL,
  created     text NOT NULL,
  pid         integer NOT NULL,
  hostname    text NOT NULL,
  backend_pid integer NOT NULL
);
CREATE TABLE IF NOT EXISTS ${t.workspaces} (
  name       text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${t.meta} (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO ${t.meta} (key, value) VALUES ('layout_version', '${PG_LAYOUT_VERSION}')
  ON CONFLICT (key) DO NOTHING;
`;
}

/** A 64-bit advisory lock key, as PostgreSQL shows it in pg_locks (classid, objid). */
export interface AdvisoryKey {
  /** The signed bigint, as a decimal string (beyond JavaScript's safe integers). */
  key: string;
  /** The high and low 32 bits, unsigned: pg_locks.classid and pg_locks.objid. */
  hi: number;
  lo: number;
}

/**
 * The key of a workspace's state lock: derived from the schema and the workspace, so that
 * configurations sharing a database (each with its own schema) and workspaces of one
 * configuration never contend.
 */
export function stateLockKey(schema: string, workspace: string): AdvisoryKey {
  return keyOf(`kolla state lock\0${schema}\0${workspace}`);
}

/** The key serialising the creation of the tables (CREATE ... IF NOT EXISTS races otherwise). */
export function setupLockKey(schema: string): AdvisoryKey {
  return keyOf(`kolla schema setup\0${schema}`);
}

function keyOf(text: string): AdvisoryKey {
  const h = createHash('sha256').update(text).digest();
  const hi = h.readUInt32BE(0);
  const lo = h.readUInt32BE(4);
  const key = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  return { key: key.toString(), hi, lo };
}
