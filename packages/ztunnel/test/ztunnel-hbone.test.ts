// Two ztunnels ("nodes") tunnelling client -> ztunnel A -> HBONE (mTLS, HTTP/2 CONNECT) -> ztunnel B -> server,
// entered through SOCKS5 (no root needed). A recording TCP relay sits between A and B to prove there is no
// plaintext on the wire between the nodes.
import t, { type Test } from 'tap';
import net from 'node:net';
import { createTestCa } from '@amesh/spiffe/testing';
import type { Svid } from '@amesh/spiffe';
import { build, type Ztunnel } from '../src/ztunnel.js';
import { validateConfig } from '../src/config.js';
import { ProxyState } from '../src/state.js';
import type { IdentityProvider } from '../src/proxy.js';
import { pod, svc, wl } from './fixtures/model.js';
import { echoServer, exchange, recordingLogger, socksConnect, type LogRecord } from './fixtures/harness.js';
import { seedPolicies, policyNamesFor } from './fixtures/seed.js';

const NS = 'anz-ambient-demo';
const WEB = `${NS}/web-api.${NS}.svc.cluster.local`;
const waitFor = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setImmediate(r));
};

async function relay(t: Test, to: () => number): Promise<{ port: number; bytes: () => Buffer }> {
  const seen: Buffer[] = [];
  const socks = new Set<net.Socket>();
  const server = net.createServer((a) => {
    const b = net.connect({ host: a.localAddress!, port: to() });
    socks.add(a).add(b);
    a.on('data', (d) => seen.push(d));
    a.pipe(b).pipe(a);
    a.on('error', () => b.destroy());
    b.on('error', () => a.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  t.teardown(() => {
    for (const s of socks) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, bytes: () => Buffer.concat(seen) };
}

async function twoNodes(t: Test, opts: { policies?: boolean; waypoint?: boolean } = {}) {
  const ca = await createTestCa();
  const issued = new Map<string, Svid>();
  const identities: IdentityProvider = {
    svid: async (id) => {
      let s = issued.get(id);
      if (!s) issued.set(id, (s = ca.issue(id)));
      return s;
    },
  };
  const app = await echoServer('127.0.0.21');
  t.teardown(() => app.close());
  const { policies, authorizations } = seedPolicies();
  const workloads = [
    pod('sleep', '127.0.0.11', 'node-a', { namespace: NS }),
    pod('notsleep', '127.0.0.12', 'node-a', { namespace: NS }),
    pod('web-api', '127.0.0.21', 'node-b', {
      namespace: NS,
      services: { [WEB]: { ports: [{ servicePort: 8080, targetPort: app.port, appProtocol: 'TCP' }] } },
      authorizationPolicies: opts.policies ? policyNamesFor(policies, NS, { app: 'web-api' }) : [],
    }),
    // ztunnel A's own (host-network) workload: its address names node-a, so B trusts `forwarded: for=` from it
    wl({ uid: 'Kubernetes//Pod/istio-system/ztunnel-a', name: 'ztunnel-a', namespace: 'istio-system', addresses: ['127.0.0.1'], node: 'node-a', networkMode: 'HOST_NETWORK', tunnelProtocol: 'NONE' }),
    pod('waypoint', '127.0.0.31', 'node-b', { namespace: NS, services: { [`${NS}/waypoint.${NS}.svc.cluster.local`]: { ports: [] } } }),
  ];
  const service = svc({
    namespace: NS, hostname: `web-api.${NS}.svc.cluster.local`, addresses: [{ network: '', address: '10.96.0.20' }],
    ports: [{ servicePort: 8080, targetPort: 0, appProtocol: 'TCP' }],
    ...(opts.waypoint ? { waypoint: { hostname: { namespace: NS, hostname: `waypoint.${NS}.svc.cluster.local` }, hboneMtlsPort: 15008 } } : {}),
  });
  const wpService = svc({ namespace: NS, hostname: `waypoint.${NS}.svc.cluster.local`, addresses: [{ network: '', address: '10.96.0.99' }] });
  const mkState = (node: string) => {
    const s = new ProxyState({ nodeName: node });
    for (const w of workloads) s.upsertAddress({ workload: w });
    s.upsertAddress({ service });
    s.upsertAddress({ service: wpService });
    if (opts.policies) s.updateAuthorizations(authorizations);
    return s;
  };
  const ports = { outbound: 0, inboundPlaintext: 0, hbone: 0, socks5: 0, metrics: 0, readiness: 0, admin: 0 };
  const logsB: LogRecord[] = [];
  const logsA: LogRecord[] = [];
  const b = await build(validateConfig({ nodeName: 'node-b', ports }), { logger: recordingLogger(logsB), state: mkState('node-b'), identities });
  t.teardown(() => b.close({ deadlineMs: 0 }));
  const wire = await relay(t, () => b.ports.hbone!);
  const a = await build(validateConfig({ nodeName: 'node-a', ports }), { logger: recordingLogger(logsA), state: mkState('node-a'), identities, hboneDialPort: wire.port });
  t.teardown(() => a.close({ deadlineMs: 0 }));
  await Promise.all([a.ready, b.ready]);
  return { a, b, app, wire, logsA, logsB, ca };
}

const through = async (zt: Ztunnel, from: string, vip: string, port: number, data: string) =>
  exchange(await socksConnect(zt.ports.socks5!, from, vip, port), data);

t.test('client -> A -> HBONE mTLS -> B -> server: identities in the server-side log, no plaintext between nodes', async (t) => {
  const { a, logsA, logsB, wire, app } = await twoNodes(t);
  t.equal(await through(a, '127.0.0.11', '10.96.0.20', 8080, 'secret-payload'), 'echo:secret-payload');
  await waitFor(() => logsB.some((r) => r.msg === 'connection complete') && logsA.some((r) => r.msg === 'connection complete'));
  const inbound = logsB.find((r) => r.msg === 'connection complete')!;
  t.match(inbound, {
    direction: 'inbound', 'src.identity': `spiffe://cluster.local/ns/${NS}/sa/sleep`, 'src.workload': 'sleep',
    'dst.identity': `spiffe://cluster.local/ns/${NS}/sa/web-api`, 'dst.hbone_addr': `127.0.0.21:${app.port}`, 'dst.service': `web-api.${NS}.svc.cluster.local`, bytes_recv: 14, bytes_sent: 19,
  });
  t.match(inbound['src.addr'], /^127\.0\.0\.11:\d+$/, 'the client address comes from the trusted forwarded header');
  const outbound = logsA.find((r) => r.msg === 'connection complete')!;
  t.match(outbound, { direction: 'outbound', 'dst.addr': '127.0.0.21:15008', 'dst.hbone_addr': `127.0.0.21:${app.port}`, 'dst.service': `web-api.${NS}.svc.cluster.local`, bytes_sent: 14, bytes_recv: 19 });
  const bytes = wire.bytes();
  t.equal(bytes[0], 0x16, 'the wire starts with a TLS handshake record');
  t.equal(bytes.indexOf('secret-payload'), -1, 'the payload never crosses the wire in plaintext');
  t.equal(bytes.indexOf('CONNECT'), -1, 'nor does the CONNECT request');
});

t.test('seed 000 policies: sleep allowed to web-api, notsleep denied (HBONE 401), allow-nothing elsewhere', async (t) => {
  const { a, b, logsB } = await twoNodes(t, { policies: true });
  t.equal(await through(a, '127.0.0.11', '10.96.0.20', 8080, 'hi'), 'echo:hi', 'sleep -> web-api allowed');
  t.equal(await through(a, '127.0.0.12', '10.96.0.20', 8080, 'hi'), '', 'notsleep -> web-api: empty reply');
  await waitFor(() => logsB.some((r) => typeof r.error === 'string' && /denied by policy/.test(r.error as string)));
  const metrics = b.metrics.render();
  t.match(metrics, /istio_tcp_connections_failed_total\{reporter="destination",source_workload="notsleep".*response_flags="DENY"/);
});

t.test('service with a waypoint: HBONE to the waypoint with the VIP:port authority', async (t) => {
  const { a, logsA } = await twoNodes(t, { waypoint: true });
  // nothing serves the waypoint: B answers for 127.0.0.31 (a workload on node-b) with a 400 (authority is the VIP)
  t.equal(await through(a, '127.0.0.11', '10.96.0.20', 8080, 'hi'), '');
  await waitFor(() => logsA.some((r) => r.msg === 'connection complete'));
  t.match(logsA.find((r) => r.msg === 'connection complete'), { 'dst.addr': '127.0.0.31:15008', 'dst.hbone_addr': '10.96.0.20:8080', error: /400|status/ });
});
