import t from 'tap';
import { ProxyState, applyStateOps, canonicalIp, workloadIdentity, toWire, type StateOp } from '../src/state.js';
import { authz, match, pod, svc, wl } from './fixtures/model.js';

t.test('indexes workloads by IP per network, uid, node, and services by VIP and hostname', async (t) => {
  const s = new ProxyState({ nodeName: 'n1' });
  let changes = 0;
  s.on('change', () => changes++);
  const a = pod('a', '10.0.0.1', 'n1', { services: { 'default/echo.default.svc.cluster.local': { ports: [] } } });
  const b = pod('b', '10.0.0.2', 'n2', { network: 'net2' });
  s.upsertAddress({ workload: a });
  s.upsertAddress({ workload: b });
  const echo = svc({ namespace: 'default', hostname: 'echo.default.svc.cluster.local', addresses: [{ network: '', address: '10.96.0.10' }] });
  s.upsertAddress({ service: echo });
  t.equal(changes, 3);
  t.equal(s.workloadByIp('', '10.0.0.1'), a);
  t.equal(s.workloadByIp('', '::ffff:10.0.0.1'), a, 'IPv4-mapped is canonicalised');
  t.equal(s.workloadByIp('', '10.0.0.2'), undefined, 'other network');
  t.equal(s.workloadByIp('net2', '10.0.0.2'), b);
  t.equal(s.localWorkloadByIp('', '10.0.0.1'), a);
  t.equal(s.localWorkloadByIp('net2', '10.0.0.2'), undefined, 'not node-local');
  t.same(s.nodeLocalWorkloads(), [a]);
  t.equal(s.workloadByUid(a.uid), a);
  t.equal(s.serviceByVip('', '10.96.0.10'), echo);
  t.equal(s.serviceByHostname('default', 'echo.default.svc.cluster.local'), echo);
  t.same(s.servicesByHostname('echo.default.svc.cluster.local'), [echo]);
  t.same(s.endpointsOf(echo), [a]);
  t.same(s.servicesOf(a), [echo]);

  // replacing a workload drops its old indexes
  s.upsertAddress({ workload: { ...a, addresses: ['10.0.0.9'], services: {} } });
  t.equal(s.workloadByIp('', '10.0.0.1'), undefined);
  t.equal(s.workloadByIp('', '10.0.0.9')?.uid, a.uid);
  t.same(s.endpointsOf(echo), []);
  s.removeAddress(a.uid);
  s.removeAddress('default/echo.default.svc.cluster.local');
  t.equal(s.workloadByUid(a.uid), undefined);
  t.equal(s.serviceByVip('', '10.96.0.10'), undefined);
  t.same(s.servicesByHostname('echo.default.svc.cluster.local'), []);
  t.same(s.snapshot().workloads.map((w) => w.uid), [b.uid]);
});

t.test('rejects LEGACY_ISTIO_MTLS and never indexes host-network workloads by IP', async (t) => {
  const s = new ProxyState({ nodeName: 'n1' });
  t.match(s.upsertAddress({ workload: wl({ uid: 'x', tunnelProtocol: 'LEGACY_ISTIO_MTLS' }) }), { name: 'x', reason: /LEGACY/ });
  s.upsertAddress({ workload: wl({ uid: 'h', addresses: ['192.168.1.1'], networkMode: 'HOST_NETWORK' }) });
  t.equal(s.workloadByIp('', '192.168.1.1'), undefined);
});

t.test('identity defaults and IP canonicalisation', async (t) => {
  t.equal(workloadIdentity({ trustDomain: '', namespace: 'ns', serviceAccount: '' }), 'spiffe://cluster.local/ns/ns/sa/default');
  t.equal(workloadIdentity({ trustDomain: 'td', namespace: 'ns', serviceAccount: 'sa' }), 'spiffe://td/ns/ns/sa/sa');
  t.equal(canonicalIp('::FFFF:1.2.3.4'.toLowerCase()), '1.2.3.4');
  t.equal(canonicalIp('2001:DB8::1'), '2001:db8::1');
});

t.test('L4 policy: DENY wins, ALLOW must match, workload-selector policies by name, live policy event', async (t) => {
  const s = new ProxyState({ nodeName: 'n1' });
  let policyEvents = 0;
  s.on('policy', () => policyEvents++);
  const dst = pod('server', '10.0.0.5', 'n1', { authorizationPolicies: ['default/only-client'] });
  const conn = (id: string | null, src = '10.0.0.1') => ({ srcIdentity: id, srcIp: src, dstIp: '10.0.0.5', dstPort: 8080 });
  t.equal(s.checkPolicy(conn(null), dst).decision, 'ALLOW', 'no policies: allow');
  s.updateAuthorizations([
    authz({
      name: 'only-client', namespace: 'default', scope: 'WORKLOAD_SELECTOR',
      groups: [{ rules: [{ matches: [match({ principals: [{ exact: 'cluster.local/ns/default/sa/client' }] })] }] }],
    }),
  ]);
  t.equal(policyEvents, 1);
  t.equal(s.checkPolicy(conn('spiffe://cluster.local/ns/default/sa/client'), dst).decision, 'ALLOW');
  t.equal(s.checkPolicy(conn('spiffe://cluster.local/ns/default/sa/other'), dst).decision, 'DENY');
  t.equal(s.checkPolicy(conn(null), dst).decision, 'DENY', 'plaintext has no principal');
  s.updateAuthorizations([
    authz({
      name: 'deny-net', namespace: 'default', action: 'DENY',
      groups: [{ rules: [{ matches: [match({ sourceIps: [{ address: '10.9.0.0', length: 16 }] })] }] }],
    }),
  ]);
  t.equal(s.checkPolicy(conn('spiffe://cluster.local/ns/default/sa/client', '10.9.1.1'), dst).decision, 'DENY');
  t.equal(s.checkPolicy(conn('spiffe://cluster.local/ns/default/sa/client', '10.0.0.1'), dst).decision, 'ALLOW');
  s.updateAuthorizations([], ['default/only-client', 'default/deny-net']);
  t.equal(s.checkPolicy(conn(null), dst).decision, 'ALLOW');
  t.equal(s.policy('default/deny-net'), undefined);
  t.equal(toWire(authz({ name: 'x', namespace: 'y', groups: [{ rules: [{ matches: [match({ destinationIps: [{ address: '::1', length: 128 }] })] }] }] })).groups[0]!.rules[0]!.matches[0]!.destinationIps[0]!.address.length, 16);
});

t.test('mutations as ops: a replica fed with ops() and the op events equals the original (multi-worker replication)', async (t) => {
  const main = new ProxyState({ nodeName: 'n' });
  main.upsertAddress({ workload: pod('a', '10.0.0.1', 'n') });
  main.upsertAddress({ service: svc({ namespace: 'default', hostname: 's.default.svc.cluster.local', addresses: [{ network: '', address: '10.96.0.1' }] }) });
  main.updateAuthorizations([authz({ name: 'p', namespace: 'default' })]);
  const replica = new ProxyState({ nodeName: 'n' });
  applyStateOps(replica, structuredClone(main.ops()));
  const ops: StateOp[] = [];
  main.on('op', (o) => ops.push(o));
  main.upsertAddress({ workload: pod('b', '10.0.0.2', 'n') });
  main.removeAddress('Kubernetes//Pod/default/a');
  main.updateAuthorizations([], ['default/p']);
  t.same(ops.map((o) => o.op), ['upsert', 'remove', 'authz']);
  applyStateOps(replica, structuredClone(ops));
  t.same(replica.snapshot(), main.snapshot());
  t.equal(replica.localWorkloadByIp('', '10.0.0.2')?.name, 'b');
  t.equal(replica.serviceByVip('', '10.96.0.1')?.hostname, 's.default.svc.cluster.local');
});
