import t from 'tap';
import { ALL_KINDS, KINDS, groupOf, kindKeyOf, objectKey } from '../src/types.js';

t.test('kinds table covers the core and mesh kinds', async (t) => {
  t.same([...ALL_KINDS].sort(), ['AuthorizationPolicy', 'DestinationRule', 'Gateway', 'HTTPRoute', 'IstioGateway', 'Namespace', 'Node', 'PeerAuthentication', 'Pod', 'Service', 'ServiceAccount', 'ServiceEntry', 'VirtualService']);
  t.equal(KINDS.Namespace.namespaced, false);
  t.equal(KINDS.Gateway.group, 'gateway.networking.k8s.io');
  t.equal(KINDS.IstioGateway.group, 'networking.istio.io');
});

t.test('kindKeyOf resolves any served version and distinguishes the two Gateways', async (t) => {
  t.equal(groupOf('v1'), '');
  t.equal(groupOf('security.istio.io/v1beta1'), 'security.istio.io');
  t.equal(kindKeyOf({ apiVersion: 'v1', kind: 'Pod' }), 'Pod');
  t.equal(kindKeyOf({ apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy' }), 'AuthorizationPolicy');
  t.equal(kindKeyOf({ apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'Gateway' }), 'Gateway');
  t.equal(kindKeyOf({ apiVersion: 'networking.istio.io/v1beta1', kind: 'Gateway' }), 'IstioGateway');
  t.equal(kindKeyOf({ apiVersion: 'apps/v1', kind: 'Deployment' }), undefined);
  t.equal(kindKeyOf({ kind: 'Pod' }), undefined);
  t.equal(objectKey({ metadata: { name: 'a', namespace: 'ns' } }), 'ns/a');
  t.equal(objectKey({ metadata: { name: 'n' } }), 'n');
});
