import t from 'tap';
import net, { type AddressInfo } from 'node:net';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { HboneError, HboneErrorCode } from '../src/errors.js';
import { HbonePool, poolKey, poolOptionProblems } from '../src/pool.js';
import { HboneServer, type InboundTunnel } from '../src/server.js';
import { mesh, startServer, newPool, roundTrip, once, echoHandler } from './fixtures/mesh.js';

const dst = (port: number) => ({ address: '127.0.0.1', port });

t.test('a tunnel echoes bytes through client → HBONE → server', async (t) => {
  const m = await mesh();
  const { port } = await startServer(t);
  const pool = newPool(t);
  const tun = await pool.connect({ source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:8080' });
  t.equal(tun.peerIdentity, m.serverId.id.toString());
  const tlsSocket = (tun.stream as http2.ClientHttp2Stream).session!.socket as import('node:tls').TLSSocket;
  t.equal(tlsSocket.getProtocol(), 'TLSv1.3');
  t.equal(tlsSocket.getCipher().name, 'TLS_AES_128_GCM_SHA256', 'the server prefers AES-128-GCM of ztunnel\'s two suites');
  t.equal(tlsSocket.alpnProtocol, 'h2');
  t.notOk(tlsSocket.isSessionReused());
  t.equal((await roundTrip(tun.stream, Buffer.from('hello hbone'))).toString(), 'hello hbone');
});

t.test('CONNECT carries authority, forwarded, baggage, traceparent; the handler sees the peer identity', async (t) => {
  const m = await mesh();
  let seen: InboundTunnel | undefined;
  const { port } = await startServer(t, {
    handler: (tun) => {
      seen = tun;
      tun.accept({ baggage: 'k8s.namespace.name=dst' }).end();
    },
  });
  const pool = newPool(t);
  const tun = await pool.connect({
    source: m.client,
    destination: dst(port),
    expectedIdentities: [m.serverId.id],
    authority: '[ff06::c3]:80',
    headers: { forwarded: 'for="127.0.0.1:80";host=example.com', baggage: 'k8s.namespace.name=default' },
  });
  t.equal(tun.responseHeaders.baggage, 'k8s.namespace.name=dst');
  tun.stream.resume();
  tun.stream.end();
  t.ok(seen);
  t.same(seen!.authority, { host: 'ff06::c3', port: 80, family: 6, text: '[ff06::c3]:80' });
  t.equal(seen!.peerIdentity, m.client.id.toString());
  t.equal(seen!.localIdentity, m.serverId.id.toString());
  t.equal(seen!.headers.forwarded, 'for="127.0.0.1:80";host=example.com');
  t.equal(seen!.headers.baggage, 'k8s.namespace.name=default');
  t.match(seen!.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  t.equal(seen!.peerAddress.address, '127.0.0.1');
});

t.test('server identity outside the expected set is refused; nothing is pooled', async (t) => {
  const m = await mesh();
  const { port } = await startServer(t);
  const pool = newPool(t);
  const err = await pool
    .connect({ source: m.client, destination: dst(port), expectedIdentities: [m.other.id], authority: '10.0.0.1:80' })
    .catch((e: unknown) => e);
  t.ok(err instanceof HboneError);
  t.equal((err as HboneError).code, HboneErrorCode.PEER_IDENTITY);
  t.match((err as HboneError).message, /not one of the expected identities/);
  t.equal(pool.stats().connections, 0);
  t.equal(pool.stats().keys, 0);
});

t.test('non-200 answers become HBONE_ERR_CONNECT_STATUS with the status; the connection stays usable', async (t) => {
  const m = await mesh();
  const { port } = await startServer(t, {
    handler: (tun) => {
      const want = tun.authority.port;
      if (want === 401 || want === 503 || want === 400) tun.reject(want);
      else echoHandler(tun);
    },
  });
  const pool = newPool(t);
  for (const status of [400, 401, 503]) {
    const err = await pool
      .connect({ source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: `10.0.0.1:${status}` })
      .catch((e: unknown) => e);
    t.equal((err as HboneError).code, HboneErrorCode.CONNECT_STATUS, `status ${status}`);
    t.equal((err as HboneError).status, status);
  }
  const ok = await pool.connect({ source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' });
  t.equal((await roundTrip(ok.stream, Buffer.from('x'))).toString(), 'x');
  t.equal(pool.stats().dials, 1);
});

t.test('pool reuse, the 100-stream rollover and release of stream slots', async (t) => {
  const m = await mesh();
  const held: Duplex[] = [];
  const { server, port } = await startServer(t, { handler: (tun) => void held.push(tun.accept()) });
  const pool = newPool(t);
  const req = { source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' };
  const first = await Promise.all(Array.from({ length: 100 }, () => pool.connect(req)));
  t.same(pool.stats(), { keys: 1, connections: 1, streams: 100, dials: 1 }, '100 streams share one connection');
  const more = await pool.connect(req);
  t.equal(pool.stats().connections, 2, 'the 101st stream opens a second connection');
  t.equal(server.connections, 2);
  // finishing one stream on the first connection frees a slot there
  const closed = once(first[0]!.stream, 'close');
  first[0]!.stream.destroy();
  await closed;
  await pool.connect(req);
  t.equal(pool.stats().dials, 2, 'a freed slot is reused');
  for (const tun of [...first, more]) tun.stream.destroy();
  for (const s of held) s.destroy();
});

t.test('concurrent first dials to one key share one connection; distinct keys do not', async (t) => {
  const m = await mesh();
  const { port } = await startServer(t);
  const pool = newPool(t);
  const req = { source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' };
  const tuns = await Promise.all(Array.from({ length: 50 }, () => pool.connect(req)));
  t.equal(pool.stats().dials, 1, '50 concurrent requests, one dial');
  await Promise.all(tuns.map((x) => roundTrip(x.stream, Buffer.from('a'))));
  await pool.connect({ ...req, expectedIdentities: [m.serverId.id, m.other.id] });
  t.equal(pool.stats().dials, 2, 'a different expected set is a different key');
  t.not(poolKey(req), poolKey({ ...req, sourceIp: '127.0.0.1' }), 'the source IP is part of the key');
});

t.test('the pool honours a lower peer SETTINGS_MAX_CONCURRENT_STREAMS', async (t) => {
  const m = await mesh();
  const held: Duplex[] = [];
  const { port } = await startServer(t, { maxConcurrentStreams: 3, handler: (tun) => void held.push(tun.accept()) });
  const pool = newPool(t);
  const req = { source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' };
  const a = await pool.connect(req); // the first stream lets the peer's SETTINGS arrive
  const rest = await Promise.all(Array.from({ length: 4 }, () => pool.connect(req)));
  t.equal(pool.stats().connections, 2, '5 streams with a peer limit of 3 use two connections');
  for (const x of [a, ...rest]) x.stream.destroy();
  for (const s of held) s.destroy();
});

t.test("GOAWAY: open tunnels finish, the GOAWAY'd connection leaves the pool", async (t) => {
  const m = await mesh();
  const { server, port } = await startServer(t);
  const pool = newPool(t);
  const req = { source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' };
  const tun = await pool.connect(req);
  const closing = server.close({ graceMs: 10_000 });
  await new Promise<void>((resolve) => (tun.stream as http2.ClientHttp2Stream).session!.once('goaway', () => resolve()));
  t.equal(pool.stats().keys, 0, 'no pooled connection left for the key');
  t.equal((await roundTrip(tun.stream, Buffer.from('still here'))).toString(), 'still here', 'the open tunnel still works');
  await closing;
  const err = await pool.connect(req).catch((e: unknown) => e);
  t.equal((err as HboneError).code, HboneErrorCode.CONNECT_FAILED, 'a new request dials again (and the listener is gone)');
  t.equal(pool.stats().dials, 2);
});

t.test('idle connections are released after idleTimeoutMs', async (t) => {
  const m = await mesh();
  const { port } = await startServer(t);
  const pool = newPool(t, { idleTimeoutMs: 30 });
  const tun = await pool.connect({ source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' });
  const gone = once<{ streams: number }>(pool, 'connectionClose');
  await roundTrip(tun.stream, Buffer.from('bye'));
  t.equal((await gone).streams, 1);
  t.same(pool.stats(), { keys: 0, connections: 0, streams: 0, dials: 1 });
});

t.test('connect errors: refused port, timeout, abort, invalid request, closed pool', async (t) => {
  const m = await mesh();
  const pool = newPool(t, { connectTimeoutMs: 50 });
  const closedPort = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const base = { source: m.client, expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' };
  const refused = await pool.connect({ ...base, destination: dst(closedPort) }).catch((e: unknown) => e);
  t.equal((refused as HboneError).code, HboneErrorCode.CONNECT_FAILED);

  // a TCP server that never speaks TLS: the handshake times out
  const silent = net.createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => silent.close());
  const sp = (silent.address() as AddressInfo).port;
  const timedOut = await pool.connect({ ...base, destination: dst(sp) }).catch((e: unknown) => e);
  t.equal((timedOut as HboneError).code, HboneErrorCode.CONNECT_TIMEOUT);
  t.match((timedOut as HboneError).message, /NetworkPolicy/);

  const ac = new AbortController();
  ac.abort();
  const aborted = await pool.connect({ ...base, destination: dst(sp), signal: ac.signal }).catch((e: unknown) => e);
  t.equal((aborted as HboneError).code, HboneErrorCode.CONNECTION_CLOSED);

  const bad = await pool
    .connect({ ...base, destination: { address: 'not-an-ip', port: 0 }, expectedIdentities: [], authority: 'nope', sourceIp: 'x' })
    .catch((e: unknown) => e);
  t.equal((bad as HboneError).code, HboneErrorCode.INVALID_OPTIONS);
  t.equal((bad as HboneError).details.length, 5, 'every problem is listed');

  t.same(poolOptionProblems({ maxStreamsPerConnection: 0, h2: { streamWindow: 1 } }), [
    'maxStreamsPerConnection: 0 is not a positive integer',
    'h2.streamWindow: 1 is not an integer in 65535..2147483647',
  ]);
  t.throws(() => new HbonePool({ idleTimeoutMs: -1 }), { code: HboneErrorCode.INVALID_OPTIONS });
  await pool.close();
  await pool.close({ graceMs: 1 });
  const closed = await pool.connect({ ...base, destination: dst(sp) }).catch((e: unknown) => e);
  t.equal((closed as HboneError).code, HboneErrorCode.CLOSED);
});

t.test('an abort while waiting for the response cancels the stream', async (t) => {
  const m = await mesh();
  let signal: AbortSignal | undefined;
  const answered = new Promise<void>((resolve) => {
    void startServer(t, {
      handler: (tun) => {
        signal = tun.signal;
        tun.signal.addEventListener('abort', () => resolve());
      },
    }).then(async ({ port }) => {
      const pool = newPool(t);
      const ac = new AbortController();
      const p = pool.connect({ source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80', signal: ac.signal });
      await new Promise((r) => setImmediate(r));
      while (!signal) await new Promise((r) => setImmediate(r));
      ac.abort();
      const err = await p.catch((e: unknown) => e);
      t.equal((err as HboneError).code, HboneErrorCode.CONNECTION_CLOSED);
    });
  });
  await answered;
  t.ok(signal!.aborted, 'the server-side tunnel sees the cancel');
});

t.test('double HBONE: an inner mTLS tunnel through a gateway', async (t) => {
  const m = await mesh();
  const gwId = m.ca.issue('istio-system/eastwest');
  let inner: InboundTunnel | undefined;
  const final = await startServer(t, {
    handler: (tun) => {
      inner = tun;
      echoHandler(tun);
    },
  });
  let outer: InboundTunnel | undefined;
  const gw = await startServer(t, {
    svid: gwId,
    handler: (tun) => {
      outer = tun;
      // the gateway forwards the inner bytes opaquely to the next hop chosen from the outer authority
      const up = net.connect({ host: '127.0.0.1', port: final.port }, () => {
        const s = tun.accept();
        s.pipe(up).pipe(s);
      });
      up.on('error', () => tun.reject(503));
    },
  });
  const pool = newPool(t);
  const tun = await pool.connectDouble({
    source: m.client,
    gateway: { address: '127.0.0.1', port: gw.port, expectedIdentities: [gwId.id] },
    outerAuthority: 'echo.default.svc.cluster.local:80',
    expectedIdentities: [m.serverId.id],
    authority: 'echo.default.svc.cluster.local:80',
    network: 'network-a',
  });
  t.equal(tun.peerIdentity, m.serverId.id.toString());
  t.equal((await roundTrip(tun.stream, Buffer.from('through the gateway'))).toString(), 'through the gateway');
  t.equal(outer!.authority.text, 'echo.default.svc.cluster.local:80');
  t.equal(outer!.peerIdentity, m.client.id.toString());
  t.equal(inner!.headers.xForwardedNetwork, 'network-a');
  t.equal(inner!.peerIdentity, m.client.id.toString(), 'the inner TLS carries the source identity end to end');
  t.equal(pool.stats().connections, 1, 'only the outer connection is pooled');

  const wrong = await pool
    .connectDouble({
      source: m.client,
      gateway: { address: '127.0.0.1', port: gw.port, expectedIdentities: [gwId.id] },
      outerAuthority: 'echo.default.svc.cluster.local:80',
      expectedIdentities: [m.other.id],
      authority: 'echo.default.svc.cluster.local:80',
    })
    .catch((e: unknown) => e);
  t.equal((wrong as HboneError).code, HboneErrorCode.PEER_IDENTITY, 'the inner identity is verified too');
});

t.test('close({graceMs}) lets open tunnels finish, then destroys them', async (t) => {
  const m = await mesh();
  const { port } = await startServer(t);
  const pool = new HbonePool();
  const tun = await pool.connect({ source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' });
  tun.stream.on('error', () => {});
  const closed = once(tun.stream, 'close');
  await pool.close({ graceMs: 20 });
  await closed;
  t.same(pool.stats(), { keys: 0, connections: 0, streams: 0, dials: 1 });
});

t.test('a server answering with a non-h2 ALPN is refused', async (t) => {
  const m = await mesh();
  const tls = await import('node:tls');
  const srv = tls.createServer({ ...m.serverId.tlsOptions(), ALPNProtocols: ['http/1.1'] }, (s) => s.on('error', () => {}));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const pool = newPool(t);
  const err = await pool
    .connect({ source: m.client, destination: dst((srv.address() as AddressInfo).port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' })
    .catch((e: unknown) => e);
  t.equal((err as HboneError).code, HboneErrorCode.TLS_ALPN, (err as Error).message);
});

void HboneServer;

t.test('spread: tunnels go to the least-loaded connection, another is dialled while all are busy, up to the cap', async (t) => {
  const m = await mesh();
  const held: Duplex[] = [];
  const perConn = new Map<number, number>();
  const { port } = await startServer(t, {
    handler: (tun) => {
      perConn.set(tun.peerAddress.port, (perConn.get(tun.peerAddress.port) ?? 0) + 1);
      const s = tun.accept();
      s.pipe(s);
      held.push(s);
    },
  });
  t.teardown(() => held.forEach((s) => s.destroy()));
  const pool = newPool(t, { spread: { streams: 2, connections: 3 } });
  const req = { source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' };
  const tuns = [];
  for (let i = 0; i < 2; i++) tuns.push(await pool.connect(req));
  t.equal(pool.stats().connections, 1, 'below `streams` one connection serves');
  tuns.push(await pool.connect(req));
  t.equal(pool.stats().connections, 2, 'all connections busy: another is dialled');
  for (let i = 0; i < 3; i++) tuns.push(await pool.connect(req));
  t.same(pool.stats(), { keys: 1, connections: 3, streams: 6, dials: 3 });
  t.same([...perConn.values()], [2, 2, 2], 'streams are spread evenly');
  tuns.push(await pool.connect(req));
  t.equal(pool.stats().connections, 3, 'the cap holds: the 7th tunnel shares a connection');
  t.same([...perConn.values()].sort(), [2, 2, 3]);
  // a freed slot makes its connection the least loaded
  const closed = once(tuns[0]!.stream, 'close');
  tuns[0]!.stream.destroy();
  await closed;
  tuns.push(await pool.connect(req));
  t.equal(pool.stats().dials, 3);
  t.equal(pool.stats().streams, 7);
  const echoed = await Promise.all(tuns.slice(1, 3).map((x) => new Promise((r) => (x.stream.once('data', r), x.stream.write('x')))));
  t.equal(echoed.length, 2);
});

t.test('spread: concurrent requests dial at most the cap; a failed extra dial falls back to an open connection', async (t) => {
  const m = await mesh();
  const { port } = await startServer(t);
  const pool = newPool(t, { spread: { streams: 1, connections: 4 } });
  const req = { source: m.client, destination: dst(port), expectedIdentities: [m.serverId.id], authority: '10.0.0.1:80' };
  const tuns = await Promise.all(Array.from({ length: 40 }, () => pool.connect(req)));
  t.ok(pool.stats().dials <= 4, `${pool.stats().dials} dials for 40 concurrent tunnels`);
  t.ok(pool.stats().dials >= 2, 'busy connections made the pool dial more');
  await Promise.all(tuns.map((x) => roundTrip(x.stream, Buffer.from('a'))));

  let calls = 0;
  const flaky = newPool(t, {
    spread: { streams: 1, connections: 2 },
    socketFactory: (o) => {
      if (calls++ > 0) throw new Error('no more sockets');
      return net.connect({ host: o.host, port: o.port });
    },
  });
  const a = await flaky.connect(req);
  const b = await flaky.connect(req);
  t.equal(flaky.stats().connections, 1, 'the extra dial failed');
  t.equal(flaky.stats().streams, 2, 'the tunnel used the open connection instead');
  t.equal((await roundTrip(b.stream, Buffer.from('b'))).toString(), 'b');
  a.stream.destroy();
  t.same(poolOptionProblems({ spread: { streams: 0, connections: 1.5 } }), ['spread.streams: 0 is not a positive integer', 'spread.connections: 1.5 is not a positive integer']);
});
