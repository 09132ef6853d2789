/**
 * The state document's rules, independent of where it is stored: lineage and serial (how
 * one state succeeds another), parsing, and validation against `schemas/state.schema.json`
 * with errors that say where and what.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { checkSchema } from '../config/json-schema-check.js';
import { StaleLineageError } from './backend.js';
import type { State } from './state.js';
import { STATE_VERSION } from './state.js';
import { migrateState } from './migrate.js';
import { KollaError } from '../diags/kolla-error.js';

export const STATE_SCHEMA_PATH = path.join(packageRoot, 'schemas', 'state.schema.json');

/** What a run decides; version, serial and lineage follow from the previous state. */
export type StateContent = Pick<State, 'kolla_version' | 'project' | 'resources' | 'outputs'>;

/** A state file (or a state about to be written) that kolla cannot use. */
export class StateFileError extends KollaError {
  override readonly name: string = 'StateFileError';
  constructor(
    message: string,
    /** The file (or description) it came from, when known. */
    readonly source?: string,
    /** Each violation, "resources[2].kind: must be one of ...". */
    readonly problems: string[] = [],
  ) {
    super('state', message);
  }
}

/** The state was written by a newer kolla, with a format this one does not know. */
export class StateVersionError extends StateFileError {
  override readonly name = 'StateVersionError';
  constructor(
    readonly version: number,
    source: string | undefined,
    writtenBy: string | undefined,
  ) {
    super(
      `${source ? `${source}: ` : ''}this state has format version ${version}` +
        `${writtenBy ? ` (written by kolla ${writtenBy})` : ''}, but this kolla understands up to ` +
        `version ${STATE_VERSION}. Upgrade kolla to use it; an older kolla must not rewrite it.`,
      source,
    );
  }
}

export function newLineage(): string {
  return randomUUID();
}

/**
 * The state that follows `prev`: same lineage, serial + 1, current format version. With no
 * previous state, a new lineage at serial 1 (serial 0 is the empty state nobody wrote).
 */
export function nextState(prev: State | undefined, content: StateContent): State {
  return {
    version: STATE_VERSION,
    serial: prev ? prev.serial + 1 : 1,
    lineage: prev?.lineage ?? newLineage(),
    kolla_version: content.kolla_version,
    project: content.project,
    resources: content.resources,
    outputs: content.outputs,
  };
}

/**
 * Throws StaleLineageError unless `next` may replace `current`: same lineage and a greater
 * serial. This is what stops a run that read an older state from overwriting a newer one.
 */
export function assertSuccessor(current: State, next: State, where?: string): void {
  if (current.lineage !== next.lineage || next.serial <= current.serial) {
    throw new StaleLineageError(
      { lineage: current.lineage, serial: current.serial },
      { lineage: next.lineage, serial: next.serial },
      where,
    );
  }
}

/** Parses a state file's text. Invalid JSON is an error naming the file, never "no state". */
export function parseState(text: string, file: string): State {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new StateFileError(
      `${file} is not valid JSON (${(e as Error).message}). kolla will not treat it as an empty ` +
        `state; restore it from the history or a backup, or fix it by hand.`,
      file,
    );
  }
  return validateState(json, file);
}

let schemaDoc: Record<string, unknown> | undefined;

/** Schema problems of `json`, one line each ("resources[0].kind: must be one of ..."). */
function schemaProblems(json: unknown): string[] {
  schemaDoc ??= JSON.parse(readFileSync(STATE_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
  // Our own checker, not ajv: compiling an ajv validator cost ~0.15 s of every plan.
  return checkSchema(json, schemaDoc, '', { coerce: false, root: schemaDoc }).errors.map(
    (e) =>
      `${jsonPath(e.path) || '(top level)'}: ${e.message.replace(/^attribute "([^"]+)" is required$/, 'missing required field "$1"').replace(/^unexpected attribute "([^"]+)"$/, 'unknown field "$1"')}`,
  );
}

/**
 * Checks that `json` is a state this kolla can use and returns it typed. A newer format
 * version is reported as such (not as a pile of schema errors) so that the fix is clear.
 */
export function validateState(raw: unknown, source?: string): State {
  const json = migrateState(raw, STATE_VERSION);
  const from = source ? ` in ${source}` : '';
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new StateFileError(`Invalid state${from}: expected a JSON object.`, source, [
      '(top level): not an object',
    ]);
  }
  const o = json as Record<string, unknown>;
  const version = o['version'];
  if (typeof version === 'number' && Number.isInteger(version) && version > STATE_VERSION) {
    const by = typeof o['kolla_version'] === 'string' ? o['kolla_version'] : undefined;
    throw new StateVersionError(version, source, by);
  }
  const problems: string[] = dedupe(schemaProblems(json));
  // Not expressible in draft-07: addresses are the resources' keys.
  if (problems.length === 0) {
    const seen = new Set<string>();
    (json as State).resources.forEach((r, i) => {
      if (seen.has(r.address))
        problems.push(`resources[${i}].address: "${r.address}" appears more than once`);
      seen.add(r.address);
    });
  }
  if (problems.length) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? [`... and ${problems.length - shown.length} more`] : [];
    throw new StateFileError(
      `Invalid state${from}:\n${[...shown, ...more].map((p) => `  - ${p}`).join('\n')}`,
      source,
      problems,
    );
  }
  return json as State;
}

/** "/resources/0/spec/memory" → "resources[0].spec.memory" */
function jsonPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || '(top level)';
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}
