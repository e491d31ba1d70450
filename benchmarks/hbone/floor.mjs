#!/usr/bin/env node
// Floor measurements for the HBONE benchmark: the same work with no amesh code (bare node:tls, bare node:http2) next
// to @amesh/hbone, client and server in ONE process, so "CPU per operation" counts both ends.
// Usage: node benchmarks/hbone/floor.mjs [--only=tls,h2cold,h2warm,hbonecold,hbonewarm] [--seconds=S] [--concurrency=C] [--repeat=N]
import net from 'node:net';
import tls from 'node:tls';
import http2 from 'node:http2';

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const SECS = Number(arg('seconds', argv.includes('--smoke') ? '0.3' : '3'));
const C = Number(arg('concurrency', '1'));
const only = arg('only', 'tls,h2cold,h2warm,hbonecold,hbonewarm').split(',');
const REPEAT = Number(arg('repeat', '1'));

const { createTestCa } = await import('@amesh/spiffe/testing');
const { HbonePool, HboneServer } = await import('@amesh/hbone');
const ca = await createTestCa();
const client = ca.issue('default/client');
const server = ca.issue('default/server');
const ctx = (s) => ({ key: s.privateKeyPem, cert: s.certChainPem, ca: s.trustBundlePem });
const clientCtx = tls.createSecureContext({ ...ctx(client), minVersion: 'TLSv1.3' });

// backend: 1-byte echo
const echo = net.createServer({ noDelay: true }, (s) => s.pipe(s).on('error', () => {}));
await new Promise((r) => echo.listen(0, '127.0.0.1', r));
const echoPort = echo.address().port;

async function loop(name, once) {
  const until = Date.now() + SECS * 1000;
  let n = 0;
  const lat = [];
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (Date.now() < until) {
        const s = process.hrtime.bigint();
        await once();
        lat.push(Number(process.hrtime.bigint() - s) / 1e6);
        n++;
      }
    }),
  );
  const cpu = process.cpuUsage(c0);
  const wall = (Date.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const cpuMs = (cpu.user + cpu.system) / 1000 / n;
  process.stdout.write(
    `${name.padEnd(44)} ${String(Math.round(n / wall)).padStart(6)}/s  p50 ${lat[lat.length >> 1].toFixed(2)} ms  CPU ${cpuMs.toFixed(3)} ms/op (user ${(cpu.user / 1000 / n).toFixed(3)}, sys ${(cpu.system / 1000 / n).toFixed(3)})\n`,
  );
}

// ---- bare node:tls mTLS 1.3, shared contexts, 1 B echo on the TLS socket
if (only.includes('tls')) {
  const srv = tls.createServer({ ...ctx(server), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', ALPNProtocols: ['h2'] }, (t) => {
    t.setNoDelay(true);
    t.pipe(t).on('error', () => {});
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const port = srv.address().port;
  await loop('bare node:tls mTLS handshake + 1 B echo', () =>
    new Promise((resolve, reject) => {
      const t = tls.connect({ host: '127.0.0.1', port, secureContext: clientCtx, servername: '', ALPNProtocols: ['h2'], checkServerIdentity: () => undefined }, () => {
        t.setNoDelay(true);
        t.once('data', () => {
          t.destroy();
          resolve();
        });
        t.write('E');
      });
      t.once('error', reject);
    }),
  );
  srv.close();
}

// ---- bare node:http2 CONNECT over the same TLS (server connects to the echo backend before 200)
const H2 = { enablePush: false, initialWindowSize: 4 << 20, maxFrameSize: 1 << 20 };
if (only.includes('h2cold') || only.includes('h2warm')) {
  const srv = http2.createSecureServer({ ...ctx(server), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', settings: H2, streamResetBurst: 2 ** 31, streamResetRate: 2 ** 31 });
  srv.on('stream', (st) => {
    const up = net.connect({ port: echoPort, host: '127.0.0.1', noDelay: true }, () => {
      st.respond({ ':status': 200 });
      st.pipe(up).pipe(st);
    });
    up.on('error', () => st.close());
    st.on('error', () => up.destroy());
  });
  srv.on('session', (s) => s.setLocalWindowSize(16 << 20));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const port = srv.address().port;
  if (only.includes('h2cold')) await loop('bare node:http2 cold (TLS+h2+CONNECT+1 B echo)', () =>
    new Promise((resolve, reject) => {
      const sess = http2.connect(`https://127.0.0.1:${port}`, {
        createConnection: () => tls.connect({ host: '127.0.0.1', port, secureContext: clientCtx, servername: '', ALPNProtocols: ['h2'], checkServerIdentity: () => undefined }),
        settings: H2,
      });
      sess.on('error', reject);
      const st = sess.request({ ':method': 'CONNECT', ':authority': `127.0.0.1:${echoPort}` });
      st.once('response', () => {
        st.once('data', () => {
          sess.destroy();
          resolve();
        });
        st.write('E');
      });
      st.on('error', reject);
    }),
  );
  // warm: new stream on one connection
  const sess = http2.connect(`https://127.0.0.1:${port}`, {
    createConnection: () => tls.connect({ host: '127.0.0.1', port, secureContext: clientCtx, servername: '', ALPNProtocols: ['h2'], checkServerIdentity: () => undefined }),
    settings: H2,
  });
  for (let r = 0; r < REPEAT && only.includes('h2warm'); r++) await loop('bare node:http2 warm stream (CONNECT+1 B echo)', () =>
    new Promise((resolve, reject) => {
      const st = sess.request({ ':method': 'CONNECT', ':authority': `127.0.0.1:${echoPort}` });
      st.once('response', () => {
        st.once('data', () => {
          st.close();
          resolve();
        });
        st.write('E');
      });
      st.on('error', reject);
    }),
  );
  sess.destroy();
  srv.close();
}

// ---- @amesh/hbone
if (only.includes('hbonecold') || only.includes('hbonewarm')) {
  const hs = new HboneServer({
    identity: () => server,
    handler: (tun) => {
      const up = net.connect({ host: '127.0.0.1', port: echoPort, noDelay: true });
      up.once('connect', () => {
        const s = tun.accept();
        s.pipe(up).pipe(s);
        s.on('error', () => up.destroy());
      });
      up.once('error', () => tun.reject(503));
    },
  });
  const a = await hs.listen({ host: '127.0.0.1', port: 0 });
  const req = { source: client, destination: { address: '127.0.0.1', port: a.port }, expectedIdentities: [server.id], authority: `127.0.0.1:${echoPort}` };
  if (only.includes('hbonecold')) await loop('hbone cold (new pool: TLS+h2+CONNECT+1 B echo)', async () => {
    const pool = new HbonePool();
    const { stream } = await pool.connect(req);
    await new Promise((r) => {
      stream.once('data', r);
      stream.write('E');
    });
    pool.destroy();
  });
  const pool = new HbonePool();
  let errors = 0;
  for (let r = 0; r < REPEAT && only.includes('hbonewarm'); r++) await loop('hbone warm stream (CONNECT+1 B echo)', async () => {
    try {
      const { stream } = await pool.connect(req);
      await new Promise((r) => {
        stream.once('data', r);
        stream.write('E');
      });
      stream.destroy();
    } catch (err) {
      if (errors++ === 0) process.stderr.write(`warm stream failed: ${err.message}\n`);
    }
  });
  if (errors) process.stdout.write(`  (${errors} failed warm streams)\n`);
  pool.destroy();
  await hs.close({ graceMs: 10 });
}
echo.close();
process.stdout.write(`node ${process.version}, openssl ${process.versions.openssl}, concurrency ${C}, ${SECS}s each\n`);
process.exit(0);
