// The ADS server over real gRPC (loopback, port 0), driven by a raw delta/SotW stream so every response is visible.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ResourceCache } from '../src/cache.js';
import {
  DELTA_ADS_PATH, SOTW_ADS_PATH, decodeDeltaResponse, decodeSotwResponse, encodeDeltaRequest, encodeSotwRequest,
} from '../src/grpc.js';
import { makeService, makeWorkload, decodeAddress, type Address } from '../src/model.js';
import { listenAds, type AnswerEvent, type ListenAdsOptions } from '../src/server.js';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL } from '../src/types.js';

type DeltaResp = ReturnType<typeof decodeDeltaResponse>;

/** A raw bidi stream with an awaitable response queue. */
function rawStream<Req, Resp>(port: number, path: string, enc: (r: Req) => Buffer, dec: (b: Buffer) => Resp, md = new grpc.Metadata()) {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(path, enc, dec, md);
  const queue: Resp[] = [];
  let wake: (() => void) | undefined;
  call.on('data', (r: Resp) => {
    queue.push(r);
    wake?.();
  });
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  return {
    call,
    status,
    send: (r: Req) => call.write(r),
    async next(): Promise<Resp> {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      return queue.shift()!;
    },
    pending: () => queue.length,
    close() {
      call.cancel();
      client.close();
    },
  };
}
const delta = (port: number, md?: grpc.Metadata) => rawStream(port, DELTA_ADS_PATH, encodeDeltaRequest, decodeDeltaResponse, md);

/** Polls a condition driven by network events we cannot subscribe to directly. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const wl = (i: number, extra: Partial<Parameters<typeof makeWorkload>[0]> = {}): Address => ({
  workload: makeWorkload({ uid: `Kubernetes//Pod/default/p${i}`, name: `p${i}`, namespace: 'default', addresses: [`10.0.${i >> 8}.${i & 255}`], tunnelProtocol: 'HBONE', ...extra }),
});
const svc: Address = { service: makeService({ name: 's', namespace: 'default', hostname: 's.default.svc.cluster.local', addresses: [{ network: '', address: '10.96.0.1' }] }) };
const names = (r: DeltaResp) => r.resources.map((x) => x.name).sort();

async function setup(t: Test, opts: Partial<ListenAdsOptions> = {}) {
  const cache = new ResourceCache();
  const srv = await listenAds({ cache, debounceMs: 0, ...opts });
  t.teardown(() => srv.close());
  return { cache, srv, ads: srv.ads, port: srv.port };
}

t.test('wildcard subscribe, update, remove, ACK', async (t) => {
  const { cache, ads, port } = await setup(t);
  cache.setAddress(wl(1));
  cache.setAddress(wl(2));
  cache.setAddress(svc);
  const s = delta(port);
  t.teardown(() => s.close());
  s.send({ node: { id: 'ztunnel~10.0.0.9~zt.istio-system~istio-system.svc.cluster.local' }, typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  const r1 = await s.next();
  t.equal(r1.typeUrl, ADDRESS_TYPE_URL);
  t.same(names(r1), ['Kubernetes//Pod/default/p1', 'Kubernetes//Pod/default/p2', 'default/s.default.svc.cluster.local']);
  const p1 = r1.resources.find((x) => x.name === 'Kubernetes//Pod/default/p1')!;
  t.same(p1.aliases, ['/10.0.0.1']);
  t.equal(p1.resource!.type_url, ADDRESS_TYPE_URL);
  const d = decodeAddress(p1.resource!.value);
  t.ok(d.ok && d.value.workload!.name === 'p1');
  t.ok(r1.nonce);
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r1.nonce });

  cache.setAddress(wl(1, { status: 'UNHEALTHY' }));
  const r2 = await s.next();
  t.same(names(r2), ['Kubernetes//Pod/default/p1']);
  t.same(r2.removedResources, []);
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r2.nonce });

  // Identical content is not a change.
  cache.setAddress(wl(1, { status: 'UNHEALTHY' }));
  cache.deleteAddress('Kubernetes//Pod/default/p2');
  const r3 = await s.next();
  t.same(r3.resources, []);
  t.same(r3.removedResources, ['Kubernetes//Pod/default/p2']);
  const ackEvent = new Promise<AnswerEvent>((resolve) => ads.once('ack', resolve));
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r3.nonce });
  t.match(await ackEvent, { typeUrl: ADDRESS_TYPE_URL, nonce: r3.nonce, settled: true, changeToAckMs: Number });

  await until(() => ads.metrics().acks[ADDRESS_TYPE_URL] === 3, 'three ACKs');
  const [conn] = ads.connections();
  t.equal(conn!.node.id, 'ztunnel~10.0.0.9~zt.istio-system~istio-system.svc.cluster.local');
  t.equal(conn!.kind, 'delta');
  const w = conn!.watches[0]!;
  t.equal(w.state, 'ACKED');
  t.equal(w.resources, 2);
  t.equal(w.lastAckedNonce, r3.nonce);
  const m = ads.metrics();
  t.equal(m.connectedClients, 1);
  t.equal(m.pushes[ADDRESS_TYPE_URL], 3);
  t.equal(m.removalsSent[ADDRESS_TYPE_URL], 1);
  t.ok(m.pushLatency.count >= 2, 'push latency recorded for change-driven pushes');
});

t.test('legacy wildcard (first request names nothing) and several types on one stream', async (t) => {
  const { cache, port } = await setup(t);
  cache.setAddress(wl(1));
  cache.setAuthorization({ name: 'deny', namespace: 'ns', scope: 'NAMESPACE', action: 'DENY', groups: [], dryRun: false, extensions: [] });
  const s = delta(port);
  t.teardown(() => s.close());
  s.send({ typeUrl: AUTHORIZATION_TYPE_URL });
  const r = await s.next();
  t.equal(r.typeUrl, AUTHORIZATION_TYPE_URL);
  t.same(names(r), ['ns/deny']);
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  const r2 = await s.next();
  t.equal(r2.typeUrl, ADDRESS_TYPE_URL);
  t.same(names(r2), ['Kubernetes//Pod/default/p1']);
});

t.test('NACK keeps the error detail (syncz) and recovery ACK clears the state', async (t) => {
  const { cache, ads, port } = await setup(t);
  cache.setAddress(wl(1));
  const s = delta(port);
  t.teardown(() => s.close());
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  const r1 = await s.next();
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r1.nonce, errorDetail: { code: 3, message: 'resource "Kubernetes//Pod/default/p1": workload.addresses[0]: bad' } });
  const nackEvent = new Promise<AnswerEvent>((resolve) => ads.once('nack', resolve));
  await until(() => ads.metrics().nacks[ADDRESS_TYPE_URL] === 1, 'the NACK');
  t.match(await nackEvent, { nonce: r1.nonce, message: /bad/ });
  let w = ads.connections()[0]!.watches[0]!;
  t.equal(w.state, 'NACKED');
  t.match(w.lastNack, { nonce: r1.nonce, code: 3, message: /workload\.addresses\[0\]: bad/ });
  // A NACK storm is counted, never amplified: the server does not resend on NACK.
  for (let i = 0; i < 20; i++) s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r1.nonce, errorDetail: { code: 3, message: 'again' } });
  await until(() => ads.metrics().nacks[ADDRESS_TYPE_URL] === 21, 'the NACK storm');
  t.equal(s.pending(), 0, 'no response was sent in reply to NACKs');
  cache.setAddress(wl(1, { name: 'fixed' }));
  const r2 = await s.next();
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r2.nonce });
  await until(() => ads.metrics().acks[ADDRESS_TYPE_URL] === 1, 'the ACK');
  w = ads.connections()[0]!.watches[0]!;
  t.equal(w.state, 'ACKED');
  t.equal(w.nacks, 21);
  t.ok(w.lastNack, 'the last NACK stays visible after recovery');
});

t.test('reconnect with initial_resource_versions sends only what changed', async (t) => {
  const { cache, ads, port } = await setup(t);
  for (let i = 1; i <= 3; i++) cache.setAddress(wl(i));
  const s1 = delta(port);
  s1.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  const r1 = await s1.next();
  const versions = Object.fromEntries(r1.resources.map((r) => [r.name, r.version]));
  s1.close();
  await until(() => ads.metrics().connectedClients === 0, 'the first stream to go');
  cache.setAddress(wl(2, { status: 'UNHEALTHY' }));
  cache.deleteAddress('Kubernetes//Pod/default/p3');
  cache.setAddress(wl(4));
  const s2 = delta(port);
  t.teardown(() => s2.close());
  s2.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'], initialResourceVersions: { ...versions, 'Kubernetes//Pod/default/gone': 'v0' } });
  const r2 = await s2.next();
  t.same(names(r2), ['Kubernetes//Pod/default/p2', 'Kubernetes//Pod/default/p4'], 'unchanged p1 skipped');
  t.same(r2.removedResources.sort(), ['Kubernetes//Pod/default/gone', 'Kubernetes//Pod/default/p3']);
});

t.test('on-demand: subscribe * + unsubscribe *, then lookups by network/ip and ns/hostname', async (t) => {
  const { cache, ads, port } = await setup(t);
  cache.setAddress(wl(1));
  cache.setAddress(wl(2));
  cache.setAddress(svc);
  const s = delta(port);
  t.teardown(() => s.close());
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'], resourceNamesUnsubscribe: ['*'] });
  const r0 = await s.next();
  t.same(r0.resources, [], 'the first request is answered, with nothing subscribed yet');
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r0.nonce });
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['/10.0.0.1'] });
  const r1 = await s.next();
  t.same(names(r1), ['Kubernetes//Pod/default/p1'], 'only the looked-up workload, found by alias');
  t.same(r1.resources[0]!.aliases, ['/10.0.0.1']);
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r1.nonce });
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['default/s.default.svc.cluster.local'] });
  const r2 = await s.next();
  t.same(names(r2), ['default/s.default.svc.cluster.local']);
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r2.nonce });
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['/10.9.9.9'] });
  const r3 = await s.next();
  t.same(r3.resources, []);
  t.same(r3.removedResources, ['/10.9.9.9'], 'an unknown key is answered with a removal');
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r3.nonce });
  // Changes reach the subscriber only for what it looked up.
  cache.setAddress(wl(2, { status: 'UNHEALTHY' }));
  cache.setAddress(wl(1, { status: 'UNHEALTHY' }));
  const r4 = await s.next();
  t.same(names(r4), ['Kubernetes//Pod/default/p1']);
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r4.nonce });
  // The IP appears later: the pending lookup is answered.
  cache.setAddress(wl(3, { addresses: ['10.9.9.9'] }));
  const r5 = await s.next();
  t.same(names(r5), ['Kubernetes//Pod/default/p3']);
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r5.nonce });
  // Unsubscribed: no more pushes for it; deleting the still-subscribed one sends a removal.
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesUnsubscribe: ['/10.9.9.9'] });
  await until(() => !ads.connections()[0]!.watches[0]!.subscribed.includes('/10.9.9.9'), 'the unsubscribe to arrive');
  cache.setAddress(wl(3, { addresses: ['10.9.9.9'], status: 'UNHEALTHY' }));
  cache.deleteAddress('Kubernetes//Pod/default/p1');
  const r6 = await s.next();
  t.same(r6.resources, []);
  t.same(r6.removedResources, ['Kubernetes//Pod/default/p1']);
});

t.test('auth hook: bearer token accepted or the stream is rejected', async (t) => {
  const seen: string[] = [];
  const { cache, ads, port } = await setup(t, {
    authenticate: async (req) => {
      seen.push(req.peer);
      return req.bearerToken === 'good' ? { ok: true, identity: 'spiffe://cluster.local/ns/istio-system/sa/ztunnel' } : { ok: false, reason: 'bad token' };
    },
  });
  cache.setAddress(wl(1));
  const bad = new grpc.Metadata();
  bad.set('authorization', 'Bearer nope');
  const s1 = delta(port, bad);
  t.teardown(() => s1.close());
  s1.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  const st = await s1.status;
  t.equal(st.code, grpc.status.UNAUTHENTICATED);
  t.match(st.details, /bad token/);
  const good = new grpc.Metadata();
  good.set('authorization', 'Bearer good');
  const s2 = delta(port, good);
  t.teardown(() => s2.close());
  s2.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  const r = await s2.next();
  t.same(names(r), ['Kubernetes//Pod/default/p1'], 'requests sent before the hook resolved are processed');
  t.equal(ads.connections()[0]!.identity, 'spiffe://cluster.local/ns/istio-system/sa/ztunnel');
  t.equal(ads.metrics().rejectedStreams, 1);
  t.equal(seen.length, 2);
  // A throwing hook also rejects (fails closed).
  const srv2 = await listenAds({ cache, authenticate: () => { throw new Error('boom'); } });
  t.teardown(() => srv2.close());
  const s3 = delta(srv2.port);
  t.teardown(() => s3.close());
  s3.send({ typeUrl: ADDRESS_TYPE_URL });
  const st3 = await s3.status;
  t.equal(st3.code, grpc.status.UNAUTHENTICATED);
  t.match(st3.details, /authentication hook failed: boom/);
});

t.test('unknown type URL and malformed requests: logged, counted, others unaffected', async (t) => {
  const logs: Array<{ lvl: string; obj: Record<string, unknown> }> = [];
  const mk = (lvl: string) => (obj: object | string) => void logs.push({ lvl, obj: obj as Record<string, unknown> });
  const logger = { trace: mk('trace'), debug: mk('debug'), info: mk('info'), warn: mk('warn'), error: mk('error'), child: () => logger };
  const { cache, ads, port } = await setup(t, { logger });
  cache.setAddress(wl(1));
  const s = delta(port);
  t.teardown(() => s.close());
  s.send({ typeUrl: 'type.googleapis.com/unknown.Thing', resourceNamesSubscribe: ['*'] });
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  const r = await s.next();
  t.equal(r.typeUrl, ADDRESS_TYPE_URL, 'the known type is still served on the same stream');
  t.equal(ads.metrics().unknownTypeRequests, 1);
  t.ok(logs.some((l) => l.lvl === 'warn' && l.obj['code'] === 'XDS_ERR_UNKNOWN_TYPE'));
  // Malformed bytes end only that stream.
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const raw = client.makeBidiStreamRequest(DELTA_ADS_PATH, (b: Buffer) => b, (b: Buffer) => b, new grpc.Metadata());
  raw.on('data', () => {});
  raw.on('error', () => {});
  const st = new Promise<grpc.StatusObject>((resolve) => raw.on('status', resolve));
  raw.write(Buffer.from([0x0a, 0xff, 0xff]));
  t.equal((await st).code, grpc.status.INVALID_ARGUMENT);
  t.equal(ads.metrics().malformedRequests, 1);
  t.ok(logs.some((l) => l.lvl === 'warn' && l.obj['code'] === 'XDS_ERR_MALFORMED_REQUEST'));
  // An oversized request (5 MiB > the 4 MiB maxReceiveBytes) is refused by gRPC for that stream only.
  const big = delta(port);
  t.teardown(() => big.close());
  big.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['x'.repeat(5 * 1024 * 1024)] });
  t.equal((await big.status).code, grpc.status.RESOURCE_EXHAUSTED);
  cache.setAddress(wl(2));
  const r2 = await s.next();
  t.same(names(r2), ['Kubernetes//Pod/default/p2'], 'the healthy stream still gets pushes');
});

t.test('a client that never ACKs: pushes pause at maxUnackedResponses and coalesce', async (t) => {
  const { cache, ads, port } = await setup(t, { maxUnackedResponses: 2 });
  for (let i = 1; i <= 5; i++) cache.setAddress(wl(i));
  const s = delta(port);
  t.teardown(() => s.close());
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  await s.next();
  cache.setAddress(wl(1, { name: 'v1' }));
  ads.pushNow();
  await s.next();
  for (let v = 2; v < 50; v++) {
    for (let i = 1; i <= 5; i++) cache.setAddress(wl(i, { name: `v${v}` }));
    ads.pushNow();
  }
  await until(() => ads.metrics().unackedPauses === 1, 'the pause');
  const w = ads.connections()[0]!.watches[0]!;
  t.equal(w.outstandingNonces, 2);
  t.equal(w.pending, 5, 'one pending entry per resource, not per push');
  t.equal(s.pending(), 0);
  // Answering resumes with the latest state only.
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: w.lastSentNonce });
  const r = await s.next();
  t.equal(r.resources.length, 5);
  for (const x of r.resources) {
    const d = decodeAddress(x.resource!.value);
    t.ok(d.ok && d.value.workload!.name === 'v49');
  }
});

t.test('a client that stops reading: gRPC back-pressure stops writes, state coalesces, memory stays bounded', async (t) => {
  const { cache, ads, port } = await setup(t, { maxResponseBytes: 16 * 1024, maxUnackedResponses: 100000 });
  const pad = 'x'.repeat(1000);
  const N = 1500;
  for (let i = 0; i < N; i++) cache.setAddress(wl(i, { canonicalName: pad }));
  const s = delta(port);
  t.teardown(() => s.close());
  s.call.pause();
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  await until(() => ads.connections()[0]?.blocked === true, 'the server to hit back-pressure');
  const before = ads.metrics().pushes[ADDRESS_TYPE_URL]!;
  for (let v = 0; v < 5; v++) {
    for (let i = 0; i < N; i++) cache.setAddress(wl(i, { canonicalName: pad, name: `v${v}` }));
    ads.pushNow();
  }
  const c = ads.connections()[0]!;
  t.ok(c.blocked);
  t.equal(ads.metrics().pushes[ADDRESS_TYPE_URL], before, 'nothing more is written while blocked');
  t.ok(c.watches[0]!.pending <= N + 1, `pending stays bounded by the resource count (${c.watches[0]!.pending}, +1 for the initial-state cursor)`);
  t.ok(ads.metrics().backpressureWaits >= 1);
  // Reading again drains everything, ending at the latest versions.
  s.call.resume();
  const latest = new Map<string, string>();
  while (latest.size < N || [...latest.values()].some((n) => n !== 'v4')) {
    const r = await s.next();
    for (const x of r.resources) {
      const d = decodeAddress(x.resource!.value);
      if (d.ok) latest.set(x.name, d.value.workload!.name);
    }
    s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r.nonce });
  }
  t.equal(latest.size, N);
});

t.test('state of the world: wildcard, ACK, full-state pushes', async (t) => {
  const { cache, ads, port } = await setup(t);
  cache.setAddress(wl(1));
  const s = rawStream(port, SOTW_ADS_PATH, encodeSotwRequest, decodeSotwResponse);
  t.teardown(() => s.close());
  s.send({ typeUrl: ADDRESS_TYPE_URL, node: { id: 'sidecar~1.2.3.4~a.b~b.svc.cluster.local' } });
  const r1 = await s.next();
  t.equal(r1.resources.length, 1);
  t.equal(r1.resources[0]!.type_url, ADDRESS_TYPE_URL);
  s.send({ typeUrl: ADDRESS_TYPE_URL, versionInfo: r1.versionInfo, responseNonce: r1.nonce });
  cache.setAddress(wl(2));
  const r2 = await s.next();
  t.equal(r2.resources.length, 2, 'every push carries the full state');
  s.send({ typeUrl: ADDRESS_TYPE_URL, versionInfo: r1.versionInfo, responseNonce: r2.nonce, errorDetail: { code: 3, message: 'nope' } });
  await until(() => ads.metrics().nacks[ADDRESS_TYPE_URL] === 1, 'the SotW NACK');
  // Explicit names.
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r2.nonce, resourceNames: ['/10.0.0.2'] });
  const r3 = await s.next();
  t.equal(r3.resources.length, 1);
  const d = decodeAddress(r3.resources[0]!.value);
  t.ok(d.ok && d.value.workload!.name === 'p2');
  t.equal(ads.connections()[0]!.kind, 'sotw');
  t.same(ads.connections()[0]!.watches[0]!.subscribed, ['/10.0.0.2']);
});

t.test('debounce: changes inside the window become one push; close() ends streams cleanly', async (t) => {
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const { cache, ads, port, srv } = await setup(t, {
    debounceMs: 100,
    timers: { setTimeout: (fn, ms) => timers.push({ fn, ms }), clearTimeout: () => {} },
  });
  const s = delta(port);
  t.teardown(() => s.close());
  s.send({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  const r0 = await s.next();
  t.same(r0.resources, []);
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r0.nonce });
  for (let i = 1; i <= 10; i++) cache.setAddress(wl(i));
  t.equal(timers.length, 1, 'one timer for the whole burst');
  t.equal(timers[0]!.ms, 100);
  timers[0]!.fn();
  const r = await s.next();
  t.equal(r.resources.length, 10);
  t.equal(ads.metrics().debouncedPushes, 1);
  await srv.close();
  t.equal((await s.status).code, grpc.status.OK, 'streams end with OK so clients reconnect at once');
});

t.test('auth hook: mTLS peer certificate (real TLS, openssl-made certificates)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'amt-xds-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ossl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  const leaf = (name: string, san: string) => {
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  };
  leaf('istiod', 'IP:127.0.0.1');
  leaf('ztunnel', 'URI:spiffe://cluster.local/ns/istio-system/sa/ztunnel');
  leaf('other', 'URI:spiffe://cluster.local/ns/default/sa/other');
  const f = (n: string) => readFileSync(join(dir, n));
  const cache = new ResourceCache();
  cache.setAddress(wl(1));
  const srv = await listenAds({
    cache, debounceMs: 0,
    credentials: grpc.ServerCredentials.createSsl(f('ca.pem'), [{ cert_chain: f('istiod.pem'), private_key: f('istiod.key') }], true),
    authenticate: ({ peerCertificate }) => {
      const san = (peerCertificate as { subjectaltname?: string } | undefined)?.subjectaltname ?? '';
      return san === 'URI:spiffe://cluster.local/ns/istio-system/sa/ztunnel' ? { ok: true, identity: san.slice(4) } : { ok: false, reason: `peer ${san || 'without certificate'} is not a ztunnel` };
    },
  });
  t.teardown(() => srv.close());
  const open = (name: string) => {
    const client = new grpc.Client(`127.0.0.1:${srv.port}`, grpc.credentials.createSsl(f('ca.pem'), f(`${name}.key`), f(`${name}.pem`)));
    const call = client.makeBidiStreamRequest(DELTA_ADS_PATH, encodeDeltaRequest, decodeDeltaResponse, new grpc.Metadata());
    t.teardown(() => { call.cancel(); client.close(); });
    call.on('error', () => {});
    const status = new Promise<grpc.StatusObject>((r) => call.on('status', r));
    const first = new Promise<DeltaResp>((r) => call.once('data', r));
    call.write({ typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
    return { status, first };
  };
  const good = open('ztunnel');
  t.same(names(await good.first), ['Kubernetes//Pod/default/p1']);
  t.equal(srv.ads.connections()[0]!.identity, 'spiffe://cluster.local/ns/istio-system/sa/ztunnel');
  const bad = open('other');
  const st = await bad.status;
  t.equal(st.code, grpc.status.UNAUTHENTICATED);
  t.match(st.details, /spiffe:\/\/cluster.local\/ns\/default\/sa\/other is not a ztunnel/);
});

t.test('a pluggable generator filters per connection', async (t) => {
  const cache = new ResourceCache();
  cache.setAddress(wl(1));
  cache.setAddress(wl(2));
  // Only workloads on "my" node: the node id names the node in its second segment.
  const gen = {
    all: (c: { node: { id: string } }) => [...cache.list(ADDRESS_TYPE_URL)].filter((r) => r.name.endsWith(c.node.id.split('~')[1]!)),
    get: (n: string, c: { node: { id: string } }) => {
      const r = cache.get(ADDRESS_TYPE_URL, n);
      return r && r.name.endsWith(c.node.id.split('~')[1]!) ? r : undefined;
    },
  };
  const srv = await listenAds({ cache, debounceMs: 0, generators: { [ADDRESS_TYPE_URL]: gen } });
  t.teardown(() => srv.close());
  const s = delta(srv.port);
  t.teardown(() => s.close());
  s.send({ node: { id: 'ztunnel~p2~x~y' }, typeUrl: ADDRESS_TYPE_URL, resourceNamesSubscribe: ['*'] });
  const r = await s.next();
  t.same(names(r), ['Kubernetes//Pod/default/p2']);
  s.send({ typeUrl: ADDRESS_TYPE_URL, responseNonce: r.nonce });
  t.equal(srv.ads.connections()[0]!.watches[0]!.resources, 1);
  cache.setAddress(wl(1, { status: 'UNHEALTHY' }));
  cache.setAddress(wl(2, { status: 'UNHEALTHY' }));
  const r2 = await s.next();
  t.same(names(r2), ['Kubernetes//Pod/default/p2']);
  t.same(r2.removedResources, [], 'a change this connection cannot see is not sent');
  // Leaving visibility is a removal: p2 moves to another node.
  cache.setAddress({ workload: makeWorkload({ uid: 'Kubernetes//Pod/default/p2-moved', addresses: ['10.0.0.2'] }) });
  cache.deleteAddress('Kubernetes//Pod/default/p2');
  const r3 = await s.next();
  t.same(r3.resources, []);
  t.same(r3.removedResources, ['Kubernetes//Pod/default/p2']);
});
