import { describe, expect, it } from 'vitest';
import { evErr } from './helpers.js';

/** [source, summary, "line:col" of the error, text the detail contains] */
type ErrCase = [src: string, summary: string, at: string, detail: string];

const cases: ErrCase[] = [
  // operators
  ['1 + "a"', 'Invalid operand', '1:5', 'right operand: a number is required'],
  ['"a" * 2', 'Invalid operand', '1:1', 'left operand'],
  ['true && 1', 'Invalid operand', '1:9', 'a bool is required'],
  ['!5', 'Invalid operand', '1:2', 'a bool is required'],
  ['-"x"', 'Invalid operand', '1:2', 'a number is required'],
  ['null + 1', 'Invalid operand', '1:1', 'but have null'],
  ['1 / 0', 'Operation failed', '1:5', "can't divide by zero"],
  ['5 % 0', 'Operation failed', '1:5', "can't divide by zero"],
  ['null ? 1 : 2', 'Null condition', '1:1', 'Conditions must either be true or false'],
  ['"maybe" ? 1 : 2', 'Incorrect condition type', '1:1', 'must be of type bool'],
  ['false ? 1 : nope', 'Reference to undeclared name "nope"', '1:13', 'There is no variable named "nope"'],
  // references
  ['nope', 'Reference to undeclared name "nope"', '1:1', 'There is no variable named "nope"'],
  ['vra.name', 'Reference to undeclared name "vra"', '1:1', 'Did you mean "var"?'],
  [
    'var.nmae',
    'Unsupported attribute',
    '1:4',
    'This object does not have an attribute named "nmae". Did you mean "name"?',
  ],
  ['var.zzzzzz', 'Unsupported attribute', '1:4', 'This object does not have an attribute named "zzzzzz".'],
  ['var.nothing.x', 'Attempt to get attribute from null value', '1:12', 'This value is null'],
  ['var.tags.x', 'Unsupported attribute', '1:9', "Can't access attributes on a list of objects"],
  ['var.name.x', 'Unsupported attribute', '1:9', 'primitive-typed value (string)'],
  ['hosts[*].nme', 'Unsupported attribute', '1:9', 'Did you mean "name"?'],
  ['var.tags[5]', 'Invalid index', '1:10', 'greater than or equal to the length of the collection (2)'],
  ['var.tags[-1]', 'Invalid index', '1:10', 'a negative number is not a valid index'],
  ['var.tags["x"]', 'Invalid index', '1:10', 'a number is required'],
  ['var.tags[0.5]', 'Invalid index', '1:10', 'not an integer'],
  ['var.tags[null]', 'Invalid index', '1:10', "Can't use a null value as an indexing key"],
  ['var.nothing[0]', 'Attempt to index null value', '1:12', 'This value is null'],
  ['obj["zz"]', 'Invalid index', '1:5', 'there is no key "zz"'],
  ['var.name[0]', 'Invalid index', '1:9', 'does not have any indices'],
  // templates
  ['"a${null}"', 'Invalid template interpolation value', '1:5', 'Cannot include a null value'],
  ['"a${[1]}"', 'Invalid template interpolation value', '1:5', 'but have tuple'],
  ['"${var.tags}x"', 'Invalid template interpolation value', '1:4', 'but have tuple'],
  ['"x${obj}"', 'Invalid template interpolation value', '1:5', 'but have object'],
  ['"%{ if 1 }x%{ endif }"', 'Incorrect condition type', '1:8', 'must be of type bool'],
  ['"%{ for x in 1 }%{ endfor }"', 'Iteration over non-iterable value', '1:14', 'number'],
  // for expressions and object constructors
  ['[for x in "s" : x]', 'Iteration over non-iterable value', '1:11', 'A value of type string'],
  ['[for x in null : x]', 'Iteration over null value', '1:11', 'A null value cannot be used'],
  [
    '{for x in ["a", "a"] : x => 1}',
    'Duplicate object key',
    '1:24',
    'Two different items produced the key "a"',
  ],
  ['[for x in [1] : x if x]', "Invalid 'for' condition", '1:22', 'must be a bool'],
  ['[for x in [1] : x if null]', "Invalid 'for' condition", '1:22', 'must not be null'],
  ['{for x in [1] : null => x}', 'Invalid object key', '1:17', 'must not produce a null value'],
  ['{for x in [[1]] : x => 1}', 'Invalid object key', '1:19', 'string required'],
  ['{(null) = 1}', 'Null value as key', '1:2', "Can't use a null value as a key"],
  ['{([1]) = 1}', 'Incorrect key type', '1:2', 'string required'],
  // multi-line sources: positions are line and column in the text
  ['{\n  a = 1\n  b = a.x\n}', 'Reference to undeclared name "a"', '3:7', 'There is no variable named "a"'],
  ['[\n  for h in hosts :\n  h.vars.rloe\n]', 'Unsupported attribute', '3:9', 'Did you mean "role"?'],
  ['"${\n  1 + true\n}"', 'Invalid operand', '2:7', 'a number is required'],
  ['<<EOT\nline one\n${nope}\nEOT', 'Reference to undeclared name "nope"', '3:3', 'nope'],
  ['<<-EOT\n    ok\n    ${1 / 0}\n    EOT', 'Operation failed', '3:11', 'divide by zero'],
];

describe('evaluation errors: summary and position', () => {
  it.each(cases)('%s → %s at %s', (src, summary, at, detail) => {
    const e = evErr(src);
    expect(e.summary).toBe(summary);
    expect(e.at).toBe(at);
    expect(e.detail).toContain(detail);
  });
});
