import t from 'tap';
import {
  cidrContains, compilePathTemplate, escapeRegExp, formatCidr, isPathTemplate, lowerMatcher, matchString, normalizePath, parseCidr, parseIp,
  parsePort, parseStringMatcher, parseV4Slow, pathTemplateProblems,
} from '../src/match.js';

t.test('string value syntax, in order: presence, suffix, prefix, exact', async (t) => {
  const rows: [string, string, boolean][] = [
    ['*', 'x', true], ['*', '', false], ['*abc', 'xabc', true], ['*abc', 'abcx', false], ['abc*', 'abcx', true], ['abc*', 'xabc', false],
    ['abc', 'abc', true], ['abc', 'abcd', false], ['a*c', 'abc', false], ['a*c', 'a*c', true], ['**', '*', true], ['**', 'x', false],
  ];
  for (const [v, s, want] of rows) t.equal(matchString(parseStringMatcher(v), s), want, `${v} ~ ${s}`);
  t.same(parseStringMatcher('*'), { kind: 'presence' });
  t.same(lowerMatcher(parseStringMatcher('AbC*')), { kind: 'prefix', value: 'abc' });
  t.same(lowerMatcher({ kind: 'presence' }), { kind: 'presence' });
});

t.test('IP and CIDR parsing and containment', async (t) => {
  t.same(Array.from(parseIp('10.0.0.1')!), [10, 0, 0, 1]);
  for (const bad of ['10.0.0', '10.0.0.256', '01.0.0.1', 'x', '', '1::2::3', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', 'gggg::1']) t.equal(parseIp(bad), null, bad);
  t.equal(parseIp('::')!.length, 16);
  t.same(Array.from(parseIp('::ffff:1.2.3.4')!.slice(12)), [1, 2, 3, 4]);
  t.same(Array.from(parseIp('1:2:3:4:5:6:7:8')!.slice(0, 2)), [0, 1]);
  t.equal(parseCidr('10.0.0.0/33'), null);
  t.equal(parseCidr('10.0.0.0/x'), null);
  t.equal(parseCidr('nope/8'), null);
  t.equal(formatCidr(parseCidr('10.1.2.3/8')!), '10.0.0.0/8', 'host bits masked');
  t.equal(formatCidr(parseCidr('fd00::1/16')!), 'fd00:0:0:0:0:0:0:0/16');
  const c = parseCidr('10.1.0.0/15')!;
  t.ok(cidrContains(c, parseIp('10.1.255.1')!));
  t.notOk(cidrContains(c, parseIp('10.2.0.1')!));
  t.notOk(cidrContains(c, parseIp('::1')!));
  t.ok(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('1.2.3.4')!));
  t.ok(cidrContains(parseCidr('fd00::/8')!, parseIp('fd12::1')!));
});

t.test('ports', async (t) => {
  t.equal(parsePort('0'), 0);
  t.equal(parsePort('65535'), 65535);
  for (const bad of ['65536', '-1', '80a', '', '1.5']) t.equal(parsePort(bad), null, bad);
});

t.test('path normalisation (A8)', async (t) => {
  const rows: [string, string][] = [
    ['/a?b=c', '/a'], ['/a#frag', '/a'], ['', '/'], ['a', '/a'], ['/a/./b', '/a/b'], ['/a/b/../c', '/a/c'], ['/../a', '/a'], ['/a/..', '/'],
    ['/a/.', '/a/'], ['/%61%2D%7e%5F%2e', '/a-~_.'], ['/a%2Fb', '/a%2Fb'], ['/a%5Cb', '/a%5Cb'], ['\\a\\b', '/a/b'], ['//a', '//a'], ['/%41', '/A'],
  ];
  for (const [raw, want] of rows) t.same(normalizePath(raw), { ok: true, path: want }, raw);
  t.same(normalizePath('/a%00'), { ok: false, error: 'path contains %00' });
});

t.test('path templates', async (t) => {
  t.ok(isPathTemplate('/a/{*}'));
  t.notOk(isPathTemplate('/a/*'));
  t.same(pathTemplateProblems('/a/{*}/b/{**}'), []);
  t.match(pathTemplateProblems('/a/{**}/{*}'), [/must be the last operator/]);
  t.match(pathTemplateProblems('/a/x{*}'), [/segment "x\{\*\}"/]);
  t.match(pathTemplateProblems('/a/*/{*}'), [/segment "\*"/]);
  const re = compilePathTemplate('/a.b/{*}/{**}');
  t.ok(re.test('/a.b/x/y/z'));
  t.ok(re.test('/a.b/x/'));
  t.notOk(re.test('/aXb/x/y'));
  t.equal(escapeRegExp('a.b*'), 'a\\.b\\*');
});

t.test('the one-pass IPv4 parser agrees with the split-based one', async (t) => {
  const samples = ['1.2.3.4', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1..3.4', '.1.2.3', '1.2.3.', '1.2.3.04', '10.0.0.1a', ' 1.2.3.4', '1.2.3.4 ', '', '1234.1.1.1', '0.00.0.0', '9.99.199.249'];
  for (let i = 0; i < 2000; i++) {
    const alphabet = '0123456789..x';
    let s = '';
    for (let k = 0; k < 1 + ((i * 7919) % 15); k++) s += alphabet[(i * 31 + k * 17 + ((i * k) % 13)) % alphabet.length];
    samples.push(s);
  }
  let mismatches = 0;
  for (const s of samples) {
    const a = parseIp(s);
    const b = parseV4Slow(s);
    if (JSON.stringify(a && Array.from(a)) !== JSON.stringify(b && Array.from(b))) {
      mismatches++;
      t.fail(`"${s}": ${String(a)} vs ${String(b)}`);
    }
  }
  t.equal(mismatches, 0, `${samples.length} strings`);
});
