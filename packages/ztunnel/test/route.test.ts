import t from 'tap';
import { ProxyState } from '../src/state.js';
import { chooseWeighted, hostPort, resolveOutbound, targetPort } from '../src/route.js';
import { ZtunnelErrorCode } from '../src/errors.js';
import { pod, svc, wl } from './fixtures/model.js';

const ECHO = 'default/echo.default.svc.cluster.local';

function world() {
  const s = new ProxyState({ nodeName: 'n1' });
  const client = pod('client', '10.0.1.1', 'n1');
  const e1 = pod('echo-1', '10.0.2.1', 'n2', { serviceAccount: 'echo', services: { [ECHO]: { ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'TCP' }] } } });
  const e2 = pod('echo-2', '10.0.2.2', 'n2', { serviceAccount: 'echo', status: 'UNHEALTHY', services: { [ECHO]: { ports: [] } } });
  const plain = pod('legacy', '10.0.3.1', 'n2', { tunnelProtocol: 'NONE' });
  const wp = pod('waypoint', '10.0.4.1', 'n2', { services: { 'default/waypoint.default.svc.cluster.local': { ports: [] } } });
  for (const w of [client, e1, e2, plain, wp]) s.upsertAddress({ workload: w });
  s.upsertAddress({ service: svc({ namespace: 'default', hostname: 'echo.default.svc.cluster.local', addresses: [{ network: '', address: '10.96.0.10' }], ports: [{ servicePort: 80, targetPort: 0, appProtocol: 'TCP' }], subjectAltNames: ['spiffe://cluster.local/ns/default/sa/extra'] }) });
  s.upsertAddress({ service: svc({ namespace: 'default', hostname: 'waypoint.default.svc.cluster.local', addresses: [{ network: '', address: '10.96.0.99' }], ports: [{ servicePort: 15008, targetPort: 15008, appProtocol: 'TCP' }] }) });
  return { s, client, e1, e2, plain, wp };
}

t.test('service VIP: healthy endpoint, port translation, HBONE with identity ∪ SANs', async (t) => {
  const { s, client } = world();
  const r = resolveOutbound(s, client, '10.96.0.10', 80, { network: '' });
  t.match(r, { kind: 'hbone', ip: '10.0.2.1', port: 15008, authority: '10.0.2.1:8080', waypoint: false, target: { ip: '10.0.2.1', port: 8080 } });
  if (r.kind === 'hbone') t.same(r.identities.sort(), ['spiffe://cluster.local/ns/default/sa/echo', 'spiffe://cluster.local/ns/default/sa/extra']);
});

t.test('pod IP, tunnel NONE, unknown, no healthy endpoint', async (t) => {
  const { s, client, e1 } = world();
  t.match(resolveOutbound(s, client, '10.0.2.1', 9000, { network: '' }), { kind: 'hbone', authority: '10.0.2.1:9000', identities: ['spiffe://cluster.local/ns/default/sa/echo'] });
  t.match(resolveOutbound(s, client, '10.0.3.1', 80, { network: '' }), { kind: 'tcp', ip: '10.0.3.1', port: 80 });
  t.match(resolveOutbound(s, client, '203.0.113.1', 443, { network: '' }), { kind: 'passthrough', ip: '203.0.113.1', port: 443 });
  s.upsertAddress({ workload: { ...e1, status: 'UNHEALTHY' } });
  t.throws(() => resolveOutbound(s, client, '10.96.0.10', 80, { network: '' }), { code: ZtunnelErrorCode.NO_HEALTHY_UPSTREAM, message: /echo.default.svc.cluster.local/ });
  const svc2 = s.serviceByVip('', '10.96.0.10')!;
  s.upsertAddress({ service: { ...svc2, loadBalancing: { mode: 'PASSTHROUGH', routingPreference: [], healthPolicy: 'ONLY_HEALTHY' } } });
  t.match(resolveOutbound(s, client, '10.96.0.10', 80, { network: '' }), { kind: 'passthrough' });
});

t.test('waypoints: service waypoint keeps VIP:port authority; workload waypoint; never from the waypoint itself', async (t) => {
  const { s, client, e1, wp } = world();
  const echo = s.serviceByVip('', '10.96.0.10')!;
  s.upsertAddress({ service: { ...echo, waypoint: { hostname: { namespace: 'default', hostname: 'waypoint.default.svc.cluster.local' }, hboneMtlsPort: 15008 } } });
  t.match(resolveOutbound(s, client, '10.96.0.10', 80, { network: '' }), { kind: 'hbone', ip: '10.0.4.1', port: 15008, authority: '10.96.0.10:80', waypoint: true, identities: ['spiffe://cluster.local/ns/default/sa/waypoint'] });
  t.match(resolveOutbound(s, wp, '10.96.0.10', 80, { network: '' }), { kind: 'hbone', ip: '10.0.2.1', authority: '10.0.2.1:8080', waypoint: false }, 'the waypoint itself goes direct');
  s.upsertAddress({ workload: { ...e1, waypoint: { address: { network: '', address: '10.96.0.99' }, hboneMtlsPort: 15008 } } });
  t.match(resolveOutbound(s, client, '10.0.2.1', 8080, { network: '' }), { kind: 'hbone', ip: '10.0.4.1', authority: '10.0.2.1:8080', waypoint: true });
  t.match(resolveOutbound(s, wp, '10.0.2.1', 8080, { network: '' }), { kind: 'hbone', ip: '10.0.2.1', waypoint: false });
  s.removeAddress(wp.uid);
  t.throws(() => resolveOutbound(s, client, '10.0.2.1', 8080, { network: '' }), { code: ZtunnelErrorCode.NO_HEALTHY_UPSTREAM });
});

t.test('weighted choice by capacity; helpers', async (t) => {
  const a = wl({ uid: 'a', capacity: 1 });
  const b = wl({ uid: 'b', capacity: 3 });
  const z = wl({ uid: 'z', capacity: 0 });
  t.equal(chooseWeighted([a, b], () => 0.1)?.uid, 'a');
  t.equal(chooseWeighted([a, b], () => 0.5)?.uid, 'b');
  t.equal(chooseWeighted([z], () => 0.5), undefined);
  t.equal(chooseWeighted([z, a], () => 0)?.uid, 'a');
  t.equal(hostPort('::1', 80), '[::1]:80');
  const s = svc({ namespace: 'd', hostname: 'h', ports: [{ servicePort: 80, targetPort: 0, appProtocol: 'TCP' }] });
  t.equal(targetPort(s, wl({ uid: 'x' }), 80), 80, 'no mapping: same port');
  t.equal(targetPort(s, wl({ uid: 'x', services: { 'd/h': { ports: [{ servicePort: 80, targetPort: 9090, appProtocol: 'TCP' }] } } }), 80), 9090);
});
