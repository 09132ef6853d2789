/**
 * Progress of long operations as typed events. The engine emits them; the CLI renders
 * them as progress lines (or JSON lines with --json).
 */
export type EngineEvent =
  | { type: 'refresh'; hosts: string[] }
  | { type: 'lock-wait'; holder: string }
  | { type: 'message'; level: 'info' | 'warning'; text: string }
  | { type: 'change-start'; address: string; action: string }
  | { type: 'change-progress'; address: string; text: string; elapsedMs: number }
  | { type: 'change-done'; address: string; action: string; elapsedMs: number }
  | { type: 'change-failed'; address: string; error: string }
  | { type: 'rollback-start'; reason: string }
  | { type: 'rollback-step'; text: string }
  | { type: 'rollback-done'; ok: boolean };

export type EventSink = (e: EngineEvent) => void;

export const ignoreEvents: EventSink = () => {};
