// The multi-worker mode: two ztunnels ("nodes"), each with 2 data-path worker threads on SO_REUSEPORT sockets, the
// state and certificates held by the main thread. Tunnel with identities, state propagation, live policy close in
// every worker, metrics summed over the workers, drain, and the single-thread fallback without the native helper.
import t, { type Test } from 'tap';
import http from 'node:http';
import net from 'node:net';
import { createTestCa } from '@amesh/spiffe/testing';
import type { Svid } from '@amesh/spiffe';
import { buildWorkers, type WorkersZtunnel } from '../src/workers.js';
import { validateConfig } from '../src/config.js';
import { ProxyState } from '../src/state.js';
import { canBindSockets } from '../src/sockopt.js';
import type { IdentityProvider } from '../src/proxy.js';
import { authz, match, pod, svc } from './fixtures/model.js';
import { echoServer, exchange, recordingLogger, socksConnect, type LogRecord } from './fixtures/harness.js';

const NS = 'demo';
const WEB = `${NS}/web.${NS}.svc.cluster.local`;
const until = async (cond: () => boolean | Promise<boolean>, what = '') => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > 20_000) throw new Error(`timed out waiting for ${what || cond.toString()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const get = (port: number, path: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });

const skip = canBindSockets() ? false : 'the native helper (packages/ztunnel/native) is not built';

// worker threads load the TypeScript sources again (seconds each under tap): one pair of nodes serves every test
// (built on first use, torn down by the top-level test after every subtest)
let pair: Promise<Awaited<ReturnType<typeof twoNodes>>> | undefined;
const shared = () => (pair ??= twoNodes(t));

async function twoNodes(t: Test) {
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
  const mkState = (node: string) => {
    const s = new ProxyState({ nodeName: node });
    s.upsertAddress({ workload: pod('client', '127.0.0.11', 'node-a', { namespace: NS }) });
    s.upsertAddress({ workload: pod('web', '127.0.0.21', 'node-b', { namespace: NS, services: { [WEB]: { ports: [{ servicePort: 80, targetPort: app.port, appProtocol: 'TCP' }] } }, authorizationPolicies: [`${NS}/deny-client`] }) });
    s.upsertAddress({ service: svc({ namespace: NS, hostname: `web.${NS}.svc.cluster.local`, addresses: [{ network: '', address: '10.96.0.20' }], ports: [{ servicePort: 80, targetPort: 0, appProtocol: 'TCP' }] }) });
    return s;
  };
  const ports = { outbound: 0, inboundPlaintext: 0, hbone: 0, socks5: 0, metrics: 0, readiness: 0, admin: 0 };
  const logsA: LogRecord[] = [];
  const logsB: LogRecord[] = [];
  const b = await buildWorkers(validateConfig({ nodeName: 'node-b', ports }), { logger: recordingLogger(logsB), state: mkState('node-b'), identities, workers: 2 });
  t.teardown(() => b.close({ deadlineMs: 0 }));
  // one stream per pooled HBONE connection: B's SO_REUSEPORT hash spreads the tunnels over both of its workers
  const a = await buildWorkers(validateConfig({ nodeName: 'node-a', ports, poolMaxStreamsPerConnection: 1 }), { logger: recordingLogger(logsA), state: mkState('node-a'), identities, workers: 2, hboneDialPort: b.ports.hbone! });
  t.teardown(() => a.close({ deadlineMs: 0 }));
  await Promise.all([a.ready, b.ready]);
  return { a, b, logsA, logsB };
}

const open = (zt: WorkersZtunnel, from: string, n: number) => Promise.all(Array.from({ length: n }, () => socksConnect(zt.ports.socks5!, from, '10.96.0.20', 80)));
const roundTrip = (s: net.Socket, data: string) =>
  new Promise<string>((resolve) => {
    s.once('data', (d: Buffer) => resolve(d.toString()));
    s.write(data);
  });

t.test('two workers per node: mTLS tunnel, both workers serve, logs and metrics reach the main thread', { skip }, async (t) => {
  const { a, b, logsA, logsB } = await shared();
  t.equal(a.workers, 2);
  t.equal(b.workers, 2);
  t.equal(await exchange(await socksConnect(a.ports.socks5!, '127.0.0.11', '10.96.0.20', 80), 'hello'), 'echo:hello');
  // 24 connections: the kernel's SO_REUSEPORT hash spreads them over both of A's workers
  const conns = await open(a, '127.0.0.11', 24);
  for (const [i, s] of conns.entries()) t.equal(await roundTrip(s, `m${i}`), `echo:m${i}`);
  await until(() => a.connections === 24 && b.connections === 24);
  for (const s of conns) s.end();
  await until(() => logsA.filter((r) => r.msg === 'connection complete').length === 25 && logsB.filter((r) => r.msg === 'connection complete').length === 25);
  const workersA = new Set(logsA.filter((r) => r.msg === 'connection complete').map((r) => r.worker));
  t.same([...workersA].sort(), [0, 1], 'both of A\'s workers proxied connections');
  t.match(logsB.find((r) => r.msg === 'connection complete'), { direction: 'inbound', 'src.identity': `spiffe://cluster.local/ns/${NS}/sa/client`, 'dst.identity': `spiffe://cluster.local/ns/${NS}/sa/web` });
  const metrics = await get(a.ports.metrics!, '/metrics');
  t.match(metrics.body, /istio_tcp_connections_closed_total\{reporter="source",[^}]*destination_workload="web"[^}]*\} 25\n/, 'closed connections summed over the workers');
  t.match(metrics.body, /istio_tcp_sockets_open\{reporter="source"\} 0/);
  const dump = JSON.parse((await get(a.ports.admin!, '/config_dump')).body) as { workers: { index: number; running: boolean }[]; workloads: unknown[] };
  t.same(dump.workers.map((w) => [w.index, w.running]), [[0, true], [1, true]]);
  t.equal(dump.workloads.length, 2);
  t.equal((await get(a.ports.readiness!, '/healthz/ready')).status, 200);
});

t.test('state pushed to the main thread reaches every worker; a DENY policy closes live connections in every worker', { skip }, async (t) => {
  const { a, b, logsA, logsB } = await shared();
  // a client enrolled after start: only the replicated state lets the workers find it
  a.state.upsertAddress({ workload: pod('late', '127.0.0.13', 'node-a', { namespace: NS }) });
  b.state.upsertAddress({ workload: pod('late', '127.0.0.13', 'node-a', { namespace: NS }) });
  const conns = await open(a, '127.0.0.13', 16);
  for (const [i, s] of conns.entries()) t.equal(await roundTrip(s, `x${i}`), `echo:x${i}`, 'the late workload is a known source in every worker');
  await until(() => b.connections === 16, `b.connections 16 (now ${b.connections}, a ${a.connections})`);
  // B resets the tunnel (RST_STREAM CONNECT_ERROR) and A resets the client: the half-open-capable sockets close
  let nClosed = 0;
  const errors = new Set<string>();
  for (const s of conns) {
    s.on('error', (e: NodeJS.ErrnoException) => errors.add(e.code ?? e.message));
    s.once('close', () => nClosed++);
  }
  b.state.updateAuthorizations([authz({ name: 'deny-client', namespace: NS, action: 'DENY', groups: [{ rules: [{ matches: [match({ principals: [{ exact: `cluster.local/ns/${NS}/sa/late` }] })] }] }] })]);
  await until(() => nClosed === 16, 'every client connection closed');
  t.same([...errors], ['ECONNRESET'], 'by a TCP reset');
  t.equal(await exchange(await socksConnect(a.ports.socks5!, '127.0.0.13', '10.96.0.20', 80), 'new'), '', 'a new connection is denied (HBONE 401)');
  const policyCloses = () => logsB.filter((r) => r.msg === 'connection closed due to policy change');
  await until(() => policyCloses().length === 16);
  t.pass('every live connection was closed by the policy change');
  t.same([...new Set(policyCloses().map((r) => r.worker))].sort(), [0, 1], 'in both workers');
  await until(() => b.connections === 0 && a.connections === 0);
  await until(() => logsA.some((r) => r.msg === 'connection complete' && r['src.workload'] === 'late'));
  // the policy is gone again everywhere: a new connection works
  b.state.updateAuthorizations([], [`${NS}/deny-client`]);
  t.equal(await exchange(await socksConnect(a.ports.socks5!, '127.0.0.13', '10.96.0.20', 80), 'again'), 'echo:again');
});

t.test('drain: close() stops every worker, waits for connections up to the deadline, then resets them', { skip }, async (t) => {
  const { a } = await shared();
  const conns = await open(a, '127.0.0.11', 8);
  for (const s of conns) t.equal(await roundTrip(s, 'p'), 'echo:p');
  const closed = conns.map((s) => new Promise<void>((r) => s.once('close', () => r())));
  const t0 = Date.now();
  const closing = a.close({ deadlineMs: 300 });
  t.equal(a.isReady(), false, 'not ready while draining');
  await closing;
  t.ok(Date.now() - t0 >= 250, 'waited for the deadline');
  await Promise.all(closed);
  t.equal(a.connections, 0);
  await t.rejects(socksConnect(a.ports.socks5!, '127.0.0.11', '10.96.0.20', 80), 'no worker accepts any more');
});

t.test('without the native helper: one worker (the single-thread build), with a warning', async (t) => {
  const logs: LogRecord[] = [];
  const ports = { outbound: 0, inboundPlaintext: 0, hbone: null, socks5: 0, metrics: 0, readiness: 0, admin: 0 };
  const zt = await buildWorkers(validateConfig({ nodeName: 'n', ports }), { logger: recordingLogger(logs), workers: 2, addonPath: '/nonexistent/ztunnel_sockopt.node' });
  t.teardown(() => zt.close({ deadlineMs: 0 }));
  t.equal(zt.workers, 1);
  t.ok(logs.some((r) => r.level === 'warn' && /native socket helper/.test(r.msg)));
  t.ok(zt.ports.socks5! > 0);
});
