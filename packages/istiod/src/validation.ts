// Validation of the mesh objects istiod reads, as Istio's webhook would: AuthorizationPolicy through @amesh/rbac,
// the others per their API (the fields amesh uses plus the webhook's structural rules). Every problem carries a
// field path; `errors` reject the object (the last good version keeps serving), `warnings` are advice.
import { parsePolicy, type Policy } from '@amesh/rbac';
import type { KindKey, KubeObject } from '@amesh/kube';

export interface ValidationOutcome {
  errors: string[];
  warnings: string[];
  /** The validated AuthorizationPolicy model (AuthorizationPolicy only). */
  policy?: Policy;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Collector {
  errors: string[] = [];
  warnings: string[] = [];
  err(path: string, what: string): void {
    this.errors.push(`${path}: ${what}`);
  }
  warn(path: string, what: string): void {
    this.warnings.push(`${path}: ${what}`);
  }
  obj(v: unknown, path: string): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) {
      this.err(path, 'must be an object');
      return undefined;
    }
    return v;
  }
  list(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.err(path, 'must be a list');
      return [];
    }
    return v;
  }
  str(v: unknown, path: string, required = false): string | undefined {
    if (v === undefined || v === null) {
      if (required) this.err(path, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.err(path, 'must be a string');
      return undefined;
    }
    if (required && v === '') this.err(path, 'must not be empty');
    return v;
  }
  port(v: unknown, path: string, required = false): number | undefined {
    if (v === undefined || v === null) {
      if (required) this.err(path, 'is required');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
      this.err(path, `port ${JSON.stringify(v)} must be an integer in 1..65535`);
      return undefined;
    }
    return v;
  }
  labels(v: unknown, path: string): void {
    const o = this.obj(v, path);
    if (!o) return;
    for (const [k, val] of Object.entries(o)) {
      if (k === '') this.err(path, 'empty label key');
      if (k.includes('*')) this.err(`${path}.${k}`, 'wildcard is not supported in selector');
      if (typeof val !== 'string') this.err(`${path}.${k}`, 'label value must be a string');
    }
  }
  selector(spec: Obj, path: string): void {
    const sel = this.obj(spec.selector, `${path}.selector`);
    if (sel) this.labels(sel.matchLabels, `${path}.selector.matchLabels`);
  }
  done(): ValidationOutcome {
    return { errors: this.errors, warnings: this.warnings };
  }
}

const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'];

function validatePeerAuthentication(obj: KubeObject, rootNamespace: string): ValidationOutcome {
  const c = new Collector();
  const spec = c.obj(obj.spec, 'spec') ?? {};
  c.selector(spec, 'spec');
  const sel = isObj(spec.selector) ? spec.selector : undefined;
  const hasSelector = sel !== undefined && isObj(sel.matchLabels) && Object.keys(sel.matchLabels).length > 0;
  const mtls = c.obj(spec.mtls, 'spec.mtls');
  if (mtls) {
    const mode = c.str(mtls.mode, 'spec.mtls.mode');
    if (mode !== undefined && !MTLS_MODES.includes(mode)) c.err('spec.mtls.mode', `unknown mode "${mode}": want one of ${MTLS_MODES.join(', ')}`);
  }
  const pl = c.obj(spec.portLevelMtls, 'spec.portLevelMtls');
  if (pl) {
    if (!hasSelector) c.err('spec.portLevelMtls', 'port level mTLS settings require a workload selector');
    for (const [port, v] of Object.entries(pl)) {
      const n = Number(port);
      if (!Number.isInteger(n) || n < 1 || n > 65535) c.err(`spec.portLevelMtls.${port}`, 'port must be an integer in 1..65535');
      const m = c.obj(v, `spec.portLevelMtls.${port}`);
      const mode = m ? c.str(m.mode, `spec.portLevelMtls.${port}.mode`) : undefined;
      if (mode !== undefined && !MTLS_MODES.includes(mode)) c.err(`spec.portLevelMtls.${port}.mode`, `unknown mode "${mode}"`);
    }
  }
  if (hasSelector && obj.metadata.namespace === rootNamespace) c.warn('spec.selector', 'a workload selector in the root namespace applies to matching workloads of every namespace');
  return c.done();
}

function validateHosts(c: Collector, hosts: unknown, path: string, required: boolean): void {
  const list = c.list(hosts, path);
  if (required && list.length === 0) c.err(path, 'at least one host is required');
  list.forEach((h, i) => {
    const s = c.str(h, `${path}[${i}]`, true);
    if (s !== undefined && s !== '*' && !/^(\*\.)?[a-zA-Z0-9*]([-a-zA-Z0-9.*]*[a-zA-Z0-9])?$/.test(s) && !/^[0-9a-fA-F:.]+(\/\d+)?$/.test(s)) {
      c.err(`${path}[${i}]`, `"${s}" is not a valid host`);
    }
  });
}

function validateDestination(c: Collector, d: unknown, path: string): void {
  const dest = c.obj(d, path);
  if (!dest) {
    c.err(path, 'is required');
    return;
  }
  c.str(dest.host, `${path}.host`, true);
  c.str(dest.subset, `${path}.subset`);
  const port = c.obj(dest.port, `${path}.port`);
  if (port) c.port(port.number, `${path}.port.number`);
}

function validateVirtualService(obj: KubeObject): ValidationOutcome {
  const c = new Collector();
  const spec = c.obj(obj.spec, 'spec') ?? {};
  validateHosts(c, spec.hosts, 'spec.hosts', true);
  const gateways = c.list(spec.gateways, 'spec.gateways');
  gateways.forEach((g, i) => c.str(g, `spec.gateways[${i}]`, true));
  const http = c.list(spec.http, 'spec.http');
  const tcp = c.list(spec.tcp, 'spec.tcp');
  const tls = c.list(spec.tls, 'spec.tls');
  if (http.length + tcp.length + tls.length === 0 && spec.delegate === undefined) c.err('spec', 'http, tcp or tls must be provided in a virtual service');
  http.forEach((r, i) => {
    const p = `spec.http[${i}]`;
    const route = c.obj(r, p);
    if (!route) return;
    const actions = ['route', 'redirect', 'directResponse', 'delegate'].filter((k) => route[k] !== undefined && route[k] !== null);
    if (actions.length === 0) c.err(p, 'one of route, redirect, directResponse or delegate is required');
    if (route.route !== undefined && (route.redirect !== undefined || route.directResponse !== undefined)) c.err(p, 'route cannot be combined with redirect or directResponse');
    const dests = c.list(route.route, `${p}.route`);
    let total = 0;
    dests.forEach((d, j) => {
      const rd = c.obj(d, `${p}.route[${j}]`);
      if (!rd) return;
      validateDestination(c, rd.destination, `${p}.route[${j}].destination`);
      if (rd.weight !== undefined) {
        if (typeof rd.weight !== 'number' || !Number.isInteger(rd.weight) || rd.weight < 0) c.err(`${p}.route[${j}].weight`, 'weight must be a non-negative integer');
        else total += rd.weight;
      }
    });
    if (dests.length > 1 && dests.every((d) => isObj(d) && typeof d.weight === 'number') && total === 0) c.err(`${p}.route`, 'total destination weight must be greater than 0');
    const matches = c.list(route.match, `${p}.match`);
    matches.forEach((m, j) => c.obj(m, `${p}.match[${j}]`));
    if (route.timeout !== undefined && (typeof route.timeout !== 'string' || !/^\d+(\.\d+)?(ms|s|m|h)$/.test(route.timeout))) c.err(`${p}.timeout`, `invalid duration ${JSON.stringify(route.timeout)}`);
  });
  for (const [name, list] of [['tcp', tcp], ['tls', tls]] as const) {
    list.forEach((r, i) => {
      const route = c.obj(r, `spec.${name}[${i}]`);
      if (!route) return;
      const dests = c.list(route.route, `spec.${name}[${i}].route`);
      if (dests.length === 0) c.err(`spec.${name}[${i}].route`, 'at least one route is required');
      dests.forEach((d, j) => validateDestination(c, isObj(d) ? d.destination : undefined, `spec.${name}[${i}].route[${j}].destination`));
      if (name === 'tls') {
        const m = c.list(route.match, `spec.tls[${i}].match`);
        if (m.length === 0) c.err(`spec.tls[${i}].match`, 'TLS route must have at least one match condition');
      }
    });
  }
  return c.done();
}

function validateDestinationRule(obj: KubeObject): ValidationOutcome {
  const c = new Collector();
  const spec = c.obj(obj.spec, 'spec') ?? {};
  c.str(spec.host, 'spec.host', true);
  const seen = new Set<string>();
  c.list(spec.subsets, 'spec.subsets').forEach((s, i) => {
    const sub = c.obj(s, `spec.subsets[${i}]`);
    if (!sub) return;
    const name = c.str(sub.name, `spec.subsets[${i}].name`, true);
    if (name !== undefined) {
      if (seen.has(name)) c.err(`spec.subsets[${i}].name`, `duplicate subset name "${name}"`);
      seen.add(name);
    }
    c.labels(sub.labels, `spec.subsets[${i}].labels`);
  });
  const tp = c.obj(spec.trafficPolicy, 'spec.trafficPolicy');
  const lb = tp ? c.obj(tp.loadBalancer, 'spec.trafficPolicy.loadBalancer') : undefined;
  if (lb && lb.simple !== undefined && !['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'].includes(String(lb.simple))) {
    c.err('spec.trafficPolicy.loadBalancer.simple', `unknown load balancer "${String(lb.simple)}"`);
  }
  return c.done();
}

function validateServiceEntry(obj: KubeObject): ValidationOutcome {
  const c = new Collector();
  const spec = c.obj(obj.spec, 'spec') ?? {};
  validateHosts(c, spec.hosts, 'spec.hosts', true);
  const ports = c.list(spec.ports, 'spec.ports');
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const port = c.obj(p, `spec.ports[${i}]`);
    if (!port) return;
    c.port(port.number, `spec.ports[${i}].number`, true);
    const name = c.str(port.name, `spec.ports[${i}].name`, true);
    if (name) {
      if (names.has(name)) c.err(`spec.ports[${i}].name`, `duplicate port name "${name}"`);
      names.add(name);
    }
    if (port.targetPort !== undefined) c.port(port.targetPort, `spec.ports[${i}].targetPort`);
  });
  const resolution = spec.resolution;
  if (resolution !== undefined && !['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'].includes(String(resolution))) c.err('spec.resolution', `unknown resolution "${String(resolution)}"`);
  const location = spec.location;
  if (location !== undefined && !['MESH_EXTERNAL', 'MESH_INTERNAL'].includes(String(location))) c.err('spec.location', `unknown location "${String(location)}"`);
  const eps = c.list(spec.endpoints, 'spec.endpoints');
  if (resolution === 'STATIC' && eps.length === 0 && spec.workloadSelector === undefined) c.err('spec.endpoints', 'STATIC resolution requires endpoints or a workloadSelector');
  eps.forEach((e, i) => {
    const ep = c.obj(e, `spec.endpoints[${i}]`);
    if (ep) c.str(ep.address, `spec.endpoints[${i}].address`);
  });
  return c.done();
}

const LEGACY_WAYPOINT_CLASS = 'istio-mesh';

function validateGateway(obj: KubeObject): ValidationOutcome {
  const c = new Collector();
  const spec = c.obj(obj.spec, 'spec') ?? {};
  const cls = c.str(spec.gatewayClassName, 'spec.gatewayClassName', true);
  const listeners = c.list(spec.listeners, 'spec.listeners');
  if (listeners.length === 0 && cls !== LEGACY_WAYPOINT_CLASS && cls !== 'istio-waypoint') c.err('spec.listeners', 'at least one listener is required');
  const names = new Set<string>();
  listeners.forEach((l, i) => {
    const li = c.obj(l, `spec.listeners[${i}]`);
    if (!li) return;
    const name = c.str(li.name, `spec.listeners[${i}].name`, true);
    if (name) {
      if (names.has(name)) c.err(`spec.listeners[${i}].name`, `duplicate listener name "${name}"`);
      names.add(name);
    }
    c.port(li.port, `spec.listeners[${i}].port`, true);
    c.str(li.protocol, `spec.listeners[${i}].protocol`, true);
  });
  const md = obj.metadata;
  if (cls === LEGACY_WAYPOINT_CLASS) c.warn('spec.gatewayClassName', '"istio-mesh" is the deprecated 2022 waypoint class; use "istio-waypoint" and istio.io/use-waypoint labels');
  if (md.annotations?.['istio.io/service-account'] !== undefined) c.warn('metadata.annotations["istio.io/service-account"]', 'deprecated: scope waypoints with istio.io/use-waypoint labels instead');
  if (md.annotations?.['istio.io/for-service-account'] !== undefined) c.warn('metadata.annotations["istio.io/for-service-account"]', 'deprecated (removed upstream in 2024): scope waypoints with istio.io/use-waypoint labels instead');
  const wf = md.labels?.['istio.io/waypoint-for'];
  if (wf !== undefined && !['service', 'workload', 'all', 'none'].includes(wf)) c.err('metadata.labels["istio.io/waypoint-for"]', `unknown value "${wf}": want service, workload, all or none`);
  return c.done();
}

function validateHTTPRoute(obj: KubeObject): ValidationOutcome {
  const c = new Collector();
  const spec = c.obj(obj.spec, 'spec') ?? {};
  c.list(spec.parentRefs, 'spec.parentRefs').forEach((p, i) => {
    const pr = c.obj(p, `spec.parentRefs[${i}]`);
    if (pr) c.str(pr.name, `spec.parentRefs[${i}].name`, true);
  });
  c.list(spec.hostnames, 'spec.hostnames').forEach((h, i) => c.str(h, `spec.hostnames[${i}]`, true));
  c.list(spec.rules, 'spec.rules').forEach((r, i) => {
    const rule = c.obj(r, `spec.rules[${i}]`);
    if (!rule) return;
    c.list(rule.backendRefs, `spec.rules[${i}].backendRefs`).forEach((b, j) => {
      const br = c.obj(b, `spec.rules[${i}].backendRefs[${j}]`);
      if (!br) return;
      c.str(br.name, `spec.rules[${i}].backendRefs[${j}].name`, true);
      if (br.port !== undefined) c.port(br.port, `spec.rules[${i}].backendRefs[${j}].port`);
      if (br.weight !== undefined && (typeof br.weight !== 'number' || br.weight < 0)) c.err(`spec.rules[${i}].backendRefs[${j}].weight`, 'weight must be a non-negative integer');
    });
  });
  return c.done();
}

function validateIstioGateway(obj: KubeObject): ValidationOutcome {
  const c = new Collector();
  const spec = c.obj(obj.spec, 'spec') ?? {};
  const servers = c.list(spec.servers, 'spec.servers');
  if (servers.length === 0) c.err('spec.servers', 'at least one server is required');
  servers.forEach((s, i) => {
    const srv = c.obj(s, `spec.servers[${i}]`);
    if (!srv) return;
    const port = c.obj(srv.port, `spec.servers[${i}].port`);
    if (!port) c.err(`spec.servers[${i}].port`, 'is required');
    else {
      c.port(port.number, `spec.servers[${i}].port.number`, true);
      c.str(port.protocol, `spec.servers[${i}].port.protocol`, true);
    }
    validateHosts(c, srv.hosts, `spec.servers[${i}].hosts`, true);
    const tls = c.obj(srv.tls, `spec.servers[${i}].tls`);
    if (tls && tls.mode !== undefined && !['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'].includes(String(tls.mode))) {
      c.err(`spec.servers[${i}].tls.mode`, `unknown TLS mode "${String(tls.mode)}"`);
    }
  });
  c.labels(spec.selector, 'spec.selector');
  return c.done();
}

/** The kinds istiod validates (mesh configuration); core kinds are taken as the API server stores them. */
export const VALIDATED_KINDS: readonly KindKey[] = ['AuthorizationPolicy', 'PeerAuthentication', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Gateway', 'HTTPRoute', 'IstioGateway'];

/** Validates one mesh object. Core kinds always pass. */
export function validateObject(kind: KindKey, obj: KubeObject, options: { rootNamespace?: string } = {}): ValidationOutcome {
  const root = options.rootNamespace ?? 'istio-system';
  switch (kind) {
    case 'AuthorizationPolicy': {
      const r = parsePolicy(obj, { rootNamespace: root });
      const out: ValidationOutcome = { errors: [...r.errors], warnings: [...r.warnings] };
      if (r.policy) out.policy = r.policy;
      return out;
    }
    case 'PeerAuthentication':
      return validatePeerAuthentication(obj, root);
    case 'VirtualService':
      return validateVirtualService(obj);
    case 'DestinationRule':
      return validateDestinationRule(obj);
    case 'ServiceEntry':
      return validateServiceEntry(obj);
    case 'Gateway':
      return validateGateway(obj);
    case 'HTTPRoute':
      return validateHTTPRoute(obj);
    case 'IstioGateway':
      return validateIstioGateway(obj);
    default:
      return { errors: [], warnings: [] };
  }
}
