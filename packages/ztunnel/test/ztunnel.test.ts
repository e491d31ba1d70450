import t, { type Test } from 'tap';
import http from 'node:http';
import net from 'node:net';
import { build, type Ztunnel } from '../src/ztunnel.js';
import { validateConfig } from '../src/config.js';
import { ProxyState } from '../src/state.js';
import { authz, match, pod, svc } from './fixtures/model.js';
import { echoServer, exchange, recordingLogger, socksConnect, type LogRecord } from './fixtures/harness.js';

const ECHO = 'default/echo.default.svc.cluster.local';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function singleNode(t: Test) {
  const app = await echoServer('127.0.0.21');
  t.teardown(() => app.close());
  const state = new ProxyState({ nodeName: 'node-a' });
  state.upsertAddress({ workload: pod('client', '127.0.0.11', 'node-a') });
  state.upsertAddress({ workload: pod('server', '127.0.0.21', 'node-a', { services: { [ECHO]: { ports: [{ servicePort: 80, targetPort: app.port, appProtocol: 'TCP' }] } } }) });
  state.upsertAddress({ service: svc({ namespace: 'default', hostname: 'echo.default.svc.cluster.local', addresses: [{ network: '', address: '10.96.0.10' }], ports: [{ servicePort: 80, targetPort: 0, appProtocol: 'TCP' }] }) });
  const records: LogRecord[] = [];
  const logger = recordingLogger(records);
  const config = validateConfig({ nodeName: 'node-a', ports: { outbound: 0, inboundPlaintext: 0, hbone: 0, socks5: 0, metrics: 0, readiness: 0, admin: 0 }, drainDeadlineMs: 2000 });
  let quit = 0;
  const zt = await build(config, { logger, state, onQuit: () => quit++ });
  t.teardown(() => zt.close({ deadlineMs: 0 }));
  await zt.ready;
  return { zt, app, state, records, quits: () => quit };
}


const waitFor = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setImmediate(r));
};

t.test('same-node fast path through SOCKS5: service VIP, port translation, access logs both directions, metrics', async (t) => {
  const { zt, records } = await singleNode(t);
  const s = await socksConnect(zt.ports.socks5!, '127.0.0.11', '10.96.0.10', 80);
  t.equal(await exchange(s, 'hello'), 'echo:hello');
  await waitFor(() => records.filter((r) => r.msg === 'connection complete').length === 2);
  const out = records.find((r) => r.msg === 'connection complete' && r.direction === 'outbound')!;
  const inb = records.find((r) => r.msg === 'connection complete' && r.direction === 'inbound')!;
  t.match(out, { target: 'access', 'src.workload': 'client', 'src.identity': 'spiffe://cluster.local/ns/default/sa/client', 'dst.service': 'echo.default.svc.cluster.local', 'dst.workload': 'server', 'dst.identity': 'spiffe://cluster.local/ns/default/sa/server', bytes_sent: 5, bytes_recv: 10 });
  t.match(inb, { 'src.identity': 'spiffe://cluster.local/ns/default/sa/client', 'dst.workload': 'server', bytes_sent: 10, bytes_recv: 5 });
  t.match(out.duration, /^\d+ms$/);
  const metrics = await get(zt.ports.metrics!, '/metrics');
  t.equal(metrics.status, 200);
  t.match(metrics.body, /istio_tcp_connections_opened_total\{reporter="source",source_workload="client",.*destination_service="echo.default.svc.cluster.local".*connection_security_policy="mutual_tls"\} 1/);
  t.match(metrics.body, /istio_tcp_received_bytes_total\{reporter="destination",.*\} 5/);
  t.match(metrics.body, /istio_tcp_sent_bytes_total\{reporter="source",.*\} 10/);
  t.equal((await get(zt.ports.metrics!, '/stats/prometheus')).status, 200);
});

t.test('policy: DENY closes before any byte; live policy change closes open connections', async (t) => {
  const { zt, state, records } = await singleNode(t);
  const s1 = await socksConnect(zt.ports.socks5!, '127.0.0.11', '10.96.0.10', 80);
  s1.write('first');
  await new Promise((r) => s1.once('data', r));
  const closed = new Promise((r) => s1.once('close', r));
  state.updateAuthorizations([
    authz({ name: 'deny-client', namespace: 'default', action: 'DENY', groups: [{ rules: [{ matches: [match({ principals: [{ exact: 'cluster.local/ns/default/sa/client' }] })] }] }] }),
  ]);
  await closed;
  t.ok(records.some((r) => r.msg === 'connection closed due to policy change'), 'live policy close is logged');
  const s2 = await socksConnect(zt.ports.socks5!, '127.0.0.11', '10.96.0.10', 80);
  t.equal(await exchange(s2, 'again'), '', 'denied: no bytes');
  await waitFor(() => records.some((r) => r.direction === 'inbound' && typeof r.error === 'string' && /denied by policy/.test(r.error as string)));
  const m = await get(zt.ports.metrics!, '/metrics');
  t.match(m.body, /istio_tcp_connections_failed_total\{reporter="destination".*response_flags="DENY"/);
});

t.test('unknown source, no healthy endpoint and passthrough', async (t) => {
  const { zt, state, records } = await singleNode(t);
  const s = await socksConnect(zt.ports.socks5!, '127.0.0.99', '10.96.0.10', 80);
  t.equal(await exchange(s, 'x'), '');
  await waitFor(() => records.some((r) => r.msg === 'connection failed'));
  t.match(records.find((r) => r.msg === 'connection failed'), { 'src.addr': /^127\.0\.0\.99:/, error: /ZT_ERR_UNKNOWN_SOURCE/ });

  state.upsertAddress({ service: svc({ namespace: 'default', hostname: 'empty.default.svc.cluster.local', addresses: [{ network: '', address: '10.96.0.11' }] }) });
  const s2 = await socksConnect(zt.ports.socks5!, '127.0.0.11', '10.96.0.11', 80);
  t.equal(await exchange(s2, 'x'), '');
  await waitFor(() => records.some((r) => typeof r.error === 'string' && /NO_HEALTHY_UPSTREAM/.test(r.error as string)));

  const outside = await echoServer('127.0.0.55', 'outside:');
  t.teardown(() => outside.close());
  const s3 = await socksConnect(zt.ports.socks5!, '127.0.0.11', '127.0.0.55', outside.port);
  t.equal(await exchange(s3, 'x'), 'outside:x', 'unknown destination: plain TCP passthrough');
  const s4 = await socksConnect(zt.ports.socks5!, '127.0.0.11', 'echo.default.svc.cluster.local', 80);
  t.equal(await exchange(s4, 'dns'), 'echo:dns', 'SOCKS5 domain = mesh service hostname');
});

t.test('recursion to our own ports is refused; plaintext inbound to an own port gets nothing', async (t) => {
  const { zt, records } = await singleNode(t);
  const s = await socksConnect(zt.ports.socks5!, '127.0.0.11', '127.0.0.1', zt.ports.outbound!);
  t.equal(await exchange(s, 'x'), '');
  await waitFor(() => records.some((r) => typeof r.error === 'string' && /RECURSIVE/.test(r.error as string)));
  const p = net.connect({ host: '127.0.0.21', port: zt.ports.inboundPlaintext!, allowHalfOpen: true });
  p.on('error', () => {});
  t.equal(await exchange(p, 'x'), '');
});

t.test('readiness, admin config_dump, logging, quitquitquit', async (t) => {
  const { zt, quits } = await singleNode(t);
  t.equal((await get(zt.ports.readiness!, '/healthz/ready')).status, 200);
  const dump = JSON.parse((await get(zt.ports.admin!, '/config_dump')).body);
  t.equal(dump.config.nodeName, 'node-a');
  t.same(dump.workloads.map((w: { name: string }) => w.name).sort(), ['client', 'server']);
  t.equal(dump.services.length, 1);
  t.same(JSON.parse((await get(zt.ports.admin!, '/logging?level=debug', 'POST')).body), { level: 'debug' });
  t.equal((await get(zt.ports.admin!, '/logging?level=loud', 'POST')).status, 400);
  t.equal((await get(zt.ports.admin!, '/quitquitquit')).status, 405);
  t.equal((await get(zt.ports.admin!, '/quitquitquit', 'POST')).status, 200);
  t.equal(quits(), 1);
  t.equal((await get(zt.ports.admin!, '/nope')).status, 404);
});

t.test('drain: close() waits for open connections, then forces them after the deadline', async (t) => {
  const { zt } = await singleNode(t);
  const s = await socksConnect(zt.ports.socks5!, '127.0.0.11', '10.96.0.10', 80);
  s.write('a');
  await new Promise((r) => s.once('data', r));
  t.equal(zt.connections, 2, 'outbound + inbound (fast path)');
  const closedAt = new Promise((r) => s.once('close', r));
  const closing = zt.close({ deadlineMs: 10_000 });
  t.equal(zt.isReady(), false, 'not ready while draining');
  // the listener no longer accepts
  await t.rejects(socksConnect(zt.ports.socks5!, '127.0.0.11', '10.96.0.10', 80));
  s.end();
  await closedAt;
  await closing;
  t.equal(zt.connections, 0);

  const again = await singleNode(t);
  const s2 = await socksConnect(again.zt.ports.socks5!, '127.0.0.11', '10.96.0.10', 80);
  s2.write('b');
  await new Promise((r) => s2.once('data', r));
  const forced = new Promise((r) => s2.once('close', r));
  await again.zt.close({ deadlineMs: 50 });
  await forced;
  await waitFor(() => again.records.some((r) => typeof r.error === 'string' && /drain deadline/.test(r.error as string)));
  t.pass('the forced close is in the access log');
});

t.test('socks5Workload: SOCKS5 clients from a non-workload address act as the configured workload', async (t) => {
  const app = await echoServer('127.0.0.21');
  t.teardown(() => app.close());
  const state = new ProxyState({ nodeName: 'node-a' });
  state.upsertAddress({ workload: pod('client', '127.0.0.11', 'node-a') });
  state.upsertAddress({ workload: pod('server', '127.0.0.21', 'node-a') });
  const records: LogRecord[] = [];
  const config = validateConfig({ nodeName: 'node-a', socks5Workload: 'default/client', ports: { outbound: null, inboundPlaintext: null, hbone: null, socks5: 0, metrics: null, readiness: null, admin: null } });
  const zt = await build(config, { logger: recordingLogger(records), state });
  t.teardown(() => zt.close({ deadlineMs: 0 }));
  const s = await socksConnect(zt.ports.socks5!, '127.0.0.1', '127.0.0.21', app.port);
  t.equal(await exchange(s, 'dev'), 'echo:dev');
  await waitFor(() => records.some((r) => r.msg === 'connection complete' && r.direction === 'inbound'));
  t.match(records.find((r) => r.msg === 'connection complete' && r.direction === 'inbound'), { 'src.identity': 'spiffe://cluster.local/ns/default/sa/client' });
  t.throws(() => validateConfig({ nodeName: 'n', socks5Workload: 'nope' }), { message: /socks5Workload/ });
});
