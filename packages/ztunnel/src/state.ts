// The workload state of one ztunnel: workloads, services and authorization policies as received over xDS, with
// the indexes the data path needs (by IP per network, uid, service VIP per network, hostname, node) and the
// L4 policy decision (ztunnel's `assert_rbac`, through @amesh/rbac's WireAuthorizer).
//
// The store is a plain synchronous data holder: the xDS handler mutates it, the proxy reads it. Every change emits
// 'change'; policy changes additionally emit 'policy' so the connection manager can re-check live connections.
import { EventEmitter } from 'node:events';
import { isIPv4 } from 'node:net';
import { WireAuthorizer, parseIp, type Authorization as WireAuthorization, type Decision, type WireConnection } from '@amesh/rbac';
import type { Address, Authorization, GatewayAddress, Service, Workload } from '@amesh/xds';

/** Strips the IPv4-mapped IPv6 prefix so `::ffff:10.0.0.1` and `10.0.0.1` are one key. */
export function canonicalIp(ip: string): string {
  if (ip.startsWith('::ffff:') && isIPv4(ip.slice(7))) return ip.slice(7);
  return ip.toLowerCase();
}

const key = (network: string, ip: string) => `${network}/${canonicalIp(ip)}`;

/** The SPIFFE ID of a workload (`trust_domain` "" = cluster.local, `service_account` "" = default). */
export function workloadIdentity(w: Pick<Workload, 'trustDomain' | 'namespace' | 'serviceAccount'>): string {
  return `spiffe://${w.trustDomain || 'cluster.local'}/ns/${w.namespace}/sa/${w.serviceAccount || 'default'}`;
}

/** `ns/hostname`, the key of a Service and of `Workload.services`. */
export const serviceKey = (s: Pick<Service, 'namespace' | 'hostname'>): string => `${s.namespace}/${s.hostname}`;

/** Converts the xDS model's Authorization (text CIDRs) into @amesh/rbac's wire form (raw bytes). */
export function toWire(a: Authorization): WireAuthorization {
  const cidr = (c: { address: string; length: number }) => ({ address: parseIp(c.address) ?? new Uint8Array(), length: c.length });
  return {
    name: a.name,
    namespace: a.namespace,
    scope: a.scope,
    action: a.action,
    dryRun: a.dryRun,
    groups: a.groups.map((g) => ({
      rules: g.rules.map((r) => ({
        matches: r.matches.map((m) => ({
          namespaces: m.namespaces, notNamespaces: m.notNamespaces,
          serviceAccounts: m.serviceAccounts, notServiceAccounts: m.notServiceAccounts,
          principals: m.principals, notPrincipals: m.notPrincipals,
          sourceIps: m.sourceIps.map(cidr), notSourceIps: m.notSourceIps.map(cidr),
          destinationIps: m.destinationIps.map(cidr), notDestinationIps: m.notDestinationIps.map(cidr),
          destinationPorts: m.destinationPorts, notDestinationPorts: m.notDestinationPorts,
        })),
      })),
    })),
  } as WireAuthorization;
}

/** One mutation, in a form that can be posted to another thread and re-applied there ({@link applyStateOps}). */
export type StateOp =
  | { op: 'upsert'; address: Address }
  | { op: 'remove'; name: string }
  | { op: 'authz'; upserts: readonly Authorization[]; removals: readonly string[] };

export interface StateEvents {
  change: [];
  policy: [];
  /** every accepted mutation (the multi-worker mode replicates the state with these) */
  op: [StateOp];
}

/** Re-applies mutations from another ProxyState's 'op' events (or a {@link ProxyState.ops} snapshot). */
export function applyStateOps(state: ProxyState, ops: readonly StateOp[]): void {
  for (const o of ops) {
    if (o.op === 'upsert') state.upsertAddress(o.address);
    else if (o.op === 'remove') state.removeAddress(o.name);
    else state.updateAuthorizations(o.upserts, o.removals);
  }
}

/** A resource the handler refused (sent back as a NACK). */
export interface Rejected {
  name: string;
  reason: string;
}

export class ProxyState extends EventEmitter<StateEvents> {
  readonly nodeName: string;
  private readonly workloads = new Map<string, Workload>();
  private readonly byAddr = new Map<string, Workload>();
  /** host-network workloads (e.g. ztunnel itself) by IP: which node an address belongs to */
  private readonly hostByAddr = new Map<string, Workload>();
  private readonly services = new Map<string, Service>();
  private readonly byVip = new Map<string, Service>();
  private readonly byHostname = new Map<string, Service[]>();
  /** service key -> uid -> workload */
  private readonly endpoints = new Map<string, Map<string, Workload>>();
  private readonly policies = new Map<string, Authorization>();
  private authorizer = new WireAuthorizer([]);

  constructor(opts: { nodeName: string }) {
    super();
    this.nodeName = opts.nodeName;
  }

  // ---- mutation ---------------------------------------------------------------------------------------------
  /** Adds or replaces an Address (workload or service); returns a problem for a resource ztunnel refuses. */
  upsertAddress(a: Address): Rejected | undefined {
    if (a.workload) {
      const w = a.workload;
      if (w.tunnelProtocol === 'LEGACY_ISTIO_MTLS') return { name: w.uid, reason: 'LEGACY_ISTIO_MTLS workloads are not supported' };
      this.removeWorkload(w.uid);
      this.workloads.set(w.uid, w);
      const index = w.networkMode === 'HOST_NETWORK' ? this.hostByAddr : this.byAddr;
      for (const ip of w.addresses) index.set(key(w.network, ip), w);
      for (const sk of Object.keys(w.services)) {
        let m = this.endpoints.get(sk);
        if (!m) this.endpoints.set(sk, (m = new Map()));
        m.set(w.uid, w);
      }
    } else {
      const s = a.service;
      const sk = serviceKey(s);
      this.removeService(sk);
      this.services.set(sk, s);
      for (const vip of s.addresses) this.byVip.set(key(vip.network, vip.address), s);
      const list = this.byHostname.get(s.hostname) ?? [];
      list.push(s);
      this.byHostname.set(s.hostname, list);
    }
    if (this.listenerCount('op') > 0) this.emit('op', { op: 'upsert', address: a });
    this.emit('change');
    return undefined;
  }

  /** Removes an Address by resource name (a workload uid or `ns/hostname`). */
  removeAddress(name: string): void {
    if (this.workloads.has(name)) this.removeWorkload(name);
    else this.removeService(name);
    if (this.listenerCount('op') > 0) this.emit('op', { op: 'remove', name });
    this.emit('change');
  }

  private removeWorkload(uid: string): void {
    const w = this.workloads.get(uid);
    if (!w) return;
    this.workloads.delete(uid);
    for (const ip of w.addresses) {
      const k = key(w.network, ip);
      if (this.byAddr.get(k) === w) this.byAddr.delete(k);
      if (this.hostByAddr.get(k) === w) this.hostByAddr.delete(k);
    }
    for (const sk of Object.keys(w.services)) {
      const m = this.endpoints.get(sk);
      m?.delete(uid);
      if (m && m.size === 0) this.endpoints.delete(sk);
    }
  }

  private removeService(sk: string): void {
    const s = this.services.get(sk);
    if (!s) return;
    this.services.delete(sk);
    for (const vip of s.addresses) {
      const k = key(vip.network, vip.address);
      if (this.byVip.get(k) === s) this.byVip.delete(k);
    }
    const list = (this.byHostname.get(s.hostname) ?? []).filter((x) => x !== s);
    if (list.length) this.byHostname.set(s.hostname, list);
    else this.byHostname.delete(s.hostname);
  }

  /** Replaces the policy set with these changes (one authorizer rebuild per call). */
  updateAuthorizations(upserts: readonly Authorization[], removals: readonly string[] = []): void {
    for (const n of removals) this.policies.delete(n);
    for (const a of upserts) this.policies.set(`${a.namespace}/${a.name}`, a);
    this.authorizer = new WireAuthorizer([...this.policies.values()].map(toWire));
    if (this.listenerCount('op') > 0) this.emit('op', { op: 'authz', upserts, removals });
    this.emit('change');
    this.emit('policy');
  }

  // ---- lookups -----------------------------------------------------------------------------------------------
  workloadByUid(uid: string): Workload | undefined {
    return this.workloads.get(uid);
  }
  workloadByIp(network: string, ip: string): Workload | undefined {
    return this.byAddr.get(key(network, ip));
  }
  serviceByVip(network: string, ip: string): Service | undefined {
    return this.byVip.get(key(network, ip));
  }
  serviceByHostname(namespace: string, hostname: string): Service | undefined {
    return this.services.get(`${namespace}/${hostname}`);
  }
  servicesByHostname(hostname: string): readonly Service[] {
    return this.byHostname.get(hostname) ?? [];
  }
  /** Workloads listing this service in their `services` map. */
  endpointsOf(s: Pick<Service, 'namespace' | 'hostname'>): Workload[] {
    return [...(this.endpoints.get(serviceKey(s))?.values() ?? [])];
  }
  /** The node of a host-network workload with this IP (a node address), if any. */
  nodeOfHostAddress(network: string, ip: string): string | undefined {
    return this.hostByAddr.get(key(network, ip))?.node || undefined;
  }
  /** A workload on this node with this IP (the source of captured outbound traffic). */
  localWorkloadByIp(network: string, ip: string): Workload | undefined {
    const w = this.workloadByIp(network, ip);
    return w && w.node === this.nodeName ? w : undefined;
  }
  /** Every workload whose `node` is this node. */
  nodeLocalWorkloads(): Workload[] {
    return [...this.workloads.values()].filter((w) => w.node === this.nodeName);
  }
  /** The services a workload is an endpoint of. */
  servicesOf(w: Workload): Service[] {
    return Object.keys(w.services).map((k) => this.services.get(k)).filter((s): s is Service => s !== undefined);
  }
  policy(name: string): Authorization | undefined {
    return this.policies.get(name);
  }

  /** The workloads a GatewayAddress (a waypoint) currently names: a service's endpoints or one workload by IP. */
  gatewayWorkloads(g: GatewayAddress, network: string): { service: Service | undefined; workloads: Workload[] } {
    if (g.hostname) {
      const s = this.serviceByHostname(g.hostname.namespace, g.hostname.hostname);
      return { service: s, workloads: s ? this.endpointsOf(s) : [] };
    }
    if (g.address) {
      const net = g.address.network || network;
      const s = this.serviceByVip(net, g.address.address);
      if (s) return { service: s, workloads: this.endpointsOf(s) };
      const w = this.workloadByIp(net, g.address.address);
      return { service: undefined, workloads: w ? [w] : [] };
    }
    return { service: undefined, workloads: [] };
  }

  // ---- policy --------------------------------------------------------------------------------------------------
  /** ztunnel's `assert_rbac` for a connection to `dst`. A policy that cannot be evaluated denies. */
  checkPolicy(conn: WireConnection, dst: Pick<Workload, 'namespace' | 'authorizationPolicies'>): Decision {
    try {
      return this.authorizer.check(conn, dst);
    } catch (err) {
      return {
        decision: 'DENY', policy: null, action: null, ruleIndex: null, reason: 'not-allowed', mode: 'l4', dryRun: [], audit: [],
        message: `denied: policy evaluation failed (${(err as Error).message})`,
      } as unknown as Decision;
    }
  }

  /** The whole state as mutations (replayed into an empty ProxyState with applyStateOps, it is equal). */
  ops(): StateOp[] {
    const out: StateOp[] = [];
    for (const s of this.services.values()) out.push({ op: 'upsert', address: { service: s } as Address });
    for (const w of this.workloads.values()) out.push({ op: 'upsert', address: { workload: w } as Address });
    out.push({ op: 'authz', upserts: [...this.policies.values()], removals: [] });
    return out;
  }

  /** Everything, for /config_dump. */
  snapshot(): { workloads: Workload[]; services: Service[]; policies: Authorization[] } {
    return { workloads: [...this.workloads.values()], services: [...this.services.values()], policies: [...this.policies.values()] };
  }
}
