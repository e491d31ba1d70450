import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import { createAuthorizer } from '../src/engine.js';
import { loadPolicies, type Policy } from '../src/model.js';
import type { AuthzRequest } from '../src/request.js';
import {
  WireAuthorizer, emptyMatch, isEmptyMatch, toWireAuthorization, toWireStringMatch, wireMatches, wireScope, workloadPolicyNames,
  type Authorization, type WireGroup,
} from '../src/wire.js';
import { rng } from './fixtures/rng.js';

const P = (name: string, ns: string, spec: Record<string, unknown>, annotations?: Record<string, string>) => ({
  apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) }, spec,
});
const one = (raw: unknown): Policy => loadPolicies([raw])[0]!;
const conn = { srcIdentity: 'cluster.local/ns/bar/sa/client', srcIp: '10.0.1.1', dstIp: '10.0.0.2', dstPort: 8080 };
const auth = (groups: WireGroup[], extra: Partial<Authorization> = {}): Authorization => ({ name: 'p', namespace: 'foo', scope: 'NAMESPACE', action: 'ALLOW', groups, dryRun: false, ...extra });

t.test('ztunnel algebra: [] false, [[]] true, [[[]]] true, [[[Match{}]]] false', async (t) => {
  t.equal(wireMatches(auth([]), conn), false);
  t.equal(wireMatches(auth([{ rules: [] }]), conn), true);
  t.equal(wireMatches(auth([{ rules: [{ matches: [] }] }]), conn), true);
  t.equal(wireMatches(auth([{ rules: [{ matches: [emptyMatch()] }] }]), conn), false);
  const ports = { ...emptyMatch(), destinationPorts: [8080] };
  t.equal(wireMatches(auth([{ rules: [{ matches: [emptyMatch(), ports] }] }]), conn), true, 'empty Matches are skipped, others still count');
  t.equal(wireMatches(auth([{ rules: [{ matches: [ports] }, { matches: [{ ...emptyMatch(), notDestinationPorts: [8080] }] }] }]), conn), false, 'clauses ANDed');
  t.equal(wireMatches(auth([{ rules: [{ matches: [{ ...emptyMatch(), notPrincipals: [{ presence: {} }] }] }] }]), { ...conn, srcIdentity: null }), true, 'plaintext has no principal');
  t.equal(wireMatches(auth([{ rules: [{ matches: [{ ...emptyMatch(), notNamespaces: [{ presence: {} }] }] }] }]), { ...conn, srcIdentity: null }), true);
  t.equal(wireMatches(auth([{ rules: [{ matches: [{ ...emptyMatch(), namespaces: [{ exact: 'bar' }], principals: [{ suffix: '/sa/client' }], serviceAccounts: [{ namespace: 'bar', serviceAccount: 'client' }], sourceIps: [{ address: new Uint8Array([10, 0, 0, 0]), length: 8 }], destinationIps: [{ address: new Uint8Array([10, 0, 0, 2]), length: 32 }] }] }] }]), conn), true);
  t.equal(wireMatches(auth([{ rules: [{ matches: [{ ...emptyMatch(), notSourceIps: [{ address: new Uint8Array([10, 0, 0, 0]), length: 8 }] }] }] }]), conn), false);
  t.equal(wireMatches(auth([{ rules: [{ matches: [{ ...emptyMatch(), notServiceAccounts: [{ namespace: 'bar', serviceAccount: 'client' }] }] }] }]), conn), false);
  t.equal(wireMatches(auth([{ rules: [{ matches: [{ ...emptyMatch(), principals: [{ prefix: 'cluster.local/' }] }] }] }]), { ...conn, srcIdentity: 'spiffe://cluster.local/ns/a/sa/b' }), true, 'spiffe:// stripped');
  t.ok(isEmptyMatch(emptyMatch()));
});

t.test('string values become StringMatch', async (t) => {
  t.same(toWireStringMatch('*'), { presence: {} });
  t.same(toWireStringMatch('*x'), { suffix: 'x' });
  t.same(toWireStringMatch('x*'), { prefix: 'x' });
  t.same(toWireStringMatch('x'), { exact: 'x' });
});

t.test('scope: selector → WORKLOAD_SELECTOR, root → GLOBAL, else NAMESPACE', async (t) => {
  t.equal(wireScope(one(P('a', 'istio-system', {}))), 'GLOBAL');
  t.equal(wireScope(one(P('a', 'foo', {}))), 'NAMESPACE');
  t.equal(wireScope(one(P('a', 'istio-system', { selector: { matchLabels: { app: 'x' } } }))), 'WORKLOAD_SELECTOR');
  t.equal(wireScope(one(P('a', 'mesh', {})), 'mesh'), 'GLOBAL');
});

t.test('conversion of a full L4 rule (handleRule)', async (t) => {
  const p = one(P('r', 'foo', {
    action: 'DENY',
    rules: [{
      from: [{ source: { principals: ['cluster.local/ns/a/sa/b'], notNamespaces: ['x*'], ipBlocks: ['10.0.0.0/8'], notIpBlocks: ['fd00::1'] } }, { source: { serviceAccounts: ['sa1', 'ns2/sa2'] } }],
      to: [{ operation: { ports: ['80'], notPorts: ['81'] } }],
      when: [{ key: 'destination.ip', values: ['10.0.0.2'] }, { key: 'destination.port', notValues: ['9'] }, { key: 'source.namespace', values: ['bar'] }, { key: 'source.principal', notValues: ['*'] }, { key: 'source.ip', values: ['10.1.0.0/16'] }],
    }],
  }));
  const { authorization: a, status } = toWireAuthorization(p);
  t.same(status, []);
  t.equal(a!.action, 'DENY');
  t.equal(a!.scope, 'NAMESPACE');
  const clauses = a!.groups[0]!.rules;
  t.equal(clauses.length, 2 + 5, 'to, from, then one clause per when');
  t.same(clauses[0]!.matches.map((m) => [m.destinationPorts, m.notDestinationPorts]), [[[80], [81]]]);
  const [m1, m2] = clauses[1]!.matches;
  t.same(m1!.principals, [{ exact: 'cluster.local/ns/a/sa/b' }]);
  t.same(m1!.notNamespaces, [{ prefix: 'x' }]);
  t.same(Array.from(m1!.sourceIps[0]!.address), [10, 0, 0, 0]);
  t.equal(m1!.sourceIps[0]!.length, 8);
  t.equal(m1!.notSourceIps[0]!.address.length, 16);
  t.same(m2!.serviceAccounts, [{ namespace: 'foo', serviceAccount: 'sa1' }, { namespace: 'ns2', serviceAccount: 'sa2' }]);
  t.equal(clauses[2]!.matches[0]!.destinationIps[0]!.length, 32);
  t.same(clauses[3]!.matches[0]!.notDestinationPorts, [9]);
  t.same(clauses[4]!.matches[0]!.namespaces, [{ exact: 'bar' }]);
  t.same(clauses[5]!.matches[0]!.notPrincipals, [{ presence: {} }]);
  t.equal(clauses[6]!.matches[0]!.sourceIps[0]!.length, 16);
});

t.test('ALLOW rules with HTTP attributes are dropped; an empty rule is a group without clauses', async (t) => {
  const { authorization, status } = toWireAuthorization(one(P('a', 'foo', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }, {}] })));
  t.same(authorization!.groups, [{ rules: [] }]);
  t.match(status, [/rules matching HTTP attributes are omitted/]);
  const allDropped = toWireAuthorization(one(P('a', 'foo', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })));
  t.same(allDropped.authorization!.groups, [], 'applies and matches nothing: deny by default');
});

t.test('DENY rules keep their L4 part; HTTP-only clauses become empty Matches; status messages', async (t) => {
  const mixed = toWireAuthorization(one(P('d', 'foo', { action: 'DENY', rules: [{ from: [{ source: { principals: ['x'], notRequestPrincipals: ['*'] } }] }] })));
  t.same(mixed.authorization!.groups[0]!.rules[0]!.matches[0]!.principals, [{ exact: 'x' }]);
  t.match(mixed.status, [/enforced without the HTTP rules/]);
  const none = toWireAuthorization(one(P('d', 'foo', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'] } }] }, { when: [{ key: 'request.headers[a]', values: ['b'] }] }] })));
  t.equal(none.authorization!.groups.length, 2);
  t.ok(isEmptyMatch(none.authorization!.groups[0]!.rules[0]!.matches[0]!));
  t.match(none.status, [/no enforceable rules at ztunnel and will have no effect/]);
  t.equal(wireMatches(none.authorization!, conn), false);
});

t.test('what istiod does not send to ztunnel', async (t) => {
  t.equal(toWireAuthorization(one(P('a', 'foo', { targetRefs: [{ kind: 'Service', group: '', name: 'x' }] }))).authorization, null);
  const c = toWireAuthorization(one(P('a', 'foo', { action: 'CUSTOM', provider: { name: 'x' }, rules: [{}] })));
  t.equal(c.authorization, null);
  t.match(c.status, [/does not support the CUSTOM action/]);
  t.match(toWireAuthorization(one(P('a', 'foo', { action: 'AUDIT', rules: [{}] }))).status, [/AUDIT/]);
  const dry = one(P('a', 'foo', { action: 'DENY', rules: [{}] }, { 'istio.io/dry-run': 'true' }));
  t.equal(toWireAuthorization(dry).authorization, null);
  t.match(toWireAuthorization(dry).status, [/dry-run/]);
  t.equal(toWireAuthorization(dry, { enableDryRun: true }).authorization!.dryRun, true);
});

t.test('workloadPolicyNames lists matching selector policies of the workload and root namespaces', async (t) => {
  const ps = loadPolicies([
    P('s1', 'foo', { selector: { matchLabels: { app: 'web' } } }),
    P('s2', 'istio-system', { selector: { matchLabels: { app: 'web' } } }),
    P('s3', 'other', { selector: { matchLabels: { app: 'web' } } }),
    P('s4', 'foo', { selector: { matchLabels: { app: 'db' } } }),
    P('ns', 'foo', {}),
    P('dry', 'foo', { selector: { matchLabels: { app: 'web' } } }, { 'istio.io/dry-run': 'true' }),
    P('c', 'foo', { selector: { matchLabels: { app: 'web' } }, action: 'AUDIT', rules: [{}] }),
  ]);
  t.same(workloadPolicyNames(ps, { namespace: 'foo', labels: { app: 'web' } }), ['foo/s1', 'istio-system/s2']);
  t.same(workloadPolicyNames(ps, { namespace: 'foo', labels: { app: 'web' } }, { enableDryRun: true }), ['foo/s1', 'istio-system/s2', 'foo/dry']);
});

t.test('WireAuthorizer: applicable = namespace ∪ global ∪ listed; decision order', async (t) => {
  const deny = (name: string, ns: string, scope: Authorization['scope'], port: number, dryRun = false): Authorization =>
    auth([{ rules: [{ matches: [{ ...emptyMatch(), destinationPorts: [port] }] }] }], { name, namespace: ns, scope, action: 'DENY', dryRun });
  const w = new WireAuthorizer([
    deny('g', 'istio-system', 'GLOBAL', 1),
    deny('n', 'foo', 'NAMESPACE', 2),
    deny('other', 'bar', 'NAMESPACE', 8080),
    deny('sel', 'foo', 'WORKLOAD_SELECTOR', 3),
    deny('dry', 'foo', 'NAMESPACE', 8080, true),
    auth([], { name: 'allow-nothing', namespace: 'baz', scope: 'NAMESPACE' }),
  ]);
  const wl = { namespace: 'foo', authorizationPolicies: ['foo/sel', 'foo/missing'] };
  let d = w.check(conn, wl);
  t.equal(d.decision, 'ALLOW');
  t.same(d.dryRun, [{ policy: 'foo/dry', action: 'DENY', matched: true, ruleIndex: 0 }]);
  for (const [port, policy] of [[1, 'istio-system/g'], [2, 'foo/n'], [3, 'foo/sel']] as const) {
    d = w.check({ ...conn, dstPort: port }, wl);
    t.equal(d.policy, policy);
    t.equal(d.reason, 'explicitly-denied');
  }
  d = w.check(conn, { namespace: 'baz', authorizationPolicies: [] });
  t.equal(d.reason, 'not-allowed');
  const a = new WireAuthorizer([auth([{ rules: [] }], { name: 'all' })]);
  t.equal(a.check(conn, { namespace: 'foo', authorizationPolicies: [] }).reason, 'allowed');
});

// ---- randomized agreement: l4 engine on the policy == ztunnel algebra on istiod's conversion ---------------------

t.test('randomized: the wire-form evaluator agrees with l4 mode', async (t) => {
  const seed = 20261122;
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const some = <T>(xs: readonly T[], max = 2): T[] => Array.from({ length: 1 + Math.floor(r() * max) }, () => pick(xs));
  const chance = (p: number) => r() < p;
  const PRINC = ['cluster.local/ns/a/sa/x', 'cluster.local/ns/a/*', '*/sa/y', '*', 'cluster.local/ns/b/sa/y'];
  const NS = ['a', 'b', '*', 'a*', '*b', 'c'];
  const SA = ['a/x', 'x', 'b/y'];
  const IPS = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '192.168.0.0/16', 'fd00::/16'];
  const PORTS = ['80', '8080', '9090'];
  const WHEN: [string, readonly string[]][] = [
    ['source.ip', IPS], ['source.namespace', NS], ['source.principal', PRINC], ['destination.ip', IPS], ['destination.port', PORTS],
    ['request.headers[x]', ['v']], ['source.serviceAccount', SA], ['request.auth.claims[g]', ['a']],
  ];
  const source = () => {
    const s: Record<string, string[]> = {};
    const fields = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'ipBlocks', 'notIpBlocks', 'requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'trustDomains', 'serviceAccounts', 'notServiceAccounts'];
    const useSa = chance(0.2);
    do {
      for (const f of fields) {
        if (!chance(0.25)) continue;
        const isSa = f.endsWith('erviceAccounts');
        if (isSa !== useSa && (isSa || ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].includes(f))) continue;
        const pool: Record<string, readonly string[]> = {
          principals: PRINC, notPrincipals: PRINC, namespaces: NS, notNamespaces: NS, ipBlocks: IPS, notIpBlocks: IPS, remoteIpBlocks: IPS,
          requestPrincipals: ['*', 'iss/sub'], notRequestPrincipals: ['*', 'iss/sub'], trustDomains: ['cluster.local'], serviceAccounts: SA, notServiceAccounts: SA,
        };
        s[f] = some(pool[f]!);
      }
    } while (Object.keys(s).length === 0);
    return { source: s };
  };
  const operation = () => {
    const o: Record<string, string[]> = {};
    do {
      if (chance(0.4)) o['ports'] = some(PORTS);
      if (chance(0.2)) o['notPorts'] = some(PORTS);
      if (chance(0.2)) o['methods'] = ['GET'];
      if (chance(0.1)) o['paths'] = ['/x'];
      if (chance(0.1)) o['hosts'] = ['h'];
    } while (Object.keys(o).length === 0);
    return { operation: o };
  };
  const rule = () => {
    const rl: Record<string, unknown> = {};
    if (chance(0.6)) rl['from'] = Array.from({ length: 1 + Math.floor(r() * 2) }, source);
    if (chance(0.4)) rl['to'] = Array.from({ length: 1 + Math.floor(r() * 2) }, operation);
    if (chance(0.3)) rl['when'] = Array.from({ length: 1 + Math.floor(r() * 2) }, () => {
      const [key, vals] = pick(WHEN);
      return chance(0.5) ? { key, values: some(vals) } : chance(0.5) ? { key, notValues: some(vals) } : { key, values: some(vals), notValues: some(vals) };
    });
    return rl;
  };
  const IDS = [null, 'cluster.local/ns/a/sa/x', 'cluster.local/ns/b/sa/y', 'cluster.local/ns/a/sa/y', 'other.td/ns/c/sa/z'];
  const REQ_IPS = ['10.1.2.3', '10.2.0.1', '192.168.1.1', 'fd00::5'];
  let compared = 0;
  let denies = 0;
  for (let iter = 0; iter < 400; iter++) {
    const raws = Array.from({ length: 1 + Math.floor(r() * 5) }, (_x, i) => {
      const action = chance(0.05) ? 'CUSTOM' : chance(0.05) ? 'AUDIT' : pick(['ALLOW', 'DENY']);
      const nrules = action === 'ALLOW' ? Math.floor(r() * 3) : 1 + Math.floor(r() * 2);
      const spec: Record<string, unknown> = { action, rules: Array.from({ length: nrules }, rule) };
      if (action === 'CUSTOM') spec['provider'] = { name: 'ext' };
      if (chance(0.4)) spec['selector'] = { matchLabels: { app: pick(['x', 'y']) } };
      else if (chance(0.05)) spec['targetRefs'] = [{ kind: 'Service', group: '', name: 'svc' }];
      return P(`p${i}`, pick(['istio-system', 'a', 'b']), spec, chance(0.1) ? { 'istio.io/dry-run': 'true' } : undefined);
    });
    const policies = loadPolicies(raws);
    const l4 = createAuthorizer(policies, { mode: 'l4' });
    const auths = policies.map((p) => toWireAuthorization(p, { enableDryRun: true }).authorization).filter((a): a is Authorization => a !== null);
    const wire = new WireAuthorizer(auths, { decisionCacheSize: 16384 });
    const wireOff = new WireAuthorizer(auths); // the default: no cache
    const wireTiny = new WireAuthorizer(auths, { decisionCacheSize: 3 });
    for (let k = 0; k < 20; k++) {
      const req: AuthzRequest = {
        destination: { namespace: pick(['a', 'b']), labels: { app: pick(['x', 'y']) }, ip: pick(REQ_IPS), port: Number(pick(PORTS)) },
        source: { principal: pick(IDS), ip: pick(REQ_IPS) },
      };
      const want = l4.evaluate(req);
      const { trace: _trace, ...traced } = l4.evaluate(req, { trace: true });
      if (JSON.stringify(traced) !== JSON.stringify(want)) {
        t.fail(`seed ${seed} iteration ${iter}: fast path and traced path disagree`, { policies: raws, request: req, want, traced });
        return;
      }
      const got = wire.check(
        { srcIdentity: req.source!.principal ?? null, srcIp: req.source!.ip!, dstIp: req.destination.ip!, dstPort: req.destination.port! },
        { namespace: req.destination.namespace, authorizationPolicies: workloadPolicyNames(policies, req.destination, { enableDryRun: true }) },
      );
      // The decision cache never changes a decision (each request is asked twice, so the second one can hit).
      const conn = { srcIdentity: req.source!.principal ?? null, srcIp: req.source!.ip!, dstIp: req.destination.ip!, dstPort: req.destination.port! };
      const wl = { namespace: req.destination.namespace, authorizationPolicies: workloadPolicyNames(policies, req.destination, { enableDryRun: true }) };
      const off = wireOff.check(conn, wl);
      for (const [name, d] of [['cached', got], ['cached again', wire.check(conn, wl)], ['small cache', wireTiny.check(conn, wl)], ['small cache again', wireTiny.check(conn, wl)]] as const) {
        if (!isDeepStrictEqual(d, off)) {
          t.fail(`seed ${seed} iteration ${iter}: ${name} wire decision differs from the uncached one`, { policies: raws, request: req, got: d, want: off });
          return;
        }
      }
      compared++;
      if (want.decision === 'DENY') denies++;
      const sortDry = (d: typeof want) => d.dryRun.map((x) => `${x.policy}:${x.matched}`).sort();
      if (want.decision !== got.decision || want.reason !== got.reason || JSON.stringify(sortDry(want)) !== JSON.stringify(sortDry(got))) {
        t.fail(`seed ${seed} iteration ${iter}: l4 ${want.decision}/${want.reason} vs wire ${got.decision}/${got.reason}`, { policies: raws, request: req, want, got });
        return;
      }
    }
  }
  t.equal(compared, 8000);
  t.ok(denies > 800 && denies < 7200, `a mix of outcomes (${denies} denies)`);
});

t.test('WireAuthorizer decision cache: hits, the key, frozen values, the size bound, off', async (t) => {
  const deny = auth([{ rules: [{ matches: [{ ...emptyMatch(), sourceIps: [{ address: new Uint8Array([10, 0, 0, 0]), length: 8 }] }] }] }], { name: 'deny', action: 'DENY' });
  const w = new WireAuthorizer([deny], { decisionCacheSize: 2 });
  const conn = (srcIp: string) => ({ srcIdentity: 'cluster.local/ns/a/sa/x', srcIp, dstIp: '10.9.9.9', dstPort: 80 });
  const wl = { namespace: 'foo', authorizationPolicies: [] };
  const d1 = w.check(conn('10.1.1.1'), wl);
  t.equal(d1.decision, 'DENY');
  t.equal(w.check(conn('10.1.1.1'), wl), d1, 'the same frozen value from the cache');
  t.ok(Object.isFrozen(d1) && Object.isFrozen(d1.dryRun));
  t.equal(w.check(conn('192.168.1.1'), wl).decision, 'ALLOW', 'the source IP is part of the key');
  t.equal(w.check(conn('10.1.1.1'), { namespace: 'bar', authorizationPolicies: [] }).decision, 'ALLOW', 'so is the workload');
  t.same(w.cacheStats(), { hits: 1, misses: 3, uncached: 0, entries: 1, clears: 1, destinations: 0 }, 'the third entry cleared the 2-entry cache');
  const off = new WireAuthorizer([deny], { decisionCacheSize: 0 });
  off.check(conn('10.1.1.1'), wl);
  off.check(conn('10.1.1.1'), wl);
  t.same(off.cacheStats(), { hits: 0, misses: 0, uncached: 2, entries: 0, clears: 0, destinations: 0 });
});
