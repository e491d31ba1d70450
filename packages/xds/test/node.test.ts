import t from 'tap';
import { fromStruct, nodeFromProto, nodeToProto, parseNodeId, toStruct, ztunnelNode } from '../src/node.js';
import { envoy } from '../generated/proto.js';

t.test('ztunnel node id and metadata', async (t) => {
  const n = ztunnelNode({ ip: '10.0.0.5', podName: 'ztunnel-x', podNamespace: 'istio-system', nodeName: 'n1', clusterId: 'c1', metadata: { EXTRA: 'y' } });
  t.equal(n.id, 'ztunnel~10.0.0.5~ztunnel-x.istio-system~istio-system.svc.cluster.local');
  t.same(n.metadata, { EXTRA: 'y', NAME: 'ztunnel-x', NAMESPACE: 'istio-system', INSTANCE_IPS: '10.0.0.5', NODE_NAME: 'n1', CLUSTER_ID: 'c1' });
  t.equal(ztunnelNode({ podName: 'p', podNamespace: 'ns' }).id, 'ztunnel~1.1.1.1~p.ns~ns.svc.cluster.local', 'ztunnel falls back to 1.1.1.1');
});

t.test('parseNodeId', async (t) => {
  t.same(parseNodeId('ztunnel~10.0.0.5~ztunnel-x.istio-system~istio-system.svc.cluster.local'), {
    type: 'ztunnel', ips: ['10.0.0.5'], id: 'ztunnel-x.istio-system', dnsDomain: 'istio-system.svc.cluster.local',
  });
  t.same(parseNodeId('sidecar~1.2.3.4,::1~a.b~b.svc.cluster.local')!.ips, ['1.2.3.4', '::1']);
  t.equal(parseNodeId('not-a-node-id'), undefined);
  t.equal(parseNodeId('~1~2~3'), undefined);
});

t.test('Struct round trip through the wire', async (t) => {
  const meta = { s: 'x', n: 1.5, b: true, z: null, l: ['a', 2], o: { k: 'v' } };
  t.same(fromStruct(toStruct(meta)), meta);
  const n = { id: 'ztunnel~1~2~3', cluster: 'c', metadata: meta, userAgentName: 'amesh', userAgentVersion: '0.1.0' };
  const bytes = envoy.config.core.v3.Node.encode(nodeToProto(n)).finish();
  t.same(nodeFromProto(envoy.config.core.v3.Node.decode(bytes)), n);
  t.same(nodeFromProto(undefined), { id: '', metadata: {} });
});
