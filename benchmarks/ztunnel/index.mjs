#!/usr/bin/env node
// ztunnel benchmark (B1 B3 B4/B6 B7 B9 of shared/reference/performance-anchors.md, TCP-level variants).
// Topology, one process each: loadgen (this process) → SOCKS5 → ztunnel A (node-a) → HBONE (mTLS 1.3, HTTP/2
// CONNECT) → ztunnel B (node-b) → backend. "direct" is loadgen → backend. Mesh and direct runs are interleaved and
// the median of the repetitions is reported. Pod IPs are loopback addresses (client 127.0.0.11, server 127.0.0.21);
// SOCKS5 stands in for TPROXY capture so no root is needed (the data path after the handshake is the same).
// Requests are raw TCP request/response exchanges (1-byte request, 1 KiB response), not HTTP.
// Needs built packages: `npx tsc -b packages/ztunnel`.
// Usage: node benchmarks/ztunnel/index.mjs [--smoke] [--reps N] [--seconds S] [--only b1,b3,b6,b7,b9]
//        [--workers N (data-path worker threads per ztunnel)] [--max-streams N (HBONE streams per pooled connection)]
//        [--cpu-prof DIR]
import { fork } from 'node:child_process';
import net from 'node:net';
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const role = argv.find((a) => a.startsWith('--role='))?.slice(7);
const SMOKE = argv.includes('--smoke');
const REPS = flag('reps', SMOKE ? 1 : 3);
const SECONDS = flag('seconds', SMOKE ? 1 : 5);
const strFlag = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
// --only b1,b3,b6,b7,b9: run a subset; --cpu-prof DIR: V8 CPU profiles of both ztunnels into DIR
const ONLY = strFlag('only')?.split(',');
const want = (b) => !ONLY || ONLY.includes(b);
const PROF = strFlag('cpu-prof');
// --workers N: data-path worker threads per ztunnel (buildWorkers; 1 = single thread); --max-streams N: HBONE pool
const WORKERS = flag('workers', 1);
const MAX_STREAMS = flag('max-streams', 100);
// --spread S,C: the HBONE pool's spread option (another connection once each carries S streams, up to C)
const SPREAD = strFlag('spread')?.split(',').map(Number);

const cpuSec = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const RESPONSE = Buffer.alloc(1024, 'r');

// ---- child roles ---------------------------------------------------------------------------------------------
async function backend() {
  // 'S' sink: count bytes until end, then reply "ok"; otherwise every byte 'q' gets a 1 KiB response; 'e' echoes
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    s.on('error', () => {});
    let mode;
    s.on('data', (d) => {
      mode ??= d[0];
      if (mode === 0x53) return;
      if (mode === 0x65) return void s.write(d);
      for (let i = 0; i < d.length; i++) s.write(RESPONSE);
    });
    s.on('end', () => s.end(mode === 0x53 ? 'ok' : undefined));
  });
  server.listen(0, '127.0.0.21', () => process.send({ port: server.address().port }));
}

async function ztunnel(node, svids, appPort, dialPort, opts = {}) {
  const { buildWorkers, validateConfig, ProxyState } = await import('@amesh/ztunnel');
  const { Svid } = await import('@amesh/spiffe');
  const wl = (name, ip, nodeName, extra = {}) => ({
    uid: `Kubernetes//Pod/default/${name}`, name, namespace: 'default', addresses: [ip], hostname: '', network: '',
    tunnelProtocol: 'HBONE', trustDomain: '', serviceAccount: name, node: nodeName, canonicalName: name,
    canonicalRevision: 'v1', workloadType: 'POD', workloadName: name, nativeTunnel: false, services: {},
    authorizationPolicies: [], status: 'HEALTHY', clusterId: 'Kubernetes', networkMode: 'STANDARD', extensions: [], ...extra,
  });
  const state = new ProxyState({ nodeName: node });
  state.upsertAddress({ workload: wl('client', '127.0.0.11', 'node-a') });
  state.upsertAddress({ workload: wl('server', '127.0.0.21', 'node-b', { services: { 'default/backend.default.svc.cluster.local': { ports: [{ servicePort: 80, targetPort: appPort, appProtocol: 'TCP' }] } } }) });
  state.upsertAddress({ service: { name: 'backend', namespace: 'default', hostname: 'backend.default.svc.cluster.local', addresses: [{ network: '', address: '10.96.0.80' }], ports: [{ servicePort: 80, targetPort: 0, appProtocol: 'TCP' }], subjectAltNames: [], ipFamilies: 'AUTOMATIC', extensions: [], canonical: false, ingressUseWaypoint: false, weightedWaypoints: [], visibility: 'PUBLIC' } });
  const bySpiffe = new Map(Object.entries(svids).map(([id, s]) => [id, Svid.fromCertChain(s.key, [s.chain, s.roots])]));
  const noop = () => {};
  const logger = { level: 'silent', trace: noop, debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  const ports = { outbound: null, inboundPlaintext: null, hbone: 0, socks5: 0, metrics: 0, readiness: 0, admin: 0 };
  const zt = await buildWorkers(validateConfig({ nodeName: node, ports, poolMaxStreamsPerConnection: opts.maxStreams ?? 100, ...(opts.spread ? { poolSpread: { streams: opts.spread[0], connections: opts.spread[1] } } : {}) }), {
    workers: opts.workers ?? 1, logger, state, identities: { svid: async (id) => bySpiffe.get(id) }, ...(dialPort ? { hboneDialPort: dialPort } : {}),
  });
  await zt.ready;
  process.send({ ports: zt.ports });
}

if (role) {
  const opts = JSON.parse(process.env.ZT_BENCH ?? '{}');
  if (role === 'backend') await backend();
  else await ztunnel(role, opts.svids, opts.appPort, opts.dialPort, { workers: opts.workers, maxStreams: opts.maxStreams, spread: opts.spread });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0)); // exit normally so --cpu-prof writes its profile
} else {
  await main();
}

// ---- loadgen -------------------------------------------------------------------------------------------------
function start(roleName, env = {}) {
  const execArgv = [...process.execArgv, ...(PROF && roleName !== 'backend' ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`, `--cpu-prof-name=${roleName}.cpuprofile`] : [])];
  const child = fork(new URL(import.meta.url).pathname, [`--role=${roleName}`], { execArgv, env: { ...process.env, ZT_BENCH: JSON.stringify(env) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve) => child.once('message', (m) => resolve({ child, ...m })));
}

/** Opens a connection to the backend, directly or through ztunnel A's SOCKS5 from the client pod's IP. */
function open(mesh, socksPort, appPort) {
  return new Promise((resolve, reject) => {
    if (!mesh) {
      const s = net.connect({ host: '127.0.0.21', port: appPort, noDelay: true, allowHalfOpen: true }, () => resolve(s));
      s.once('error', reject);
      return;
    }
    const s = net.connect({ host: '127.0.0.1', port: socksPort, localAddress: '127.0.0.11', noDelay: true, allowHalfOpen: true });
    s.once('error', reject);
    s.once('connect', () => s.write(Buffer.from([5, 1, 0, 5, 1, 0, 1, 10, 96, 0, 80, 0, 80])));
    let got = 0;
    const onData = (d) => {
      got += d.length;
      if (got >= 12) {
        s.off('data', onData);
        resolve(s);
      }
    };
    s.on('data', onData);
  });
}

async function throughput(mesh, env) {
  const s = await open(mesh, env.socks, env.app);
  const total = (SMOKE ? 64 : 512) * 1024 * 1024;
  const chunk = Buffer.alloc(256 * 1024, 'x');
  const t0 = process.hrtime.bigint();
  s.write('S');
  let sent = 0;
  await new Promise((resolve) => {
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    s.on('data', () => {});
    s.once('close', resolve);
    pump();
  });
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  return (total * 8) / sec / 1e9; // Gb/s
}

/** Closed-loop request/response over `conns` persistent connections for SECONDS; returns rps and latencies (µs). */
async function requests(mesh, env, conns, rate = 0) {
  const sockets = await Promise.all(Array.from({ length: conns }, () => open(mesh, env.socks, env.app)));
  const lat = [];
  let count = 0;
  const end = Date.now() + SECONDS * 1000;
  const interval = rate ? (1000 * conns) / rate : 0;
  await Promise.all(sockets.map((s) => new Promise((resolve) => {
    let pending = 0;
    let t0 = 0n;
    const next = () => {
      if (Date.now() >= end) return resolve();
      t0 = process.hrtime.bigint();
      pending = 1024;
      s.write('q');
    };
    s.on('data', (d) => {
      pending -= d.length;
      if (pending > 0) return;
      lat.push(Number(process.hrtime.bigint() - t0) / 1000);
      count++;
      if (interval) {
        const wait = interval - lat[lat.length - 1] / 1000;
        setTimeout(next, Math.max(0, wait));
      } else next();
    });
    next();
  })));
  for (const s of sockets) s.destroy();
  return { rps: count / SECONDS, p50: pct(lat, 50), p90: pct(lat, 90), p99: pct(lat, 99) };
}

async function connRate(mesh, env, concurrency) {
  let count = 0;
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      const s = await open(mesh, env.socks, env.app);
      await new Promise((resolve) => {
        s.once('data', () => {
          s.end();
        });
        s.once('close', resolve);
        s.write('e');
      });
      count++;
    }
  }));
  return count / SECONDS;
}

async function main() {
  const { createTestCa } = await import('@amesh/spiffe/testing');
  const ca = await createTestCa();
  const svids = {};
  for (const sa of ['client', 'server']) {
    const s = ca.issue(`default/${sa}`);
    svids[`spiffe://cluster.local/ns/default/sa/${sa}`] = { key: s.privateKeyPem, chain: s.certChainPem, roots: s.trustBundlePem };
  }
  const be = await start('backend');
  const b = await start('node-b', { svids, appPort: be.port, workers: WORKERS, maxStreams: MAX_STREAMS });
  const a = await start('node-a', { svids, appPort: be.port, dialPort: b.ports.hbone, workers: WORKERS, maxStreams: MAX_STREAMS, spread: SPREAD });
  const env = { socks: a.ports.socks5, app: be.port };
  const results = {};
  const run = async (name, fn) => {
    const direct = [];
    const mesh = [];
    for (let i = 0; i < REPS; i++) {
      direct.push(await fn(false));
      mesh.push(await fn(true));
    }
    results[name] = { direct, mesh };
    return { direct, mesh };
  };
  const med = (xs, k) => median(xs.map((x) => (k ? x[k] : x)));

  if (want('b1')) {
  const b1 = await run('B1 single-stream Gb/s', (m) => throughput(m, env));
  console.log(`B1 single stream: direct ${med(b1.direct).toFixed(2)} Gb/s, mesh ${med(b1.mesh).toFixed(2)} Gb/s, ratio ${(med(b1.mesh) / med(b1.direct)).toFixed(2)}`);
  }
  if (want('b3')) {
  const cpu3 = { a: 0, b: 0, n: 0 };
  const b3 = await run('B3 64 conns', async (m) => {
    const c0 = { a: cpuSec(a.child.pid), b: cpuSec(b.child.pid) };
    const r = await requests(m, env, 64);
    if (m) {
      cpu3.a += cpuSec(a.child.pid) - c0.a;
      cpu3.b += cpuSec(b.child.pid) - c0.b;
      cpu3.n += r.rps * SECONDS;
    }
    return r;
  });
  console.log(`B3 request rate, 64 conns, 1 KiB: direct ${med(b3.direct, 'rps').toFixed(0)}/s, mesh ${med(b3.mesh, 'rps').toFixed(0)}/s, ratio ${(med(b3.mesh, 'rps') / med(b3.direct, 'rps')).toFixed(2)}; CPU per request A ${(cpu3.a * 1e6 / cpu3.n).toFixed(1)} µs, B ${(cpu3.b * 1e6 / cpu3.n).toFixed(1)} µs`);

  }
  if (want('b6')) {
  // B4/B6: fixed 1,000 rps over 16 connections: added latency and CPU per ztunnel
  const c0 = { a: cpuSec(a.child.pid), b: cpuSec(b.child.pid) };
  const t0 = Date.now();
  const meshFixed = await requests(true, env, 16, 1000);
  const wall = (Date.now() - t0) / 1000;
  const cpu = { a: (cpuSec(a.child.pid) - c0.a) / wall, b: (cpuSec(b.child.pid) - c0.b) / wall };
  const directFixed = await requests(false, env, 16, 1000);
  console.log(`B6 at ~${meshFixed.rps.toFixed(0)} rps/16 conns: direct p50/p90/p99 ${directFixed.p50.toFixed(0)}/${directFixed.p90.toFixed(0)}/${directFixed.p99.toFixed(0)} µs; mesh ${meshFixed.p50.toFixed(0)}/${meshFixed.p90.toFixed(0)}/${meshFixed.p99.toFixed(0)} µs; added p90 ${((meshFixed.p90 - directFixed.p90) / 1000).toFixed(3)} ms, p99 ${((meshFixed.p99 - directFixed.p99) / 1000).toFixed(3)} ms`);
  console.log(`B4 CPU at ~${meshFixed.rps.toFixed(0)} rps: ztunnel A ${(cpu.a * 1000 / meshFixed.rps).toFixed(3)} vCPU per 1k rps, ztunnel B ${(cpu.b * 1000 / meshFixed.rps).toFixed(3)} vCPU per 1k rps; RSS A ${(rssKb(a.child.pid) / 1024).toFixed(0)} MB, B ${(rssKb(b.child.pid) / 1024).toFixed(0)} MB`);
  results['B4/B6'] = { meshFixed, directFixed, cpu };

  }
  if (want('b7')) {
  const cpu7 = { a: 0, b: 0, n: 0 };
  const b7 = await run('B7 conns/s c16', async (m) => {
    const c0 = { a: cpuSec(a.child.pid), b: cpuSec(b.child.pid) };
    const r = await connRate(m, env, 16);
    if (m) {
      cpu7.a += cpuSec(a.child.pid) - c0.a;
      cpu7.b += cpuSec(b.child.pid) - c0.b;
      cpu7.n += r * SECONDS;
    }
    return r;
  });
  console.log(`B7 new connections/s (concurrency 16, connect→1 B echo→close): direct ${med(b7.direct).toFixed(0)}/s, mesh ${med(b7.mesh).toFixed(0)}/s, ratio ${(med(b7.mesh) / med(b7.direct)).toFixed(2)}; CPU per connection A ${(cpu7.a * 1e6 / cpu7.n).toFixed(0)} µs, B ${(cpu7.b * 1e6 / cpu7.n).toFixed(0)} µs`);

  }
  if (want('b9')) {
  // B9(b): memory per idle tunnel
  const N = SMOKE ? 200 : 1000;
  const r0 = { a: rssKb(a.child.pid), b: rssKb(b.child.pid) };
  const idle = [];
  for (let i = 0; i < N; i += 50) idle.push(...(await Promise.all(Array.from({ length: Math.min(50, N - i) }, () => open(true, env.socks, env.app)))));
  await new Promise((r) => setTimeout(r, 500));
  const r1 = { a: rssKb(a.child.pid), b: rssKb(b.child.pid) };
  console.log(`B9 idle tunnels (${N}): ΔRSS per tunnel A ${((r1.a - r0.a) / N).toFixed(1)} KiB, B ${((r1.b - r0.b) / N).toFixed(1)} KiB`);
  for (const s of idle) s.destroy();
  }

  for (const c of [a.child, b.child, be.child]) c.kill();
  console.log(JSON.stringify({ node: process.version, openssl: process.versions.openssl, reps: REPS, seconds: SECONDS, workers: WORKERS, maxStreams: MAX_STREAMS, spread: SPREAD, results }));
}
