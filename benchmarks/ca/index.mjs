#!/usr/bin/env node
// B13 (shared/reference/performance-anchors.md): CA signing throughput, on one thread and with the signing pool.
//   pipeline = PEM CSR (ECDSA P-256 workload key, one SPIFFE URI SAN) → parse → verify the CSR signature →
//              check identity/trust domain/TTL → issue the certificate (DER template + crypto.sign) → PEM,
//   with a P-256 CA key and an RSA-2048 CA key, printed next to the raw `crypto.sign` rate of the same CA key
//   measured in the same run (interleaved rounds, median reported). Also: the CSR-verify and issue-only parts.
//   Pool: the same pipeline through `ca.signCsrAsync` with `signingWorkers: 2` (both cores of the B13 box), 128
//   requests kept in flight, for both offload modes (`request`: workers do everything; `issue`: this thread verifies
//   the CSR, workers issue+sign). Pool rates are wall-clock throughput; CPU-s there counts every thread. Next to
//   them: raw `crypto.sign` on 2 threads at once (what the machine gives two threads at that moment).
//   Rates are wall-clock; "per CPU-s" divides by process CPU time, which is the better figure on a busy machine.
// Usage: node benchmarks/ca/index.mjs [--smoke] [--json] [--only=ec|rsa] [--workers=N] [--rounds=N] [--seconds=S]
//   (imports the BUILT @amesh/spiffe: npx tsc -b packages/spiffe)
import { sign } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { CertificateAuthority, createCsr, generateKeySync, parseCsr, verifyCsr } from '@amesh/spiffe';

const smoke = process.argv.includes('--smoke');
const asJson = process.argv.includes('--json');
const argv = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const SECONDS = Number(argv('seconds') ?? (smoke ? 0.05 : 1));
const ROUNDS = Number(argv('rounds') ?? (smoke ? 1 : 5));
const POOL = smoke ? 16 : 256;
const ONLY = argv('only');
const WORKERS = Number(argv('workers') ?? 2);
const INFLIGHT = 128;

/** Runs `fn` repeatedly for about `seconds`; returns {rate (wall), cpuRate (per CPU-second)}. */
function measure(fn, seconds = SECONDS) {
  for (let i = 0; i < 20; i++) fn(i); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  const until = t0 + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 16; i++) fn(n++);
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rate: n / wall, cpuRate: n / ((cpu.user + cpu.system) / 1e6) };
}

/** Keeps INFLIGHT requests going through `ca.signCsrAsync` for about `seconds`; returns {rate, cpuRate}. */
async function measurePool(ca, seconds = SECONDS) {
  let i = 0;
  let n = 0;
  const run = async (until, count) => {
    await Promise.all(
      Array.from({ length: INFLIGHT }, async () => {
        while (performance.now() < until) {
          const c = csrs[i++ % POOL];
          const out = await ca.signCsrAsync(c.pem, { identity: c.id, ttlSeconds: 86400 });
          if (out.certChain.length !== 2) throw new Error('bad chain');
          if (count) n++;
        }
      }),
    );
  };
  await run(performance.now() + 100, false); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(t0 + seconds * 1000, true);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rate: n / wall, cpuRate: n / ((cpu.user + cpu.system) / 1e6) };
}

/** Raw `crypto.sign` on WORKERS threads at once for `seconds`: what the machine gives the pool right now. */
async function measureRawSignThreads(keyPem, seconds = SECONDS) {
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createPrivateKey, sign } = require('node:crypto');
    const key = createPrivateKey(workerData.keyPem);
    const data = Buffer.alloc(420, 0x5a);
    parentPort.once('message', () => {
      for (let i = 0; i < 20; i++) sign('sha256', data, key);
      const until = performance.now() + workerData.seconds * 1000;
      let n = 0;
      while (performance.now() < until) { sign('sha256', data, key); n++; }
      parentPort.postMessage(n);
    });
    parentPort.postMessage('ready');`;
  const ws = Array.from({ length: WORKERS }, () => new Worker(src, { eval: true, workerData: { keyPem, seconds } }));
  await Promise.all(ws.map((w) => new Promise((r) => w.once('message', r))));
  const t0 = performance.now();
  const counts = await Promise.all(ws.map((w) => new Promise((r) => { w.once('message', r); w.postMessage('go'); })));
  const wall = (performance.now() - t0) / 1000;
  await Promise.all(ws.map((w) => w.terminate()));
  return { rate: counts.reduce((a, b) => a + b, 0) / wall };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const TD = 'cluster.local';
const csrs = [];
for (let i = 0; i < POOL; i++) {
  const id = `spiffe://${TD}/ns/ns-${i % 50}/sa/sa-${i}`;
  csrs.push({ id, pem: createCsr({ key: generateKeySync({ type: 'ec' }), id }).pem });
}
const parsed = csrs.map((c) => parseCsr(c.pem));

const results = [];
for (const caType of ['ec', 'rsa'].filter((t) => !ONLY || t === ONLY)) {
  const ca = await CertificateAuthority.createRoot({ trustDomain: TD, type: caType });
  const pools = {};
  for (const offload of ['request', 'issue']) {
    pools[offload] = CertificateAuthority.fromPem({ certPem: ca.certificate.pem, keyPem: ca.privateKeyPem, rootCertPem: ca.trustBundlePem, signingWorkers: WORKERS, signingOffload: offload });
    await pools[offload].startSigningWorkers();
  }
  const tbsLike = Buffer.alloc(420, 0x5a); // about the size of a workload TBSCertificate
  const hash = caType === 'ec' ? 'sha256' : 'sha256';
  const rounds = { pipeline: [], pipelineCpu: [], rawSign: [], rawSignCpu: [], verify: [], verifyCpu: [], issue: [], issueCpu: [], poolRequest: [], poolRequestCpu: [], poolIssue: [], poolIssueCpu: [], rawSignThreads: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const raw = measure(() => sign(hash, tbsLike, ca.privateKey));
    rounds.rawSign.push(raw.rate);
    rounds.rawSignCpu.push(raw.cpuRate);
    const p = measure((i) => {
      const c = csrs[i % POOL];
      const out = ca.signCsr(c.pem, { identity: c.id, ttlSeconds: 86400 });
      if (out.certChain.length !== 2) throw new Error('bad chain');
    });
    rounds.pipeline.push(p.rate);
    rounds.pipelineCpu.push(p.cpuRate);
    const v = measure((i) => verifyCsr(parsed[i % POOL]));
    rounds.verify.push(v.rate);
    rounds.verifyCpu.push(v.cpuRate);
    const is = measure((i) => ca.issueUnchecked(csrs[i % POOL].id, parsed[i % POOL].spki, false, 86400));
    rounds.issue.push(is.rate);
    rounds.issueCpu.push(is.cpuRate);
    rounds.rawSignThreads.push((await measureRawSignThreads(ca.privateKeyPem)).rate);
    for (const [offload, key] of [['request', 'poolRequest'], ['issue', 'poolIssue']]) {
      const pr = await measurePool(pools[offload]);
      rounds[key].push(pr.rate);
      rounds[`${key}Cpu`].push(pr.cpuRate);
    }
  }
  for (const p of Object.values(pools)) await p.close();
  results.push({
    caKey: caType === 'ec' ? 'ECDSA P-256' : 'RSA-2048',
    pipelinePerS: Math.round(median(rounds.pipeline)),
    pipelinePerCpuS: Math.round(median(rounds.pipelineCpu)),
    rawSignPerS: Math.round(median(rounds.rawSign)),
    rawSignPerCpuS: Math.round(median(rounds.rawSignCpu)),
    ratioToRawSign: +(median(rounds.pipeline) / median(rounds.rawSign)).toFixed(3),
    cpuRatioToRawSign: +(median(rounds.pipelineCpu) / median(rounds.rawSignCpu)).toFixed(3),
    csrVerifyPerS: Math.round(median(rounds.verify)),
    csrVerifyPerCpuS: Math.round(median(rounds.verifyCpu)),
    issueOnlyPerS: Math.round(median(rounds.issue)),
    issueOnlyPerCpuS: Math.round(median(rounds.issueCpu)),
    poolWorkers: WORKERS,
    poolRequestPerS: Math.round(median(rounds.poolRequest)),
    poolRequestPerCpuS: Math.round(median(rounds.poolRequestCpu)),
    poolIssuePerS: Math.round(median(rounds.poolIssue)),
    poolIssuePerCpuS: Math.round(median(rounds.poolIssueCpu)),
    rawSignThreadsPerS: Math.round(median(rounds.rawSignThreads)),
    poolRatioToRawSignThreads: +(median(rounds.poolRequest) / median(rounds.rawSignThreads)).toFixed(3),
  });
}

const { availableParallelism, loadavg } = await import('node:os');
const meta = {
  node: process.versions.node,
  openssl: process.versions.openssl,
  seconds: SECONDS,
  rounds: ROUNDS,
  smoke,
  cpus: availableParallelism(),
  loadavg: loadavg().map((l) => +l.toFixed(2)),
  time: new Date().toISOString(),
};
if (asJson) {
  process.stdout.write(JSON.stringify({ meta, results }, null, 2) + '\n');
} else {
  process.stdout.write(
    `B13 CA signing (node ${meta.node}, openssl ${meta.openssl}, ${meta.cpus} CPUs, load ${meta.loadavg.join(' ')} at the end, ${meta.time}; ${ROUNDS} interleaved rounds × ${SECONDS}s, median)\n`,
  );
  process.stdout.write('wall /s (per CPU-s)\n');
  process.stdout.write(
    `| CA key | single thread CSR→verify→issue→PEM | pool ${WORKERS} workers, offload request | pool ${WORKERS} workers, offload issue | raw crypto.sign (1 thread) | raw crypto.sign (${WORKERS} threads) | single/raw wall (CPU) | pool request / raw ${WORKERS} threads | CSR parse+verify only | issue+PEM only |\n`,
  );
  process.stdout.write('|---|---|---|---|---|---|---|---|---|---|\n');
  for (const r of results) {
    process.stdout.write(
      `| ${r.caKey} | ${r.pipelinePerS} (${r.pipelinePerCpuS}) | ${r.poolRequestPerS} (${r.poolRequestPerCpuS}) | ${r.poolIssuePerS} (${r.poolIssuePerCpuS}) | ${r.rawSignPerS} (${r.rawSignPerCpuS}) | ${r.rawSignThreadsPerS} | ${r.ratioToRawSign} (${r.cpuRatioToRawSign}) | ${r.poolRatioToRawSignThreads} | ${r.csrVerifyPerS} (${r.csrVerifyPerCpuS}) | ${r.issueOnlyPerS} (${r.issueOnlyPerCpuS}) |\n`,
    );
  }
}
