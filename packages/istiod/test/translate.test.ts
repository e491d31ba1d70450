import t from 'tap';
import type { KubeObject, Namespace, Pod, Service as KService } from '@amesh/kube';
import {
  DEFAULT_MESH,
  appProtocolOf,
  effectiveMtls,
  peerAuthFrom,
  podToWorkload,
  resolveTargetPort,
  serviceToService,
  serviceWaypoint,
  staticStrictPolicy,
  waypointBinding,
  waypointFromGateway,
  workloadNameOf,
  workloadWaypoint,
  type Waypoint,
  type WaypointLookup,
} from '../src/translate.js';

const mesh = DEFAULT_MESH;

function pod(name: string, over: { labels?: Record<string, string>; annotations?: Record<string, string>; sa?: string; ip?: string; ready?: boolean; owner?: { kind: string; name: string }; deleting?: boolean; phase?: string; hostNetwork?: boolean; ns?: string; ports?: { name: string; containerPort: number }[] } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: over.ns ?? 'default',
      labels: over.labels ?? {},
      ...(over.annotations ? { annotations: over.annotations } : {}),
      ...(over.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: over.owner.kind, name: over.owner.name, controller: true }] } : {}),
      ...(over.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: { nodeName: 'node-1', ...(over.sa ? { serviceAccountName: over.sa } : {}), ...(over.hostNetwork ? { hostNetwork: true } : {}), containers: [{ name: 'app', ports: over.ports ?? [] }] },
    status: { ...(over.phase ? { phase: over.phase } : { phase: 'Running' }), ...(over.ip === '' ? {} : { podIP: over.ip ?? '10.0.0.1' }), conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }] },
  };
}

function svc(name: string, over: { selector?: Record<string, string>; ports?: KService['spec'] extends infer S ? S extends { ports?: infer P } ? P : never : never; clusterIP?: string; labels?: Record<string, string>; type?: string; annotations?: Record<string, string> } = {}): KService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: over.labels ?? {}, ...(over.annotations ? { annotations: over.annotations } : {}) },
    spec: { selector: over.selector ?? { app: name }, clusterIP: over.clusterIP ?? '10.96.0.10', ports: over.ports ?? [{ name: 'http', port: 80, targetPort: 8080 }], ...(over.type ? { type: over.type } : {}) },
  };
}

const ns = (labels: Record<string, string> = {}): Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels } });
const noWaypoints: WaypointLookup = { get: () => undefined, legacy: () => [] };

t.test('pod → workload table', async (t) => {
  const base = { namespace: ns(), services: [] as KService[], authorizationPolicies: [] as string[], waypoint: undefined };
  const w = podToWorkload(mesh, { ...base, pod: pod('web-5d8f-abc', { labels: { app: 'web', version: 'v2', 'pod-template-hash': '5d8f' }, sa: 'web-sa', owner: { kind: 'ReplicaSet', name: 'web-5d8f' }, annotations: { 'ambient.istio.io/redirection': 'enabled' } }) })!;
  t.equal(w.uid, 'Kubernetes//Pod/default/web-5d8f-abc');
  t.same(w.addresses, ['10.0.0.1']);
  t.equal(w.tunnelProtocol, 'HBONE');
  t.equal(w.trustDomain, '', 'cluster.local is sent as ""');
  t.equal(w.serviceAccount, 'web-sa');
  t.equal(w.node, 'node-1');
  t.equal(w.canonicalName, 'web');
  t.equal(w.canonicalRevision, 'v2');
  t.equal(w.workloadName, 'web');
  t.equal(w.workloadType, 'POD');
  t.equal(w.status, 'HEALTHY');
  t.equal(w.clusterId, 'Kubernetes');

  const cases: [string, Pod, (w: ReturnType<typeof podToWorkload>) => unknown, unknown][] = [
    ['no redirection annotation: plain TCP', pod('a'), (w) => w?.tunnelProtocol, 'NONE'],
    ['native tunnel label', pod('a', { labels: { 'networking.istio.io/tunnel': 'http' } }), (w) => [w?.tunnelProtocol, w?.nativeTunnel], ['HBONE', true]],
    ['default service account', pod('a'), (w) => w?.serviceAccount, 'default'],
    ['not ready → UNHEALTHY', pod('a', { ready: false }), (w) => w?.status, 'UNHEALTHY'],
    ['terminating → UNHEALTHY', pod('a', { deleting: true }), (w) => w?.status, 'UNHEALTHY'],
    ['no IP → no workload', pod('a', { ip: '' }), (w) => w, undefined],
    ['finished → no workload', pod('a', { phase: 'Succeeded' }), (w) => w, undefined],
    ['hostNetwork', pod('a', { hostNetwork: true }), (w) => w?.networkMode, 'HOST_NETWORK'],
    ['no owner: pod name, latest revision', pod('solo'), (w) => [w?.workloadName, w?.canonicalName, w?.canonicalRevision], ['solo', 'solo', 'latest']],
    ['canonical labels win', pod('a', { labels: { app: 'x', 'service.istio.io/canonical-name': 'cn', 'service.istio.io/canonical-revision': 'cr' } }), (w) => [w?.canonicalName, w?.canonicalRevision], ['cn', 'cr']],
  ];
  for (const [name, p, get, want] of cases) t.same(get(podToWorkload(mesh, { ...base, pod: p })), want, name);

  const td = podToWorkload({ ...mesh, trustDomain: 'example.org', clusterId: 'c1', network: 'n1' }, { ...base, pod: pod('a') })!;
  t.same([td.trustDomain, td.uid, td.network], ['example.org', 'c1//Pod/default/a', 'n1']);
});

t.test('services port map and authorization policies on the workload', async (t) => {
  const p = pod('web-1', { labels: { app: 'web' }, ports: [{ name: 'http-web', containerPort: 9090 }] });
  const services = [
    svc('web', { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'named', port: 81, targetPort: 'http-web' }, { name: 'missing', port: 82, targetPort: 'nope' }, { name: 'udp', port: 53, protocol: 'UDP' }, { port: 90 }] }),
    svc('other', { selector: { app: 'other' } }),
    svc('all', { selector: {} }),
  ];
  const w = podToWorkload(mesh, { pod: p, namespace: ns(), services, authorizationPolicies: ['default/p1'], waypoint: undefined })!;
  t.same(w.services, {
    'default/web.default.svc.cluster.local': {
      ports: [
        { servicePort: 80, targetPort: 8080, appProtocol: 'HTTP11' },
        { servicePort: 81, targetPort: 9090, appProtocol: 'UNKNOWN' },
        { servicePort: 90, targetPort: 90, appProtocol: 'UNKNOWN' },
      ],
    },
  });
  t.same(w.authorizationPolicies, ['default/p1']);
});

t.test('service → Service table', async (t) => {
  const s = serviceToService(mesh, svc('web', { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'grpc', port: 90, targetPort: 'grpc-port' }] }), undefined)!;
  t.equal(s.hostname, 'web.default.svc.cluster.local');
  t.same(s.addresses, [{ network: '', address: '10.96.0.10' }]);
  t.same(s.ports, [
    { servicePort: 80, targetPort: 8080, appProtocol: 'HTTP11' },
    { servicePort: 90, targetPort: 0, appProtocol: 'GRPC' },
  ]);
  t.same(serviceToService(mesh, svc('h', { clusterIP: 'None' }), undefined)!.addresses, [], 'headless');
  t.equal(serviceToService(mesh, svc('x', { type: 'ExternalName' }), undefined), undefined);
  const sans = serviceToService(mesh, svc('web', { annotations: { 'alpha.istio.io/kubernetes-service-accounts': 'a,b' } }), undefined)!;
  t.same(sans.subjectAltNames, ['spiffe://cluster.local/ns/default/sa/a', 'spiffe://cluster.local/ns/default/sa/b']);
  t.ok(serviceToService(mesh, svc('w', { labels: { 'istio.io/ingress-use-waypoint': 'true' } }), undefined)!.ingressUseWaypoint);
  const wp: Waypoint = { name: 'wp', namespace: 'default', for: 'service', serviceName: 'wp', serviceAccount: 'wp', warnings: [], address: { hostname: { namespace: 'default', hostname: 'wp.default.svc.cluster.local' }, hboneMtlsPort: 15008 } };
  t.same(serviceToService(mesh, svc('web'), wp)!.waypoint, wp.address);
  t.equal(resolveTargetPort({ port: 80, targetPort: '8081' }, undefined), 8081);
  t.equal(resolveTargetPort({ port: 80, targetPort: 'named' }, undefined), 0);
  t.equal(appProtocolOf({ port: 1, appProtocol: 'kubernetes.io/h2c' }), 'HTTP2');
  t.equal(appProtocolOf({ port: 1, name: 'tcp-db' }), 'TCP');
  t.equal(appProtocolOf({ port: 1, name: 'https' }), 'TLS');
});

t.test('workload names from owners', async (t) => {
  t.equal(workloadNameOf(pod('x', { owner: { kind: 'ReplicaSet', name: 'web-abc' } })), 'web', 'no hash label: strip last segment');
  t.equal(workloadNameOf(pod('x', { owner: { kind: 'StatefulSet', name: 'db' } })), 'db');
  t.equal(workloadNameOf(pod('x', { owner: { kind: 'Job', name: 'backup-28901234' } })), 'backup', 'CronJob job');
  t.equal(workloadNameOf(pod('x', { owner: { kind: 'Job', name: 'migrate' } })), 'migrate');
});

const gw = (name: string, cls: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string>; status?: unknown } = {}): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace: 'default', ...(extra.labels ? { labels: extra.labels } : {}), ...(extra.annotations ? { annotations: extra.annotations } : {}) },
  spec: { gatewayClassName: cls, listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  ...(extra.status ? { status: extra.status } : {}),
});

t.test('waypoint declarations (§7.1) including the legacy seed forms', async (t) => {
  const none = () => false;
  const some = () => true;
  t.equal(waypointFromGateway(gw('ingress', 'istio'), mesh, some), undefined, 'not a waypoint class');
  const w = waypointFromGateway(gw('wp', 'istio-waypoint'), mesh, none)!;
  t.equal(w.for, 'service', 'default waypoint-for is service');
  t.equal(w.address, undefined, 'not addressable without status or Service');
  t.same(waypointFromGateway(gw('wp', 'istio-waypoint', { labels: { 'istio.io/waypoint-for': 'all' } }), mesh, some)!.address, { hostname: { namespace: 'default', hostname: 'wp.default.svc.cluster.local' }, hboneMtlsPort: 15008 });
  t.same(waypointFromGateway(gw('wp', 'istio-waypoint', { status: { addresses: [{ type: 'IPAddress', value: '10.0.0.9' }, { type: 'Hostname', value: 'wp.example' }] } }), mesh, none)!.address, { hostname: { namespace: 'default', hostname: 'wp.example' }, hboneMtlsPort: 15008 }, 'Hostname preferred');
  t.same(waypointFromGateway(gw('wp', 'istio-waypoint', { status: { addresses: [{ type: 'IPAddress', value: '10.0.0.9' }] } }), mesh, none)!.address, { address: { network: '', address: '10.0.0.9' }, hboneMtlsPort: 15008 });
  const legacy = waypointFromGateway(gw('web-api', 'istio-mesh', { annotations: { 'istio.io/service-account': 'web-api' } }), mesh, some)!;
  t.same([legacy.for, legacy.legacyServiceAccount, legacy.legacyForm, legacy.serviceAccount], ['all', 'web-api', 'istio-mesh', 'web-api']);
  t.match(legacy.warnings[0], /deprecated/);
  const nsWide = waypointFromGateway(gw('all', 'istio-mesh'), mesh, some)!;
  t.equal(nsWide.legacyServiceAccount, '');
  const forSa = waypointFromGateway(gw('ph', 'istio-waypoint', { annotations: { 'istio.io/for-service-account': 'purchase-history' } }), mesh, some)!;
  t.same([forSa.legacyServiceAccount, forSa.legacyForm], ['purchase-history', 'for-service-account']);
  t.match(forSa.warnings[0], /deprecated/);
});

t.test('waypoint bindings (§7.2)', async (t) => {
  const addr = { hostname: { namespace: 'default', hostname: 'x' }, hboneMtlsPort: 15008 };
  const mk = (name: string, f: Waypoint['for'], legacySa?: string, namespace = 'default'): Waypoint => ({ name, namespace, for: f, serviceName: name, serviceAccount: name, warnings: [], address: addr, ...(legacySa !== undefined ? { legacyServiceAccount: legacySa } : {}) });
  const wps = [mk('svc-wp', 'service'), mk('wl-wp', 'workload'), mk('all-wp', 'all'), mk('other', 'all', undefined, 'other')];
  const legacy = [mk('legacy', 'all', 'web-sa')];
  const lookup: WaypointLookup = { get: (n, name) => wps.find((w) => w.namespace === n && w.name === name), legacy: (n) => (n === 'default' ? legacy : []) };

  t.same(waypointBinding({ 'istio.io/use-waypoint': 'a' }, { 'istio.io/use-waypoint': 'b' }, 'default'), { name: 'a', namespace: 'default' }, 'own label wins');
  t.same(waypointBinding({}, { 'istio.io/use-waypoint': 'b', 'istio.io/use-waypoint-namespace': 'x' }, 'default'), { name: 'b', namespace: 'x' });
  t.equal(waypointBinding({ 'istio.io/use-waypoint': 'none' }, { 'istio.io/use-waypoint': 'b' }, 'default'), 'none');
  t.equal(waypointBinding({}, {}, 'default'), undefined);

  const wl = (labels: Record<string, string>, nsLabels: Record<string, string> = {}, sa?: string) => workloadWaypoint(pod('p', { labels, ...(sa ? { sa } : {}) }), ns(nsLabels), lookup)?.name;
  t.equal(wl({ 'istio.io/use-waypoint': 'wl-wp' }), 'wl-wp');
  t.equal(wl({ 'istio.io/use-waypoint': 'all-wp' }), 'all-wp');
  t.equal(wl({ 'istio.io/use-waypoint': 'svc-wp' }), undefined, 'service-only waypoint ignored for workloads');
  t.equal(wl({}, { 'istio.io/use-waypoint': 'svc-wp' }), undefined, 'namespace binding to a service waypoint is silently ignored');
  t.equal(wl({ 'istio.io/use-waypoint': 'other', 'istio.io/use-waypoint-namespace': 'other' }), 'other', 'cross-namespace');
  t.equal(wl({ 'istio.io/use-waypoint': 'missing' }), undefined);
  t.equal(wl({}, {}, 'web-sa'), 'legacy', 'legacy SA waypoint applies implicitly');
  t.equal(wl({}, {}, 'other-sa'), undefined);
  t.equal(wl({ 'istio.io/use-waypoint': 'none' }, {}, 'web-sa'), undefined, 'none opts out');
  t.equal(wl({ 'gateway.networking.k8s.io/gateway-name': 'x', 'istio.io/use-waypoint': 'all-wp' }), undefined, 'waypoints never get a waypoint');

  const sv = (labels: Record<string, string>, nsLabels: Record<string, string> = {}, sas: string[] = []) => serviceWaypoint(svc('web', { labels }), ns(nsLabels), lookup, () => sas)?.name;
  t.equal(sv({ 'istio.io/use-waypoint': 'svc-wp' }), 'svc-wp');
  t.equal(sv({}, { 'istio.io/use-waypoint': 'svc-wp' }), 'svc-wp', 'namespace binding');
  t.equal(sv({ 'istio.io/use-waypoint': 'wl-wp' }), undefined, 'workload-only waypoint ignored for services');
  t.equal(sv({}, {}, ['web-sa']), 'legacy', 'legacy: a selected pod runs as the SA');
  t.equal(sv({}, {}, ['x']), undefined);
  t.equal(sv({ 'gateway.istio.io/managed': 'istio.io-mesh-controller' }, { 'istio.io/use-waypoint': 'svc-wp' }), undefined, 'the waypoint Service itself');
});

t.test('PeerAuthentication → effective mode and the static strict policy', async (t) => {
  const pa = (name: string, namespace: string, mode: string | undefined, selector?: Record<string, string>) =>
    peerAuthFrom({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace }, spec: { ...(selector ? { selector: { matchLabels: selector } } : {}), ...(mode ? { mtls: { mode } } : {}) } });
  const meshStrict = [pa('default', 'istio-system', 'STRICT')];
  t.equal(effectiveMtls(mesh, [], [], 'default', {}), 'PERMISSIVE');
  t.equal(effectiveMtls(mesh, [], meshStrict, 'default', {}), 'STRICT', 'mesh-wide');
  t.equal(effectiveMtls(mesh, [pa('ns', 'default', 'PERMISSIVE')], meshStrict, 'default', {}), 'PERMISSIVE', 'namespace overrides mesh');
  t.equal(effectiveMtls(mesh, [pa('ns', 'default', 'UNSET')], meshStrict, 'default', {}), 'STRICT', 'UNSET inherits');
  t.equal(effectiveMtls(mesh, [pa('ns', 'default', 'PERMISSIVE'), pa('wl', 'default', 'STRICT', { app: 'db' })], [], 'default', { app: 'db' }), 'STRICT', 'workload overrides namespace');
  t.equal(effectiveMtls(mesh, [pa('wl', 'default', 'STRICT', { app: 'db' })], [], 'default', { app: 'web' }), 'PERMISSIVE');
  const s = staticStrictPolicy(mesh);
  t.same([s.name, s.namespace, s.scope, s.action], ['istio_converted_static_strict', 'istio-system', 'WORKLOAD_SELECTOR', 'DENY']);
  t.same(s.groups[0]!.rules[0]!.matches[0]!.notPrincipals, [{ presence: {} }]);
});
