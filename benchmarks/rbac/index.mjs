#!/usr/bin/env node
// B10 (shared/reference/performance-anchors.md): AuthorizationPolicy decisions per second, single thread.
//   - l4 and l7 modes with 10, 1,000 and 10,000 policies spread over 100 namespaces (realistic selectors: a handful
//     apply to each destination), each measured three ways so the decision cache cannot hide anything:
//       * "no cache": decisionCacheSize 0, a pool of 1,024 varied requests (indexing + compiled matchers only);
//       * "no cache, all-distinct" and "cache, cold": 32,768 all-distinct requests (every source IP and service
//         account differs; a large working set, and the identity/IP parse caches miss too) without and with the
//         default cache: with it every decision misses, so the difference is the cost of keying and inserting;
//       * "cache, node mix": the default cache, a node's connection mix: 300 source pods (principal + IP, 4 service
//         accounts over 100 namespaces) each calling 4 of 50 destination workloads on the node (1-2 ports each;
//         l7 adds method, path and the x-tenant header), plus 5% of requests from never-seen pods (new IPs).
//         The measured hit rate is printed next to it;
//   - upstream ztunnel's own bench shape (benches/throughput.rs `rbac`): 10,000 GLOBAL DENY policies × 10 rules
//     (namespace/principal prefix/suffix/exact, src/dst CIDR 198.51.100.0/24, port 0), none matching, plaintext
//     127.0.0.1 → 127.0.0.2:12345; run through the l4 engine (as AuthorizationPolicies) and the wire evaluator
//     (as istio.security.Authorization, exactly ztunnel's structure); plus a variant whose 10,000 bodies all differ;
//   - compile time for 10,000 policies (validation + compile, and compile alone).
// Usage: node benchmarks/rbac/index.mjs [--smoke] [--json] [--only <text in a case name>]   (imports the BUILT @amesh/rbac: npx tsc -b packages/rbac)
import { createAuthorizer, loadPolicies, WireAuthorizer, emptyMatch, toWireAuthorization, workloadPolicyNames } from '@amesh/rbac';

const smoke = process.argv.includes('--smoke');
const asJson = process.argv.includes('--json');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : null; // run only the cases whose name contains this text
const want = (name) => only === null || name.includes(only);
const SECONDS = smoke ? 0.05 : 2;
const results = [];

// Deterministic PRNG so every run measures the same policies and requests.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const NS = 100;
const APPS = 10;
const ap = (name, ns, spec) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns }, spec });

/** n policies over 100 namespaces: per namespace, selector policies for its apps (ALLOW, some DENY) and a few namespace-wide ones. */
function realisticPolicies(n, l7) {
  const r = rng(n * 7 + (l7 ? 1 : 0));
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const out = [];
  for (let i = 0; i < n; i++) {
    const ns = `ns-${i % NS}`;
    const app = `app-${Math.floor(i / NS) % APPS}`;
    const kind = r();
    const deny = kind < 0.2;
    const nsWide = Math.floor(i / NS) >= APPS && kind > 0.9; // only beyond 1,000 policies: namespace-wide extras
    const peerNs = `ns-${Math.floor(r() * NS)}`;
    const from = [{ source: { principals: [`cluster.local/ns/${peerNs}/sa/${pick(['frontend', 'api', 'batch'])}`, `cluster.local/ns/${peerNs}/sa/app-*`] } }, { source: { namespaces: [`ns-${Math.floor(r() * NS)}`] } }];
    const rule = { from, to: [{ operation: { ports: [pick(['8080', '9090', '80'])], ...(l7 ? { methods: [pick(['GET', 'POST'])], paths: [pick(['/api/*', '/v1/items', '*/health'])] } : {}) } }] };
    if (l7 && r() < 0.5) rule.when = [{ key: 'request.headers[x-tenant]', values: [`tenant-${Math.floor(r() * 10)}`] }];
    const spec = { action: deny ? 'DENY' : 'ALLOW', rules: deny ? [{ from: [{ source: { ipBlocks: [`203.0.${Math.floor(r() * 255)}.0/24`] } }] }] : [rule] };
    if (!nsWide) spec.selector = { matchLabels: { app } };
    out.push(ap(`p-${i}`, ns, spec));
  }
  return out;
}

function requests(l7) {
  const r = rng(42);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  return Array.from({ length: 1024 }, () => {
    const peerNs = `ns-${Math.floor(r() * NS)}`;
    const req = {
      destination: { namespace: `ns-${Math.floor(r() * NS)}`, labels: { app: `app-${Math.floor(r() * APPS)}`, version: 'v1' }, ip: `10.${Math.floor(r() * 255)}.0.2`, port: Number(pick(['8080', '9090', '80'])) },
      source: { principal: `cluster.local/ns/${peerNs}/sa/${pick(['frontend', 'api', 'batch', 'app-1'])}`, ip: `10.${Math.floor(r() * 255)}.1.1` },
    };
    if (l7) req.http = { method: pick(['GET', 'POST']), path: pick(['/api/items?x=1', '/v1/items', '/x/health', '/a/./b/../api/z']), host: 'svc.ns.svc.cluster.local:8080', headers: { 'x-tenant': `tenant-${Math.floor(r() * 10)}`, 'user-agent': 'bench' } };
    return req;
  });
}

/**
 * 32,768 all-distinct requests: the pool's shapes, every one with its own source IP and its own service account
 * (`<sa>-<i>`), so no two share a cache key (only destinations without any policy, whose decision is constant, hit).
 */
function distinctRequests(l7) {
  const pool = requests(l7);
  return Array.from({ length: 32768 }, (_x, i) => {
    const q = pool[i & 1023];
    return { ...q, source: { principal: `${q.source.principal}-${i}`, ip: `10.${128 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}` } };
  });
}

/** A node's connection mix (see the header): 65,536 requests drawn from 300 sources × their 4 dependencies. */
function nodeMix(l7) {
  const r = rng(7);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const ports = ['8080', '9090', '80'];
  const dests = Array.from({ length: 50 }, (_x, i) => {
    const ps = [Number(pick(ports))];
    if (r() < 0.5) ps.push(Number(pick(ports)));
    return { namespace: `ns-${Math.floor(r() * NS)}`, labels: { app: `app-${Math.floor(r() * APPS)}`, version: 'v1' }, ip: `10.0.${i}.2`, ports: ps };
  });
  const sources = Array.from({ length: 300 }, (_x, i) => ({ principal: `cluster.local/ns/ns-${Math.floor(r() * NS)}/sa/${pick(['frontend', 'api', 'batch', 'app-1'])}`, ip: `10.1.${i >> 8}.${i & 255}`, deps: [pick(dests), pick(dests), pick(dests), pick(dests)] }));
  const paths = ['/api/items?x=1', '/v1/items', '/x/health', '/api/orders'];
  let fresh = 0;
  return Array.from({ length: 65536 }, () => {
    const s = pick(sources);
    const d = pick(s.deps);
    const ip = r() < 0.05 ? `10.2.${(fresh >> 8) & 255}.${fresh++ & 255}` : s.ip;
    const req = { destination: { namespace: d.namespace, labels: d.labels, ip: d.ip, port: pick(d.ports) }, source: { principal: s.principal, ip } };
    if (l7) req.http = { method: pick(['GET', 'POST']), path: pick(paths), host: 'svc.ns.svc.cluster.local:8080', headers: { 'x-tenant': `tenant-${Math.floor(r() * 10)}`, 'user-agent': 'bench' } };
    return req;
  });
}

/** The share of decisions answered from the cache since the `before` snapshot of `a.cacheStats()`. */
function hitRateSince(a, before) {
  const x = a.cacheStats();
  const hits = x.hits - before.hits;
  const all = hits + (x.misses - before.misses) + (x.uncached - before.uncached);
  return all === 0 ? 0 : hits / all;
}

/**
 * Runs fn(i) in batches for `SECONDS`; returns decisions/s, p99 of single-decision latency from a sample, and (with
 * `authz`) the cache hit rate of the timed window alone. `i` keeps counting across warm-up, timed window and sample,
 * so a stream of distinct requests is not replayed from its start (which would turn into cache hits).
 */
function measure(fn, authz = null) {
  globalThis.gc?.(); // start clean: compile garbage must not be collected inside the window (run with --expose-gc)
  const warm = performance.now(); // warm up the JIT: 20,000 calls or 0.3 s, whichever comes first
  let seq = 0;
  for (; seq < 20000 && (seq & 255 || performance.now() - warm < 300); seq++) fn(seq);
  const stats0 = authz?.cacheStats();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  let elapsed = 0n;
  let batch = 256;
  while (elapsed < budget) {
    for (let i = 0; i < batch; i++) fn(seq + n + i);
    n += batch;
    elapsed = process.hrtime.bigint() - start;
    if (elapsed < budget / 20n) batch *= 2;
  }
  const perSec = n / (Number(elapsed) / 1e9);
  const cpu = process.cpuUsage(cpu0);
  const hitRate = authz ? hitRateSince(authz, stats0) : undefined;
  seq += n;
  const perCpuSec = n / ((cpu.user + cpu.system) / 1e6);
  const sample = Math.max(100, Math.min(smoke ? 200 : 20000, Math.round(perSec * (smoke ? 0.05 : 0.5))));
  const lat = new Float64Array(sample);
  for (let i = 0; i < sample; i++) {
    const t0 = process.hrtime.bigint();
    fn(seq + i);
    lat[i] = Number(process.hrtime.bigint() - t0);
  }
  lat.sort();
  return { perSec, perCpuSec, p99us: lat[Math.floor(sample * 0.99)] / 1000, n, hitRate };
}

function report(name, target, m, extra = {}) {
  const row = { name, decisionsPerSec: Math.round(m.perSec), decisionsPerCpuSec: Math.round(m.perCpuSec), p99us: Number(m.p99us.toFixed(2)), target, ...extra };
  results.push(row);
  if (!asJson) process.stdout.write(`${name.padEnd(58)} ${String(row.decisionsPerSec).padStart(10)}/s wall ${String(row.decisionsPerCpuSec).padStart(10)}/s cpu  p99 ${String(row.p99us).padStart(8)} µs  ${target}${extra.note ? `  (${extra.note})` : ''}\n`);
}

// ---- calibration: a fixed integer loop (≈0.7 ns/iteration on an idle core of this machine class) so numbers taken
// on a shared, loaded machine can be scaled. Reported with the results.
{
  let s = 0;
  const t0 = performance.now();
  for (let i = 0; i < 3e7; i++) s += i & 7;
  const nsPerIter = ((performance.now() - t0) * 1e6) / 3e7;
  results.push({ name: 'calibration', nsPerIter: Number(nsPerIter.toFixed(2)), checksum: s });
  if (!asJson) process.stdout.write(`${'calibration: integer loop'.padEnd(58)} ${nsPerIter.toFixed(2)} ns/iteration (idle core ≈ 0.7)\n`);
}

if (!asJson) {
  process.stdout.write(
    'How: policies compiled once, bucketed by namespace; applicable lists memoized per destination workload (namespace +\n' +
      '  selector label values); "no cache" rows = the default configuration (decisionCacheSize 0); "cache" rows =\n' +
      '  decisionCacheSize 16384 (key = exactly the attributes the applicable policies read), hit rate of the timed window.\n' +
      'Streams: pool = 1,024 varied requests over 100 ns × 10 apps; node mix = 65,536 requests, 300 source pods × 4 of 50\n' +
      '  destinations (+5% never-seen pods); all-distinct = 32,768 requests with unique source IP and service account.\n',
  );
}

// ---- l4 / l7 at 10, 1,000, 10,000 policies ----------------------------------------------------------------------

for (const mode of ['l4', 'l7']) {
  const l7 = mode === 'l7';
  const reqs = requests(l7);
  let distinct = null;
  let mix = null;
  for (const n of [10, 1000, 10000]) {
    const base = `${mode} ${n.toLocaleString('en-US')} policies / 100 namespaces`;
    const target = n === 1000 ? (mode === 'l4' ? 'target ≥1,000,000/s' : 'target ≥300,000/s') : '';
    const policies = realisticPolicies(n, l7);
    if (want(`${base}, no cache`)) {
      const a = createAuthorizer(policies, { mode, decisionCacheSize: 0 });
      const m = measure((i) => a.evaluate(reqs[i & 1023]));
      const allowed = reqs.filter((q) => a.evaluate(q).decision === 'ALLOW').length;
      report(`${base}, no cache`, target, m, { note: `${Math.round((100 * allowed) / reqs.length)}% of requests allowed` });
    }
    for (const cache of [false, true]) {
      const name = `${base}, ${cache ? 'cache, cold' : 'no cache, all-distinct'}`;
      if (!want(name)) continue;
      distinct ??= distinctRequests(l7);
      const a = createAuthorizer(policies, { mode, decisionCacheSize: cache ? 16384 : 0 });
      const m = measure((i) => a.evaluate(distinct[i & 32767]), a);
      const allowed = distinct.slice(0, 4096).filter((q) => a.evaluate(q).decision === 'ALLOW').length;
      report(name, target, m, { hitRate: m.hitRate, note: `32,768 all-distinct requests, cache hit rate ${(100 * m.hitRate).toFixed(1)}%, ${Math.round((100 * allowed) / 4096)}% allowed` });
    }
    for (const cache of [false, true]) {
      const name = `${base}, ${cache ? 'cache' : 'no cache'}, node mix`;
      if (!want(name)) continue;
      mix ??= nodeMix(l7);
      const a = createAuthorizer(policies, { mode, decisionCacheSize: cache ? 16384 : 0 });
      const m = measure((i) => a.evaluate(mix[i & 65535]), a);
      const allowed = mix.slice(0, 4096).filter((q) => a.evaluate(q).decision === 'ALLOW').length;
      report(name, target, m, { hitRate: m.hitRate, note: `65,536-request node mix, cache hit rate ${(100 * m.hitRate).toFixed(1)}%, ${Math.round((100 * allowed) / 4096)}% allowed` });
    }
  }
}

// ---- ztunnel's bench shape: 10,000 global DENY × 10 rules, none matching -------------------------------------------
const N_POL = 10000;
const N_RULES = 10;
const NET = '198.51.100.0/24';
function ztunnelShapePolicies(distinct) {
  return Array.from({ length: N_POL }, (_x, i) => {
    const v = (s) => (distinct ? `${s}-${i}` : s);
    const rule = {
      from: [{ source: { namespaces: [`${v('random-prefix-2b123')}*`, `*${v('random-postix-2b723')}`, v('random-exac-2bc13')], principals: [`${v('random-prefix-2b123')}*`, `*${v('random-postix-2b723')}`, v('random-exac-2bc13')], ipBlocks: [NET] } }],
      to: [{ operation: { ports: ['0'] } }],
      when: [{ key: 'destination.ip', values: [NET] }],
    };
    return ap(`policy-${i}`, 'istio-system', { action: 'DENY', rules: Array.from({ length: N_RULES }, () => rule) });
  });
}
const zReq = { destination: { namespace: 'default', labels: {}, ip: '127.0.0.2', port: 12345 }, source: { principal: null, ip: '127.0.0.1' } };
for (const distinct of [false, true]) {
  if (!want(`l4 engine, 10k global DENY × 10 rules${distinct ? ' (all bodies differ)' : ''}`)) continue;
  const a = createAuthorizer(ztunnelShapePolicies(distinct), { mode: 'l4', decisionCacheSize: 0 }); // one request: a cache would always hit
  const m = measure(() => a.evaluate(zReq));
  if (a.evaluate(zReq).decision !== 'ALLOW') throw new Error('ztunnel shape must not match');
  report(`l4 engine, 10k global DENY × 10 rules${distinct ? ' (all bodies differ)' : ''}, no cache`, distinct ? '' : 'target ≥10,000/s (naive: 71/s)', m);
}
function ztunnelShapeWire(distinct) {
  const addr = { address: new Uint8Array([198, 51, 100, 0]), length: 24 };
  return Array.from({ length: N_POL }, (_x, i) => {
    const v = (s) => (distinct ? `${s}-${i}` : s);
    const sm = [{ prefix: v('random-prefix-2b123') }, { suffix: v('random-postix-2b723') }, { exact: v('random-exac-2bc13') }];
    const match = { ...emptyMatch(), namespaces: sm, principals: sm, sourceIps: [addr], destinationIps: [addr], destinationPorts: [0] };
    return { name: `policy ${i}`, namespace: 'default', scope: 'GLOBAL', action: 'DENY', dryRun: false, groups: Array.from({ length: N_RULES }, () => ({ rules: [{ matches: [match] }] })) };
  });
}
const conn = { srcIdentity: null, srcIp: '127.0.0.1', dstIp: '127.0.0.2', dstPort: 12345 };
const wl = { namespace: 'default', authorizationPolicies: [] };
for (const distinct of [false, true]) {
  if (!want(`wire (ztunnel algebra), 10k global DENY × 10 rules${distinct ? ' (all differ)' : ''}`)) continue;
  const w = new WireAuthorizer(ztunnelShapeWire(distinct), { decisionCacheSize: 0 });
  const m = measure(() => w.check(conn, wl));
  report(`wire (ztunnel algebra), 10k global DENY × 10 rules${distinct ? ' (all differ)' : ''}, no cache`, distinct ? '' : 'target ≥10,000/s', m);
}

// ---- the wire evaluator (what ztunnel runs) on the 1,000 realistic policies as istiod converts them -------------
if (want('wire (ztunnel algebra), 1,000 policies')) {
  const policies = loadPolicies(realisticPolicies(1000, false));
  const auths = policies.map((p) => toWireAuthorization(p).authorization).filter((x) => x !== null);
  const asConn = (q) => ({ conn: { srcIdentity: q.source.principal, srcIp: q.source.ip, dstIp: q.destination.ip, dstPort: q.destination.port }, wl: { namespace: q.destination.namespace, authorizationPolicies: workloadPolicyNames(policies, q.destination) } });
  const pool = requests(false).map(asConn);
  const mix = nodeMix(false).map(asConn);
  for (const [label, size, reqs, mask] of [['no cache', 0, pool, 1023], ['no cache, node mix', 0, mix, 65535], ['cache, node mix', 16384, mix, 65535]]) {
    const w = new WireAuthorizer(auths, { decisionCacheSize: size });
    const m = measure((i) => { const x = reqs[i & mask]; return w.check(x.conn, x.wl); }, w);
    const extra = size === 0 ? {} : { hitRate: m.hitRate, note: `cache hit rate ${(100 * m.hitRate).toFixed(1)}%` };
    report(`wire (ztunnel algebra), 1,000 policies, ${label}`, '', m, extra);
  }
}

// ---- compile time -----------------------------------------------------------------------------------------------
for (const mode of ['l4', 'l7']) {
  if (!want(`compile 10,000 policies (${mode})`)) continue;
  const raw = realisticPolicies(10000, mode === 'l7');
  globalThis.gc?.();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const parsed = loadPolicies(raw);
  const t1 = performance.now();
  createAuthorizer(parsed, { mode });
  const t2 = performance.now();
  const c = process.cpuUsage(c0);
  const row = { name: `compile 10,000 policies (${mode})`, validateMs: Number((t1 - t0).toFixed(1)), compileMs: Number((t2 - t1).toFixed(1)), totalMs: Number((t2 - t0).toFixed(1)), cpuMs: Math.round((c.user + c.system) / 1000), target: 'target < 1,000 ms' };
  results.push(row);
  if (!asJson) process.stdout.write(`${row.name.padEnd(58)} validate ${row.validateMs} ms + compile ${row.compileMs} ms = ${row.totalMs} ms wall (${row.cpuMs} ms cpu)  ${row.target}\n`);
}
if (want('compile 10,000 × 10-rule DENY policies, all differ (l4)')) {
  const raw = ztunnelShapePolicies(true);
  const t0 = performance.now();
  createAuthorizer(raw, { mode: 'l4' });
  const ms = performance.now() - t0;
  results.push({ name: 'compile 10,000 × 10-rule DENY policies, all differ (l4)', totalMs: Number(ms.toFixed(1)) });
  if (!asJson) process.stdout.write(`${'compile 10,000 × 10-rule DENY policies, all differ (l4)'.padEnd(58)} ${ms.toFixed(1)} ms\n`);
}

if (asJson) process.stdout.write(JSON.stringify({ node: process.versions.node, smoke, results }, null, 2) + '\n');
