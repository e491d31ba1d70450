#!/usr/bin/env node
// HBONE benchmark (B1 B2 B5 B7 B8 B9 of shared/reference/performance-anchors.md).
// Topology, one process each: loadgen (this process) → client proxy (TCP listener → HbonePool) → HBONE (mTLS 1.3,
// HTTP/2 CONNECT) → server proxy (HboneServer → TCP) → backend (sink / echo). "direct" is loadgen → backend.
// Every figure is measured direct and through HBONE, interleaved, 5 repetitions, median reported.
// Usage: node benchmarks/hbone/index.mjs [--smoke] [--reps N] [--seconds S] [--stream-window B] [--conn-window B]
import { fork } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const role = argv.find((a) => a.startsWith('--role='))?.slice(7);
const SMOKE = argv.includes('--smoke');
const CORK = argv.includes('--cork');
// --impl=bare: the two proxies use bare node:tls + node:http2 with the same settings and no amesh code at all
// (the floor this library sits on); default --impl=hbone
const BARE = argv.includes('--impl=bare');
// --impl=tcp: the two proxies relay plain TCP (no TLS, no HTTP/2): what the 4-process topology itself costs
const TCP = argv.includes('--impl=tcp');
const h2 = {};
if (flag('stream-window')) h2.streamWindow = flag('stream-window');
if (flag('conn-window')) h2.connectionWindow = flag('conn-window');
if (flag('frame')) h2.maxFrameSize = flag('frame');

/** utime+stime of a process in seconds (/proc/<pid>/stat, clock ticks of 10 ms) */
const cpuSec = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const rssKb = (pid = process.pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

/** Bidirectional copy with back-pressure and half-close (pipe both ways; errors tear both down). */
function splice(a, b) {
  if (CORK) {
    // batch the many small chunks one event-loop turn delivers into one writev
    for (const [src, dst] of [
      [a, b],
      [b, a],
    ]) {
      let corked = false;
      src.on('data', () => {
        if (corked) return;
        corked = true;
        dst.cork();
        process.nextTick(() => {
          corked = false;
          dst.uncork();
        });
      });
    }
  }
  a.pipe(b);
  b.pipe(a);
  const kill = () => {
    a.destroy();
    b.destroy();
  };
  a.once('error', kill);
  b.once('error', kill);
}

// ---------------------------------------------------------------------------------------------- child roles
async function backend() {
  // first byte: 'S' sink (on EOF answer the byte count), 'E' echo
  const srv = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => {
    s.setNoDelay(true);
    s.on('error', () => {});
    s.once('readable', function first() {
      const head = s.read(1);
      if (head === null) return s.once('readable', first);
      if (head[0] === 0x53) {
        let n = 0;
        s.on('data', (c) => (n += c.length));
        s.on('end', () => {
          const b = Buffer.alloc(8);
          b.writeBigUInt64BE(BigInt(n));
          s.end(b);
        });
      } else {
        s.unshift(head); // echo everything, the mode byte included
        s.pipe(s);
      }
    });
  });
  srv.listen(0, '127.0.0.1', () => process.send({ port: srv.address().port }));
}

const H2_BARE = () => ({
  enablePush: false,
  initialWindowSize: h2.streamWindow ?? 4 * 1024 * 1024,
  maxFrameSize: h2.maxFrameSize ?? 1024 * 1024,
});
const pemCtx = (p) => ({ key: p.key, cert: p.certChainPem, ca: p.trustBundlePem, minVersion: 'TLSv1.3' });

async function bareServerProxy(msg) {
  const srv = http2.createSecureServer({
    ...pemCtx(msg.server),
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: ['h2'],
    noDelay: true,
    settings: { ...H2_BARE(), maxConcurrentStreams: 200 },
    // as @amesh/hbone: nghttp2's rapid-reset limit would kill the connection during B7
    streamResetBurst: 2 ** 31,
    streamResetRate: 2 ** 31,
  });
  srv.on('session', (sess) => sess.setLocalWindowSize(h2.connectionWindow ?? 16 * 1024 * 1024));
  srv.on('stream', (st, headers) => {
    st.on('error', () => {});
    const port = Number(headers[':authority'].split(':').pop());
    if (port === 9) {
      st.respond({ ':status': 200 }, { endStream: false });
      st.resume();
      return;
    }
    const up = net.connect({ host: '127.0.0.1', port: msg.backendPort, noDelay: true, allowHalfOpen: true });
    up.once('connect', () => {
      st.respond({ ':status': 200 }, { endStream: false });
      splice(st, up);
    });
    up.once('error', () => st.respond({ ':status': 503 }, { endStream: true }));
  });
  srv.listen(0, '127.0.0.1', () => process.send({ port: srv.address().port }));
}

/** A bare node:http2 client session with the benchmark's settings (no pooling logic, no identity check). */
function bareSession(p, hbonePort, ctx) {
  const sess = http2.connect(`https://127.0.0.1:${hbonePort}`, {
    createConnection: () =>
      tls.connect({ host: '127.0.0.1', port: hbonePort, secureContext: ctx, servername: '', ALPNProtocols: ['h2'], noDelay: true, checkServerIdentity: () => undefined }),
    settings: H2_BARE(),
  });
  sess.on('connect', () => sess.setLocalWindowSize(h2.connectionWindow ?? 16 * 1024 * 1024));
  sess.on('error', () => {});
  return sess;
}

function bareConnect(sess, authority) {
  return new Promise((resolve, reject) => {
    const st = sess.request({ ':method': 'CONNECT', ':authority': authority }, { endStream: false });
    st.once('response', (h) => (h[':status'] === 200 ? resolve(st) : reject(new Error(`status ${h[':status']}`))));
    st.once('error', reject);
  });
}

async function bareClientProxy(msg) {
  const ctx = tls.createSecureContext(pemCtx(msg.client));
  const sessions = [];
  let next = 0;
  const srv = net.createServer({ noDelay: true, allowHalfOpen: true }, async (s) => {
    s.on('error', () => {});
    s.pause();
    try {
      // --bare-conns N: round-robin over N connections (default 1)
      const i = next++ % (flag('bare-conns') || 1);
      if (!sessions[i] || sessions[i].closed || sessions[i].destroyed) sessions[i] = bareSession(msg.client, msg.hbonePort, ctx);
      const sess = sessions[i];
      const st = await bareConnect(sess, `127.0.0.1:${msg.backendPort}`);
      splice(s, st);
    } catch (err) {
      process.stderr.write(`bare client proxy: ${err.message}\n`);
      s.destroy();
    }
  });
  srv.listen(0, '127.0.0.1', () => process.send({ port: srv.address().port }));
}

function tcpRelay(port, msg) {
  const srv = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.pause();
    const up = net.connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: true });
    up.once('connect', () => splice(s, up));
    up.once('error', () => s.destroy());
  });
  srv.listen(0, '127.0.0.1', () => process.send({ port: srv.address().port }));
}

async function serverProxy(msg) {
  if (TCP) return tcpRelay(msg.backendPort, msg);
  if (BARE) return bareServerProxy(msg);
  const { HboneServer } = await import('@amesh/hbone');
  const { Svid } = await import('@amesh/spiffe');
  const svid = new Svid(msg.server);
  const server = new HboneServer({
    identity: () => svid,
    h2,
    handler: (tun) => {
      if (tun.authority.port === 9) {
        // discard: the library-only memory figure holds bare tunnels
        tun.accept().resume();
        return;
      }
      const up = net.connect({ host: '127.0.0.1', port: msg.backendPort, noDelay: true, allowHalfOpen: true });
      up.once('connect', () => {
        const s = tun.accept();
        splice(s, up);
      });
      up.once('error', () => tun.reject(503));
    },
  });
  const a = await server.listen({ host: '127.0.0.1', port: 0 });
  process.send({ port: a.port });
}

async function clientProxy(msg) {
  if (TCP) return tcpRelay(msg.hbonePort, msg);
  if (BARE) return bareClientProxy(msg);
  const { HbonePool } = await import('@amesh/hbone');
  const { Svid } = await import('@amesh/spiffe');
  const source = new Svid(msg.client);
  // --spread S,C: HbonePool's `spread` option (least-loaded connection; dial another while all carry ≥ S streams, up to C)
  const sp = argv.find((a) => a.startsWith('--spread='))?.slice(9).split(',').map(Number);
  const pool = new HbonePool({ h2, ...(sp ? { spread: { streams: sp[0], connections: sp[1] } } : {}) });
  const srv = net.createServer({ noDelay: true, allowHalfOpen: true }, async (s) => {
    s.on('error', () => {});
    s.pause();
    try {
      const { stream } = await pool.connect({
        source,
        destination: { address: '127.0.0.1', port: msg.hbonePort },
        expectedIdentities: [msg.serverId],
        authority: `127.0.0.1:${msg.backendPort}`,
        headers: { forwarded: `for="${s.remoteAddress}:${s.remotePort}"` },
      });
      splice(s, stream);
    } catch (err) {
      process.stderr.write(`client proxy: ${err.message}\n`);
      s.destroy();
    }
  });
  srv.listen(0, '127.0.0.1', () => process.send({ port: srv.address().port }));
}

// ---------------------------------------------------------------------------------------------- load generator
function child(r, init) {
  // --prof-dir=DIR: each child writes a V8 CPU profile there (children then exit on disconnect instead of a kill)
  const prof = argv.find((a) => a.startsWith('--prof-dir='))?.slice(11);
  const c = fork(new URL(import.meta.url).pathname, [`--role=${r}`, ...argv], {
    execArgv: ['--expose-gc', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`, `--cpu-prof-name=${r}.cpuprofile`] : [])],
  });
  const ready = new Promise((resolve) => c.once('message', resolve));
  c.send(init);
  return { proc: c, ready };
}
function ask(c, cmd) {
  return new Promise((resolve) => {
    c.once('message', resolve);
    c.send({ cmd });
  });
}

const connect = (port) =>
  new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });

async function bulk(port, seconds, streams) {
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  const t0 = process.hrtime.bigint();
  const one = async () => {
    const s = await connect(port);
    const done = new Promise((resolve, reject) => {
      const parts = [];
      s.on('data', (d) => parts.push(d));
      s.on('end', () => resolve(Number(Buffer.concat(parts).readBigUInt64BE())));
      s.on('error', reject);
    });
    s.write('S');
    const until = Date.now() + seconds * 1000;
    await new Promise((resolve) => {
      const pump = () => {
        while (Date.now() < until) if (!s.write(chunk)) return void s.once('drain', pump);
        s.end();
        resolve();
      };
      pump();
    });
    return done;
  };
  const counts = await Promise.all(Array.from({ length: streams }, one));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const gb = (counts.reduce((a, b) => a + b, 0) * 8) / 1e9;
  return { gbps: gb / secs, gb };
}

async function echoLatency(port, seconds) {
  const s = await connect(port);
  s.write('E');
  const msg = Buffer.alloc(1024, 0x62);
  const samples = [];
  const until = Date.now() + seconds * 1000;
  let got = -1; // the echoed mode byte
  let resolveOne;
  s.on('data', (d) => {
    got += d.length;
    if (got >= 1024) {
      got -= 1024;
      resolveOne();
    }
  });
  // warm-up
  for (let i = 0; i < 200; i++) await new Promise((r) => ((resolveOne = r), s.write(msg)));
  while (Date.now() < until) {
    const t0 = process.hrtime.bigint();
    await new Promise((r) => ((resolveOne = r), s.write(msg)));
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  s.destroy();
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { p50: q(0.5), p99: q(0.99), p999: q(0.999), n: samples.length };
}

async function connRate(port, seconds, concurrency) {
  const until = Date.now() + seconds * 1000;
  let n = 0;
  const lat = [];
  const worker = async () => {
    while (Date.now() < until) {
      const t0 = process.hrtime.bigint();
      const s = await connect(port);
      await new Promise((resolve, reject) => {
        s.once('data', resolve);
        s.once('error', reject);
        s.once('close', () => reject(new Error('closed before the echo')));
        s.write('E');
      });
      s.destroy();
      lat.push(Number(process.hrtime.bigint() - t0) / 1000);
      n++;
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  lat.sort((a, b) => a - b);
  return { rate: n / ((Date.now() - t0) / 1000), p50: lat[Math.floor(lat.length / 2)], n };
}

async function coldRate(HbonePool, ids, hbonePort, backendPort, seconds, concurrency) {
  const until = Date.now() + seconds * 1000;
  let n = 0;
  const lat = [];
  const worker = async () => {
    while (Date.now() < until) {
      const t0 = process.hrtime.bigint();
      if (BARE) {
        const sess = bareSession(null, hbonePort, ids.bareCtx);
        const st = await bareConnect(sess, `127.0.0.1:${backendPort}`);
        await new Promise((resolve) => {
          st.once('data', resolve);
          st.write('E');
        });
        sess.destroy();
      } else {
        const pool = new HbonePool({ h2 });
        const { stream } = await pool.connect({
          source: ids.client,
          destination: { address: '127.0.0.1', port: hbonePort },
          expectedIdentities: [ids.serverId.id],
          authority: `127.0.0.1:${backendPort}`,
        });
        await new Promise((resolve) => {
          stream.once('data', resolve);
          stream.write('E');
        });
        pool.destroy();
      }
      lat.push(Number(process.hrtime.bigint() - t0) / 1000);
      n++;
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  lat.sort((a, b) => a - b);
  return { rate: n / ((Date.now() - t0) / 1000), p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)], n };
}

async function idleMemory(port, procs, n) {
  const before = await Promise.all(procs.map((p) => ask(p, 'rss')));
  const socks = [];
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, async () => {
        const s = await connect(port);
        await new Promise((resolve) => {
          s.once('data', resolve);
          s.write('E');
        });
        return s;
      }),
    );
    socks.push(...batch);
  }
  const after = await Promise.all(procs.map((p) => ask(p, 'rss')));
  for (const s of socks) s.destroy();
  return procs.map((_, i) => ((after[i].rss - before[i].rss) * 1024) / n / 1024); // KiB per tunnel
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

async function main() {
  const REPS = flag('reps', SMOKE ? 1 : 5);
  const SECS = flag('seconds', SMOKE ? 0.2 : 2);
  const { createTestCa } = await import('@amesh/spiffe/testing');
  const { HbonePool } = await import('@amesh/hbone');
  const ca = await createTestCa();
  const client = ca.issue('default/client');
  const serverId = ca.issue('default/server');
  const pem = (s) => ({ key: s.privateKeyPem, certChainPem: s.certChainPem, trustBundlePem: s.trustBundlePem });

  const be = child('backend', {});
  const backendPort = (await be.ready).port;
  const sp = child('server', { server: pem(serverId), backendPort });
  const hbonePort = (await sp.ready).port;
  const cp = child('client', { client: pem(client), serverId: serverId.id.toString(), hbonePort, backendPort });
  const clientPort = (await cp.ready).port;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    [be, sp, cp].forEach((c) => (argv.some((a) => a.startsWith('--prof-dir=')) ? c.proc.disconnect() : c.proc.kill()));
  };
  process.on('exit', stop);

  const out = (line) => process.stdout.write(`${line}\n`);
  out(`node ${process.version}, openssl ${process.versions.openssl}, ${REPS} reps × ${SECS}s, h2 ${JSON.stringify(h2)}${BARE ? ', --impl=bare: bare node:tls + node:http2 proxies (no amesh code)' : ''}${TCP ? ', --impl=tcp: the proxies relay plain TCP (no TLS, no HTTP/2)' : ''}`);
  out(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (2 vCPU)`);
  out('topology: loadgen → client proxy (HbonePool) → HBONE → server proxy (HboneServer) → backend; direct: loadgen → backend');

  // warm: establish the pooled connection
  await connRate(clientPort, 0.2, 1);
  await connRate(backendPort, 0.2, 1);

  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? onlyArg.slice(7).split(',') : undefined;
  const want = (id) => !only || only.includes(id);
  const rows = [[0, 0, 1]];
  const allPids = [process.pid, be.proc.pid, sp.proc.pid, cp.proc.pid];
  const cpuOf = (pids) => pids.reduce((a, p) => a + cpuSec(p), 0);
  // runs fn and returns [result, CPU seconds used by the processes on the path]
  const withCpu = async (fn, pids) => {
    const c0 = cpuOf(pids);
    const r = await fn();
    return [r, cpuOf(pids) - c0];
  };
  const pair = async (name, fn, pick, higherBetter = true, perCpu) => {
    const d = [];
    const m = [];
    const dc = [];
    const mc = [];
    const split = allPids.map(() => 0);
    let meshWall = 0;
    for (let i = 0; i < REPS; i++) {
      const [rd, cd] = await withCpu(() => fn(backendPort), [process.pid, be.proc.pid]);
      const per0 = allPids.map((p) => cpuSec(p));
      const w0 = process.hrtime.bigint();
      const [rm, cm] = await withCpu(() => fn(clientPort), allPids);
      meshWall += Number(process.hrtime.bigint() - w0) / 1e9;
      allPids.forEach((p, j) => (split[j] += cpuSec(p) - per0[j]));
      d.push(pick(rd));
      m.push(pick(rm));
      if (perCpu) {
        dc.push(perCpu(rd) / cd);
        mc.push(perCpu(rm) / cm);
      }
    }
    const md = median(d);
    const mm = median(m);
    rows.push([name, md, mm, higherBetter ? mm / md : mm - md]);
    let line = `${name.padEnd(34)} direct ${fmt(md).padStart(10)}  hbone ${fmt(mm).padStart(10)}  ${higherBetter ? 'ratio' : 'added'} ${fmt(higherBetter ? mm / md : mm - md, higherBetter ? 3 : 1)}`;
    if (perCpu) line += `   | per CPU-second (all processes on the path): direct ${fmt(median(dc))}  hbone ${fmt(median(mc))}  ratio ${fmt(median(mc) / median(dc), 3)}`;
    out(line);
    if (perCpu) {
      const names = ['loadgen', 'backend', 'server proxy', 'client proxy'];
      out(`   mesh runs, cores used: ${split.map((c, j) => `${names[j]} ${fmt(c / meshWall)}`).join(', ')}; total ${fmt(split.reduce((a, b) => a + b, 0) / meshWall)}`);
    }
    return { md, mm };
  };

  const N = SMOKE ? 200 : 2000;
  let releaseBare = () => {};
  if (want('b9')) {
    // the library's own share: bare tunnels held in this process (client) and by the server proxy (discard handler)
    const pool = new HbonePool({ h2 });
    const req = { source: client, destination: { address: '127.0.0.1', port: hbonePort }, expectedIdentities: [serverId.id], authority: '127.0.0.1:9' };
    const held = [];
    for (let i = 0; i < 100; i++) held.push(await pool.connect(req));
    globalThis.gc?.();
    const c0 = rssKb();
    const s0 = (await ask(sp.proc, 'rss')).rss;
    for (let i = 0; i < N; i += 100) held.push(...(await Promise.all(Array.from({ length: 100 }, () => pool.connect(req)))));
    globalThis.gc?.();
    const c1 = rssKb();
    const s1 = (await ask(sp.proc, 'rss')).rss;
    releaseBare = () => pool.destroy();
    out(`B9 bare HBONE streams (${N}, 100/connection) KiB each: client ${fmt((c1 - c0) / N, 1)}, server ${fmt((s1 - s0) / N, 1)}`);
  }
  if (want('b9')) {
  const mem = await idleMemory(clientPort, [cp.proc, sp.proc, be.proc], N);
  const memDirect = await idleMemory(backendPort, [be.proc], N);
  out(`B9 idle tunnels (${N}) KiB each: client proxy ${fmt(mem[0], 1)}, server proxy ${fmt(mem[1], 1)}, backend ${fmt(mem[2], 1)}; direct backend ${fmt(memDirect[0], 1)}`);
  }
  releaseBare();
  let p1 = { mm: NaN };
  let p8 = { mm: NaN };
  if (want('b1')) p1 = await pair('B1 single-stream Gb/s', (p) => bulk(p, SECS, 1), (x) => x.gbps, true, (x) => x.gb);
  if (want('b2')) p8 = await pair('B2 8-stream aggregate Gb/s', (p) => bulk(p, SECS, 8), (x) => x.gbps, true, (x) => x.gb);
  const lat = [];
  for (let i = 0; want('b5') && i < REPS; i++) lat.push([await echoLatency(backendPort, SECS), await echoLatency(clientPort, SECS)]);
  for (const k of lat.length ? ['p50', 'p99', 'p999'] : []) {
    const md = median(lat.map((x) => x[0][k]));
    const mm = median(lat.map((x) => x[1][k]));
    out(`${`B5 1 KiB echo ${k} µs`.padEnd(34)} direct ${fmt(md, 1).padStart(10)}  hbone ${fmt(mm, 1).padStart(10)}  added ${fmt(mm - md, 1)}  ratio ${fmt(mm / md, 2)}`);
  }
  if (lat.length) out(`   (echo samples per run: direct ${lat[0][0].n}, hbone ${lat[0][1].n})`);
  if (want('b7')) {
  await pair('B7 new conns/s c=1 (warm pool)', (p) => connRate(p, SECS, 1), (x) => x.rate, true, (x) => x.n);
  await pair('B7 new conns/s c=16 (warm pool)', (p) => connRate(p, SECS, 16), (x) => x.rate, true, (x) => x.n);
  await pair('B7 setup p50 µs c=1', (p) => connRate(p, SECS, 1), (x) => x.p50, false);
  }

  const ids = { client, serverId, bareCtx: tls.createSecureContext(pemCtx(pem(client))) };
  for (const c of want('b8') ? [1, 8] : []) {
    const r = [];
    const d = [];
    for (let i = 0; i < REPS; i++) {
      d.push(await connRate(backendPort, SECS, c));
      const [x, cpu] = await withCpu(() => coldRate(HbonePool, ids, hbonePort, backendPort, SECS, c), [process.pid, sp.proc.pid, be.proc.pid]);
      r.push({ ...x, perCpu: x.n / cpu });
    }
    out(
      `${`B8 cold HBONE setups/s c=${c}`.padEnd(34)} direct TCP ${fmt(median(d.map((x) => x.rate)), 0).padStart(6)}  hbone ${fmt(median(r.map((x) => x.rate)), 0).padStart(6)}  hbone p50 ${fmt(median(r.map((x) => x.p50)) / 1000, 2)} ms p99 ${fmt(median(r.map((x) => x.p99)) / 1000, 2)} ms; ${fmt(median(r.map((x) => x.perCpu)), 0)} setups per CPU-second (loadgen+server+backend)`,
    );
  }

  if (want('b1') && want('b2')) out(`B2 mesh P8/P1 ratio: ${fmt(p8.mm / p1.mm, 2)}`);
  stop();
  process.exit(0);
}

if (role) {
  let started = false;
  process.on('message', async (msg) => {
    if (msg.cmd === 'rss') {
      globalThis.gc?.();
      globalThis.gc?.();
      process.send({ rss: rssKb() });
      return;
    }
    if (started) return;
    started = true;
    if (role === 'backend') await backend();
    else if (role === 'server') await serverProxy(msg);
    else await clientProxy(msg);
  });
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}

