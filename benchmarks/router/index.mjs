#!/usr/bin/env node
// Router decisions per second: 100 VirtualServices x 10 routes (header, prefix and regex matches, a weighted catch-all),
// single thread, against the built @amesh/waypoint/router. `--smoke` runs briefly.
// Target (issue 11): >= 500,000 decisions/s on one core.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { compileRouter } from '@amesh/waypoint/router';

const smoke = process.argv.includes('--smoke');
const SECONDS = smoke ? 0.2 : Number(process.env.BENCH_SECONDS ?? 5);
const VS_COUNT = 100;

const objects = [];
for (let s = 0; s < VS_COUNT; s++) {
  const name = `svc-${s}`;
  objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'bench' }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 8080 }] } });
  for (const v of ['v1', 'v2']) objects.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-${v}-0`, namespace: 'bench', labels: { app: name, version: v } } });
  objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: 'bench' }, spec: { host: name, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } });
  const dest = (subset) => [{ destination: { host: name, subset } }];
  const http = [
    { name: 'h-user', match: [{ headers: { 'end-user': { exact: `user-${s}` } } }], route: dest('v2') },
    { name: 'p-api', match: [{ uri: { prefix: `/api/v1/${s}/` } }], route: dest('v1'), timeout: '2s' },
    { name: 'r-item', match: [{ uri: { regex: `/items/[0-9]+/reviews/${s}` } }], route: dest('v2') },
    { name: 'h-canary', match: [{ headers: { 'x-canary': { exact: 'true' } }, uri: { prefix: '/shop' } }], route: dest('v2') },
    { name: 'p-static', match: [{ uri: { prefix: '/static/' } }], route: dest('v1'), retries: { attempts: 3, retryOn: '5xx,503' } },
    { name: 'r-ver', match: [{ headers: { 'x-version': { regex: 'v[0-9]+\\.[0-9]+' } } }], route: dest('v2') },
    { name: 'm-post', match: [{ method: { exact: 'POST' }, uri: { prefix: '/orders' } }], route: dest('v1') },
    { name: 'q-debug', match: [{ queryParams: { debug: { exact: '1' } } }], route: dest('v2') },
    { name: 'rw', match: [{ uri: { prefix: '/legacy' } }], rewrite: { uri: '/v2' }, route: dest('v1') },
    { name: 'default', route: [{ destination: { host: name, subset: 'v1' }, weight: 90 }, { destination: { host: name, subset: 'v2' }, weight: 10 }] },
  ];
  objects.push({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: 'bench' }, spec: { hosts: [name], http } });
}

const t0 = process.hrtime.bigint();
const router = compileRouter(objects, { seed: 7 });
const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;

// a request mix that reaches every route index (the later routes cost more: each earlier one is tried first)
const client = { namespace: 'bench', labels: { app: 'client' } };
const requests = [];
for (let i = 0; i < 1000; i++) {
  const s = i % VS_COUNT;
  const host = `svc-${s}`;
  const kind = i % 10;
  const r = { host, port: 8080, method: 'GET', path: '/', headers: { 'user-agent': 'bench' }, client };
  if (kind === 0) r.headers = { 'end-user': `user-${s}` };
  else if (kind === 1) r.path = `/api/v1/${s}/things?page=2`;
  else if (kind === 2) r.path = `/items/${i}/reviews/${s}`;
  else if (kind === 3) { r.path = '/shop/cart'; r.headers = { 'x-canary': 'true' }; }
  else if (kind === 4) r.path = '/static/app.js';
  else if (kind === 5) r.headers = { 'x-version': 'v1.2' };
  else if (kind === 6) { r.method = 'POST'; r.path = '/orders/1'; }
  else if (kind === 7) r.path = '/search?q=x&debug=1';
  else if (kind === 8) r.path = '/legacy/page';
  else r.path = `/reviews/${i}`;
  requests.push(r);
}

// sanity: each kind lands on its route
const names = new Set(requests.slice(0, 10).map((r) => router.decide(r).routeName));
if (names.size !== 10) throw new Error(`request mix does not reach all 10 routes: ${[...names]}`);

/** CPU time of the main thread only (Linux: /proc/self/task/<pid>/stat utime+stime, 10 ms ticks), in ns; falls back
 * to the whole process (which also counts GC and compiler helper threads). */
function mainThreadCpuNs() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 1e7;
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  }
}

function runFor(seconds) {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let n = 0;
  let sink = 0;
  const cpu0 = mainThreadCpuNs();
  const start = process.hrtime.bigint();
  while (true) {
    for (let i = 0; i < requests.length; i++) sink += router.decide(requests[i]).routeIndex ?? 0;
    n += requests.length;
    if (process.hrtime.bigint() >= deadline) break;
  }
  const ns = Number(process.hrtime.bigint() - start);
  return { n, ns, cpuNs: mainThreadCpuNs() - cpu0, sink };
}

runFor(smoke ? 0.05 : 1); // warm-up
globalThis.gc?.();
const heap0 = process.memoryUsage().heapUsed;
const rounds = smoke ? 1 : 3;
const results = [];
const cpuResults = [];
for (let i = 0; i < rounds; i++) {
  const r = runFor(SECONDS / rounds);
  results.push(r.n / (r.ns / 1e9));
  cpuResults.push(r.n / (r.cpuNs / 1e9));
}
results.sort((a, b) => a - b);
cpuResults.sort((a, b) => a - b);
const median = results[Math.floor(results.length / 2)];
// per CPU-second of the main thread: what one core does when it is not time-shared (the machine is often busy)
const cpuMedian = cpuResults[Math.floor(cpuResults.length / 2)];
const out = {
  benchmark: 'router',
  virtualServices: VS_COUNT,
  routesPerVirtualService: 10,
  compileMs: Math.round(compileMs),
  decisionsPerSecond: Math.round(median),
  decisionsPerCpuSecond: Math.round(cpuMedian),
  nsPerDecision: Math.round(1e9 / median),
  rounds: results.map(Math.round),
  loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
  heapDeltaMB: Math.round(((process.memoryUsage().heapUsed - heap0) / 1e6) * 10) / 10,
  target: 500000,
  node: process.versions.node,
  smoke,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
if (!smoke && cpuMedian < 500000) process.stdout.write(`router: ${Math.round(cpuMedian)} decisions per CPU-second is below the 500,000/s target\n`);
