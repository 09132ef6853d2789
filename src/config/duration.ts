/**
 * Go duration strings ("1m30s", "500ms", "10s", "1.5h"), the syntax Docker and Kolla use
 * for healthcheck timings, converted to the nanoseconds the Engine API takes.
 */

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Nanoseconds in a Go duration. Negative durations are refused (Docker refuses them
 * too); "0" alone is allowed, as in Go. Throws on anything else.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') throw new Error('empty duration');
  if (s.startsWith('-')) throw new Error(`negative duration "${text}"`);
  const body = s.startsWith('+') ? s.slice(1) : s;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < body.length) {
    const at = PART.lastIndex;
    const m = PART.exec(body);
    if (m === null || m.index !== at) {
      throw new Error(`invalid duration "${text}" (expected e.g. "10s", "1m30s", "500ms")`);
    }
    const [, num = '', unit = ''] = m;
    total += Number(num) * (UNIT_NS[unit] ?? NaN);
  }
  if (!Number.isFinite(total)) throw new Error(`invalid duration "${text}"`);
  return Math.round(total);
}

/** Milliseconds in a Go duration (for timers). */
export function durationMs(text: string): number {
  return Math.round(parseDuration(text) / 1e6);
}
