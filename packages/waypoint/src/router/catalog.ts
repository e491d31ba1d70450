// The service catalog: Kubernetes Services and ServiceEntries (FQDN, ports, target ports), their endpoints (Pods by
// labels, ServiceEntry endpoints), the virtual-host domains a client namespace sees, and DestinationRule lookup.
import type { DestinationRule, LoadBalancer, Pod, RouterConfigModel, Service, ServicePort, Subset, TrafficPolicy } from './model.js';
import type { LbPolicy } from './lb.js';

export interface Endpoint {
  /** Pod name (Kubernetes) or address (ServiceEntry endpoint / DNS host) */
  name: string;
  labels: Record<string, string>;
  ip?: string;
  /** named ports (Pod container ports; ServiceEntry endpoint `ports`) */
  ports?: Record<string, number>;
}

/** The port an endpoint listens on for a service port: a ServiceEntry endpoint's `ports[<port name>]`, else the
 * target port (numeric, or a named container port of the Pod), else the service port. */
export function endpointPort(svcPort: ServicePort | undefined, port: number, e: Endpoint | undefined, serviceEntry = false): number {
  if (!svcPort) return port;
  if (serviceEntry && svcPort.name && e?.ports?.[svcPort.name] !== undefined) return e.ports[svcPort.name]!;
  const tp = svcPort.targetPort;
  if (typeof tp === 'number') return tp;
  if (typeof tp === 'string') return /^\d+$/.test(tp) ? Number(tp) : e?.ports?.[tp] ?? port;
  return port;
}

/** `exportTo` visibility: empty or `*` means every namespace, `.` the object's own namespace, `~` none. */
export function visibleTo(exportTo: readonly string[], ownNamespace: string, namespace: string): boolean {
  if (exportTo.length === 0) return true;
  for (const e of exportTo) {
    if (e === '*') return true;
    if (e === '.' && ownNamespace === namespace) return true;
    if (e === namespace) return true;
  }
  return false;
}

/** Istio host matching: `*` matches anything, `*.x.y` matches names ending in `.x.y`, otherwise equality. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return false;
}

/** Specificity of a host pattern for `host`: exact beats wildcard, longer wildcard beats shorter; -1 = no match. */
export function hostSpecificity(pattern: string, host: string): number {
  if (pattern === host) return 1e6;
  if (!hostMatches(pattern, host)) return -1;
  return pattern.length;
}

export function labelsSubset(want: Record<string, string> | undefined, have: Record<string, string>): boolean {
  if (!want) return true;
  for (const k in want) if (have[k] !== want[k]) return false;
  return true;
}

export function lbPolicyOf(lb: LoadBalancer | undefined): LbPolicy {
  if (!lb) return 'LEAST_REQUEST';
  if (lb.consistentHash) return 'CONSISTENT_HASH';
  switch (lb.simple) {
    case 'ROUND_ROBIN':
      return 'ROUND_ROBIN';
    case 'RANDOM':
      return 'RANDOM';
    case 'PASSTHROUGH':
      return 'PASSTHROUGH';
    default:
      return 'LEAST_REQUEST'; // UNSPECIFIED, LEAST_CONN and LEAST_REQUEST
  }
}

/** Subset policy inherits from the DR-level policy field by field; a matching portLevelSettings entry replaces the
 * (merged) settings without inheriting. */
export function effectiveTrafficPolicy(dr: DestinationRule | undefined, subset: Subset | undefined, port: number): TrafficPolicy {
  let tp: TrafficPolicy = { ...(dr?.trafficPolicy ?? {}) };
  if (subset?.trafficPolicy) {
    const s = subset.trafficPolicy;
    tp = {
      ...tp,
      ...(s.loadBalancer ? { loadBalancer: s.loadBalancer } : {}),
      ...(s.connectionPool ? { connectionPool: s.connectionPool } : {}),
      ...(s.outlierDetection ? { outlierDetection: s.outlierDetection } : {}),
      ...(s.tls ? { tls: s.tls } : {}),
      ...(s.portLevelSettings ? { portLevelSettings: s.portLevelSettings } : {}),
    };
  }
  const pls = tp.portLevelSettings?.find((p) => p.port === port);
  if (pls) {
    const { port: _port, ...rest } = pls;
    return rest;
  }
  const { portLevelSettings: _pls, ...rest } = tp;
  return rest;
}

export class Catalog {
  readonly domainSuffix: string;
  readonly rootNamespace: string;
  readonly services: readonly Service[];
  /** FQDN, FQDN., cluster IP, name.ns, name.ns.svc, ServiceEntry hosts */
  readonly #domains = new Map<string, Service[]>();
  /** `ns/name` for bare short names (same-namespace clients only) */
  readonly #short = new Map<string, Map<string, Service>>();
  readonly #wildcardSE: Service[] = [];
  readonly #pods: readonly Pod[];
  readonly #endpoints = new Map<Service, Endpoint[]>();
  readonly #drByNs = new Map<string, DestinationRule[]>();
  readonly #drCache = new Map<string, DestinationRule | null>();

  constructor(model: RouterConfigModel) {
    this.domainSuffix = model.domainSuffix;
    this.rootNamespace = model.rootNamespace;
    this.services = model.services;
    this.#pods = model.pods;
    const add = (k: string, s: Service) => {
      const l = this.#domains.get(k);
      if (l) {
        if (!l.includes(s)) l.push(s);
      } else this.#domains.set(k, [s]);
    };
    for (const s of model.services) if (s.kind === 'ServiceEntry') {
      if (s.hostname.startsWith('*')) this.#wildcardSE.push(s);
      else add(s.hostname, s);
    }
    for (const s of model.services) if (s.kind === 'Service') {
      add(s.hostname, s);
      add(`${s.hostname}.`, s);
      if (s.clusterIP) add(s.clusterIP, s);
      add(`${s.name}.${s.namespace}`, s);
      add(`${s.name}.${s.namespace}.svc`, s);
      let byName = this.#short.get(s.namespace);
      if (!byName) this.#short.set(s.namespace, (byName = new Map()));
      byName.set(s.name, s);
    }
    for (const dr of model.destinationRules) {
      const l = this.#drByNs.get(dr.namespace);
      if (l) l.push(dr);
      else this.#drByNs.set(dr.namespace, [dr]);
    }
    for (const l of this.#drByNs.values()) l.sort(byAge);
  }

  /** The service a Host (port already stripped, lower case) names, as seen from a client namespace. */
  lookupDomain(host: string, clientNamespace: string): Service | undefined {
    const l = this.#domains.get(host);
    if (l) for (const s of l) if (visibleTo(s.exportTo, s.namespace, clientNamespace)) return s;
    if (!host.includes('.')) {
      const s = this.#short.get(clientNamespace)?.get(host);
      if (s) return s;
    }
    return this.#wildcard(host, clientNamespace);
  }

  /** The service for a resolved FQDN (a destination host). */
  lookupHost(fqdn: string, clientNamespace: string): Service | undefined {
    const l = this.#domains.get(fqdn);
    if (l) for (const s of l) if (s.hostname === fqdn && visibleTo(s.exportTo, s.namespace, clientNamespace)) return s;
    return this.#wildcard(fqdn, clientNamespace);
  }

  #wildcard(host: string, ns: string): Service | undefined {
    let best: Service | undefined;
    let bestSpec = -1;
    for (const s of this.#wildcardSE) {
      const sp = hostSpecificity(s.hostname, host);
      if (sp > bestSpec && visibleTo(s.exportTo, s.namespace, ns)) {
        best = s;
        bestSpec = sp;
      }
    }
    return best;
  }

  /** The service's endpoints: Pods in its namespace whose labels include the selector, or ServiceEntry endpoints. */
  endpoints(svc: Service): Endpoint[] {
    let eps = this.#endpoints.get(svc);
    if (eps) return eps;
    eps = [];
    if (svc.kind === 'ServiceEntry' && svc.seEndpoints) {
      for (const e of svc.seEndpoints) eps.push({ name: e.address, labels: e.labels, ip: e.address, ...(e.ports ? { ports: e.ports } : {}) });
    } else if (svc.selector) {
      for (const p of this.#pods) {
        if (p.namespace === svc.namespace && labelsSubset(svc.selector, p.labels)) eps.push({ name: p.name, labels: p.labels, ...(p.ip ? { ip: p.ip } : {}), ...(p.ports ? { ports: p.ports } : {}) });
      }
    } else if (svc.kind === 'ServiceEntry' && svc.resolution === 'DNS' && !svc.hostname.includes('*')) {
      eps.push({ name: svc.hostname, labels: {} });
    }
    eps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.#endpoints.set(svc, eps);
    return eps;
  }

  /** DestinationRule for a host: client namespace, then the service's namespace, then the root namespace; the most
   * specific host match wins in each. */
  destinationRule(fqdn: string, clientNamespace: string, serviceNamespace: string | undefined): DestinationRule | undefined {
    const key = `${fqdn}|${clientNamespace}|${serviceNamespace ?? ''}`;
    const cached = this.#drCache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    let found: DestinationRule | undefined;
    for (const ns of [clientNamespace, serviceNamespace, this.rootNamespace]) {
      if (ns === undefined) continue;
      let bestSpec = -1;
      for (const dr of this.#drByNs.get(ns) ?? []) {
        if (!visibleTo(dr.exportTo, dr.namespace, clientNamespace)) continue;
        const sp = hostSpecificity(dr.host, fqdn);
        if (sp > bestSpec) {
          bestSpec = sp;
          found = dr;
        }
      }
      if (found) break;
    }
    this.#drCache.set(key, found ?? null);
    return found;
  }
}

export function byAge(a: { created?: number; order: number; namespace: string; name: string }, b: { created?: number; order: number; namespace: string; name: string }): number {
  const ca = a.created ?? Number.MAX_SAFE_INTEGER;
  const cb = b.created ?? Number.MAX_SAFE_INTEGER;
  if (ca !== cb) return ca - cb;
  if (a.created !== undefined) {
    // same timestamp: Istio sorts by name, then namespace
    if (a.name !== b.name) return a.name < b.name ? -1 : 1;
    if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  }
  return a.order - b.order;
}
