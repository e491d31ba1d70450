#!/usr/bin/env node
// B12: the ADS server under ztunnel-like load.
//   (a) cold start: 10,000 workloads + 1,000 services + 1,000 authorizations to 100 delta clients, until every
//       client has ACKed everything of both types;
//   (b) one changed workload until all 100 clients ACKed it (p50/p99 over many changes, debounce included);
//   (c) 30 workload changes/s for 60 s (10 s with --smoke): backlog (pending + unacknowledged, all streams) sampled
//       every second must not grow;
//   (d) server RSS.
// The server runs in this process; the 100 clients run in one child process as light raw delta streams (they parse
// only the response envelope and ACK, like a ztunnel that is not CPU-bound), each on its own HTTP/2 connection.
//
//   npx tsc -b packages/xds && node benchmarks/xds/index.mjs [--smoke] [--clients N] [--json]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import {
  ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, DELTA_ADS_PATH, ResourceCache, encodeDeltaRequest, listenAds, makeAuthorization,
  makeMatch, makeService, makeWorkload, ztunnelNode,
} from '@amesh/xds';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};


// ---- server side -------------------------------------------------------------------------------------------------
function workload(i, gen = 0) {
  const ns = `ns${i % 100}`;
  return {
    workload: makeWorkload({
      uid: `Kubernetes//Pod/${ns}/pod-${i}`, name: `pod-${i}`, namespace: ns,
      addresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`], tunnelProtocol: 'HBONE', serviceAccount: `sa-${i % 50}`,
      node: `node-${i % 100}`, canonicalName: `app-${i % 1000}`, canonicalRevision: `v${gen}`, workloadType: 'POD',
      workloadName: `app-${i % 1000}`, clusterId: 'Kubernetes', status: 'HEALTHY',
      services: { [`${ns}/svc-${i % 1000}.${ns}.svc.cluster.local`]: { ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'HTTP11' }] } },
    }),
  };
}
function service(i) {
  const ns = `ns${i % 100}`;
  return {
    service: makeService({
      name: `svc-${i}`, namespace: ns, hostname: `svc-${i}.${ns}.svc.cluster.local`,
      addresses: [{ network: '', address: `10.96.${(i >> 8) & 255}.${i & 255}` }],
      ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'HTTP11' }],
    }),
  };
}
function authorization(i) {
  const ns = `ns${i % 100}`;
  return makeAuthorization({
    name: `policy-${i}`, namespace: ns, scope: i % 3 === 0 ? 'WORKLOAD_SELECTOR' : 'NAMESPACE', action: i % 5 === 0 ? 'DENY' : 'ALLOW',
    groups: [{ rules: [{ matches: [makeMatch({ principals: [{ exact: `cluster.local/ns/${ns}/sa/sa-${i % 50}` }] })] },
      { matches: [makeMatch({ destinationPorts: [8080] })] }] }],
  });
}

const pct = (arr, p) => {
  const s = [...arr].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] : 0;
};
const mib = (b) => Math.round((b / 1048576) * 10) / 10;

async function main() {
  const smoke = args.includes('--smoke');
  const clients = flag('--clients', 100);
  const W = flag('--workloads', 10_000);
  const S = flag('--services', 1_000);
  const A = flag('--authorizations', 1_000);
  const changes = smoke ? 10 : 50;
  const churnSeconds = flag('--churn-seconds', smoke ? 10 : 60);
  const out = { clients, workloads: W, services: S, authorizations: A, node: process.version, openssl: process.versions.openssl };

  const t0 = performance.now();
  const cache = new ResourceCache();
  for (let i = 0; i < W; i++) cache.setAddress(workload(i));
  for (let i = 0; i < S; i++) cache.setAddress(service(i));
  for (let i = 0; i < A; i++) cache.setAuthorization(authorization(i));
  out.encodeAllMs = Math.round(performance.now() - t0);
  const st = cache.stats();
  out.cacheMiB = mib(Object.values(st.bytes).reduce((a, b) => a + b, 0));
  // Single-resource delta encode (model -> Any value -> Resource bytes).
  {
    const n = 2000;
    const s = performance.now();
    for (let i = 0; i < n; i++) cache.setAddress(workload(i, 1));
    out.singleEncodeUs = Math.round(((performance.now() - s) * 1000) / n);
  }
  out.rssBeforeServerMiB = mib(process.memoryUsage().rss);
  const maxResponseBytes = flag('--max-response-kib', 0) * 1024 || undefined;
  const maxUnackedResponses = flag('--max-unacked', 0) || undefined;
  const srv = await listenAds({ cache, debounceMs: 100, ...(maxResponseBytes ? { maxResponseBytes } : {}), ...(maxUnackedResponses ? { maxUnackedResponses } : {}) });
  const { ads } = srv;
  const settled = new Set();
  let ackWaiter;
  ads.on('ack', (e) => {
    if (e.settled) settled.add(`${e.connectionId}|${e.typeUrl}`);
    ackWaiter?.(e);
  });

  // (a) cold start.
  const child = fork(fileURLToPath(import.meta.url), ['--child', String(srv.port), String(clients)], { stdio: 'inherit' });
  const started = await new Promise((resolve) => child.once('message', (m) => resolve(m)));
  const coldStart = performance.now();
  const cpu0 = process.cpuUsage();
  const childCpu = () => new Promise((resolve) => { child.once('message', resolve); child.send('cpu'); });
  const childCpu0 = await childCpu();
  if (started !== 'connecting') throw new Error('child did not start');
  await new Promise((resolve) => {
    ackWaiter = () => settled.size >= clients * 2 && resolve();
  });
  out.coldSyncMs = Math.round(performance.now() - coldStart);
  const cpu1 = process.cpuUsage(cpu0);
  const childCpu1 = await childCpu();
  out.coldSyncCpuMs = {
    server: Math.round((cpu1.user + cpu1.system) / 1000),
    clients: Math.round((childCpu1.user + childCpu1.system - childCpu0.user - childCpu0.system) / 1000),
  };
  out.rssAfterSyncMiB = mib(process.memoryUsage().rss);

  // (b) one changed workload -> ACKed by every client.
  const lat = [];
  for (let k = 0; k < changes; k++) {
    const i = (k * 7919) % W;
    let n = 0;
    const s = performance.now();
    const done = new Promise((resolve) => {
      ackWaiter = (e) => e.typeUrl === ADDRESS_TYPE_URL && e.changeToAckMs !== undefined && ++n === clients && resolve();
    });
    cache.setAddress(workload(i, 100 + k));
    await done;
    lat.push(performance.now() - s);
  }
  ackWaiter = undefined;
  out.oneChange = { samples: lat.length, p50Ms: Math.round(pct(lat, 0.5)), p99Ms: Math.round(pct(lat, 0.99)), maxMs: Math.round(Math.max(...lat)) };

  // (c) churn: 30 changes/s.
  const backlog = [];
  const rss = [];
  const before = ads.metrics();
  let gen = 1000;
  const churnStart = performance.now();
  // Paced by elapsed time (timers drift under load): exactly 30 changes per second on average.
  const churn = setInterval(() => {
    const due = Math.floor(((performance.now() - churnStart) * 30) / 1000) - (gen - 1000);
    for (let k = 0; k < due; k++) cache.setAddress(workload(Math.floor(Math.random() * W), gen++));
  }, 1000 / 30);
  await new Promise((resolve) => {
    const sample = setInterval(() => {
      let b = 0;
      for (const c of ads.connections()) for (const w of c.watches) b += w.pending + w.outstandingNonces;
      backlog.push(b);
      rss.push(process.memoryUsage().rss);
      if (performance.now() - churnStart >= churnSeconds * 1000) {
        clearInterval(sample);
        resolve();
      }
    }, 1000);
  });
  clearInterval(churn);
  const m = ads.metrics();
  const half = Math.floor(backlog.length / 2);
  out.churn = {
    seconds: churnSeconds, changes: gen - 1000, pushes: (m.pushes[ADDRESS_TYPE_URL] ?? 0) - (before.pushes[ADDRESS_TYPE_URL] ?? 0),
    backlogFirstHalfMax: Math.max(...backlog.slice(0, half)), backlogSecondHalfMax: Math.max(...backlog.slice(half)),
    pushLatencyP99Ms: Math.round(m.pushLatency.p99Ms), maxRssMiB: mib(Math.max(...rss)), backlogSeries: backlog,
  };
  out.nacks = m.nacks;
  out.unackedPauses = m.unackedPauses;
  out.backpressureWaits = m.backpressureWaits;
  out.rssEndMiB = mib(process.memoryUsage().rss);
  child.kill();
  await srv.close();

  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else {
    const lines = [
      `B12 xds: ${clients} delta clients, ${W} workloads + ${S} services + ${A} authorizations (node ${out.node}, openssl ${out.openssl})`,
      `  encode all resources once: ${out.encodeAllMs} ms (${out.cacheMiB} MiB cached); single workload encode: ${out.singleEncodeUs} µs`,
      `  (a) cold sync, all clients ACKed both types: ${out.coldSyncMs} ms (CPU: server ${out.coldSyncCpuMs.server} ms, clients ${out.coldSyncCpuMs.clients} ms)  [target ≤ 3000]`,
      `  (b) one change ACKed by all: p50 ${out.oneChange.p50Ms} ms, p99 ${out.oneChange.p99Ms} ms over ${out.oneChange.samples} (debounce 100 ms)  [target p99 ≤ 250]`,
      `  (c) churn 30/s for ${churnSeconds} s: ${out.churn.changes} changes, ${out.churn.pushes} pushes, backlog max ${out.churn.backlogFirstHalfMax} (1st half) / ${out.churn.backlogSecondHalfMax} (2nd half), push p99 ${out.churn.pushLatencyP99Ms} ms`,
      `      backlog per second: ${out.churn.backlogSeries.join(' ')}`,
      `  (d) server RSS: ${out.rssBeforeServerMiB} MiB with the cache built, ${out.rssAfterSyncMiB} MiB after sync, max ${out.churn.maxRssMiB} MiB under churn  [target ≤ 500]`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

// ---- client side (child process) ---------------------------------------------------------------------------------
/** Reads type_url (4) and nonce (5) of a DeltaDiscoveryResponse, skipping the resources. */
function envelope(buf) {
  const r = protobuf.Reader.create(buf);
  let typeUrl = '';
  let nonce = '';
  while (r.pos < r.len) {
    const tag = r.uint32();
    const f = tag >>> 3;
    if (f === 4) typeUrl = r.string();
    else if (f === 5) nonce = r.string();
    else r.skipType(tag & 7);
  }
  return { typeUrl, nonce };
}

function runClients(port, n, WINDOW = Number(process.env.XDS_BENCH_WINDOW ?? 4 * 1024 * 1024)) {
  const calls = [];
  for (let i = 0; i < n; i++) {
    // A local subchannel pool gives each client its own HTTP/2 connection, like separate ztunnels.
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 200 * 1024 * 1024,
      ...(WINDOW ? { 'grpc-node.flow_control_window': WINDOW } : {}),
    });
    const call = client.makeBidiStreamRequest(DELTA_ADS_PATH, encodeDeltaRequest, (b) => b, new grpc.Metadata());
    call.on('data', (buf) => {
      const { typeUrl, nonce } = envelope(buf);
      call.write({ typeUrl, responseNonce: nonce });
    });
    call.on('error', () => {});
    const node = { id: ztunnelNode({ ip: `10.200.0.${i}`, podName: `ztunnel-${i}`, podNamespace: 'istio-system' }).id };
    call.write({ node, typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
    call.write({ node, typeUrl: AUTHORIZATION_TYPE_URL, resourceNamesSubscribe: ['*'] });
    calls.push(call);
  }
  process.send('connecting');
  process.on('message', (m) => m === 'cpu' && process.send(process.cpuUsage()));
  process.on('disconnect', () => process.exit(0));
}

if (args[0] === '--child') runClients(Number(args[1]), Number(args[2]));
else await main();
