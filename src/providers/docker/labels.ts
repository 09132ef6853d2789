/**
 * The labels kolla puts on everything it creates. They are how a refresh finds a project's
 * containers and volumes in one filtered list, and how it maps each back to an address.
 */
export const PROJECT_LABEL = 'kolla.project';
export const ADDRESS_LABEL = 'kolla.address';
export const SPEC_HASH_LABEL = 'kolla.spec-hash';
export const CONFIG_HASH_LABEL = 'kolla.config-hash';
/** On a volume: the token of the apply step that created it (a rollback removes only that one). */
export const CREATION_LABEL = 'kolla.creation';

/** Labels users may not set themselves: a clash would confuse refresh. */
export const RESERVED_LABELS: readonly string[] = [
  PROJECT_LABEL,
  ADDRESS_LABEL,
  SPEC_HASH_LABEL,
  CONFIG_HASH_LABEL,
  CREATION_LABEL,
];

/** The label filter value selecting one project's objects. */
export function projectFilter(project: string): string {
  return `${PROJECT_LABEL}=${project}`;
}
