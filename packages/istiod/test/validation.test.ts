import t from 'tap';
import type { KubeObject } from '@amesh/kube';
import { validateObject, VALIDATED_KINDS } from '../src/validation.js';

const obj = (apiVersion: string, kind: string, spec: unknown, md: Record<string, unknown> = {}): KubeObject => ({ apiVersion, kind, metadata: { name: 'x', namespace: 'default', ...md }, spec });

t.test('valid objects pass; invalid ones list every problem with a field path', async (t) => {
  const table: [string, Parameters<typeof validateObject>[0], KubeObject, string[]][] = [
    ['policy ok', 'AuthorizationPolicy', obj('security.istio.io/v1', 'AuthorizationPolicy', { rules: [{}] }), []],
    ['policy: DENY without rules', 'AuthorizationPolicy', obj('security.istio.io/v1', 'AuthorizationPolicy', { action: 'DENY' }), ['spec.rules']],
    ['policy: bad port + unknown action', 'AuthorizationPolicy', obj('security.istio.io/v1', 'AuthorizationPolicy', { action: 'NOPE', rules: [{ to: [{ operation: { ports: ['x'] } }] }] }), ['spec.action', 'spec.rules[0].to[0].operation.ports[0]']],
    ['PA ok', 'PeerAuthentication', obj('security.istio.io/v1', 'PeerAuthentication', { mtls: { mode: 'STRICT' } }), []],
    ['PA bad mode, port level without selector', 'PeerAuthentication', obj('security.istio.io/v1', 'PeerAuthentication', { mtls: { mode: 'STRICTEST' }, portLevelMtls: { '70000': { mode: 'STRICT' } } }), ['spec.mtls.mode', 'spec.portLevelMtls', 'spec.portLevelMtls.70000']],
    ['VS ok', 'VirtualService', obj('networking.istio.io/v1', 'VirtualService', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 90 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 10 }] }] }), []],
    ['VS no hosts, no routes', 'VirtualService', obj('networking.istio.io/v1', 'VirtualService', {}), ['spec.hosts', 'spec']],
    ['VS route without destination host, bad timeout', 'VirtualService', obj('networking.istio.io/v1', 'VirtualService', { hosts: ['a'], http: [{ route: [{ destination: {} }], timeout: 'soon' }] }), ['spec.http[0].route[0].destination.host', 'spec.http[0].timeout']],
    ['VS http without action', 'VirtualService', obj('networking.istio.io/v1', 'VirtualService', { hosts: ['a'], http: [{ match: [{}] }] }), ['spec.http[0]']],
    ['VS tls without match', 'VirtualService', obj('networking.istio.io/v1', 'VirtualService', { hosts: ['a'], tls: [{ route: [{ destination: { host: 'a' } }] }] }), ['spec.tls[0].match']],
    ['DR ok', 'DestinationRule', obj('networking.istio.io/v1', 'DestinationRule', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }] }), []],
    ['DR dup subset, no host, bad lb', 'DestinationRule', obj('networking.istio.io/v1', 'DestinationRule', { trafficPolicy: { loadBalancer: { simple: 'FASTEST' } }, subsets: [{ name: 'v1' }, { name: 'v1' }] }), ['spec.host', 'spec.subsets[1].name', 'spec.trafficPolicy.loadBalancer.simple']],
    ['SE ok', 'ServiceEntry', obj('networking.istio.io/v1', 'ServiceEntry', { hosts: ['github.com'], ports: [{ number: 443, name: 'https', protocol: 'TLS' }], resolution: 'DNS' }), []],
    ['SE bad', 'ServiceEntry', obj('networking.istio.io/v1', 'ServiceEntry', { hosts: [], ports: [{ number: 0 }], resolution: 'MAGIC' }), ['spec.hosts', 'spec.ports[0].number', 'spec.ports[0].name', 'spec.resolution']],
    ['waypoint ok', 'Gateway', obj('gateway.networking.k8s.io/v1', 'Gateway', { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] }), []],
    ['legacy waypoint ok', 'Gateway', obj('gateway.networking.k8s.io/v1alpha2', 'Gateway', { gatewayClassName: 'istio-mesh' }, { annotations: { 'istio.io/service-account': 'web' } }), []],
    ['gateway bad', 'Gateway', obj('gateway.networking.k8s.io/v1', 'Gateway', { listeners: [{ name: 'a', port: 99999 }, { name: 'a', port: 80, protocol: 'HTTP' }] }, { labels: { 'istio.io/waypoint-for': 'everything' } }), ['spec.gatewayClassName', 'spec.listeners[0].port', 'spec.listeners[0].protocol', 'spec.listeners[1].name', 'metadata.labels["istio.io/waypoint-for"]']],
    ['HTTPRoute ok', 'HTTPRoute', obj('gateway.networking.k8s.io/v1', 'HTTPRoute', { parentRefs: [{ name: 'svc', kind: 'Service', group: '' }], rules: [{ backendRefs: [{ name: 'a', port: 80, weight: 90 }] }] }), []],
    ['HTTPRoute bad', 'HTTPRoute', obj('gateway.networking.k8s.io/v1', 'HTTPRoute', { parentRefs: [{}], rules: [{ backendRefs: [{ port: 0, weight: -1 }] }] }), ['spec.parentRefs[0].name', 'spec.rules[0].backendRefs[0].name', 'spec.rules[0].backendRefs[0].port', 'spec.rules[0].backendRefs[0].weight']],
    ['istio Gateway ok', 'IstioGateway', obj('networking.istio.io/v1', 'Gateway', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['a.example.com'], tls: { mode: 'PASSTHROUGH' } }] }), []],
    ['istio Gateway bad', 'IstioGateway', obj('networking.istio.io/v1', 'Gateway', { servers: [{ hosts: [], tls: { mode: 'WHATEVER' } }] }), ['spec.servers[0].port', 'spec.servers[0].hosts', 'spec.servers[0].tls.mode']],
    ['core kinds pass', 'Pod', obj('v1', 'Pod', {}), []],
  ];
  for (const [name, kind, o, paths] of table) {
    const r = validateObject(kind, o);
    t.same(r.errors.map((e) => e.slice(0, e.indexOf(': '))), paths, name);
  }
  t.equal(VALIDATED_KINDS.length, 8);
  const legacy = validateObject('Gateway', obj('gateway.networking.k8s.io/v1alpha2', 'Gateway', { gatewayClassName: 'istio-mesh' }, { annotations: { 'istio.io/service-account': 'web' } }));
  t.equal(legacy.warnings.length, 2, 'deprecation warnings for the legacy form');
  t.ok(validateObject('AuthorizationPolicy', obj('security.istio.io/v1', 'AuthorizationPolicy', {})).policy);
});
