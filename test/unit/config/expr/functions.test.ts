import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Value } from '../../../../src/config/hcl/ast.js';
import { standardFunctions } from '../../../../src/config/expr/functions.js';
import { VARS, ev, evErr } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kolla-fn-'));
writeFileSync(path.join(dir, 'a.txt'), 'file content\n');
writeFileSync(path.join(dir, 't.j2'), 'Hello {{ name }}!{% for p in ports %} {{ p }}{% endfor %}');
writeFileSync(path.join(dir, 'bad.j2'), 'ok\n{{ missing }}\n');
writeFileSync(path.join(dir, 'latin1.bin'), Buffer.from([0xff, 0xfe, 0x41]));
mkdirSync(path.join(dir, 'sub'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (src: string): Value => ev(src, VARS, dir);

type Case = [src: string, want: Value];

const cases: Case[] = [
  // collections
  ['length("héllo")', 5],
  ['length("👍🏽")', 1],
  ['length({a = 1, b = 2})', 2],
  ['length([])', 0],
  ['concat(["a"], [], ["b", "c"])', ['a', 'b', 'c']],
  ['merge({a = 1, b = 2}, {b = 3}, null)', { a: 1, b: 3 }],
  ['merge()', {}],
  ['keys({b = 1, a = 2, "10" = 3, "9" = 4})', ['10', '9', 'a', 'b']],
  ['values({b = 1, a = 2})', [2, 1]],
  ['lookup({a = 1}, "a")', 1],
  ['lookup({a = 1}, "b", "dflt")', 'dflt'],
  ['contains(["a", "b"], "b")', true],
  ['contains([[1], [2]], [2])', true],
  ['contains(["a"], "z")', false],
  ['distinct(["a", "b", "a", "c", "b"])', ['a', 'b', 'c']],
  ['distinct([{a = 1}, {a = 1}, 1, "1"])', [{ a: 1 }, 1, '1']],
  ['flatten([["a", "b"], [], ["c", ["d"]]])', ['a', 'b', 'c', 'd']],
  ['range(3)', [0, 1, 2]],
  ['range(1, 4)', [1, 2, 3]],
  ['range(0, 10, 3)', [0, 3, 6, 9]],
  ['range(3, 0)', [3, 2, 1]],
  ['range(1, 2, 0.5)', [1, 1.5]],
  ['range(0)', []],
  ['element(["a", "b", "c"], 4)', 'b'],
  ['index(["a", "b"], "b")', 1],
  ['coalesce(null, "", "x")', 'x'],
  ['coalesce(1, 2)', 1],
  ['coalescelist([], ["a"], ["b"])', ['a']],
  ['compact(["a", "", "b", null])', ['a', 'b']],
  ['reverse([1, 2, 3])', [3, 2, 1]],
  ['sort(["b", "a", "c"])', ['a', 'b', 'c']],
  ['sort([10, 9])', ['10', '9']],
  ['slice(["a", "b", "c", "d"], 1, 3)', ['b', 'c']],
  ['slice([1], 1, 1)', []],
  ['zipmap(["a", "b"], [1, 2])', { a: 1, b: 2 }],
  ['chunklist([1, 2, 3, 4, 5], 2)', [[1, 2], [3, 4], [5]]],
  ['one([])', null],
  ['one(["x"])', 'x'],
  ['alltrue([true, "true"])', true],
  ['alltrue([])', true],
  ['anytrue([false, true])', true],
  ['anytrue([])', false],
  ['setunion(["b", "a"], ["c", "a"])', ['a', 'b', 'c']],
  ['setintersection(["a", "b", "c"], ["b", "c", "d"], ["c", "b"])', ['b', 'c']],
  ['setsubtract(["a", "b", "c"], ["b"])', ['a', 'c']],
  // numbers
  ['min(3, 1, 2)', 1],
  ['max(3, 1, 2)', 3],
  ['max([4, 9]...)', 9],
  ['abs(-2.5)', 2.5],
  ['ceil(1.2)', 2],
  ['floor(-1.2)', -2],
  ['pow(2, 10)', 1024],
  ['signum(-7)', -1],
  ['signum(0)', 0],
  ['sum([1, 2, 3.5])', 6.5],
  ['parseint("ff", 16)', 255],
  ['parseint("-101", 2)', -5],
  // strings
  ['join(", ", ["a", "b"], ["c"])', 'a, b, c'],
  ['join("-", [1, true])', '1-true'],
  ['join(",", [])', ''],
  ['split(",", "a,b,,c")', ['a', 'b', '', 'c']],
  ['split(",", "")', ['']],
  ['format("Hello, %s!", "Ander")', 'Hello, Ander!'],
  ['format("%d", 42)', '42'],
  ['format("%5d|%-5d|%05d", 42, 42, 42)', '   42|42   |00042'],
  ['format("%.2f", 3.14159)', '3.14'],
  ['format("%f", 1)', '1.000000'],
  ['format("%8.3f", 3.14159)', '   3.142'],
  ['format("%q", "a\\"b")', '"a\\"b"'],
  ['format("%v %v %v", "s", 1.5, true)', 's 1.5 true'],
  ['format("%v", [1, "a"])', '[1,"a"]'],
  ['format("%#v", "s")', '"s"'],
  ['format("%%d")', '%d'],
  ['format("%x %X %o %b", 255, 255, 8, 5)', 'ff FF 10 101'],
  ['format("%#x", 255)', '0xff'],
  ['format("%e", 123456)', '1.234560e+05'],
  ['format("%g|%g|%g", 1000000, 0.5, 123456)', '1e+06|0.5|123456'],
  ['format("%[2]s %[1]s", "a", "b")', 'b a'],
  ['format("%t", true)', 'true'],
  ['format("%+d % d", 5, 5)', '+5  5'],
  ['format("%.3s", "abcdef")', 'abc'],
  ['format("%s", 8080)', '8080'],
  ['formatlist("%s=%d", ["a", "b"], [1, 2])', ['a=1', 'b=2']],
  ['formatlist("%s-%s", "p", ["a", "b"])', ['p-a', 'p-b']],
  ['upper("abc")', 'ABC'],
  ['lower("ÀBC")', 'àbc'],
  ['title("hello world-foo bar_baz")', 'Hello World-Foo Bar_baz'],
  ['strrev("abc")', 'cba'],
  ['replace("1 + 2 + 3", "+", "-")', '1 - 2 - 3'],
  ['replace("hello world", "/w(or)ld/", "W$1")', 'hello Wor'],
  ['replace("a-b-c", "/(?P<x>[a-z])/", "<$${x}>")', '<a>-<b>-<c>'],
  ['replace("ab", "/(a)/", "$1x")', 'b'],
  ['replace("aaa", "a", "b")', 'bbb'],
  ['trimspace("  hi \\n")', 'hi'],
  ['trim("?!hello?!", "!?")', 'hello'],
  ['trimprefix("helloworld", "hello")', 'world'],
  ['trimprefix("x", "y")', 'x'],
  ['trimsuffix("helloworld", "world")', 'hello'],
  ['substr("hello world", 1, 4)', 'ello'],
  ['substr("hello", -3, -1)', 'llo'],
  ['substr("🤔🤷", 0, 1)', '🤔'],
  ['substr("abc", 5, 1)', ''],
  ['startswith("hello", "he")', true],
  ['endswith("hello", "lo")', true],
  ['endswith("hello", "x")', false],
  ['regex("[a-z]+", "53453453.345345aaabbbccc23454")', 'aaabbbccc'],
  ['regex("(\\\\d\\\\d\\\\d\\\\d)-(\\\\d\\\\d)-(\\\\d\\\\d)", "2019-02-01")', ['2019', '02', '01']],
  [
    'regex("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?", "https://terraform.io/docs/")',
    { scheme: 'https', authority: 'terraform.io' },
  ],
  ['regex("(?i)ABC", "xabcx")', 'abc'],
  ['regex("a(x)?b", "ab")', [null]],
  ['regex("[[:digit:]]+", "ab12c")', '12'],
  ['regex("\\\\#\\\\d", "x#1")', '#1'],
  ['regexall("[a-z]+", "1234abcd5678efgh9")', ['abcd', 'efgh']],
  ['length(regexall("[a-z]+", "123"))', 0],
  [
    'regexall("(\\\\d)(\\\\w)", "1a2b")',
    [
      ['1', 'a'],
      ['2', 'b'],
    ],
  ],
  ['indent(2, "[\\n  foo,\\n]")', '[\n    foo,\n  ]'],
  ['chomp("hello\\n\\n")', 'hello'],
  ['chomp("a\\r\\n")', 'a'],
  // conversions
  ['tostring(1.5)', '1.5'],
  ['tostring(true)', 'true'],
  ['tostring(null)', null],
  ['tostring("x")', 'x'],
  ['tonumber("42")', 42],
  ['tonumber("1e2")', 100],
  ['tonumber(null)', null],
  ['tobool("true")', true],
  ['tobool(false)', false],
  ['tolist(["a", 1, true])', ['a', '1', 'true']],
  ['toset(["b", "a", "b"])', ['a', 'b']],
  ['toset([3, 1, 3])', [1, 3]],
  ['toset(["c", 1])', ['1', 'c']],
  ['tomap({a = 1, b = "x"})', { a: '1', b: 'x' }],
  // encodings
  ['jsonencode({b = 1, a = [true, null, "x<y"]})', '{"a":[true,null,"x\\u003cy"],"b":1}'],
  ['jsonencode("é")', '"é"'],
  ['jsonencode(1.5)', '1.5'],
  ['jsondecode("{\\"a\\": [1, 2]}")', { a: [1, 2] }],
  ['jsondecode("\\"s\\"")', 's'],
  [
    'yamlencode({b = "x", a = [1, 2], c = "l1\\nl2", d = {}})',
    '"a":\n- 1\n- 2\n"b": "x"\n"c": |-\n  l1\n  l2\n"d": {}\n',
  ],
  ['yamlencode("s")', '"s"\n'],
  ['yamldecode("a: 1\\nb: [x, y]\\n")', { a: 1, b: ['x', 'y'] }],
  ['yamldecode("")', null],
  ['yamldecode("base: &b {x: 1}\\nd:\\n  <<: *b\\n  y: 2")', { base: { x: 1 }, d: { x: 1, y: 2 } }],
  ['base64encode("hello")', 'aGVsbG8='],
  ['base64decode("aGVsbG8=")', 'hello'],
  ['urlencode("a b&c/d~")', 'a+b%26c%2Fd~'],
  ['sha1("hello")', 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'],
  ['sha256("hello")', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
  [
    'sha512("hello")',
    '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043',
  ],
  ['md5("hello")', '5d41402abc4b2a76b9719d911017c592'],
  // files and paths
  ['file("a.txt")', 'file content\n'],
  ['fileexists("a.txt")', true],
  ['fileexists("nope.txt")', false],
  ['templatefile("t.j2", {name = "x", ports = [1, 2]})', 'Hello x! 1 2'],
  ['basename("/a/b/c.txt")', 'c.txt'],
  ['basename("a/b/")', 'b'],
  ['basename("")', '.'],
  ['basename("/")', '/'],
  ['dirname("/a/b/c.txt")', '/a/b'],
  ['dirname("foo")', '.'],
  ['dirname("/foo")', '/'],
  ['dirname("a/b/")', 'a/b'],
  // special forms
  ['try(var.missing, "fallback")', 'fallback'],
  ['can(regex("^a", "abc"))', true],
  ['can(regex("^z", "abc"))', false],
];

describe('standard functions', () => {
  it.each(cases)('%s', (src, want) => {
    expect(run(src)).toEqual(want);
  });

  it('abspath resolves against the base directory', () => {
    expect(run('abspath("sub/x")')).toBe(`${dir}/sub/x`.split(path.sep).join('/'));
  });

  it('has at least one case for every function', () => {
    const sources = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const missing = [...Object.keys(standardFunctions), 'try', 'can'].filter(
      (name) => !new RegExp(`['"\\s(]${name}\\(`).test(sources),
    );
    expect(missing).toEqual([]);
  });

  it('offers no nondeterministic functions', () => {
    for (const name of ['uuid', 'timestamp', 'uuidv5', 'bcrypt', 'plantimestamp']) {
      expect(standardFunctions[name]).toBeUndefined();
    }
  });
});

type ErrCase = [src: string, summary: string, at: string, detail: string];

const errors: ErrCase[] = [
  ['length(1)', 'Invalid function argument', '1:8', 'argument 1 ("value") of function "length"'],
  ['length()', 'Invalid function argument', '1:1', 'missing value'],
  ['length(1, 2)', 'Invalid function argument', '1:11', 'too many arguments'],
  ['concat("a")', 'Invalid function argument', '1:8', 'list required'],
  ['merge({}, 1)', 'Invalid function argument', '1:11', 'argument 2'],
  ['keys([1])', 'Invalid function argument', '1:6', 'map or object required'],
  ['lookup({a = 1}, "b")', 'Invalid function argument', '1:17', 'lookup failed to find key "b"'],
  ['element([], 0)', 'Invalid function argument', '1:9', 'empty list'],
  ['element([1], -1)', 'Invalid function argument', '1:14', 'negative index'],
  ['index(["a"], "z")', 'Invalid function argument', '1:14', 'item not found'],
  ['coalesce(null, "")', 'Error in function call', '1:1', 'no non-null, non-empty-string arguments'],
  ['coalescelist([], [])', 'Error in function call', '1:1', 'no non-empty list arguments'],
  ['slice([1, 2], 1, 5)', 'Invalid function argument', '1:18', 'end index'],
  ['slice([1, 2], 2, 1)', 'Invalid function argument', '1:15', 'start index'],
  ['zipmap(["a"], [1, 2])', 'Invalid function argument', '1:15', 'does not match'],
  ['sum([])', 'Invalid function argument', '1:5', 'empty list'],
  ['sum(["x"])', 'Invalid function argument', '1:5', 'list of numbers'],
  ['range(1, 5, 0)', 'Invalid function argument', '1:13', 'step must not be zero'],
  ['range(0, 5000)', 'Error in function call', '1:1', 'more than 1024'],
  ['min()', 'Invalid function argument', '1:1', 'at least 1 argument'],
  ['upper([])', 'Invalid function argument', '1:7', 'string required, but have tuple'],
  ['upper(null)', 'Invalid function argument', '1:7', 'must not be null'],
  ['join(",", [null])', 'Invalid function argument', '1:11', 'element 0 is null'],
  ['join(",")', 'Invalid function argument', '1:1', 'missing value'],
  ['regex("[", "x")', 'Invalid function argument', '1:7', 'invalid regular expression'],
  ['regex("x", "abc")', 'Error in function call', '1:1', 'did not match'],
  ['regex("(?P<a>x)(y)", "xy")', 'Invalid function argument', '1:7', 'named or only unnamed'],
  ['tonumber("abc")', 'Invalid function argument', '1:10', 'cannot convert "abc" to number'],
  ['tobool("yes")', 'Invalid function argument', '1:8', 'cannot convert "yes" to bool'],
  ['tostring([])', 'Invalid function argument', '1:10', 'cannot convert tuple to string'],
  ['tolist({})', 'Invalid function argument', '1:8', 'cannot convert object to list'],
  ['tomap([])', 'Invalid function argument', '1:7', 'cannot convert tuple to map'],
  ['tolist([1, [2]])', 'Invalid function argument', '1:8', 'same type'],
  ['sort([[1]])', 'Invalid function argument', '1:6', 'list of strings'],
  ['jsondecode("{")', 'Invalid function argument', '1:12', 'invalid JSON'],
  ['yamldecode("a: [")', 'Invalid function argument', '1:12', 'invalid YAML'],
  ['yamldecode("a: 1\\n---\\nb: 2")', 'Invalid function argument', '1:12', 'more than one YAML document'],
  ['base64decode("!!")', 'Invalid function argument', '1:14', 'not valid base64'],
  ['base64decode("/w==")', 'Invalid function argument', '1:14', 'not valid UTF-8'],
  ['file("nope.txt")', 'Invalid function argument', '1:6', 'no file exists at "nope.txt"'],
  ['file("sub")', 'Invalid function argument', '1:6', 'is a directory'],
  ['file("latin1.bin")', 'Invalid function argument', '1:6', 'not valid UTF-8'],
  ['fileexists("sub")', 'Invalid function argument', '1:12', 'is a directory'],
  ['templatefile("nope.j2", {})', 'Invalid function argument', '1:14', 'no file exists'],
  ['templatefile("t.j2", [])', 'Invalid function argument', '1:22', 'map or object required'],
  ['format("%d", "x")', 'Invalid function argument', '1:14', 'number required'],
  ['format("%d", 1.5)', 'Invalid function argument', '1:14', 'integer'],
  ['format("%s")', 'Error in function call', '1:1', 'not enough arguments'],
  ['format("%s", "a", "b")', 'Error in function call', '1:1', 'too many arguments'],
  ['format("%y", 1)', 'Invalid function argument', '1:8', 'unrecognized format verb'],
  ['formatlist("%s%s", ["a"], ["b", "c"])', 'Invalid function argument', '1:27', 'inconsistent'],
  ['one([1, 2])', 'Invalid function argument', '1:5', 'zero or one'],
  ['parseint("zz", 10)', 'Invalid function argument', '1:10', 'cannot parse'],
  ['indent(-1, "x")', 'Invalid function argument', '1:8', 'must not be negative'],
  ['nosuch(1)', 'Call to unknown function', '1:1', 'There is no function named "nosuch".'],
  ['lenght("x")', 'Call to unknown function', '1:1', 'Did you mean "length"?'],
  ['try()', 'Invalid function argument', '1:1', 'at least one argument'],
  ['try(nope, 1 / 0)', 'Error in function call', '1:1', 'no expression succeeded'],
  ['can(1, 2)', 'Invalid function argument', '1:8', 'exactly one argument'],
  ['max(1...)', 'Invalid expanding argument value', '1:5', 'tuple, list, or set'],
];

describe('function errors', () => {
  it.each(errors)('%s → %s at %s', (src, summary, at, detail) => {
    const e = evErr(src, VARS, dir);
    expect(e.summary).toBe(summary);
    expect(e.at).toBe(at);
    expect(e.detail).toContain(detail);
  });

  it('names the template file and line when a template fails', () => {
    const e = evErr('templatefile("bad.j2", {})', VARS, dir);
    expect(e.summary).toBe('Error in template bad.j2 at line 2');
    expect(e.detail).toContain('undefined');
  });

  it('try() lists every failure with its position', () => {
    const e = evErr('try(nope, 1 / 0)', VARS, dir);
    expect(e.detail).toContain('test.hcl:1:5: Reference to undeclared name "nope"');
    expect(e.detail).toContain('test.hcl:1:15: Operation failed');
  });
});
