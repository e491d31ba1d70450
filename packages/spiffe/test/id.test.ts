import t from 'tap';
import { SpiffeId, SpiffeError, SpiffeErrorCode, trustDomainProblems } from '../src/index.js';

t.test('parses and formats the Istio form', async (t) => {
  const id = SpiffeId.parse('spiffe://cluster.local/ns/default/sa/sleep');
  t.equal(id.trustDomain, 'cluster.local');
  t.equal(id.path, '/ns/default/sa/sleep');
  t.equal(id.namespace, 'default');
  t.equal(id.serviceAccount, 'sleep');
  t.ok(id.isIstio);
  t.equal(id.toString(), 'spiffe://cluster.local/ns/default/sa/sleep');
  t.equal(JSON.stringify({ id }), '{"id":"spiffe://cluster.local/ns/default/sa/sleep"}');
  t.equal(id.principal, 'cluster.local/ns/default/sa/sleep');
  t.ok(id.equals('spiffe://cluster.local/ns/default/sa/sleep'));
  t.ok(id.equals(SpiffeId.istio('cluster.local', 'default', 'sleep')));
  t.ok(id.sameTrustDomain('cluster.local'));
  t.notOk(id.sameTrustDomain(SpiffeId.parse('spiffe://other.td/x')));
  t.ok(Object.isFrozen(id));
});

t.test('generic SPIFFE paths and trust-domain IDs', async (t) => {
  const g = SpiffeId.parse('spiffe://example.org/payments/web-1_a.b');
  t.equal(g.path, '/payments/web-1_a.b');
  t.notOk(g.isIstio);
  t.equal(g.namespace, undefined);
  const td = SpiffeId.parse('spiffe://example.org');
  t.equal(td.path, '');
  t.equal(td.principal, 'example.org');
  t.throws(() => SpiffeId.parse('spiffe://example.org/payments', { istio: true }), { code: SpiffeErrorCode.INVALID_ID });
  t.equal(SpiffeId.tryParse('nope'), undefined);
  t.equal(SpiffeId.tryParse('spiffe://a/b')?.toString(), 'spiffe://a/b');
});

t.test('principals without the scheme', async (t) => {
  t.equal(SpiffeId.fromPrincipal('cluster.local/ns/a/sa/b').toString(), 'spiffe://cluster.local/ns/a/sa/b');
  t.equal(SpiffeId.fromPrincipal('spiffe://cluster.local/ns/a/sa/b').principal, 'cluster.local/ns/a/sa/b');
  t.throws(() => SpiffeId.fromPrincipal('cluster.local/ns/a', { istio: true }), { code: SpiffeErrorCode.INVALID_ID });
});

t.test('rejects malformed IDs with every problem listed', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    ['http://cluster.local/ns/a/sa/b', /must start with "spiffe:\/\/"/],
    ['spiffe://', /trustDomain: must not be empty/],
    ['spiffe:///ns/a', /trustDomain: must not be empty/],
    ['spiffe://Cluster.Local/ns/a', /lowercase/],
    ['spiffe://td:8080/ns/a', /lowercase/],
    ['spiffe://user@td/x', /lowercase/],
    ['spiffe://td/ns//sa/b', /segment 1 is empty/],
    ['spiffe://td/ns/a/', /segment 2 is empty/],
    ['spiffe://td/a/../b', /relative segment/],
    ['spiffe://td/a/./b', /relative segment/],
    ['spiffe://td/a%20b', /may only contain/],
    ['spiffe://td/a?x=1', /may only contain/],
    ['spiffe://td/a#f', /may only contain/],
    ['spiffe://' + 'a'.repeat(256), /longer than 255/],
    ['spiffe://td/' + 'a'.repeat(2100), /longer than 2048 bytes/],
    [42, /must be a string/],
  ];
  for (const [value, re] of bad) {
    const err = t.throws(() => SpiffeId.parse(value as string)) as SpiffeError;
    t.ok(err instanceof SpiffeError, `${String(value).slice(0, 40)} throws SpiffeError`);
    t.equal(err.code, SpiffeErrorCode.INVALID_ID);
    t.match(err.details.join('\n'), re, `${String(value).slice(0, 40)}: ${re}`);
  }
  t.match(SpiffeId.problems('spiffe://td/ns/a', { istio: true, field: 'spec.id' })[0], /^spec\.id\.path: .* is not of the form/);
  t.same(trustDomainProblems('cluster.local'), []);
  t.equal(SpiffeId.problems('spiffe://A/./x').length, 2, 'collects every problem');
  t.throws(() => SpiffeId.istio('cluster.local', 'a/b', 'c'), { code: SpiffeErrorCode.INVALID_ID });
});
