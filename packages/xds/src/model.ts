// The plain internal models of the Workload API and of istio.security.Authorization, and the one place that
// converts between them and the generated protobuf types. Field names are the proto's camelCase JSON names;
// values are friendlier than the wire form: enums are their upstream value names ('HBONE'), raw IP bytes are
// textual IPs ('10.0.0.1', '2001:db8::1'), and every scalar is present with its proto3 default.
//
// Decoding validates: every problem is collected with its field path (`addresses[1]: ...`), so a client can NACK
// one bad resource with a useful message and keep the rest.
import { istio } from '../generated/proto.js';
import { bytesToIp, ipToBytes } from './ip.js';

type PWorkload = istio.workload.Workload.$Properties;
type PService = istio.workload.Service.$Properties;
type PGateway = istio.workload.GatewayAddress.$Properties;
type PNetAddr = istio.workload.NetworkAddress.$Properties;
type PPort = istio.workload.Port.$Properties;
type PExt = istio.workload.Extension.$Properties;
type PAuthz = istio.security.Authorization.$Properties;
type PMatch = istio.security.Match.$Properties;
type PStringMatch = istio.security.StringMatch.$Properties;

// ---- enums (index = wire number) ----------------------------------------------------------------------------
export const TUNNEL_PROTOCOLS = ['NONE', 'HBONE', 'LEGACY_ISTIO_MTLS'] as const;
export type TunnelProtocol = (typeof TUNNEL_PROTOCOLS)[number];
export const WORKLOAD_STATUSES = ['HEALTHY', 'UNHEALTHY'] as const;
export type WorkloadStatus = (typeof WORKLOAD_STATUSES)[number];
export const WORKLOAD_TYPES = ['DEPLOYMENT', 'CRONJOB', 'POD', 'JOB'] as const;
export type WorkloadType = (typeof WORKLOAD_TYPES)[number];
export const NETWORK_MODES = ['STANDARD', 'HOST_NETWORK'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];
export const APP_PROTOCOLS = ['UNKNOWN', 'HTTP11', 'HTTP2', 'GRPC', 'TCP', 'TLS'] as const;
export type AppProtocol = (typeof APP_PROTOCOLS)[number];
export const IP_FAMILIES = ['AUTOMATIC', 'IPV4_ONLY', 'IPV6_ONLY', 'DUAL'] as const;
export type IPFamilies = (typeof IP_FAMILIES)[number];
export const SERVICE_VISIBILITIES = ['PUBLIC', 'NAMESPACE'] as const;
export type ServiceVisibility = (typeof SERVICE_VISIBILITIES)[number];
export const LOAD_BALANCING_SCOPES = ['UNSPECIFIED_SCOPE', 'REGION', 'ZONE', 'SUBZONE', 'NODE', 'CLUSTER', 'NETWORK'] as const;
export type LoadBalancingScope = (typeof LOAD_BALANCING_SCOPES)[number];
export const LOAD_BALANCING_MODES = ['UNSPECIFIED_MODE', 'STRICT', 'FAILOVER', 'PASSTHROUGH'] as const;
export type LoadBalancingMode = (typeof LOAD_BALANCING_MODES)[number];
export const HEALTH_POLICIES = ['ONLY_HEALTHY', 'ALLOW_ALL'] as const;
export type HealthPolicy = (typeof HEALTH_POLICIES)[number];
export const APPLICATION_TUNNEL_PROTOCOLS = ['NONE', 'PROXY'] as const;
export type ApplicationTunnelProtocol = (typeof APPLICATION_TUNNEL_PROTOCOLS)[number];
export const AUTHORIZATION_SCOPES = ['GLOBAL', 'NAMESPACE', 'WORKLOAD_SELECTOR'] as const;
export type AuthorizationScope = (typeof AUTHORIZATION_SCOPES)[number];
export const AUTHORIZATION_ACTIONS = ['ALLOW', 'DENY'] as const;
export type AuthorizationAction = (typeof AUTHORIZATION_ACTIONS)[number];

// ---- istio.workload ------------------------------------------------------------------------------------------
/** google.protobuf.Any, kept opaque. */
export interface AnyValue { typeUrl: string; value: Uint8Array }
export interface Extension { name: string; config?: AnyValue }
/** An IP on a network; `length` set makes it a CIDR. */
export interface NetworkAddress { network: string; address: string; length?: number }
export interface NamespacedHostname { namespace: string; hostname: string }
/** Exactly one of `hostname` / `address`. */
export interface GatewayAddress { hostname?: NamespacedHostname; address?: NetworkAddress; hboneMtlsPort: number }
export interface WeightedWaypoint { destination?: GatewayAddress; weight: number }
export interface Port { servicePort: number; targetPort: number; appProtocol: AppProtocol }
export interface PortList { ports: Port[] }
export interface Locality { region: string; zone: string; subzone: string }
export interface LoadBalancing { routingPreference: LoadBalancingScope[]; mode: LoadBalancingMode; healthPolicy: HealthPolicy }
export interface ApplicationTunnel { protocol: ApplicationTunnelProtocol; port: number }

export interface Workload {
  uid: string; name: string; namespace: string;
  addresses: string[]; hostname: string; network: string;
  tunnelProtocol: TunnelProtocol; trustDomain: string; serviceAccount: string;
  waypoint?: GatewayAddress; networkGateway?: GatewayAddress; node: string;
  canonicalName: string; canonicalRevision: string; workloadType: WorkloadType; workloadName: string;
  nativeTunnel: boolean; applicationTunnel?: ApplicationTunnel;
  /** Keyed by "<namespace>/<hostname>". */
  services: Record<string, PortList>;
  authorizationPolicies: string[]; status: WorkloadStatus; clusterId: string;
  locality?: Locality; networkMode: NetworkMode; extensions: Extension[];
  /** Load-balancing weight; undefined means unset on the wire (treated as 1). */
  capacity?: number;
}

export interface Service {
  name: string; namespace: string; hostname: string;
  addresses: NetworkAddress[]; ports: Port[]; subjectAltNames: string[];
  waypoint?: GatewayAddress; loadBalancing?: LoadBalancing; ipFamilies: IPFamilies;
  extensions: Extension[]; canonical: boolean; ingressUseWaypoint: boolean;
  weightedWaypoints: WeightedWaypoint[]; visibility: ServiceVisibility;
}

/** istio.workload.Address: the resource of type `type.googleapis.com/istio.workload.Address`. */
export type Address = { workload: Workload; service?: undefined } | { service: Service; workload?: undefined };

// ---- istio.security -----------------------------------------------------------------------------------------
/** Exactly one key. `presence: {}` matches any non-empty value. */
export type StringMatch = { exact: string } | { prefix: string } | { suffix: string } | { presence: Record<string, never> };
/** A CIDR. */
export interface CidrAddress { address: string; length: number }
export interface ServiceAccountMatch { namespace: string; serviceAccount: string }
export interface Match {
  namespaces: StringMatch[]; notNamespaces: StringMatch[];
  serviceAccounts: ServiceAccountMatch[]; notServiceAccounts: ServiceAccountMatch[];
  principals: StringMatch[]; notPrincipals: StringMatch[];
  sourceIps: CidrAddress[]; notSourceIps: CidrAddress[];
  destinationIps: CidrAddress[]; notDestinationIps: CidrAddress[];
  destinationPorts: number[]; notDestinationPorts: number[];
  extensions: Extension[];
}
/** OR of matches. */
export interface Rules { matches: Match[] }
/** AND of rules. */
export interface Group { rules: Rules[] }
export interface Authorization {
  name: string; namespace: string; scope: AuthorizationScope; action: AuthorizationAction;
  groups: Group[]; dryRun: boolean; extensions: Extension[];
}

// ---- builders (fill proto3 defaults) ------------------------------------------------------------------------
/** A Workload with every omitted field at its proto3 default. */
export function makeWorkload(init: Partial<Workload> & Pick<Workload, 'uid'>): Workload {
  return {
    name: '', namespace: '', addresses: [], hostname: '', network: '', tunnelProtocol: 'NONE', trustDomain: '',
    serviceAccount: '', node: '', canonicalName: '', canonicalRevision: '', workloadType: 'DEPLOYMENT',
    workloadName: '', nativeTunnel: false, services: {}, authorizationPolicies: [], status: 'HEALTHY', clusterId: '',
    networkMode: 'STANDARD', extensions: [], ...init,
  };
}
/** A Service with every omitted field at its proto3 default. */
export function makeService(init: Partial<Service> & Pick<Service, 'namespace' | 'hostname'>): Service {
  return {
    name: '', addresses: [], ports: [], subjectAltNames: [], ipFamilies: 'AUTOMATIC', extensions: [], canonical: false,
    ingressUseWaypoint: false, weightedWaypoints: [], visibility: 'PUBLIC', ...init,
  };
}
/** A Match with every list empty. */
export function makeMatch(init: Partial<Match> = {}): Match {
  return {
    namespaces: [], notNamespaces: [], serviceAccounts: [], notServiceAccounts: [], principals: [], notPrincipals: [],
    sourceIps: [], notSourceIps: [], destinationIps: [], notDestinationIps: [], destinationPorts: [],
    notDestinationPorts: [], extensions: [], ...init,
  };
}
/** An Authorization with every omitted field at its proto3 default (ALLOW, GLOBAL, no groups). */
export function makeAuthorization(init: Partial<Authorization> & Pick<Authorization, 'name' | 'namespace'>): Authorization {
  return { scope: 'GLOBAL', action: 'ALLOW', groups: [], dryRun: false, extensions: [], ...init };
}

/** Resource names: Workload -> uid, Service -> "<namespace>/<hostname>", Authorization -> "<namespace>/<name>". */
export function addressName(a: Address): string {
  return a.workload ? a.workload.uid : `${a.service.namespace}/${a.service.hostname}`;
}
export function authorizationName(a: Authorization): string {
  return `${a.namespace}/${a.name}`;
}
/** On-demand lookup aliases of an Address: "<network>/<ip>" for each IP (CIDR services: "<network>/<ip>/<len>"). */
export function addressAliases(a: Address): string[] {
  if (a.workload) return a.workload.addresses.map((ip) => `${a.workload.network}/${ip}`);
  return a.service.addresses.map((n) => (n.length === undefined ? `${n.network}/${n.address}` : `${n.network}/${n.address}/${n.length}`));
}

// ---- model -> proto -------------------------------------------------------------------------------------------
function ipBytes(ip: string, path: string): Uint8Array {
  const b = ipToBytes(ip);
  if (!b) throw new TypeError(`${path}: "${ip}" is not an IP address`);
  return b;
}
function enumNum(list: readonly string[], v: string, path: string): number {
  const i = list.indexOf(v);
  if (i < 0) throw new TypeError(`${path}: unknown value "${v}" (one of ${list.join(', ')})`);
  return i;
}
const extToProto = (e: Extension): PExt => (e.config ? { name: e.name, config: { type_url: e.config.typeUrl, value: e.config.value } } : { name: e.name });
const netAddrToProto = (n: NetworkAddress, path: string): PNetAddr => {
  const out: PNetAddr = { network: n.network, address: ipBytes(n.address, `${path}.address`) };
  if (n.length !== undefined) out.length = n.length;
  return out;
};
const gatewayToProto = (g: GatewayAddress, path: string): PGateway => {
  const out: PGateway = { hboneMtlsPort: g.hboneMtlsPort };
  if (g.hostname) out.hostname = { namespace: g.hostname.namespace, hostname: g.hostname.hostname };
  else if (g.address) out.address = netAddrToProto(g.address, `${path}.address`);
  return out;
};
const portToProto = (p: Port, path: string): PPort => ({
  servicePort: p.servicePort, targetPort: p.targetPort, appProtocol: enumNum(APP_PROTOCOLS, p.appProtocol, `${path}.appProtocol`),
});

/** Converts a Workload into the generated type (throws TypeError naming the field for a bad IP or enum name). */
export function workloadToProto(w: Workload): PWorkload {
  const out: PWorkload = {
    uid: w.uid, name: w.name, namespace: w.namespace,
    addresses: w.addresses.map((ip, i) => ipBytes(ip, `addresses[${i}]`)),
    hostname: w.hostname, network: w.network,
    tunnelProtocol: enumNum(TUNNEL_PROTOCOLS, w.tunnelProtocol, 'tunnelProtocol'),
    trustDomain: w.trustDomain, serviceAccount: w.serviceAccount, node: w.node,
    canonicalName: w.canonicalName, canonicalRevision: w.canonicalRevision,
    workloadType: enumNum(WORKLOAD_TYPES, w.workloadType, 'workloadType'), workloadName: w.workloadName,
    nativeTunnel: w.nativeTunnel,
    services: Object.fromEntries(Object.entries(w.services).map(([k, v]) => [k, { ports: v.ports.map((p, i) => portToProto(p, `services["${k}"].ports[${i}]`)) }])),
    authorizationPolicies: w.authorizationPolicies, status: enumNum(WORKLOAD_STATUSES, w.status, 'status'),
    clusterId: w.clusterId, networkMode: enumNum(NETWORK_MODES, w.networkMode, 'networkMode'),
    extensions: w.extensions.map(extToProto),
  };
  if (w.waypoint) out.waypoint = gatewayToProto(w.waypoint, 'waypoint');
  if (w.networkGateway) out.networkGateway = gatewayToProto(w.networkGateway, 'networkGateway');
  if (w.applicationTunnel) out.applicationTunnel = { protocol: enumNum(APPLICATION_TUNNEL_PROTOCOLS, w.applicationTunnel.protocol, 'applicationTunnel.protocol'), port: w.applicationTunnel.port };
  if (w.locality) out.locality = { ...w.locality };
  if (w.capacity !== undefined) out.capacity = { value: w.capacity };
  return out;
}

/** Converts a Service into the generated type. */
export function serviceToProto(s: Service): PService {
  const out: PService = {
    name: s.name, namespace: s.namespace, hostname: s.hostname,
    addresses: s.addresses.map((a, i) => netAddrToProto(a, `addresses[${i}]`)),
    ports: s.ports.map((p, i) => portToProto(p, `ports[${i}]`)), subjectAltNames: s.subjectAltNames,
    ipFamilies: enumNum(IP_FAMILIES, s.ipFamilies, 'ipFamilies'), extensions: s.extensions.map(extToProto),
    canonical: s.canonical, ingressUseWaypoint: s.ingressUseWaypoint,
    weightedWaypoints: s.weightedWaypoints.map((w, i) => (w.destination ? { destination: gatewayToProto(w.destination, `weightedWaypoints[${i}].destination`), weight: w.weight } : { weight: w.weight })),
    visibility: enumNum(SERVICE_VISIBILITIES, s.visibility, 'visibility'),
  };
  if (s.waypoint) out.waypoint = gatewayToProto(s.waypoint, 'waypoint');
  if (s.loadBalancing) {
    out.loadBalancing = {
      routingPreference: s.loadBalancing.routingPreference.map((r, i) => enumNum(LOAD_BALANCING_SCOPES, r, `loadBalancing.routingPreference[${i}]`)),
      mode: enumNum(LOAD_BALANCING_MODES, s.loadBalancing.mode, 'loadBalancing.mode'),
      healthPolicy: enumNum(HEALTH_POLICIES, s.loadBalancing.healthPolicy, 'loadBalancing.healthPolicy'),
    };
  }
  return out;
}

const stringMatchToProto = (m: StringMatch): PStringMatch => {
  if ('exact' in m) return { exact: m.exact };
  if ('prefix' in m) return { prefix: m.prefix };
  if ('suffix' in m) return { suffix: m.suffix };
  return { presence: {} };
};
const cidrToProto = (c: CidrAddress, path: string) => ({ address: ipBytes(c.address, `${path}.address`), length: c.length });
const matchToProto = (m: Match, path: string): PMatch => ({
  namespaces: m.namespaces.map(stringMatchToProto), notNamespaces: m.notNamespaces.map(stringMatchToProto),
  serviceAccounts: m.serviceAccounts.map((s) => ({ ...s })), notServiceAccounts: m.notServiceAccounts.map((s) => ({ ...s })),
  principals: m.principals.map(stringMatchToProto), notPrincipals: m.notPrincipals.map(stringMatchToProto),
  sourceIps: m.sourceIps.map((c, i) => cidrToProto(c, `${path}.sourceIps[${i}]`)),
  notSourceIps: m.notSourceIps.map((c, i) => cidrToProto(c, `${path}.notSourceIps[${i}]`)),
  destinationIps: m.destinationIps.map((c, i) => cidrToProto(c, `${path}.destinationIps[${i}]`)),
  notDestinationIps: m.notDestinationIps.map((c, i) => cidrToProto(c, `${path}.notDestinationIps[${i}]`)),
  destinationPorts: m.destinationPorts, notDestinationPorts: m.notDestinationPorts, extensions: m.extensions.map(extToProto),
});

/** Converts an Authorization into the generated type. */
export function authorizationToProto(a: Authorization): PAuthz {
  return {
    name: a.name, namespace: a.namespace, scope: enumNum(AUTHORIZATION_SCOPES, a.scope, 'scope'),
    action: enumNum(AUTHORIZATION_ACTIONS, a.action, 'action'),
    groups: a.groups.map((g, gi) => ({ rules: g.rules.map((r, ri) => ({ matches: r.matches.map((m, mi) => matchToProto(m, `groups[${gi}].rules[${ri}].matches[${mi}]`)) })) })),
    dryRun: a.dryRun, extensions: a.extensions.map(extToProto),
  };
}

/** Encodes an Address (the Any value of a `istio.workload.Address` resource). */
export function encodeAddress(a: Address): Uint8Array {
  const msg = a.workload ? { workload: workloadToProto(a.workload) } : { service: serviceToProto(a.service) };
  return istio.workload.Address.encode(msg).finish();
}
/** Encodes an Authorization (the Any value of a `istio.security.Authorization` resource). */
export function encodeAuthorization(a: Authorization): Uint8Array {
  return istio.security.Authorization.encode(authorizationToProto(a)).finish();
}

// ---- proto -> model (validating) ------------------------------------------------------------------------------
/** The outcome of decoding one resource: the model, or every problem found (each "field.path: what"). */
export type Decoded<T> = { ok: true; value: T } | { ok: false; problems: string[] };

class Problems {
  readonly list: string[] = [];
  add(path: string, what: string): void { this.list.push(`${path}: ${what}`); }
  enumName<T extends string>(names: readonly T[], v: number | null | undefined, path: string): T {
    const n = v ?? 0;
    const name = names[n];
    if (name === undefined) { this.add(path, `unknown enum value ${n}`); return names[0]!; }
    return name;
  }
  ip(b: Uint8Array | null | undefined, path: string): string {
    const ip = bytesToIp(b ?? new Uint8Array());
    if (ip === undefined) { this.add(path, `must be 4 or 16 bytes, got ${b?.length ?? 0}`); return ''; }
    return ip;
  }
  port(v: number | null | undefined, path: string, allowZero = true): number {
    const n = v ?? 0;
    if (n > 65535 || (!allowZero && n === 0)) this.add(path, `port ${n} is out of range`);
    return n;
  }
}

const str = (v: string | null | undefined): string => v ?? '';
const extFromProto = (e: PExt): Extension =>
  e.config ? { name: str(e.name), config: { typeUrl: str(e.config.type_url), value: e.config.value ?? new Uint8Array() } } : { name: str(e.name) };

function netAddrFromProto(n: PNetAddr, path: string, p: Problems): NetworkAddress {
  const out: NetworkAddress = { network: str(n.network), address: p.ip(n.address, `${path}.address`) };
  if (n.length !== undefined && n.length !== null) {
    const max = out.address.includes(':') ? 128 : 32;
    if (n.length > max) p.add(`${path}.length`, `prefix length ${n.length} exceeds ${max}`);
    out.length = n.length;
  }
  return out;
}
function gatewayFromProto(g: PGateway, path: string, p: Problems): GatewayAddress {
  const out: GatewayAddress = { hboneMtlsPort: p.port(g.hboneMtlsPort, `${path}.hboneMtlsPort`) };
  if (g.hostname) {
    out.hostname = { namespace: str(g.hostname.namespace), hostname: str(g.hostname.hostname) };
    if (!out.hostname.hostname) p.add(`${path}.hostname.hostname`, 'must not be empty');
  } else if (g.address) out.address = netAddrFromProto(g.address, `${path}.address`, p);
  else p.add(path, 'one of hostname or address is required');
  return out;
}
const portFromProto = (x: PPort, path: string, p: Problems): Port => ({
  servicePort: p.port(x.servicePort, `${path}.servicePort`), targetPort: p.port(x.targetPort, `${path}.targetPort`),
  appProtocol: p.enumName(APP_PROTOCOLS, x.appProtocol, `${path}.appProtocol`),
});

function workloadFromProto(w: PWorkload, p: Problems, path = 'workload'): Workload {
  if (!w.uid) p.add(`${path}.uid`, 'must not be empty (it is the resource name)');
  const out: Workload = {
    uid: str(w.uid), name: str(w.name), namespace: str(w.namespace),
    addresses: (w.addresses ?? []).map((b, i) => p.ip(b, `${path}.addresses[${i}]`)),
    hostname: str(w.hostname), network: str(w.network),
    tunnelProtocol: p.enumName(TUNNEL_PROTOCOLS, w.tunnelProtocol, `${path}.tunnelProtocol`),
    trustDomain: str(w.trustDomain), serviceAccount: str(w.serviceAccount), node: str(w.node),
    canonicalName: str(w.canonicalName), canonicalRevision: str(w.canonicalRevision),
    workloadType: p.enumName(WORKLOAD_TYPES, w.workloadType, `${path}.workloadType`), workloadName: str(w.workloadName),
    nativeTunnel: w.nativeTunnel ?? false,
    services: Object.fromEntries(Object.entries(w.services ?? {}).map(([k, v]) => [k, { ports: (v.ports ?? []).map((x, i) => portFromProto(x, `${path}.services["${k}"].ports[${i}]`, p)) }])),
    authorizationPolicies: [...(w.authorizationPolicies ?? [])], status: p.enumName(WORKLOAD_STATUSES, w.status, `${path}.status`),
    clusterId: str(w.clusterId), networkMode: p.enumName(NETWORK_MODES, w.networkMode, `${path}.networkMode`),
    extensions: (w.extensions ?? []).map(extFromProto),
  };
  if (out.addresses.length === 0 && !out.hostname && !w.networkGateway) p.add(`${path}.addresses`, 'a workload needs an address, a hostname or a network gateway');
  if (w.waypoint) out.waypoint = gatewayFromProto(w.waypoint, `${path}.waypoint`, p);
  if (w.networkGateway) out.networkGateway = gatewayFromProto(w.networkGateway, `${path}.networkGateway`, p);
  if (w.applicationTunnel) out.applicationTunnel = { protocol: p.enumName(APPLICATION_TUNNEL_PROTOCOLS, w.applicationTunnel.protocol, `${path}.applicationTunnel.protocol`), port: p.port(w.applicationTunnel.port, `${path}.applicationTunnel.port`) };
  if (w.locality) out.locality = { region: str(w.locality.region), zone: str(w.locality.zone), subzone: str(w.locality.subzone) };
  if (w.capacity) out.capacity = w.capacity.value ?? 0;
  return out;
}

function serviceFromProto(s: PService, p: Problems, path = 'service'): Service {
  if (!s.namespace) p.add(`${path}.namespace`, 'must not be empty (the resource name is "<namespace>/<hostname>")');
  if (!s.hostname) p.add(`${path}.hostname`, 'must not be empty (the resource name is "<namespace>/<hostname>")');
  const out: Service = {
    name: str(s.name), namespace: str(s.namespace), hostname: str(s.hostname),
    addresses: (s.addresses ?? []).map((a, i) => netAddrFromProto(a, `${path}.addresses[${i}]`, p)),
    ports: (s.ports ?? []).map((x, i) => portFromProto(x, `${path}.ports[${i}]`, p)),
    subjectAltNames: [...(s.subjectAltNames ?? [])],
    ipFamilies: p.enumName(IP_FAMILIES, s.ipFamilies, `${path}.ipFamilies`), extensions: (s.extensions ?? []).map(extFromProto),
    canonical: s.canonical ?? false, ingressUseWaypoint: s.ingressUseWaypoint ?? false,
    weightedWaypoints: (s.weightedWaypoints ?? []).map((w, i) => {
      const ww: WeightedWaypoint = { weight: w.weight ?? 0 };
      if (w.destination) ww.destination = gatewayFromProto(w.destination, `${path}.weightedWaypoints[${i}].destination`, p);
      return ww;
    }),
    visibility: p.enumName(SERVICE_VISIBILITIES, s.visibility, `${path}.visibility`),
  };
  if (s.waypoint) out.waypoint = gatewayFromProto(s.waypoint, `${path}.waypoint`, p);
  if (s.loadBalancing) {
    const lb = s.loadBalancing;
    out.loadBalancing = {
      routingPreference: (lb.routingPreference ?? []).map((r, i) => p.enumName(LOAD_BALANCING_SCOPES, r, `${path}.loadBalancing.routingPreference[${i}]`)),
      mode: p.enumName(LOAD_BALANCING_MODES, lb.mode, `${path}.loadBalancing.mode`),
      healthPolicy: p.enumName(HEALTH_POLICIES, lb.healthPolicy, `${path}.loadBalancing.healthPolicy`),
    };
  }
  return out;
}

function stringMatchFromProto(m: PStringMatch, path: string, p: Problems): StringMatch {
  if (m.exact !== undefined && m.exact !== null) return { exact: m.exact };
  if (m.prefix !== undefined && m.prefix !== null) return { prefix: m.prefix };
  if (m.suffix !== undefined && m.suffix !== null) return { suffix: m.suffix };
  if (m.presence !== undefined && m.presence !== null) return { presence: {} };
  p.add(path, 'one of exact, prefix, suffix or presence is required');
  return { exact: '' };
}
function cidrFromProto(c: istio.security.Address.$Properties, path: string, p: Problems): CidrAddress {
  const address = p.ip(c.address, `${path}.address`);
  const length = c.length ?? 0;
  const max = address.includes(':') ? 128 : 32;
  if (length > max) p.add(`${path}.length`, `prefix length ${length} exceeds ${max}`);
  return { address, length };
}
function matchFromProto(m: PMatch, path: string, p: Problems): Match {
  const sm = (l: PStringMatch[] | null | undefined, f: string) => (l ?? []).map((x, i) => stringMatchFromProto(x, `${path}.${f}[${i}]`, p));
  const cidrs = (l: istio.security.Address.$Properties[] | null | undefined, f: string) => (l ?? []).map((x, i) => cidrFromProto(x, `${path}.${f}[${i}]`, p));
  const sas = (l: istio.security.ServiceAccountMatch.$Properties[] | null | undefined) => (l ?? []).map((x) => ({ namespace: str(x.namespace), serviceAccount: str(x.serviceAccount) }));
  const ports = (l: number[] | null | undefined, f: string) => (l ?? []).map((x, i) => p.port(x, `${path}.${f}[${i}]`));
  return {
    namespaces: sm(m.namespaces, 'namespaces'), notNamespaces: sm(m.notNamespaces, 'notNamespaces'),
    serviceAccounts: sas(m.serviceAccounts), notServiceAccounts: sas(m.notServiceAccounts),
    principals: sm(m.principals, 'principals'), notPrincipals: sm(m.notPrincipals, 'notPrincipals'),
    sourceIps: cidrs(m.sourceIps, 'sourceIps'), notSourceIps: cidrs(m.notSourceIps, 'notSourceIps'),
    destinationIps: cidrs(m.destinationIps, 'destinationIps'), notDestinationIps: cidrs(m.notDestinationIps, 'notDestinationIps'),
    destinationPorts: ports(m.destinationPorts, 'destinationPorts'), notDestinationPorts: ports(m.notDestinationPorts, 'notDestinationPorts'),
    extensions: (m.extensions ?? []).map(extFromProto),
  };
}

function authorizationFromProto(a: PAuthz, p: Problems): Authorization {
  if (!a.name) p.add('name', 'must not be empty');
  return {
    name: str(a.name), namespace: str(a.namespace),
    scope: p.enumName(AUTHORIZATION_SCOPES, a.scope, 'scope'), action: p.enumName(AUTHORIZATION_ACTIONS, a.action, 'action'),
    groups: (a.groups ?? []).map((g, gi) => ({
      rules: (g.rules ?? []).map((r, ri) => ({ matches: (r.matches ?? []).map((m, mi) => matchFromProto(m, `groups[${gi}].rules[${ri}].matches[${mi}]`, p)) })),
    })),
    dryRun: a.dryRun ?? false, extensions: (a.extensions ?? []).map(extFromProto),
  };
}

function decodeWith<M, T>(bytes: Uint8Array, decode: (b: Uint8Array) => M, convert: (m: M, p: Problems) => T): Decoded<T> {
  let msg: M;
  try {
    msg = decode(bytes);
  } catch (err) {
    return { ok: false, problems: [`(message): malformed protobuf: ${(err as Error).message}`] };
  }
  const p = new Problems();
  const value = convert(msg, p);
  return p.list.length === 0 ? { ok: true, value } : { ok: false, problems: p.list };
}

/** Decodes and validates an Address (the Any value of an `istio.workload.Address` resource). */
export function decodeAddress(bytes: Uint8Array): Decoded<Address> {
  return decodeWith(bytes, (b) => istio.workload.Address.decode(b), (m, p): Address => {
    if (m.workload) return { workload: workloadFromProto(m.workload, p) };
    if (m.service) return { service: serviceFromProto(m.service, p) };
    p.add('type', 'one of workload or service is required');
    return { workload: makeWorkload({ uid: '' }) };
  });
}
/** Decodes and validates an Authorization. */
export function decodeAuthorization(bytes: Uint8Array): Decoded<Authorization> {
  return decodeWith(bytes, (b) => istio.security.Authorization.decode(b), authorizationFromProto);
}
/** Decodes and validates a bare Workload message (type `istio.workload.Workload`). */
export function decodeWorkload(bytes: Uint8Array): Decoded<Workload> {
  return decodeWith(bytes, (b) => istio.workload.Workload.decode(b), (m, p) => workloadFromProto(m, p, ''));
}
/** Encodes a bare Workload message. */
export function encodeWorkload(w: Workload): Uint8Array {
  return istio.workload.Workload.encode(workloadToProto(w)).finish();
}
