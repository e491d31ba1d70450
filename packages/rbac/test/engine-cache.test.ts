// The decision cache and the per-destination memo (engine.ts): a cached decision is always the decision the
// uncached engine gives (randomized over policies with every attribute, dry-run, AUDIT, CUSTOM and l7 fields, and
// across policy updates), keys hold exactly what the applicable policies read, and the cache stays bounded.
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import { createAuthorizer, type Decision } from '../src/engine.js';
import { parsePolicy } from '../src/model.js';
import type { AuthzRequest, Mode } from '../src/request.js';
import { rng } from './fixtures/rng.js';

type Spec = Record<string, unknown>;
const P = (name: string, ns: string, spec: Spec, annotations?: Record<string, string>) => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
  spec,
});


const strip = (d: Decision) => {
  const { trace: _t, ...rest } = d;
  return rest;
};

t.test('randomized: cached decisions equal uncached ones (l4, l7, waypoint; dry-run, AUDIT, CUSTOM, l7 attributes, policy updates)', async (t) => {
  const r = rng(20261122);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const some = <T>(xs: readonly T[], max = 2): T[] => Array.from({ length: 1 + Math.floor(r() * max) }, () => pick(xs));
  const chance = (p: number) => r() < p;
  const PRINC = ['cluster.local/ns/a/sa/x', 'cluster.local/ns/a/*', '*/sa/y', '*', 'cluster.local/ns/b/sa/y'];
  const NSV = ['a', 'b', '*', 'a*', '*b', 'c'];
  const IPS = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '192.168.0.0/16', 'fd00::/16', '203.0.113.0/24'];
  const PORTS = ['80', '8080', '9090'];
  const WHEN: [string, readonly string[]][] = [
    ['source.ip', IPS], ['remote.ip', IPS], ['source.namespace', NSV], ['source.principal', PRINC], ['destination.ip', IPS],
    ['destination.port', PORTS], ['request.headers[x]', ['v', 'v,w', '*']], ['request.headers[:authority]', ['web:8080']],
    ['source.serviceAccount', ['a/x', 'x']], ['request.auth.claims[g]', ['a']], ['request.auth.principal', ['iss/sub']],
    ['connection.sni', ['*.example.com']], ['source.trustDomain', ['cluster.local']],
  ];
  const source = () => {
    const s: Record<string, string[]> = {};
    const pool: Record<string, readonly string[]> = {
      principals: PRINC, notPrincipals: PRINC, namespaces: NSV, notNamespaces: NSV, ipBlocks: IPS, notIpBlocks: IPS, remoteIpBlocks: IPS,
      notRemoteIpBlocks: IPS, requestPrincipals: ['*', 'iss/sub'], trustDomains: ['cluster.local'],
    };
    do for (const f of Object.keys(pool)) if (chance(0.2)) s[f] = some(pool[f]!);
    while (Object.keys(s).length === 0);
    return { source: s };
  };
  const operation = () => {
    const o: Record<string, string[]> = {};
    do {
      if (chance(0.4)) o['ports'] = some(PORTS);
      if (chance(0.15)) o['notPorts'] = some(PORTS);
      if (chance(0.25)) o['methods'] = some(['GET', 'POST']);
      if (chance(0.25)) o['paths'] = some(['/x', '/api/*', '/a/{*}/c', '*/health']);
      if (chance(0.2)) o['hosts'] = some(['web:8080', '*.example.com']);
      if (chance(0.1)) o['notPaths'] = ['/x'];
    } while (Object.keys(o).length === 0);
    return { operation: o };
  };
  const rule = () => {
    const out: Spec = {};
    if (chance(0.6)) out['from'] = Array.from({ length: 1 + Math.floor(r() * 2) }, source);
    if (chance(0.5)) out['to'] = Array.from({ length: 1 + Math.floor(r() * 2) }, operation);
    if (chance(0.4)) {
      out['when'] = Array.from({ length: 1 + Math.floor(r() * 2) }, () => {
        const [key, vals] = pick(WHEN);
        return chance(0.7) ? { key, values: some(vals) } : { key, notValues: some(vals) };
      });
    }
    return out;
  };
  let serial = 0;
  const policy = (): ReturnType<typeof P> => {
    for (;;) {
      const p = candidate();
      if (parsePolicy(p).errors.length === 0) return p; // keep the valid ones (validation is tested elsewhere)
    }
  };
  const candidate = () => {
    const ns = pick(['foo', 'bar', 'istio-system']);
    const action = pick(['ALLOW', 'ALLOW', 'DENY', 'DENY', 'AUDIT', 'CUSTOM']);
    const spec: Spec = { action, rules: chance(0.1) ? [] : Array.from({ length: 1 + Math.floor(r() * 2) }, rule) };
    if (action === 'CUSTOM') {
      spec['provider'] = { name: pick(['ext', 'ext', 'missing']) };
      spec['rules'] = [{ to: [operation()] }]; // CUSTOM rules cannot use identity fields
    }
    if (action === 'AUDIT' && chance(0.5)) spec['rules'] = [{ to: [operation()] }];
    const sel = r();
    if (sel < 0.5) spec['selector'] = { matchLabels: pick([{ app: 'web' }, { app: 'db' }, { app: 'web', version: 'v1' }, { version: 'v1' }]) };
    else if (sel < 0.6) spec['targetRefs'] = [{ kind: 'Service', group: '', name: 'web' }];
    return P(`p${serial++}`, ns, spec, chance(0.15) ? { 'istio.io/dry-run': 'true' } : undefined);
  };
  const jwts = [null, { issuer: 'iss', subject: 'sub', claims: { g: 'a' } }, { issuer: 'iss', subject: 'other', claims: { g: ['b', 'a'] } }];
  const request = (): AuthzRequest => ({
    destination: {
      namespace: pick(['foo', 'bar', 'istio-system', 'other']),
      labels: pick<Record<string, string> | undefined>([{ app: 'web' }, { app: 'web', version: 'v1' }, { app: 'db' }, { version: 'v1' }, undefined]),
      ip: pick(['10.0.0.2', '10.1.2.3', '192.168.3.4', undefined]),
      port: pick([80, 8080, 9090, undefined]),
      service: { name: 'web', namespace: pick(['foo', 'bar']) },
    },
    source: {
      principal: pick([null, 'cluster.local/ns/a/sa/x', 'cluster.local/ns/b/sa/y', 'other.td/ns/a/sa/x', 'spiffe://cluster.local/ns/a/sa/x', 'weird']),
      ip: pick(['10.1.2.3', '10.9.9.9', '192.168.1.1', 'fd00::1', '203.0.113.7']),
      ...(chance(0.3) ? { remoteIp: pick(['203.0.113.9', '10.1.2.3']) } : {}),
    },
    http: {
      method: pick(['GET', 'POST', 'GET', 'get']),
      path: pick(['/x', '/x?y=1', '/a/b/c', '/a/../x', '/api/v1', '/%00', '/k8s/health']),
      host: pick(['web:8080', 'WEB:8080', 'a.example.com']),
      headers: pick<Record<string, string | string[]>>([{ x: 'v' }, { X: 'v', x: 'w' }, { x: ['v', 'w'] }, {}, { y: 'z' }]),
      jwt: pick(jwts),
    },
    ...(chance(0.5) ? { connection: { sni: pick(['a.example.com', 'b.other']) } } : {}),
  });
  // A CUSTOM provider whose answer depends on the request (so a cached CUSTOM decision would show).
  const providers = { ext: (req: AuthzRequest) => (req.source?.ip === '10.9.9.9' || req.http?.path === '/x' ? 'DENY' as const : 'ALLOW' as const) };

  let compared = 0;
  let hits = 0;
  let clears = 0;
  let changedByUpdate = 0;
  let denies = 0;
  for (let set = 0; set < 60; set++) {
    let policies = Array.from({ length: 1 + Math.floor(r() * 6) }, policy);
    const reqs = Array.from({ length: 40 }, request);
    for (const mode of ['l4', 'l7', 'waypoint'] as Mode[]) {
      let before: Decision[] | null = null;
      for (let update = 0; update < 2; update++) {
        const cached = createAuthorizer(policies, { mode, providers, decisionCacheSize: 16384 });
        const tiny = createAuthorizer(policies, { mode, providers, decisionCacheSize: 5 });
        const off = createAuthorizer(policies, { mode, providers }); // the default: no cache
        const now: Decision[] = [];
        // Three passes over the same requests: the first fills the cache, the others hit it.
        for (let pass = 0; pass < 3; pass++) {
          for (const q of reqs) {
            const want = strip(off.evaluate(q, { trace: true }));
            const a = cached.evaluate(q);
            const b = tiny.evaluate(q);
            const c = off.evaluate(q);
            if (!isDeepStrictEqual(a, want) || !isDeepStrictEqual(b, want) || !isDeepStrictEqual(c, want)) {
              t.strictSame({ cached: a, small: b, off: c }, { cached: want, small: want, off: want }, `set ${set} ${mode} update ${update}: ${JSON.stringify({ policies, q })}`);
              return;
            }
            denies += want.decision === 'DENY' ? 1 : 0;
            if (pass === 0) now.push(a);
            compared++;
          }
        }
        const st = cached.cacheStats();
        hits += st.hits;
        clears += tiny.cacheStats().clears;
        if (tiny.cacheStats().entries > 5) t.fail('the small cache stays within its size');
        if (off.cacheStats().hits + off.cacheStats().entries !== 0) t.fail('decisionCacheSize 0: no cache');
        if (before !== null) changedByUpdate += now.filter((d, i) => d.decision !== before![i]!.decision).length;
        before = now;
        // A policy update: a new policy set, a new authorizer (its cache starts empty; the old one is unaffected).
        policies = [...policies.slice(1), policy()];
      }
    }
  }
  t.equal(compared, 60 * 3 * 2 * 3 * 40, `${compared} comparisons of cached (default and 5-entry caches) with uncached and traced decisions, all equal`);
  t.ok(denies > compared / 5 && denies < (compared * 4) / 5, `a mix of outcomes (${denies} denies)`);
  t.ok(hits > compared / 10, `the cache was exercised (${hits} hits)`);
  t.ok(clears > 0, `the small cache was cleared when full (${clears} clears)`);
  t.ok(changedByUpdate > 0, `policy updates changed decisions (${changedByUpdate}), and the new authorizer saw them`);
});

const allowFoo = (spec: Spec) => createAuthorizer([P('allow', 'foo', { selector: { matchLabels: { app: 'web' } }, ...spec })], { mode: 'l7', decisionCacheSize: 100 });
const base = (o: { ip?: string; principal?: string | null; header?: string; path?: string; port?: number; jwt?: boolean } = {}): AuthzRequest => ({
  destination: { namespace: 'foo', labels: { app: 'web' }, ip: '10.0.0.2', port: o.port ?? 8080 },
  source: { principal: o.principal === undefined ? 'cluster.local/ns/a/sa/x' : o.principal, ip: o.ip ?? '10.1.1.1' },
  http: { method: 'GET', path: o.path ?? '/x', host: 'web', headers: { x: o.header ?? 'v' }, jwt: o.jwt ? { issuer: 'iss', subject: 'sub' } : null },
});

t.test('the key holds exactly what the applicable policies read', async (t) => {
  const a = allowFoo({ rules: [{ from: [{ source: { principals: ['cluster.local/ns/a/sa/x'] } }] }] });
  t.equal(a.evaluate(base({ ip: '10.1.1.1' })).decision, 'ALLOW');
  t.equal(a.evaluate(base({ ip: '10.1.1.2', path: '/y', header: 'other', port: 1 })).decision, 'ALLOW');
  t.same(a.cacheStats(), { hits: 1, misses: 1, uncached: 0, entries: 1, clears: 0, destinations: 1 }, 'IP, path, header and port are not read: one entry');
  t.equal(a.evaluate(base({ principal: 'cluster.local/ns/b/sa/y' })).decision, 'DENY', 'the principal is read');
  t.equal(a.evaluate(base({ principal: null })).decision, 'DENY');
  t.equal(a.cacheStats().entries, 3);

  const h = allowFoo({ rules: [{ when: [{ key: 'request.headers[X]', values: ['v'] }] }] });
  t.equal(h.evaluate(base({ header: 'v' })).decision, 'ALLOW');
  t.equal(h.evaluate(base({ header: 'w' })).decision, 'DENY', 'the header is part of the key');
  t.equal(h.evaluate(base({ header: 'v', ip: '10.9.9.9' })).decision, 'ALLOW');
  t.same([h.cacheStats().hits, h.cacheStats().entries], [1, 2]);

  const p = allowFoo({ rules: [{ to: [{ operation: { paths: ['/x'] } }] }] });
  t.equal(p.evaluate(base({ path: '/x?q=1' })).decision, 'ALLOW');
  t.equal(p.evaluate(base({ path: '/a/../x' })).decision, 'ALLOW', 'the normalised path is the key');
  t.equal(p.evaluate(base({ path: '/y' })).decision, 'DENY');
  t.same([p.cacheStats().hits, p.cacheStats().entries], [1, 2]);
});

t.test('not cached: JWT-reading policies, CUSTOM, traces, waypoint, unexpected value types', async (t) => {
  const j = allowFoo({ rules: [{ from: [{ source: { requestPrincipals: ['iss/sub'] } }] }] });
  t.equal(j.evaluate(base({ jwt: true })).decision, 'ALLOW');
  t.equal(j.evaluate(base({ jwt: false })).decision, 'DENY');
  t.same([j.cacheStats().uncached, j.cacheStats().entries], [2, 0]);

  let calls = 0;
  const c = createAuthorizer([P('ext', 'foo', { action: 'CUSTOM', provider: { name: 'ext' }, rules: [{}] })], { mode: 'l7', decisionCacheSize: 100, providers: { ext: () => (calls++ % 2 === 0 ? 'DENY' : 'ALLOW') } });
  t.same([c.evaluate(base()).decision, c.evaluate(base()).decision, c.evaluate(base()).decision], ['DENY', 'ALLOW', 'DENY'], 'CUSTOM providers are asked every time');
  t.equal(c.cacheStats().entries, 0);

  const a = allowFoo({ rules: [{ from: [{ source: { principals: ['cluster.local/ns/a/sa/x'] } }] }] });
  a.evaluate(base(), { trace: true });
  t.same([a.cacheStats().uncached, a.cacheStats().entries], [1, 0], 'traced evaluations bypass the cache');
  const odd = { ...base(), source: { principal: { toString: () => 'x' } as unknown as string, ip: '10.1.1.1' } };
  t.equal(a.evaluate(odd).decision, 'DENY');
  t.same([a.cacheStats().uncached, a.cacheStats().entries], [2, 0], 'a value of an unexpected type is not cached');
});

t.test('cached decisions are frozen values; dry-run results are cached with them', async (t) => {
  const a = createAuthorizer([
    P('allow', 'foo', { rules: [{ to: [{ operation: { ports: ['8080'] } }] }] }),
    P('dry', 'foo', { action: 'DENY', rules: [{ from: [{ source: { ipBlocks: ['10.1.1.0/24'] } }] }] }, { 'istio.io/dry-run': 'true' }),
  ], { mode: 'l4', decisionCacheSize: 100 });
  const d1 = a.evaluate(base());
  const d2 = a.evaluate(base());
  t.equal(d1, d2, 'the same value');
  t.ok(Object.isFrozen(d1) && Object.isFrozen(d1.dryRun) && Object.isFrozen(d1.audit));
  t.same(d1.dryRun, [{ policy: 'foo/dry', action: 'DENY', matched: true, ruleIndex: 0 }]);
  t.same(a.evaluate(base({ ip: '10.2.2.2' })).dryRun, [{ policy: 'foo/dry', action: 'DENY', matched: false, ruleIndex: null }], 'the dry-run policy reads the source IP: a separate entry');
});

t.test('off by default', async (t) => {
  const a = createAuthorizer([P('allow', 'foo', { rules: [{}] })], { mode: 'l4' });
  a.evaluate(base());
  a.evaluate(base());
  t.same(a.cacheStats(), { hits: 0, misses: 0, uncached: 2, entries: 0, clears: 0, destinations: 1 });
});

t.test('bounded: a full cache is cleared at once; destinations are bounded too', async (t) => {
  const a = createAuthorizer([P('allow', 'foo', { rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }] })], { mode: 'l4', decisionCacheSize: 3 });
  for (let i = 0; i < 3; i++) a.evaluate(base({ ip: `10.0.0.${i}` }));
  t.same(a.cacheStats(), { hits: 0, misses: 3, uncached: 0, entries: 3, clears: 0, destinations: 1 });
  a.evaluate(base({ ip: '10.0.0.3' }));
  t.same([a.cacheStats().entries, a.cacheStats().clears], [1, 1], 'the fourth decision cleared the cache');
  t.equal(a.evaluate(base({ ip: '10.0.0.0' })).decision, 'ALLOW');
  t.equal(a.cacheStats().hits, 0, 'entries from before the clear are gone');
  t.equal(a.evaluate(base({ ip: '10.0.0.3' })).decision, 'ALLOW');
  t.equal(a.cacheStats().hits, 1);

  const many = createAuthorizer([P('allow', 'foo', { rules: [{}] })], { mode: 'l4', decisionCacheSize: 16384 });
  for (let i = 0; i < 9000; i++) many.evaluate({ destination: { namespace: `ns-${i}`, port: 1 }, source: { principal: null, ip: '10.0.0.1' } });
  t.ok(many.cacheStats().destinations <= 8192, `memoized destinations stay bounded (${many.cacheStats().destinations})`);
  t.ok(many.cacheStats().entries <= 8192);
  t.equal(many.evaluate({ destination: { namespace: 'foo', port: 1 }, source: { principal: null } }).decision, 'ALLOW');
});
