import t from 'tap';
import { parsePolicy, type Policy } from '@amesh/rbac';
import type { KubeObject, Pod, Service as KService } from '@amesh/kube';
import { AmbientIndex } from '../src/ambient.js';
import { DEFAULT_MESH } from '../src/translate.js';

const pod = (name: string, labels: Record<string, string>, extra: { ns?: string; sa?: string; ip?: string; node?: string } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: extra.ns ?? 'default', labels, annotations: { 'ambient.istio.io/redirection': 'enabled' } },
  spec: { nodeName: extra.node ?? 'n1', serviceAccountName: extra.sa ?? 'default' },
  status: { podIP: extra.ip ?? '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
});
const svc = (name: string, selector: Record<string, string>, labels: Record<string, string> = {}): KService => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', labels },
  spec: { selector, clusterIP: '10.96.0.1', ports: [{ port: 80, targetPort: 8080 }] },
});
const policy = (name: string, ns: string, spec: Record<string, unknown>): Policy => parsePolicy({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns }, spec }).policy!;
const names = (c: ReturnType<AmbientIndex['recompute']>) => c.addresses.set.map((a) => (a.workload ? a.workload.name : a.service!.name)).sort();

t.test('full build, then only what a change affects is recomputed', async (t) => {
  const idx = new AmbientIndex(DEFAULT_MESH);
  idx.applyNamespace('default', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  idx.applyPod('default', 'a', pod('a', { app: 'web' }));
  idx.applyPod('default', 'b', pod('b', { app: 'db' }, { ip: '10.0.0.2' }));
  idx.applyService('default', 'web', svc('web', { app: 'web' }));
  const first = idx.recompute();
  t.same(names(first), ['a', 'b', 'web']);
  t.same(first.authorizations.set.map((a) => a.name), ['istio_converted_static_strict'], 'the static strict policy is always published');
  t.same(idx.workloads().find((w) => w.name === 'a')!.services, { 'default/web.default.svc.cluster.local': { ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'UNKNOWN' }] } });

  idx.applyPod('default', 'b', pod('b', { app: 'db', v: '2' }, { ip: '10.0.0.2' }));
  t.same(names(idx.recompute()), ['b'], 'one pod change → one workload');
  t.same(names(idx.recompute()), [], 'nothing dirty');

  idx.applyService('default', 'web', svc('web', { app: 'db' }));
  t.same(names(idx.recompute()), ['a', 'b', 'web'], 'selector change: old and new endpoints');

  idx.applyPod('default', 'a', undefined);
  const del = idx.recompute();
  t.same(del.addresses.remove, ['Kubernetes//Pod/default/a']);
  idx.applyService('default', 'web', undefined);
  t.same(idx.recompute().addresses.remove, ['default/web.default.svc.cluster.local']);
  t.ok(idx.hasPodOnNode('default', 'default', 'n1'));
  t.notOk(idx.hasPodOnNode('default', 'default', 'n2'));
  t.notOk(idx.hasPodOnNode('default', 'other', 'n1'));
  t.ok(idx.getPod('default', 'b'));
  t.equal(idx.pods().length, 1);
});

t.test('authorization policies: conversion, scope and selector attachment table', async (t) => {
  const idx = new AmbientIndex(DEFAULT_MESH);
  idx.applyPod('default', 'web', pod('web', { app: 'web' }));
  idx.applyPod('default', 'db', pod('db', { app: 'db' }, { ip: '10.0.0.2' }));
  idx.applyPod('other', 'web', pod('web', { app: 'web' }, { ns: 'other', ip: '10.0.0.3' }));
  idx.recompute();
  idx.applyPolicy('default', 'allow-web', policy('allow-web', 'default', { selector: { matchLabels: { app: 'web' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/sleep'] } }] }] }));
  idx.applyPolicy('default', 'ns-wide', policy('ns-wide', 'default', {}));
  idx.applyPolicy('istio-system', 'mesh-web', policy('mesh-web', 'istio-system', { selector: { matchLabels: { app: 'web' } }, action: 'DENY', rules: [{}] }));
  idx.applyPolicy('istio-system', 'global', policy('global', 'istio-system', { action: 'DENY', rules: [{ from: [{ source: { ipBlocks: ['1.2.3.0/24'] } }] }] }));
  idx.applyPolicy('default', 'waypoint-only', policy('waypoint-only', 'default', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'wp' }], rules: [{}] }));
  idx.applyPolicy('default', 'l7', policy('l7', 'default', { selector: { matchLabels: { app: 'db' } }, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }));
  const c = idx.recompute();
  t.same(names(c), ['web', 'web', 'db'].sort(), 'pods matching the selectors were recomputed');
  const byName = Object.fromEntries(idx.authorizations().map((a) => [`${a.namespace}/${a.name}`, a]));
  t.same(Object.keys(byName).sort(), ['default/allow-web', 'default/l7', 'default/ns-wide', 'istio-system/global', 'istio-system/istio_converted_static_strict', 'istio-system/mesh-web'], 'targetRef policies are not sent');
  t.equal(byName['default/allow-web']!.scope, 'WORKLOAD_SELECTOR');
  t.equal(byName['default/ns-wide']!.scope, 'NAMESPACE');
  t.same(byName['default/ns-wide']!.groups, [], 'allow-nothing');
  t.equal(byName['istio-system/global']!.scope, 'GLOBAL');
  t.same(byName['istio-system/global']!.groups[0]!.rules[0]!.matches[0]!.sourceIps, [{ address: '1.2.3.0', length: 24 }], 'IPs as text in the xds model');
  t.same(byName['default/l7']!.groups, [], 'ALLOW with HTTP attributes drops the rule');
  t.match(idx.policyStatus()['default/l7'], [/HTTP attributes are omitted/]);
  const wl = (ns: string, n: string) => idx.workloads().find((w) => w.namespace === ns && w.name === n)!.authorizationPolicies;
  t.same(wl('default', 'web'), ['default/allow-web', 'istio-system/mesh-web']);
  t.same(wl('default', 'db'), ['default/l7']);
  t.same(wl('other', 'web'), ['istio-system/mesh-web'], 'root-namespace selector policies apply in every namespace');

  idx.applyPolicy('default', 'allow-web', undefined);
  const d = idx.recompute();
  t.same(d.authorizations.remove, ['default/allow-web']);
  t.same(names(d), ['web'], 'only the selected pod is recomputed');
  t.same(wl('default', 'web'), ['istio-system/mesh-web']);
});

t.test('PeerAuthentication STRICT attaches the static strict policy to affected workloads', async (t) => {
  const idx = new AmbientIndex(DEFAULT_MESH);
  idx.applyPod('default', 'web', pod('web', { app: 'web' }));
  idx.applyPod('other', 'x', pod('x', {}, { ns: 'other', ip: '10.0.0.3' }));
  idx.recompute();
  const pa = (name: string, ns: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace: ns }, spec });
  idx.applyPeerAuthentication('default', 'strict', pa('strict', 'default', { mtls: { mode: 'STRICT' } }));
  t.same(names(idx.recompute()), ['web'], 'namespace PA: only that namespace');
  t.same(idx.workloads().find((w) => w.name === 'web')!.authorizationPolicies, ['istio-system/istio_converted_static_strict']);
  idx.applyPeerAuthentication('istio-system', 'default', pa('default', 'istio-system', { mtls: { mode: 'STRICT' } }));
  t.same(names(idx.recompute()), ['web', 'x'], 'mesh PA: every namespace');
  t.same(idx.workloads().find((w) => w.name === 'x')!.authorizationPolicies, ['istio-system/istio_converted_static_strict']);
});

t.test('waypoints: modern and legacy forms bind services and workloads; changes recompute', async (t) => {
  const idx = new AmbientIndex(DEFAULT_MESH);
  idx.applyNamespace('default', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'istio.io/use-waypoint': 'wp' } } });
  idx.applyPod('default', 'web', pod('web', { app: 'web' }, { sa: 'web-sa' }));
  idx.applyPod('default', 'ph', pod('ph', { app: 'ph' }, { sa: 'purchase-history', ip: '10.0.0.5' }));
  idx.applyService('default', 'web', svc('web', { app: 'web' }));
  idx.applyService('default', 'ph', svc('ph', { app: 'ph' }, { 'istio.io/use-waypoint': 'none' }));
  idx.recompute();
  t.equal(idx.services().find((s) => s.name === 'web')!.waypoint, undefined, 'no such waypoint yet');

  const gw = (name: string, cls: string, annotations?: Record<string, string>): KubeObject => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) }, spec: { gatewayClassName: cls } });
  idx.applyGateway('default', 'wp', gw('wp', 'istio-waypoint'));
  let c = idx.recompute();
  t.ok(c.waypointsChanged);
  t.equal(idx.waypoints()[0]!.address, undefined, 'not addressable until its Service exists');
  idx.applyService('default', 'wp', svc('wp', { 'gateway.networking.k8s.io/gateway-name': 'wp' }, { 'gateway.istio.io/managed': 'istio.io-mesh-controller' }));
  c = idx.recompute();
  t.ok(c.waypointsChanged);
  const addr = { hostname: { namespace: 'default', hostname: 'wp.default.svc.cluster.local' }, hboneMtlsPort: 15008 };
  t.same(idx.services().find((s) => s.name === 'web')!.waypoint, addr, 'namespace binding → service waypoint');
  t.equal(idx.services().find((s) => s.name === 'wp')!.waypoint, undefined, 'the waypoint service has none');
  t.equal(idx.services().find((s) => s.name === 'ph')!.waypoint, undefined, 'opted out');
  t.equal(idx.workloads().find((w) => w.name === 'web')!.waypoint, undefined, 'service waypoint is not a workload waypoint');

  // Seed 000: legacy istio-mesh waypoint for the purchase-history service account.
  idx.applyGateway('default', 'purchase-history', gw('purchase-history', 'istio-mesh', { 'istio.io/service-account': 'purchase-history' }));
  idx.applyService('default', 'purchase-history', svc('purchase-history', { 'gateway.networking.k8s.io/gateway-name': 'purchase-history' }));
  idx.applyService('default', 'ph', svc('ph', { app: 'ph' }));
  idx.recompute();
  const legacyAddr = { hostname: { namespace: 'default', hostname: 'purchase-history.default.svc.cluster.local' }, hboneMtlsPort: 15008 };
  t.same(idx.workloads().find((w) => w.name === 'ph')!.waypoint, legacyAddr, 'legacy waypoint for the pod with that SA');
  t.same(idx.services().find((s) => s.name === 'ph')!.waypoint, addr, 'an explicit (namespace) binding wins over the legacy one');
  t.match(idx.waypoints().find((w) => w.name === 'purchase-history')!.warnings, [/deprecated/]);
  // Legacy forms: the waypoint enforced the workload's policies, so ztunnel admits the waypoint's identity.
  t.same(idx.workloads().find((w) => w.name === 'ph')!.authorizationPolicies, ['default/istio_allow_waypoint_default_purchase-history']);
  const allow = idx.authorizations().find((a) => a.name === 'istio_allow_waypoint_default_purchase-history')!;
  t.same([allow.namespace, allow.scope, allow.action], ['default', 'WORKLOAD_SELECTOR', 'ALLOW']);
  t.same(allow.groups[0]!.rules[0]!.matches[0]!.principals, [{ exact: 'cluster.local/ns/default/sa/purchase-history' }]);
  t.same(idx.workloads().find((w) => w.name === 'web')!.authorizationPolicies, [], 'modern waypoints get no allow policy by default');
  t.notOk(idx.authorizations().some((a) => a.name === 'istio_allow_waypoint_default_wp'));

  idx.applyGateway('default', 'wp', undefined);
  idx.recompute();
  t.equal(idx.services().find((s) => s.name === 'web')!.waypoint, undefined, 'deleting the waypoint unbinds');
  t.same(idx.services().find((s) => s.name === 'ph')!.waypoint, legacyAddr, 'now the legacy waypoint applies to the service');
  // A pod SA change moves the service off the legacy waypoint.
  idx.applyPod('default', 'ph', pod('ph', { app: 'ph' }, { sa: 'other', ip: '10.0.0.5' }));
  const pc = idx.recompute();
  t.same(names(pc), ['ph', 'ph'], 'the pod and the service that selects it');
  t.equal(idx.services().find((s) => s.name === 'ph')!.waypoint, undefined);
  t.same(idx.workloads().find((w) => w.name === 'ph')!.authorizationPolicies, [], 'no longer behind the legacy waypoint');
  idx.applyGateway('default', 'purchase-history', undefined);
  const gone = idx.recompute();
  t.same(gone.authorizations.remove, ['default/istio_allow_waypoint_default_purchase-history']);
});

t.test('autoAllowWaypoints: modern waypoints admit their identity on the workloads behind them (via their services)', async (t) => {
  const idx = new AmbientIndex(DEFAULT_MESH, { autoAllowWaypoints: true });
  idx.applyPod('default', 'web', pod('web', { app: 'web' }));
  idx.applyService('default', 'web', svc('web', { app: 'web' }, { 'istio.io/use-waypoint': 'wp' }));
  idx.applyService('default', 'wp', svc('wp', { 'gateway.networking.k8s.io/gateway-name': 'wp' }));
  idx.applyGateway('default', 'wp', { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'wp', namespace: 'default' }, spec: { gatewayClassName: 'istio-waypoint' } });
  idx.recompute();
  t.same(idx.workloads()[0]!.authorizationPolicies, ['default/istio_allow_waypoint_default_wp']);
  t.same(idx.authorizations().find((a) => a.name === 'istio_allow_waypoint_default_wp')!.groups[0]!.rules[0]!.matches[0]!.principals, [{ exact: 'cluster.local/ns/default/sa/wp' }]);
});
