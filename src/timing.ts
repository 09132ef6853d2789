/**
 * Phase timings for finding where a command's time goes: with `KOLLA_TIMING=1`, every
 * `phase(name)` mark is printed to stderr at exit with the milliseconds since the process
 * started (and since the previous mark). Off by default, and then nearly free.
 */
const enabled = process.env.KOLLA_TIMING === '1';
const marks: [string, number][] = [];

export function phase(name: string): void {
  if (!enabled) return;
  if (marks.length === 0) process.once('exit', report);
  marks.push([name, performance.now()]);
}

function report(): void {
  let prev = 0;
  const lines = marks.map(([name, t]) => {
    const line = `${t.toFixed(0).padStart(6)} ms  +${(t - prev).toFixed(0).padStart(5)}  ${name}`;
    prev = t;
    return line;
  });
  process.stderr.write(`timing (KOLLA_TIMING=1):\n${lines.join('\n')}\n`);
}
