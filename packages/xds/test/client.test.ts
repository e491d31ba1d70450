// The delta ADS client against the real ADS server over gRPC (loopback, port 0).
import t, { type Test } from 'tap';
import * as grpc from '@grpc/grpc-js';
import { ResourceCache } from '../src/cache.js';
import { addressHandler, authorizationHandler, DeltaAdsClient, type TypeUpdate } from '../src/client.js';
import { istio } from '../generated/proto.js';
import { makeAuthorization, makeService, makeWorkload, type Address, type Authorization } from '../src/model.js';
import { ztunnelNode } from '../src/node.js';
import { listenAds, type ListenAdsOptions } from '../src/server.js';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL } from '../src/types.js';


const wl = (i: number, extra: Partial<Parameters<typeof makeWorkload>[0]> = {}): Address => ({
  workload: makeWorkload({ uid: `Kubernetes//Pod/default/p${i}`, name: `p${i}`, namespace: 'default', addresses: [`10.0.0.${i}`], ...extra }),
});
const node = ztunnelNode({ ip: '10.0.0.100', podName: 'ztunnel-abc', podNamespace: 'istio-system', nodeName: 'node1', clusterId: 'Kubernetes' });

/** A store like ztunnel's: applies updates and lets a test await a condition on it. */
function store<T>() {
  const items = new Map<string, T>();
  const waiters: Array<() => void> = [];
  const apply = (u: TypeUpdate<T>) => {
    for (const x of u.updated) items.set(x.name, x.value);
    for (const n of u.removed) items.delete(n);
    for (const w of waiters.splice(0)) w();
  };
  const until = async (cond: () => boolean) => {
    while (!cond()) await new Promise<void>((r) => waiters.push(r));
  };
  return { items, apply, until };
}
const once = <T>(em: NodeJS.EventEmitter, ev: string) => new Promise<T>((r) => em.once(ev, r));

async function setup(t: Test, opts: Partial<ListenAdsOptions> = {}) {
  const cache = new ResourceCache();
  const srv = await listenAds({ cache, debounceMs: 0, ...opts });
  t.teardown(() => srv.close());
  return { cache, srv, ads: srv.ads, port: srv.port };
}

t.test('subscribe, readiness, update and remove through handlers', async (t) => {
  const { cache, ads, port } = await setup(t);
  cache.setAddress(wl(1));
  cache.setAddress({ service: makeService({ name: 's', namespace: 'default', hostname: 's.default.svc.cluster.local' }) });
  const addrs = store<Address>();
  const pols = store<Authorization>();
  const client = new DeltaAdsClient({
    target: `127.0.0.1:${port}`, node, handlers: [addressHandler(addrs.apply), authorizationHandler(pols.apply)],
  });
  t.teardown(() => client.close());
  t.notOk(client.isReady());
  client.start();
  await client.ready;
  t.ok(client.isReady(), 'ready once each type was ACKed, even with no authorizations at all');
  t.same([...addrs.items.keys()].sort(), ['Kubernetes//Pod/default/p1', 'default/s.default.svc.cluster.local']);
  t.equal(pols.items.size, 0);
  const conn = ads.connections()[0]!;
  t.equal(conn.node.id, 'ztunnel~10.0.0.100~ztunnel-abc.istio-system~istio-system.svc.cluster.local');
  t.same(conn.node.metadata, { NAME: 'ztunnel-abc', NAMESPACE: 'istio-system', INSTANCE_IPS: '10.0.0.100', NODE_NAME: 'node1', CLUSTER_ID: 'Kubernetes' });

  cache.setAuthorization(makeAuthorization({ name: 'deny-all', namespace: 'default', scope: 'NAMESPACE', action: 'DENY', groups: [{ rules: [] }] }));
  await pols.until(() => pols.items.has('default/deny-all'));
  t.equal(pols.items.get('default/deny-all')!.action, 'DENY');
  cache.setAddress(wl(1, { status: 'UNHEALTHY' }));
  await addrs.until(() => addrs.items.get('Kubernetes//Pod/default/p1')?.workload?.status === 'UNHEALTHY');
  cache.deleteAddress('Kubernetes//Pod/default/p1');
  await addrs.until(() => !addrs.items.has('Kubernetes//Pod/default/p1'));
  t.pass('update and removal applied');
  const st = client.status();
  t.match(st, [{ typeUrl: ADDRESS_TYPE_URL, ackedOnce: true, nacks: 0 }, { typeUrl: AUTHORIZATION_TYPE_URL, ackedOnce: true }]);
  t.ok(client.metrics().acksSent >= 4);
});

t.test('an invalid resource is NACKed naming resource and field; the rest applies; the last good state stays', async (t) => {
  const { cache, ads, port } = await setup(t);
  cache.setAddress(wl(1));
  const addrs = store<Address>();
  const client = new DeltaAdsClient({ target: `127.0.0.1:${port}`, node, handlers: [addressHandler(addrs.apply)] });
  t.teardown(() => client.close());
  client.start();
  await client.ready;
  const good = client.versions(ADDRESS_TYPE_URL)['Kubernetes//Pod/default/p1'];
  // A 3-byte "IP" for p1 (bypassing the model, as a buggy control plane would) and a valid new p2, in one push.
  const bad = istio.workload.Address.encode({ workload: { uid: 'Kubernetes//Pod/default/p1', addresses: [Uint8Array.of(10, 0, 0)] } }).finish();
  const nack = once<{ message: string }>(client, 'nack');
  cache.set(ADDRESS_TYPE_URL, 'Kubernetes//Pod/default/p1', bad, ['/10.0.0.1']);
  cache.setAddress(wl(2));
  const { message } = await nack;
  t.match(message, /^resource "Kubernetes\/\/Pod\/default\/p1": workload\.addresses\[0\]: must be 4 or 16 bytes, got 3$/);
  t.ok(addrs.items.has('Kubernetes//Pod/default/p2'), 'the valid resource of the same push is applied');
  t.equal(addrs.items.get('Kubernetes//Pod/default/p1')!.workload!.addresses[0], '10.0.0.1', 'last good p1 kept');
  t.equal(client.versions(ADDRESS_TYPE_URL)['Kubernetes//Pod/default/p1'], good, 'its version is the last good one');
  await new Promise<void>((resolve) => {
    const check = () => (ads.connections()[0]?.watches[0]?.state === 'NACKED' ? resolve() : setTimeout(check, 5));
    check();
  });
  t.match(ads.connections()[0]!.watches[0]!.lastNack!.message, /workload\.addresses\[0\]/);
  // Fixed at the source: ACKed and applied.
  const ack = once(client, 'ack');
  cache.setAddress(wl(1, { name: 'fixed' }));
  await ack;
  t.equal(addrs.items.get('Kubernetes//Pod/default/p1')!.workload!.name, 'fixed');
  t.equal(client.status()[0]!.nacks, 1);
  t.equal(client.metrics().rejectedResources, 1);
});

t.test('a handler can add validation; a throwing apply NACKs the response', async (t) => {
  const { cache, port } = await setup(t);
  cache.setAddress(wl(1, { tunnelProtocol: 'LEGACY_ISTIO_MTLS' }));
  const client = new DeltaAdsClient({
    target: `127.0.0.1:${port}`, node,
    handlers: [addressHandler(() => {}, { validate: (a) => (a.workload?.tunnelProtocol === 'LEGACY_ISTIO_MTLS' ? ['workload.tunnelProtocol: LEGACY_ISTIO_MTLS is not supported'] : []) }),
      authorizationHandler(() => { throw new Error('store is read-only'); })],
  });
  t.teardown(() => client.close());
  const nacks: string[] = [];
  client.on('nack', (n: { message: string }) => nacks.push(n.message));
  const two = new Promise<void>((r) => client.on('nack', () => nacks.length === 2 && r()));
  cache.setAuthorization(makeAuthorization({ name: 'a', namespace: 'n' }));
  client.start();
  await two;
  t.match(nacks.sort(), [/apply failed: store is read-only/, /tunnelProtocol: LEGACY_ISTIO_MTLS is not supported/]);
  t.notOk(client.isReady(), 'readiness waits for an ACK of each type');
});

t.test('reconnect resumes with initial_resource_versions: only changes are resent', async (t) => {
  const { cache, ads, port } = await setup(t);
  for (let i = 1; i <= 20; i++) cache.setAddress(wl(i));
  const addrs = store<Address>();
  const client = new DeltaAdsClient({ target: `127.0.0.1:${port}`, node, handlers: [addressHandler(addrs.apply)] });
  t.teardown(() => client.close());
  client.start();
  await client.ready;
  const sentBefore = ads.metrics().resourcesSent[ADDRESS_TYPE_URL]!;
  t.equal(sentBefore, 20);
  const disconnected = once<{ code: number }>(client, 'disconnected');
  ads.resetStreams();
  t.equal((await disconnected).code, grpc.status.OK);
  cache.setAddress(wl(3, { status: 'UNHEALTHY' }));
  await addrs.until(() => addrs.items.get('Kubernetes//Pod/default/p3')?.workload?.status === 'UNHEALTHY');
  t.equal(ads.metrics().resourcesSent[ADDRESS_TYPE_URL], sentBefore + 1, 'the 19 unchanged resources were not resent');
  t.equal(client.metrics().connects, 2);
  t.equal(addrs.items.size, 20);
});

t.test('reconnect backoff: 10 ms doubling to 15 s', async (t) => {
  // Nothing listens on this port: every attempt fails fast with UNAVAILABLE.
  const { port, srv } = await setup(t);
  await srv.close();
  const delays: number[] = [];
  let fire: (() => void) | undefined;
  let scheduled!: () => void;
  const client = new DeltaAdsClient({
    target: `127.0.0.1:${port}`, node, handlers: [addressHandler(() => {})],
    timers: { setTimeout: (fn, ms) => { delays.push(ms); fire = fn; scheduled(); return 0; }, clearTimeout: () => {} },
  });
  t.teardown(() => client.close());
  const next = () => new Promise<void>((r) => (scheduled = r));
  let p = next();
  client.start();
  for (let i = 0; i < 13; i++) {
    await p;
    p = next();
    fire!();
  }
  await p;
  t.same(delays, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 15000, 15000, 15000]);
  t.ok(client.metrics().streamErrors >= 14);
  t.match(client.metrics().lastError, /UNAVAILABLE/);
});

t.test('clean end resets the backoff', async (t) => {
  const { ads, port } = await setup(t);
  const delays: number[] = [];
  const client = new DeltaAdsClient({
    target: `127.0.0.1:${port}`, node, handlers: [addressHandler(() => {})],
    timers: { setTimeout: (fn, ms) => { delays.push(ms); setImmediate(fn); return 0; }, clearTimeout: () => {} },
  });
  t.teardown(() => client.close());
  client.start();
  await client.ready;
  const again = once(client, 'connected');
  ads.resetStreams();
  await again;
  t.same(delays, [10]);
});

t.test('on-demand lookups through demand()', async (t) => {
  const { cache, ads, port } = await setup(t);
  cache.setAddress(wl(1));
  cache.setAddress(wl(2));
  cache.setAddress({ service: makeService({ name: 's', namespace: 'default', hostname: 's.default.svc.cluster.local' }) });
  const addrs = store<Address>();
  const client = new DeltaAdsClient({ target: `127.0.0.1:${port}`, node, handlers: [addressHandler(addrs.apply, { onDemand: true })] });
  t.teardown(() => client.close());
  client.start();
  await client.ready;
  t.ok(client.isReady(), 'on-demand types do not gate readiness');
  await client.demand(ADDRESS_TYPE_URL, '/10.0.0.2');
  t.same([...addrs.items.keys()], ['Kubernetes//Pod/default/p2']);
  await client.demand(ADDRESS_TYPE_URL, 'default/s.default.svc.cluster.local');
  t.ok(addrs.items.has('default/s.default.svc.cluster.local'));
  await client.demand(ADDRESS_TYPE_URL, '/10.0.0.99');
  t.equal(addrs.items.size, 2, 'an unknown address resolves the lookup with nothing added');
  // Subscriptions survive a reconnect.
  ads.resetStreams();
  await once(client, 'connected');
  t.same(ads.connections()[0]!.watches[0]!.subscribed.sort(), ['/10.0.0.2', '/10.0.0.99', 'default/s.default.svc.cluster.local']);
  client.unsubscribe(ADDRESS_TYPE_URL, ['/10.0.0.99']);
  t.same(client.status()[0]!.subscribed.sort(), ['/10.0.0.2', 'default/s.default.svc.cluster.local']);
  t.throws(() => client.subscribe('type.googleapis.com/nope', ['x']), { code: 'XDS_ERR_UNKNOWN_TYPE' });
  const pending = client.demand(ADDRESS_TYPE_URL, '/10.0.0.50');
  await client.close();
  await t.rejects(pending, { code: 'XDS_ERR_CLOSED' });
});

t.test('bearer token metadata and rejection by the server auth hook', async (t) => {
  const { cache, ads, port } = await setup(t, {
    authenticate: (r) => (r.bearerToken === 'tok' && r.metadata['clusterid'] === 'Kubernetes' ? { ok: true, identity: 'zt' } : { ok: false, reason: 'bad token' }),
  });
  cache.setAddress(wl(1));
  const good = new DeltaAdsClient({
    target: `127.0.0.1:${port}`, node, handlers: [addressHandler(() => {})],
    metadata: async () => ({ authorization: 'Bearer tok', clusterid: 'Kubernetes' }),
  });
  t.teardown(() => good.close());
  good.start();
  await good.ready;
  const bad = new DeltaAdsClient({
    target: `127.0.0.1:${port}`, node, handlers: [addressHandler(() => {})],
    metadata: () => ({ authorization: 'Bearer wrong' }), backoff: { initialMs: 60_000 },
  });
  t.teardown(() => bad.close());
  const dis = once<{ code: number; details: string }>(bad, 'disconnected');
  bad.start();
  const d = await dis;
  t.equal(d.code, grpc.status.UNAUTHENTICATED);
  t.match(bad.metrics().lastError, /UNAUTHENTICATED: unauthenticated: bad token/);
  t.equal(ads.metrics().rejectedStreams, 1);
  t.equal(ads.connections().length, 1);
});

t.test('options are validated', async (t) => {
  t.throws(() => new DeltaAdsClient({ target: '', node, handlers: [] }), { code: 'XDS_ERR_INVALID_OPTIONS' });
  t.throws(() => new DeltaAdsClient({ target: 'x:1', node, handlers: [addressHandler(() => {}), addressHandler(() => {})] }), { code: 'XDS_ERR_INVALID_OPTIONS' });
  const c = new DeltaAdsClient({ target: 'x:1', node, handlers: [] });
  await c.ready;
  await c.close();
  await c.close();
  await t.rejects(c.demand(ADDRESS_TYPE_URL, 'x'), { code: 'XDS_ERR_UNKNOWN_TYPE' });
});

t.test('an oversized response fails the stream with a clear error; the client retries with backoff', async (t) => {
  const { cache, port } = await setup(t);
  for (let i = 1; i <= 50; i++) cache.setAddress(wl(i));
  const delays: number[] = [];
  const client = new DeltaAdsClient({
    target: `127.0.0.1:${port}`, node, handlers: [addressHandler(() => {})], maxReceiveBytes: 1024,
    timers: { setTimeout: (_fn, ms) => { delays.push(ms); return 0; }, clearTimeout: () => {} },
  });
  t.teardown(() => client.close());
  const d = once<{ code: number }>(client, 'disconnected');
  client.start();
  t.equal((await d).code, grpc.status.RESOURCE_EXHAUSTED);
  t.match(client.metrics().lastError, /RESOURCE_EXHAUSTED/);
  t.same(delays, [10]);
  t.notOk(client.isReady());
});
