/**
 * An argv as one command line that a POSIX shell (or Python's shlex.split, which Kolla's
 * kolla_start uses) splits back into the same words: config.json's `command` and
 * KOLLA_COMMAND are strings, and `["sh", "-c", "a b"]` must not become four words.
 */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** One word, quoted only when it needs to be (as Python's shlex.quote). */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}
