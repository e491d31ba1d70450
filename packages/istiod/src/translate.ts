// The translation core (pure functions): Kubernetes objects → Workload API resources (ambient-protocols §4, §7).
// No I/O, no clocks: the incremental index (ambient.ts) decides what to recompute and calls these.
import type { KubeObject, Namespace, Pod, Service as KService, ServicePort } from '@amesh/kube';
import { makeService, makeWorkload, type AppProtocol, type Authorization, type GatewayAddress, type Port, type PortList, type Service, type Workload } from '@amesh/xds';

/** Mesh-wide settings the translation depends on. */
export interface MeshContext {
  /** Kubernetes cluster id: the `<cluster>` of workload uids (default `Kubernetes`). */
  clusterId: string;
  /** Trust domain (default `cluster.local`; sent as "" when it is `cluster.local`, as istiod does). */
  trustDomain: string;
  /** Service DNS suffix (default `cluster.local`). */
  domainSuffix: string;
  /** meshConfig rootNamespace (default `istio-system`). */
  rootNamespace: string;
  /** Network name (default ""). */
  network: string;
}

export const DEFAULT_MESH: MeshContext = { clusterId: 'Kubernetes', trustDomain: 'cluster.local', domainSuffix: 'cluster.local', rootNamespace: 'istio-system', network: '' };

export const LABEL_USE_WAYPOINT = 'istio.io/use-waypoint';
export const LABEL_USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';
export const LABEL_WAYPOINT_FOR = 'istio.io/waypoint-for';
export const LABEL_GATEWAY_NAME = 'gateway.networking.k8s.io/gateway-name';
export const LABEL_INGRESS_USE_WAYPOINT = 'istio.io/ingress-use-waypoint';
export const ANNOTATION_REDIRECTION = 'ambient.istio.io/redirection';
export const LABEL_TUNNEL = 'networking.istio.io/tunnel';
export const ANNOTATION_LEGACY_SA = 'istio.io/service-account';
export const ANNOTATION_FOR_SA = 'istio.io/for-service-account';
export const WAYPOINT_CLASS = 'istio-waypoint';
export const LEGACY_WAYPOINT_CLASS = 'istio-mesh';
export const HBONE_PORT = 15008;
export const STATIC_STRICT_POLICY = 'istio_converted_static_strict';

/** Workload uid: `<cluster>//Pod/<ns>/<name>`. */
export function podUid(mesh: MeshContext, namespace: string, name: string): string {
  return `${mesh.clusterId}//Pod/${namespace}/${name}`;
}

/** Service hostname: `<name>.<ns>.svc.<domainSuffix>`. */
export function serviceHostname(mesh: MeshContext, namespace: string, name: string): string {
  return `${name}.${namespace}.svc.${mesh.domainSuffix}`;
}

// ---- waypoints (§7) -------------------------------------------------------------------------------------------
export type WaypointFor = 'service' | 'workload' | 'all' | 'none';

export interface Waypoint {
  name: string;
  namespace: string;
  /** `istio.io/waypoint-for` (default `service`; legacy forms serve both). */
  for: WaypointFor;
  /** Legacy forms: the service account the waypoint serves ('' = every workload of the namespace). */
  legacyServiceAccount?: string;
  legacyForm?: 'istio-mesh' | 'for-service-account';
  /** Where ztunnels send traffic for it; undefined until the waypoint is addressable. */
  address?: GatewayAddress;
  /** The Service fronting the waypoint's pods (the Gateway's name). */
  serviceName: string;
  /** The identity the waypoint's pods should run as. */
  serviceAccount: string;
  /** The Gateway's uid (owner of rendered objects). */
  uid?: string;
  warnings: string[];
}

/**
 * A Gateway → Waypoint (or undefined when it is not a waypoint). Address: `status.addresses` (Hostname preferred),
 * else — when `serviceExists(ns, gatewayName)` — the hostname of the Service named after the Gateway.
 */
export function waypointFromGateway(gw: KubeObject, mesh: MeshContext, serviceExists: (namespace: string, name: string) => boolean): Waypoint | undefined {
  const spec = (gw.spec ?? {}) as { gatewayClassName?: string };
  const cls = spec.gatewayClassName;
  const md = gw.metadata;
  const ns = md.namespace ?? 'default';
  const ann = md.annotations ?? {};
  const warnings: string[] = [];
  let wp: Waypoint;
  if (cls === LEGACY_WAYPOINT_CLASS) {
    const sa = ann[ANNOTATION_LEGACY_SA] ?? '';
    warnings.push(`gateway ${ns}/${md.name}: gatewayClassName "istio-mesh"${sa ? ' with istio.io/service-account' : ''} is deprecated; treated as a waypoint for ${sa ? `service account "${sa}"` : 'the whole namespace'} (use "istio-waypoint" and istio.io/use-waypoint)`);
    wp = { name: md.name, namespace: ns, for: 'all', legacyServiceAccount: sa, legacyForm: 'istio-mesh', serviceName: md.name, serviceAccount: sa || md.name, warnings };
  } else if (cls === WAYPOINT_CLASS) {
    const forSa = ann[ANNOTATION_FOR_SA];
    if (forSa !== undefined) {
      warnings.push(`gateway ${ns}/${md.name}: annotation istio.io/for-service-account is deprecated (removed upstream); treated as a waypoint for service account "${forSa}"`);
      wp = { name: md.name, namespace: ns, for: 'all', legacyServiceAccount: forSa, legacyForm: 'for-service-account', serviceName: md.name, serviceAccount: md.name, warnings };
    } else {
      const f = md.labels?.[LABEL_WAYPOINT_FOR];
      const wf: WaypointFor = f === 'workload' || f === 'all' || f === 'none' || f === 'service' ? f : 'service';
      wp = { name: md.name, namespace: ns, for: wf, serviceName: md.name, serviceAccount: md.name, warnings };
    }
  } else {
    return undefined;
  }
  if (md.uid) wp.uid = md.uid;
  const addresses = ((gw.status as { addresses?: { type?: string; value?: string }[] } | undefined)?.addresses ?? []).filter((a) => a && typeof a.value === 'string' && a.value !== '');
  const host = addresses.find((a) => a.type === 'Hostname');
  const ip = addresses.find((a) => a.type === undefined || a.type === 'IPAddress');
  if (host) {
    wp.address = { hostname: { namespace: ns, hostname: host.value! }, hboneMtlsPort: HBONE_PORT };
  } else if (ip) {
    wp.address = { address: { network: mesh.network, address: ip.value! }, hboneMtlsPort: HBONE_PORT };
  } else if (serviceExists(ns, wp.serviceName)) {
    wp.address = { hostname: { namespace: ns, hostname: serviceHostname(mesh, ns, wp.serviceName) }, hboneMtlsPort: HBONE_PORT };
  }
  return wp;
}

/** An explicit `istio.io/use-waypoint` binding: the object's own label wins over its namespace's. */
export function waypointBinding(labels: Record<string, string> | undefined, nsLabels: Record<string, string> | undefined, objNamespace: string): { name: string; namespace: string } | 'none' | undefined {
  for (const l of [labels, nsLabels]) {
    const v = l?.[LABEL_USE_WAYPOINT];
    if (v === undefined || v === '') continue;
    if (v === 'none') return 'none';
    return { name: v, namespace: l?.[LABEL_USE_WAYPOINT_NAMESPACE] || objNamespace };
  }
  return undefined;
}

/** Lookup of waypoints by `ns/name`, and the legacy (implicit, service-account scoped) ones per namespace. */
export interface WaypointLookup {
  get(namespace: string, name: string): Waypoint | undefined;
  legacy(namespace: string): readonly Waypoint[];
}

/** The waypoint a workload (pod) uses, per §7.2 (explicit binding; else a legacy waypoint for its service account). */
export function workloadWaypoint(pod: Pod, ns: Namespace | undefined, waypoints: WaypointLookup): Waypoint | undefined {
  const labels = pod.metadata.labels ?? {};
  if (labels[LABEL_GATEWAY_NAME] !== undefined || labels['ambient-type'] === 'waypoint') return undefined; // waypoints never get a waypoint
  const namespace = pod.metadata.namespace ?? 'default';
  const b = waypointBinding(labels, ns?.metadata.labels, namespace);
  if (b === 'none') return undefined;
  if (b) {
    const wp = waypoints.get(b.namespace, b.name);
    if (wp && (wp.for === 'workload' || wp.for === 'all')) return wp;
    // An unusable binding (missing, or a service-only waypoint) is ignored; legacy waypoints may still apply.
  }
  const sa = podServiceAccount(pod);
  return waypoints.legacy(namespace).find((w) => w.legacyServiceAccount === '' || w.legacyServiceAccount === sa);
}

/** The waypoint a Service uses: explicit binding; else a legacy waypoint serving one of its pods' service accounts. */
export function serviceWaypoint(svc: KService, ns: Namespace | undefined, waypoints: WaypointLookup, podServiceAccounts: () => Iterable<string>): Waypoint | undefined {
  const labels = svc.metadata.labels ?? {};
  if (labels['gateway.istio.io/managed'] !== undefined) return undefined;
  const namespace = svc.metadata.namespace ?? 'default';
  const b = waypointBinding(labels, ns?.metadata.labels, namespace);
  if (b === 'none') return undefined;
  if (b) {
    const wp = waypoints.get(b.namespace, b.name);
    if (wp && wp.serviceName === svc.metadata.name && wp.namespace === namespace) return undefined;
    if (wp && (wp.for === 'service' || wp.for === 'all')) return wp;
  }
  const legacy = waypoints.legacy(namespace).filter((w) => !(w.serviceName === svc.metadata.name));
  if (legacy.length === 0) return undefined;
  const whole = legacy.find((w) => w.legacyServiceAccount === '');
  if (whole) return whole;
  const sas = new Set(podServiceAccounts());
  return legacy.find((w) => sas.has(w.legacyServiceAccount ?? ''));
}

// ---- pods → workloads ------------------------------------------------------------------------------------------
export function podServiceAccount(pod: Pod): string {
  return pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default';
}

export function podIps(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => typeof ip === 'string' && ip !== '');
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

/** Ready condition True and not terminating. */
export function podHealthy(pod: Pod): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Pods that finished (Succeeded/Failed) are not workloads. */
export function podTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The workload name from the controller owner: Deployment (ReplicaSet minus its pod-template-hash), Job, CronJob, … */
export function workloadNameOf(pod: Pod): string {
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return pod.metadata.name;
  if (owner.kind === 'ReplicaSet') {
    const hash = pod.metadata.labels?.['pod-template-hash'];
    if (hash && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -hash.length - 1);
    const i = owner.name.lastIndexOf('-');
    return i > 0 ? owner.name.slice(0, i) : owner.name;
  }
  if (owner.kind === 'Job') {
    // Jobs created by a CronJob are named <cronjob>-<scheduled time in minutes> (8+ digits).
    const m = owner.name.match(/^(.*)-\d{8,}$/);
    return m ? m[1]! : owner.name;
  }
  return owner.name;
}

export function canonicalName(pod: Pod, workloadName: string): string {
  const l = pod.metadata.labels ?? {};
  return l['service.istio.io/canonical-name'] || l['app.kubernetes.io/name'] || l['app'] || workloadName;
}

export function canonicalRevision(pod: Pod): string {
  const l = pod.metadata.labels ?? {};
  return l['service.istio.io/canonical-revision'] || l['app.kubernetes.io/version'] || l['version'] || 'latest';
}

/** appProtocol (or the port name's protocol prefix, Istio's convention) → the Workload API enum. */
export function appProtocolOf(port: ServicePort): AppProtocol {
  const ap = (port.appProtocol ?? '').toLowerCase();
  const byName = (port.name ?? '').toLowerCase().split('-')[0] ?? '';
  for (const p of [ap, byName]) {
    switch (p) {
      case 'http':
        return 'HTTP11';
      case 'http2':
      case 'h2c':
      case 'kubernetes.io/h2c':
        return 'HTTP2';
      case 'grpc':
      case 'grpc-web':
        return 'GRPC';
      case 'tcp':
        return 'TCP';
      case 'tls':
      case 'https':
        return 'TLS';
    }
  }
  return 'UNKNOWN';
}

/** A service port's target port on one pod (named ports are looked up in the pod's containers; 0 when unresolvable). */
export function resolveTargetPort(port: ServicePort, pod: Pod | undefined): number {
  const tp = port.targetPort;
  if (tp === undefined || tp === null || tp === '') return port.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(tp)) return Number(tp);
  if (!pod) return 0;
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === tp) return p.containerPort;
  }
  return 0;
}

/** Whether a Service selects a pod (non-empty selector ⊆ labels, same namespace). */
export function serviceSelectsPod(svc: KService, pod: Pod): boolean {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return false;
  if ((svc.metadata.namespace ?? 'default') !== (pod.metadata.namespace ?? 'default')) return false;
  const labels = pod.metadata.labels ?? {};
  for (const k in sel) if (labels[k] !== sel[k]) return false;
  return true;
}

export interface WorkloadInputs {
  pod: Pod;
  namespace: Namespace | undefined;
  /** Services of the pod's namespace (the translation picks the ones selecting the pod). */
  services: Iterable<KService>;
  /** `Workload.authorization_policies`, already computed (selector policies + static strict). */
  authorizationPolicies: string[];
  waypoint: Waypoint | undefined;
}

/** Pod → Workload, or undefined when the pod is not a workload yet (no IP) or any more (finished). */
export function podToWorkload(mesh: MeshContext, input: WorkloadInputs): Workload | undefined {
  const { pod } = input;
  if (podTerminal(pod)) return undefined;
  const ips = podIps(pod);
  if (ips.length === 0) return undefined;
  const ns = pod.metadata.namespace ?? 'default';
  const labels = pod.metadata.labels ?? {};
  const native = labels[LABEL_TUNNEL] === 'http';
  const hbone = pod.metadata.annotations?.[ANNOTATION_REDIRECTION] === 'enabled' || native;
  const services: Record<string, PortList> = {};
  for (const svc of input.services) {
    if (!serviceSelectsPod(svc, pod)) continue;
    const ports: Port[] = [];
    for (const p of svc.spec?.ports ?? []) {
      if (p.protocol && p.protocol !== 'TCP') continue;
      const target = resolveTargetPort(p, pod);
      if (target === 0) continue;
      ports.push({ servicePort: p.port, targetPort: target, appProtocol: appProtocolOf(p) });
    }
    services[`${ns}/${serviceHostname(mesh, ns, svc.metadata.name)}`] = { ports };
  }
  const wname = workloadNameOf(pod);
  const w = makeWorkload({
    uid: podUid(mesh, ns, pod.metadata.name),
    name: pod.metadata.name,
    namespace: ns,
    addresses: ips,
    network: mesh.network,
    tunnelProtocol: hbone ? 'HBONE' : 'NONE',
    nativeTunnel: native,
    trustDomain: mesh.trustDomain === 'cluster.local' ? '' : mesh.trustDomain,
    serviceAccount: podServiceAccount(pod),
    node: pod.spec?.nodeName ?? '',
    canonicalName: canonicalName(pod, wname),
    canonicalRevision: canonicalRevision(pod),
    workloadType: 'POD',
    workloadName: wname,
    services,
    authorizationPolicies: input.authorizationPolicies,
    status: podHealthy(pod) ? 'HEALTHY' : 'UNHEALTHY',
    clusterId: mesh.clusterId,
    networkMode: pod.spec?.hostNetwork ? 'HOST_NETWORK' : 'STANDARD',
  });
  if (input.waypoint?.address) w.waypoint = input.waypoint.address;
  return w;
}

// ---- services ------------------------------------------------------------------------------------------------
/** Service → Workload API Service, or undefined for kinds with no VIP semantics (ExternalName). */
export function serviceToService(mesh: MeshContext, svc: KService, waypoint: Waypoint | undefined): Service | undefined {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return undefined;
  const ns = svc.metadata.namespace ?? 'default';
  const ips = (spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => ip && ip !== 'None');
  const ports: Port[] = [];
  for (const p of spec.ports ?? []) {
    if (p.protocol && p.protocol !== 'TCP') continue;
    const tp = p.targetPort;
    const target = tp === undefined || tp === null || tp === '' ? p.port : typeof tp === 'number' ? tp : /^\d+$/.test(tp) ? Number(tp) : 0;
    ports.push({ servicePort: p.port, targetPort: target, appProtocol: appProtocolOf(p) });
  }
  const ann = svc.metadata.annotations ?? {};
  const sans: string[] = [];
  for (const sa of (ann['alpha.istio.io/kubernetes-service-accounts'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    sans.push(`spiffe://${mesh.trustDomain}/ns/${ns}/sa/${sa}`);
  }
  for (const id of (ann['alpha.istio.io/canonical-serviceaccounts'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) sans.push(id);
  const out = makeService({
    name: svc.metadata.name,
    namespace: ns,
    hostname: serviceHostname(mesh, ns, svc.metadata.name),
    addresses: ips.map((address) => ({ network: mesh.network, address })),
    ports,
    subjectAltNames: sans,
    ingressUseWaypoint: svc.metadata.labels?.[LABEL_INGRESS_USE_WAYPOINT] === 'true',
    ipFamilies: ips.length === 2 ? 'DUAL' : 'AUTOMATIC',
  });
  if (waypoint?.address) out.waypoint = waypoint.address;
  return out;
}

// ---- PeerAuthentication → the static strict policy ------------------------------------------------------------
export type MtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuth {
  name: string;
  namespace: string;
  selector: Record<string, string> | undefined;
  mode: MtlsMode;
}

export function peerAuthFrom(obj: KubeObject): PeerAuth {
  const spec = (obj.spec ?? {}) as { selector?: { matchLabels?: Record<string, string> }; mtls?: { mode?: string } };
  const ml = spec.selector?.matchLabels;
  const mode = spec.mtls?.mode;
  return {
    name: obj.metadata.name,
    namespace: obj.metadata.namespace ?? 'default',
    selector: ml && Object.keys(ml).length > 0 ? ml : undefined,
    mode: mode === 'DISABLE' || mode === 'PERMISSIVE' || mode === 'STRICT' ? mode : 'UNSET',
  };
}

/**
 * The effective mTLS mode of a workload: workload-selector PA (its namespace) > namespace PA > mesh PA (root
 * namespace, no selector); UNSET inherits; the default is PERMISSIVE. Among several candidates at one level the
 * oldest-named wins deterministically (lexical order), as istiod picks the oldest.
 */
export function effectiveMtls(mesh: MeshContext, nsPeerAuths: readonly PeerAuth[], rootPeerAuths: readonly PeerAuth[], namespace: string, labels: Record<string, string>): MtlsMode {
  if (nsPeerAuths.length === 0 && rootPeerAuths.length === 0) return 'PERMISSIVE';
  const matches = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
  const first = (list: readonly PeerAuth[], pred: (p: PeerAuth) => boolean): PeerAuth | undefined => {
    let best: PeerAuth | undefined;
    for (const p of list) if (pred(p) && (!best || p.name < best.name)) best = p;
    return best;
  };
  const wl = first(nsPeerAuths, (p) => p.namespace === namespace && !!p.selector && matches(p.selector));
  if (wl && wl.mode !== 'UNSET') return wl.mode;
  const nsWide = first(nsPeerAuths, (p) => p.namespace === namespace && !p.selector);
  if (nsWide && nsWide.mode !== 'UNSET') return nsWide.mode;
  const meshWide = first(rootPeerAuths, (p) => p.namespace === mesh.rootNamespace && !p.selector);
  if (meshWide && meshWide.mode !== 'UNSET') return meshWide.mode;
  return 'PERMISSIVE';
}

/** Name of the synthetic policy allowing a waypoint's identity to reach the workloads behind it. */
export function waypointAllowPolicyName(w: Waypoint): string {
  return `istio_allow_waypoint_${w.namespace}_${w.name}`;
}

/**
 * The synthetic ALLOW policy (upstream PILOT_AUTO_ALLOW_WAYPOINT_POLICY) admitting the waypoint's identity at the
 * destination ztunnel of the workloads it fronts. amesh always sends it for the legacy waypoint forms, where the
 * waypoint — not ztunnel — enforced the workloads' policies (seed semantics).
 */
export function waypointAllowPolicy(mesh: MeshContext, w: Waypoint): Authorization {
  return {
    name: waypointAllowPolicyName(w),
    namespace: w.namespace,
    scope: 'WORKLOAD_SELECTOR',
    action: 'ALLOW',
    groups: [{ rules: [{ matches: [{ namespaces: [], notNamespaces: [], serviceAccounts: [], notServiceAccounts: [], principals: [{ exact: `${mesh.trustDomain}/ns/${w.namespace}/sa/${w.serviceAccount}` }], notPrincipals: [], sourceIps: [], notSourceIps: [], destinationIps: [], notDestinationIps: [], destinationPorts: [], notDestinationPorts: [], extensions: [] }] }] }],
    dryRun: false,
    extensions: [],
  };
}

/** The synthetic DENY policy STRICT PeerAuthentication turns into: deny when the peer has no identity. */
export function staticStrictPolicy(mesh: MeshContext): Authorization {
  return {
    name: STATIC_STRICT_POLICY,
    namespace: mesh.rootNamespace,
    scope: 'WORKLOAD_SELECTOR',
    action: 'DENY',
    groups: [{ rules: [{ matches: [{ namespaces: [], notNamespaces: [], serviceAccounts: [], notServiceAccounts: [], principals: [], notPrincipals: [{ presence: {} }], sourceIps: [], notSourceIps: [], destinationIps: [], notDestinationIps: [], destinationPorts: [], notDestinationPorts: [], extensions: [] }] }] }],
    dryRun: false,
    extensions: [],
  };
}
