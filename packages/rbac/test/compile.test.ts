import t from 'tap';
import { compileRules, firstMatchingRule, ruleFailure, ruleMatches } from '../src/compile.js';
import { loadPolicies } from '../src/model.js';
import { RequestContext } from '../src/request.js';

const pol = (spec: Record<string, unknown>) => loadPolicies([{ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'foo' }, spec }])[0]!;
const ctx = () => new RequestContext({ destination: { namespace: 'foo', port: 80 }, source: { principal: 'td/ns/bar/sa/x', ip: '10.0.0.1' }, http: { method: 'GET', path: '/' } });

t.test('rules compile to clauses with field paths; L4 marks rules that can never match', async (t) => {
  const p = pol({ action: 'DENY', rules: [{ from: [{ source: { principals: ['a'] } }], to: [{ operation: { methods: ['GET'] } }] }, {}, {}] });
  const l7 = compileRules(p, { engine: 'l7', trustDomain: 'cluster.local' });
  t.equal(l7[0]!.never, null);
  t.same(l7[0]!.clauses.map((c) => c.path), ['rules[0].from', 'rules[0].to']);
  t.equal(ruleFailure(l7[0]!, ctx()), 'rules[0].from[0].source.principals did not match');
  t.equal(l7[2]!.dupOf, 1, 'identical rules are evaluated once');
  t.equal(firstMatchingRule(l7, ctx()), 1);
  const l4 = compileRules(p, { engine: 'l4', trustDomain: 'cluster.local' });
  t.match(l4[0]!.never, /rules\[0\]\.to has only HTTP attributes/);
  t.notOk(ruleMatches(l4[0]!, ctx()));
  t.equal(ruleFailure(l4[0]!, ctx()), l4[0]!.never);
  t.equal(ruleFailure(l4[1]!, ctx()), null);
  const allow = compileRules(pol({ rules: [{ to: [{ operation: { paths: ['/x'] } }] }] }), { engine: 'l4', trustDomain: 'cluster.local' });
  t.match(allow[0]!.never, /dropped from ALLOW policies/);
  t.equal(firstMatchingRule(allow, ctx()), -1);
});

t.test('anyStringMatcher agrees with matchString over every combination', async (t) => {
  const { anyStringMatcher } = await import('../src/compile.js');
  const { parseStringMatcher, matchString } = await import('../src/match.js');
  const values = ['*', 'abc', 'ab*', '*bc', 'x', 'x*', '*y'];
  const inputs = ['', 'abc', 'abx', 'zbc', 'x', 'xy', 'y', 'q'];
  for (let mask = 1; mask < 1 << values.length; mask++) {
    const ms = values.filter((_v, i) => mask & (1 << i)).map(parseStringMatcher);
    const any = anyStringMatcher(ms);
    for (const s of inputs) if (any(s) !== ms.some((m) => matchString(m, s))) t.fail(`mask ${mask} input ${s}`);
  }
  t.ok(anyStringMatcher([{ kind: 'presence' }, { kind: 'exact', value: '' }])(''));
  t.pass('all combinations agree');
});
