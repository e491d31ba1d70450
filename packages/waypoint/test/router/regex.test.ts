import t from 'tap';
import { compileRe2, re2RewriteToJs } from '../../src/router/regex.js';

const ok = (src: string) => {
  const r = compileRe2(src);
  if (!r.ok) throw new Error(`${src}: ${r.error}`);
  return r.value.re;
};

t.test('full match semantics', async (t) => {
  t.ok(ok('/a/\\d+').test('/a/12'));
  t.notOk(ok('/a/\\d+').test('/a/12/b'));
  t.notOk(ok('a|b').test('ab'), 'alternation is anchored as a whole');
  t.ok(ok('a|b').test('b'));
});

t.test('RE2-only syntax is translated', async (t) => {
  t.ok(ok('(?P<id>\\d+)').test('42'), '(?P<name>');
  t.ok(ok('(?i)abc').test('ABC'), 'leading (?i)');
  t.ok(ok('(?s)a.b').test('a\nb'), 'leading (?s)');
  t.ok(ok('\\Aab\\z').test('ab'), '\\A and \\z');
  t.notOk(ok('\\s').test('\u00a0'), 'RE2 \\s is ASCII only');
  t.ok(ok('\\s').test(' '));
  t.ok(ok('[\\s,]+').test(' ,\t'), '\\s inside a class');
  t.ok(ok('\\S+').test('abc'));
  t.ok(ok('[]a]').test(']'), 'a leading ] in a class is literal');
  t.ok(ok('[^]a]').test('b'));
  t.ok(ok('a{2,1000}').test('aa'));
  t.ok(ok('(?:x)(?<n>y)').test('xy'));
});

t.test('constructs RE2 lacks or this implementation cannot mirror are rejected', async (t) => {
  for (const [src, why] of [
    ['(a)\\1', /backreference/],
    ['a(?=b)', /lookahead/],
    ['a(?!b)', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /lookbehind/],
    ['a(?i)b', /only supported at the start/],
    ['(?U)a+', /ungreedy/],
    ['\\Qa.b\\E', /quoting/],
    ['\\C', /any byte/],
    ['\\pL', /Unicode class/],
    ['\\x{41}', /\\x\{/],
    ['[[:alpha:]]', /POSIX/],
    ['a{1001}', /1000/],
    ['a{1,1001}', /1000/],
    ['\\k<n>', /named backreference/],
    ['[\\S]', /\\S inside/],
    ['[\\z]', /\\z inside/],
    ['[\\A]', /\\A inside/],
    ['abc\\', /trailing backslash/],
    ['[abc', /missing closing/],
    ['a**', /Nothing to repeat|repeat/],
    ['(', /Unterminated group|unterminated/i],
  ] as const) {
    const r = compileRe2(src);
    t.notOk(r.ok, src);
    if (!r.ok) t.match(r.error, why, src);
  }
});

t.test('rewrite templates: \\1 -> $1, $ escaped', async (t) => {
  t.equal(re2RewriteToJs('\\2/x/\\1'), '$2/x/$1');
  t.equal(re2RewriteToJs('a$b'), 'a$$b');
  t.equal(re2RewriteToJs('a\\\\b'), 'a\\b');
  t.equal(re2RewriteToJs('a\\b'), 'a\\b');
});
