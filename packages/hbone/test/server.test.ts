import t, { type Test } from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import http2, { type ClientHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';
import { clientTlsOptions, Svid, type SpiffeId } from '@amesh/spiffe';
import { createTestCa } from '@amesh/spiffe/testing';
import { HboneError, HboneErrorCode } from '../src/errors.js';
import { HboneServer, serverOptionProblems, type InboundTunnel } from '../src/server.js';
import { mesh, startServer, newPool, roundTrip, once, echoHandler } from './fixtures/mesh.js';

/** A raw HTTP/2 client session (for requests the pool would never send). */
async function rawSession(t: Test, port: number, svid: Svid, expected: (SpiffeId | string)[]): Promise<ClientHttp2Session> {
  const s = http2.connect('https://hbone', { createConnection: () => tls.connect({ host: '127.0.0.1', port, ...clientTlsOptions(svid, expected) }) });
  s.on('error', () => {});
  t.teardown(() => s.destroy());
  await once(s, 'connect');
  return s;
}

function statusOf(s: ClientHttp2Session, headers: http2.OutgoingHttpHeaders): Promise<number> {
  return new Promise((resolve, reject) => {
    const st = s.request(headers, { endStream: false });
    st.on('response', (h) => resolve(Number(h[':status'])));
    st.on('error', reject);
    st.resume();
  });
}

function logger() {
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
  const mk = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg });
  const log = { trace: mk('trace'), debug: mk('debug'), info: mk('info'), warn: mk('warn'), error: mk('error'), child: () => log };
  return { log, lines };
}

const dst = (port: number) => ({ address: '127.0.0.1', port });

t.test('non-CONNECT methods and malformed authorities get 400; the connection keeps serving', async (t) => {
  const m = await mesh();
  let handled = 0;
  const { port } = await startServer(t, {
    handler: (tun) => {
      handled++;
      echoHandler(tun);
    },
  });
  const s = await rawSession(t, port, m.client, [m.serverId.id]);
  t.equal(await statusOf(s, { ':method': 'GET', ':path': '/' }), 400, 'GET');
  t.equal(await statusOf(s, { ':method': 'POST', ':path': '/x' }), 400, 'POST');
  for (const authority of ['nope', '1.2.3.4', '1.2.3.4:0', '1.2.3.4:99999', '::1:80', 'a_b:80', 'host:8o', '[1.2.3.4]:80', 'x'.repeat(400) + ':80']) {
    t.equal(await statusOf(s, { ':method': 'CONNECT', ':authority': authority }), 400, `authority ${authority.slice(0, 20)}`);
  }
  t.equal(handled, 0, 'the handler never saw a bad request');
  t.equal(await statusOf(s, { ':method': 'CONNECT', ':authority': '1.2.3.4:80' }), 200);
  t.equal(await statusOf(s, { ':method': 'CONNECT', ':authority': 'svc.ns.svc.cluster.local:80' }), 200, 'host:port');
});

t.test('handler outcomes: 401, 503, throw → 503, async failure → 503, no answer → 503', async (t) => {
  const m = await mesh();
  const { log, lines } = logger();
  const { port } = await startServer(t, {
    logger: log,
    handler: async (tun) => {
      switch (tun.authority.port) {
        case 1:
          return tun.reject(401);
        case 2:
          return tun.reject(503);
        case 3:
          throw new Error('boom');
        case 4:
          await Promise.resolve();
          throw new Error('async boom');
        case 5:
          return;
        default:
          tun.accept().end();
          t.throws(() => tun.accept(), { code: HboneErrorCode.INVALID_OPTIONS }, 'answering twice is a bug');
          tun.reject(401); // ignored: already answered
      }
    },
  });
  const s = await rawSession(t, port, m.client, [m.serverId.id]);
  const got = [];
  for (let p = 1; p <= 6; p++) got.push(await statusOf(s, { ':method': 'CONNECT', ':authority': `10.0.0.1:${p}` }));
  t.same(got, [401, 503, 503, 503, 503, 200]);
  t.ok(lines.some((l) => l.level === 'warn' && /handler (threw|failed)/.test(l.msg ?? '')), 'failures are logged');
});

t.test('TLS refusals: no client cert, untrusted CA, expired cert, wrong trust domain, non-h2 ALPN; others keep working', async (t) => {
  const m = await mesh();
  const foreign = await createTestCa();
  const past = await createTestCa({ now: () => Date.now() - 3 * 24 * 3600_000 });
  const otherTd = await createTestCa({ trustDomain: 'other.domain' });
  const expired = past.issue('default/client', { ttlSeconds: 3600 });
  // the server trusts both roots, so only the trust-domain check can refuse the other.domain client
  const server = new Svid({ key: m.serverId.key.privateKey, certChainPem: m.serverId.certChainPem, trustBundlePem: m.ca.trustBundlePem + otherTd.trustBundlePem + past.trustBundlePem });
  const { log, lines } = logger();
  const { port, server: hs } = await startServer(t, { svid: server, logger: log });
  const refused: string[] = [];
  hs.on('refused', (e: { reason: string }) => refused.push(e.reason));
  const pool = newPool(t);
  const good = await pool.connect({ source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' });

  const attempt = (opts: tls.ConnectionOptions) =>
    new Promise<string>((resolve) => {
      const c = tls.connect({ host: '127.0.0.1', port, ...opts });
      c.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message));
      c.on('close', () => resolve('closed'));
      c.on('secureConnect', () => c.resume());
    });
  // each client trusts our root too, so only the server's checks can refuse it
  const trusting = (x: Svid) => new Svid({ key: x.key.privateKey, certChainPem: x.certChainPem, trustBundlePem: x.trustBundlePem + m.ca.trustBundlePem });
  const noCert = { ALPNProtocols: ['h2'], ca: m.ca.trustBundlePem, checkServerIdentity: () => undefined, minVersion: 'TLSv1.3' as const };
  t.ok(await attempt(noCert), 'no client certificate');
  t.ok(await attempt(clientTlsOptions(trusting(foreign.issue('default/client')), [m.serverId.id])), 'untrusted CA');
  t.ok(await attempt(clientTlsOptions(trusting(expired), [m.serverId.id])), 'expired');
  t.ok(await attempt(clientTlsOptions(trusting(otherTd.issue('default/client')), [m.serverId.id])), 'other trust domain');
  t.ok(await attempt({ ...clientTlsOptions(m.client, [m.serverId.id]), ALPNProtocols: ['http/1.1'] }), 'ALPN http/1.1');
  while (refused.length < 5) await once(hs, 'refused');
  t.equal(refused.length, 5, 'each attempt was refused');
  t.match(refused.join('\n'), /trust domain other\.domain/);
  t.match(refused.join('\n'), /CERT_HAS_EXPIRED|expired/);
  t.match(refused.join('\n'), /ALPN|application protocol/);
  t.ok(lines.filter((l) => l.level === 'warn').length >= 5, 'each refusal is logged with its reason');
  t.equal(hs.connections, 1, 'only the good connection was served');
  t.equal((await roundTrip(good.stream, Buffer.from('unaffected'))).toString(), 'unaffected');
});

t.test('the certificate is chosen by the local address the client dialled (no SNI)', async (t) => {
  const m = await mesh();
  const server = new HboneServer({
    identity: (local) => (local.address === '127.0.0.2' ? m.other : local.address === '127.0.0.1' ? m.serverId : undefined),
    handler: (tun) => {
      tun.accept().end(`${tun.local.address} ${tun.localIdentity}`);
    },
  });
  t.teardown(() => server.close({ graceMs: 10 }));
  const a = await server.listen({ host: '0.0.0.0' });
  const pool = newPool(t);
  for (const [address, svid] of [
    ['127.0.0.1', m.serverId],
    ['127.0.0.2', m.other],
  ] as const) {
    const tun = await pool.connect({ source: m.client, destination: { address, port: a.port }, expectedIdentities: [svid.id], authority: '10.0.0.1:80' });
    t.equal((await roundTrip(tun.stream, Buffer.alloc(0))).toString(), `${address} ${svid.id.toString()}`);
  }
  const refused = once<{ reason: string }>(server, 'refused');
  const err = await pool
    .connect({ source: m.client, destination: { address: '127.0.0.3', port: a.port }, expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' })
    .catch((e: unknown) => e);
  t.equal((err as HboneError).code, HboneErrorCode.CONNECT_FAILED, 'no identity for the address: refused');
  t.match((await refused).reason, /no identity/);
});

t.test('half-close: exact byte accounting in both directions', async (t) => {
  const m = await mesh();
  const N = 3 * 1024 * 1024 + 7;
  let serverGot = -1;
  const { port } = await startServer(t, {
    handler: (tun) => {
      const s = tun.accept();
      let n = 0;
      s.on('data', (c: Buffer) => (n += c.length));
      s.on('end', () => {
        serverGot = n;
        // the client half-closed; the server can still send, then ends its side
        s.end(Buffer.alloc(12345, 1));
      });
    },
  });
  const pool = newPool(t);
  const tun = await pool.connect({ source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' });
  const back = await roundTrip(tun.stream, Buffer.alloc(N, 7));
  t.equal(serverGot, N, 'server read exactly what the client wrote before its END_STREAM');
  t.equal(back.length, 12345, 'client read exactly what the server wrote after the half-close');

  // the other way round: the server ends first, the client keeps writing
  let late = 0;
  let counted!: () => void;
  const allCounted = new Promise<void>((r) => (counted = r));
  const { port: p2 } = await startServer(t, {
    handler: (tun) => {
      const s = tun.accept();
      s.end('server done');
      s.on('data', (c: Buffer) => (late += c.length));
      s.on('end', () => counted());
    },
  });
  const t2 = await pool.connect({ source: m.client, destination: dst(p2), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' });
  const chunks: Buffer[] = [];
  t2.stream.on('data', (c: Buffer) => chunks.push(c));
  await once(t2.stream, 'end');
  t.equal(Buffer.concat(chunks).toString(), 'server done');
  t2.stream.end(Buffer.alloc(1000));
  await allCounted;
  t.equal(late, 1000, 'bytes written after the peer half-closed still arrive');
});

t.test('RST_STREAM CANCEL and NO_ERROR read as EOF, other codes as errors', async (t) => {
  const m = await mesh();
  const { port } = await startServer(t, {
    handler: (tun) => {
      const s = tun.accept() as http2.ServerHttp2Stream;
      s.write('partial');
      s.once('data', () => s.close(tun.authority.port === 1 ? http2.constants.NGHTTP2_CANCEL : tun.authority.port === 2 ? http2.constants.NGHTTP2_NO_ERROR : http2.constants.NGHTTP2_INTERNAL_ERROR));
    },
  });
  const pool = newPool(t);
  for (const [p, want] of [
    [1, 'eof'],
    [2, 'eof'],
    [3, 'error'],
  ] as const) {
    const tun = await pool.connect({ source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: `10.0.0.1:${p}` });
    const outcome = await new Promise<string>((resolve) => {
      let errored = false;
      tun.stream.on('data', () => {});
      tun.stream.on('error', () => (errored = true));
      tun.stream.on('close', () => resolve(errored ? 'error' : 'eof'));
      tun.stream.write('x');
    });
    t.equal(outcome, want, `code for port ${p}`);
  }
});

t.test('a slow reader is bounded by flow control; other tunnels on the connection keep working', async (t) => {
  const m = await mesh();
  let stalled: Duplex | undefined;
  const { port } = await startServer(t, {
    handler: (tun) => {
      if (tun.authority.port === 1) {
        stalled = tun.accept();
        stalled.pause(); // never reads
      } else echoHandler(tun);
    },
  });
  const pool = newPool(t);
  const req = { source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id] };
  const slow = await pool.connect({ ...req, authority: '10.0.0.1:1' });
  const chunk = Buffer.alloc(64 * 1024, 3);
  let accepted = 0;
  // write until the stream stops draining (the peer's window is exhausted)
  for (;;) {
    accepted += chunk.length;
    if (!slow.stream.write(chunk)) {
      const drained = await Promise.race([once(slow.stream, 'drain').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
      if (!drained) break;
    }
    if (accepted > 64 * 1024 * 1024) break;
  }
  t.ok(accepted <= 6 * 1024 * 1024, `the client could push only ${accepted} bytes into a stalled tunnel (≈ the 4 MiB stream window)`);
  t.ok(stalled!.readableLength <= 5 * 1024 * 1024, `the server buffers ${stalled!.readableLength} bytes for it`);
  const other = await pool.connect({ ...req, authority: '10.0.0.1:2' });
  t.equal((await roundTrip(other.stream, Buffer.alloc(256 * 1024, 9))).length, 256 * 1024, 'another tunnel on the same connection works');
  t.equal(pool.stats().connections, 1);
  // the reader resumes: every byte arrives
  let got = 0;
  stalled!.on('data', (c: Buffer) => (got += c.length));
  const ended = once(stalled!, 'end');
  stalled!.resume();
  slow.stream.end();
  await ended;
  t.equal(got, accepted, 'nothing was lost');
});

t.test('a client opening many streams is bounded by SETTINGS_MAX_CONCURRENT_STREAMS', async (t) => {
  const m = await mesh();
  let live = 0;
  let peak = 0;
  const { port } = await startServer(t, {
    maxConcurrentStreams: 50,
    handler: (tun) => {
      live++;
      peak = Math.max(peak, live);
      const s = tun.accept();
      s.on('close', () => live--);
      setImmediate(() => s.end());
      s.resume();
    },
  });
  const s = await rawSession(t, port, m.client, [m.serverId.id]);
  const all = Array.from({ length: 400 }, () =>
    new Promise<void>((resolve) => {
      const st = s.request({ ':method': 'CONNECT', ':authority': '10.0.0.1:80' }, { endStream: true });
      st.resume();
      st.on('close', () => resolve());
      st.on('error', () => {});
    }),
  );
  await Promise.all(all);
  t.ok(peak <= 50, `at most 50 concurrent streams reached the handler (peak ${peak})`);
});

t.test('keepalive: an unanswered PING closes the connection', async (t) => {
  const m = await mesh();
  const { server, port } = await startServer(t, { keepalive: { intervalMs: 20, timeoutMs: 40 } });
  // a client that completes TLS + the HTTP/2 preface, then never reads (so never answers PINGs)
  const c = tls.connect({ host: '127.0.0.1', port, ...clientTlsOptions(m.client, [m.serverId.id]) });
  c.on('error', () => {});
  t.teardown(() => c.destroy());
  await once(c, 'secureConnect');
  const conn = once<{ error?: HboneError }>(server, 'connection');
  c.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
  c.pause();
  await conn;
  const closed = await once<{ error?: HboneError }>(server, 'connectionClose');
  t.equal(closed.error?.code, HboneErrorCode.PING_TIMEOUT);
});

t.test('keepalive PINGs are answered on a healthy connection', async (t) => {
  const m = await mesh();
  const { port } = await startServer(t, { keepalive: { intervalMs: 10, timeoutMs: 1000 } });
  const pool = newPool(t, { keepalive: { intervalMs: 10, timeoutMs: 1000 } });
  const tun = await pool.connect({ source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' });
  const session = (tun.stream as http2.ClientHttp2Stream).session!;
  await once(session, 'ping');
  await once(session, 'ping');
  t.equal((await roundTrip(tun.stream, Buffer.from('alive'))).toString(), 'alive');
});

t.test('close(): GOAWAY, open tunnels drain, then the rest is destroyed after the grace period', async (t) => {
  const m = await mesh();
  const held: Duplex[] = [];
  const server = new HboneServer({ identity: () => m.serverId, handler: (tun) => void held.push(tun.accept()) });
  const a = await server.listen();
  const pool = newPool(t);
  const tun = await pool.connect({ source: m.client, destination: dst(a.port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' });
  tun.stream.on('error', () => {});
  const t0 = Date.now();
  await server.close({ graceMs: 100 });
  t.ok(Date.now() - t0 >= 90, 'waited for the grace period');
  t.equal(server.connections, 0);
  t.equal(await server.close(), undefined, 'idempotent');
  await t.rejects(server.listen(), { code: HboneErrorCode.CLOSED });
  const raw = net.connect(a.port, '127.0.0.1');
  raw.on('error', () => {});
  await once(raw, 'close');
  t.pass('the listener is gone');
});

t.test('options are validated with every problem listed', async (t) => {
  t.same(serverOptionProblems(undefined), ['options: required']);
  t.same(serverOptionProblems({ handshakeTimeoutMs: 0, h2: { maxFrameSize: 10 } }), [
    'identity: required function (local endpoint → Svid)',
    'handler: required function',
    'handshakeTimeoutMs: 0 is not a positive integer',
    'h2.maxFrameSize: 10 is not an integer in 16384..16777215',
  ]);
  t.throws(() => new HboneServer({} as never), { code: HboneErrorCode.INVALID_OPTIONS });
});

t.test('an identity provider that throws or rejects refuses the connection', async (t) => {
  const m = await mesh();
  for (const identity of [
    () => {
      throw new Error('no');
    },
    () => Promise.reject(new Error('no')),
    () => Promise.resolve(undefined),
  ]) {
    const server = new HboneServer({ identity, handler: echoHandler });
    const a = await server.listen();
    t.teardown(() => server.close({ graceMs: 10 }));
    const refused = once(server, 'refused');
    const err = await newPool(t)
      .connect({ source: m.client, destination: dst(a.port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' })
      .catch((e: unknown) => e);
    t.equal((err as HboneError).code, HboneErrorCode.CONNECT_FAILED);
    await refused;
  }
});

void ({} as InboundTunnel);

const nodeMajor = Number(process.versions.node.split('.')[0]);

t.test('client resets of answered tunnels never close the connection (nghttp2 rapid-reset limit lifted)', { skip: nodeMajor < 22 ? 'Node 20 cannot configure nghttp2 stream-reset limits' : false }, async (t) => {
  const m = await mesh();
  const { port } = await startServer(t);
  const pool = newPool(t);
  const req = { source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' };
  const keep = await pool.connect(req);
  // well past nghttp2's default burst of 1000 RST_STREAMs (then 33/s)
  for (let i = 0; i < 1300; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        const { stream } = await pool.connect(req);
        const echoed = once(stream, 'data');
        stream.write('x');
        await echoed;
        (stream as http2.ClientHttp2Stream).close(http2.constants.NGHTTP2_CANCEL);
        await once(stream, 'close');
      }),
    );
  }
  t.equal(pool.stats().dials, 1, 'one connection served every tunnel');
  t.equal((await roundTrip(keep.stream, Buffer.alloc(1000, 1))).length, 1000, 'a tunnel opened before the resets still works');
});

t.test('a client resetting streams before they are answered (rapid reset) loses the connection', async (t) => {
  const m = await mesh();
  const { log, lines } = logger();
  let handled = 0;
  const { server, port } = await startServer(t, {
    logger: log,
    handler: () => {
      handled++; // never answers
    },
  });
  const refused = once(server, 'refused');
  const s = await rawSession(t, port, m.client, [m.serverId.id]);
  const closed = once(s, 'close');
  for (let i = 0; i < 1100 && !s.destroyed && !s.closed; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, () => {
        if (s.destroyed || s.closed) return undefined;
        const st = s.request({ ':method': 'CONNECT', ':authority': '10.0.0.1:80' }, { endStream: false });
        st.on('error', () => {});
        st.close(http2.constants.NGHTTP2_CANCEL);
        return once(st, 'close');
      }),
    );
  }
  await closed;
  t.match(((await refused) as { reason: string }).reason, /reset before an answer/);
  t.ok(handled >= 1000, `the handler saw ${handled} streams before the connection was closed`);
  t.ok(lines.some((l) => l.level === 'warn' && /rapid reset/.test(l.msg ?? '')), 'logged why');
});
