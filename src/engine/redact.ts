/**
 * The last line of defence for secrets: everything the engine hands back to be shown —
 * diagnostics, progress events, failure messages (which carry container log lines) — has
 * every secret value replaced by `(sensitive)`.
 */
import type { Diagnostic } from '../diags/diagnostic.js';
import type { SecretMasker } from '../states/secret-mask.js';
import type { EngineEvent, EventSink } from './events.js';

export function redactDiagnostics(ds: Diagnostic[], m: SecretMasker): Diagnostic[] {
  return ds.map((d) => {
    const out: Diagnostic = { ...d, summary: m.maskForDisplay(d.summary) };
    if (d.detail !== undefined) out.detail = m.maskForDisplay(d.detail);
    return out;
  });
}

export function redactEvents(sink: EventSink, m: SecretMasker): EventSink {
  return (e) => {
    const copy: Record<string, unknown> = { ...e };
    for (const [k, v] of Object.entries(copy)) if (typeof v === 'string') copy[k] = m.maskForDisplay(v);
    sink(copy as EngineEvent);
  };
}
