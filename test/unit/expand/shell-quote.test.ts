import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin } from '../../../src/expand/shell-quote.js';

describe('shellJoin', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(shellJoin(['keystone-manage', 'db_sync'])).toBe('keystone-manage db_sync');
    expect(shellJoin(['sh', '-c', 'echo a b > /x'])).toBe("sh -c 'echo a b > /x'");
    expect(shellJoin(['echo', "it's", ''])).toBe(`echo 'it'"'"'s' ''`);
  });

  it('splits back into the same words in Python shlex, as kolla_start does', () => {
    const argv = ['sh', '-c', `echo "$HOME" 'q' && x=1; echo \\ done`, '--flag=a b', '', 'ü'];
    const out = execFileSync(
      'python3',
      ['-c', 'import json,shlex,sys; print(json.dumps(shlex.split(sys.argv[1])))', shellJoin(argv)],
      {
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(out)).toEqual(argv);
  });
});
