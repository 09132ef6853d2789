/**
 * Terraform users type `-auto-approve`, `-out=plan`, `-var 'a=b'`, `-target=ADDR` by habit:
 * rewrite single-dash long options to oclif's `--name` form before parsing.
 * `-refresh=false` becomes `--no-refresh`, `-lock=false` becomes `--no-lock`.
 */
export function normaliseArgv(argv: string[]): string[] {
  const out: string[] = [];
  let passthrough = false;
  for (const a of argv) {
    if (passthrough || a === '--') {
      passthrough = true;
      out.push(a);
      continue;
    }
    const m = /^-([a-z][a-z0-9-]+)(=.*)?$/.exec(a);
    if (!m) {
      out.push(a);
      continue;
    }
    const name = m[1]!;
    const value = m[2];
    if ((name === 'refresh' || name === 'lock') && (value === '=false' || value === '=true')) {
      out.push(value === '=false' ? `--no-${name}` : `--${name}`);
      continue;
    }
    out.push(`--${name}${value ?? ''}`);
  }
  return out;
}
