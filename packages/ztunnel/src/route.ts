// Outbound destination selection (ztunnel's `build_request`): given the source workload and the original
// destination, decide where the bytes go. Pure: reads ProxyState, takes an injectable random source.
import { isIPv6 } from 'node:net';
import type { GatewayAddress, Service, Workload } from '@amesh/xds';
import { ZtunnelError, ZtunnelErrorCode } from './errors.js';
import { canonicalIp, serviceKey, workloadIdentity, type ProxyState } from './state.js';

export const HBONE_PORT = 15008;

/** `ip:port`, IPv6 in brackets (Rust SocketAddr form, used for authorities and log fields). */
export function hostPort(ip: string, port: number): string {
  return isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Where an outbound connection goes. */
export type Route =
  /** Unknown destination: plain TCP to the original destination. */
  | { kind: 'passthrough'; ip: string; port: number }
  /** A known workload that does not speak HBONE (tunnel NONE): plain TCP to it. */
  | { kind: 'tcp'; ip: string; port: number; workload: Workload; service: Service | undefined }
  /** HBONE: TCP+mTLS to `ip:port` (15008), CONNECT `authority`, expecting one of `identities`. */
  | {
      kind: 'hbone';
      ip: string;
      port: number;
      authority: string;
      identities: string[];
      /** The next hop: the destination workload, or the waypoint workload. */
      workload: Workload;
      /** The Service the client addressed (VIP), if any. */
      service: Service | undefined;
      /** Set when the next hop is a waypoint. */
      waypoint: boolean;
      /** The final destination IP:port after port translation (the authority when direct). */
      target: { ip: string; port: number };
    };

export interface RouteOptions {
  network: string;
  /** [0,1) source for weighted choice (tests inject a fixed one). */
  random?: () => number;
}

function healthyEndpoints(state: ProxyState, s: Service, network: string): Workload[] {
  const allowAll = s.loadBalancing?.healthPolicy === 'ALLOW_ALL';
  return state
    .endpointsOf(s)
    .filter((w) => (allowAll || w.status === 'HEALTHY') && w.addresses.length > 0 && (w.network === network || !w.networkGateway));
}

/** Weighted random choice by `capacity` (default 1); workloads with capacity 0 are never chosen. */
export function chooseWeighted(ws: readonly Workload[], random: () => number = Math.random): Workload | undefined {
  const weight = (w: Workload) => (w.capacity === undefined ? 1 : w.capacity);
  const total = ws.reduce((n, w) => n + weight(w), 0);
  if (total <= 0) return undefined;
  let r = random() * total;
  for (const w of ws) {
    r -= weight(w);
    if (r < 0 && weight(w) > 0) return w;
  }
  return ws.filter((w) => weight(w) > 0).at(-1);
}

/** Picks a workload IP, preferring the family of the original destination. */
function pickIp(w: Workload, like: string): string {
  const v6 = isIPv6(like);
  return w.addresses.find((a) => isIPv6(a) === v6) ?? w.addresses[0]!;
}

/** Service port -> target port for this endpoint (Service.ports, then the endpoint's own PortList). */
export function targetPort(s: Service, w: Workload, servicePort: number): number {
  const p = s.ports.find((x) => x.servicePort === servicePort);
  if (p && p.targetPort) return p.targetPort;
  const own = w.services[serviceKey(s)]?.ports.find((x) => x.servicePort === servicePort);
  if (own && own.targetPort) return own.targetPort;
  return servicePort;
}

function isHbone(w: Workload): boolean {
  return w.tunnelProtocol === 'HBONE' || w.nativeTunnel;
}

/** The waypoint workload to use for a GatewayAddress, or undefined when none is available. */
function resolveWaypoint(
  state: ProxyState,
  g: GatewayAddress,
  opts: RouteOptions,
): { workload: Workload; ip: string; port: number; identities: string[] } | undefined {
  const { service, workloads } = state.gatewayWorkloads(g, opts.network);
  const healthy = workloads.filter((w) => w.status === 'HEALTHY' && w.addresses.length > 0);
  const w = chooseWeighted(healthy, opts.random);
  if (!w) return undefined;
  const ids = new Set([workloadIdentity(w), ...(service?.subjectAltNames ?? [])]);
  return { workload: w, ip: w.addresses[0]!, port: g.hboneMtlsPort || HBONE_PORT, identities: [...ids] };
}

function isWaypointFor(source: Workload, state: ProxyState, g: GatewayAddress, network: string): boolean {
  return state.gatewayWorkloads(g, network).workloads.some((w) => w.uid === source.uid);
}

/**
 * Resolves the original destination `dstIp:dstPort` for traffic from `source`.
 * Throws ZT_ERR_NO_HEALTHY_UPSTREAM when a Service (or its waypoint) has no usable endpoint.
 */
export function resolveOutbound(state: ProxyState, source: Workload, dstIp: string, dstPort: number, opts: RouteOptions): Route {
  const ip = canonicalIp(dstIp);
  const service = state.serviceByVip(opts.network, ip);
  if (service) {
    // Service with a waypoint: HBONE to the waypoint, authority = VIP:servicePort (untranslated).
    const wp = service.weightedWaypoints.length > 0 ? pickWeightedWaypoint(service, opts.random) : service.waypoint;
    if (wp && !isWaypointFor(source, state, wp, opts.network)) {
      const hop = resolveWaypoint(state, wp, opts);
      if (!hop) {
        throw new ZtunnelError(ZtunnelErrorCode.NO_HEALTHY_UPSTREAM, `waypoint of service ${service.hostname} has no healthy endpoint`);
      }
      return {
        kind: 'hbone', ip: hop.ip, port: hop.port, authority: hostPort(ip, dstPort), identities: hop.identities,
        workload: hop.workload, service, waypoint: true, target: { ip, port: dstPort },
      };
    }
    const ep = chooseWeighted(healthyEndpoints(state, service, opts.network), opts.random);
    if (!ep) {
      if (service.loadBalancing?.mode === 'PASSTHROUGH') return { kind: 'passthrough', ip, port: dstPort };
      throw new ZtunnelError(
        ZtunnelErrorCode.NO_HEALTHY_UPSTREAM,
        `service ${service.hostname} (${hostPort(ip, dstPort)}) has no healthy endpoint`,
      );
    }
    const epIp = pickIp(ep, ip);
    const port = targetPort(service, ep, dstPort);
    if (!isHbone(ep)) return { kind: 'tcp', ip: epIp, port, workload: ep, service };
    const ids = new Set([workloadIdentity(ep), ...service.subjectAltNames]);
    return {
      kind: 'hbone', ip: epIp, port: HBONE_PORT, authority: hostPort(epIp, port), identities: [...ids], workload: ep,
      service, waypoint: false, target: { ip: epIp, port },
    };
  }
  const w = state.workloadByIp(opts.network, ip);
  if (!w) return { kind: 'passthrough', ip, port: dstPort };
  if (w.waypoint && w.uid !== source.uid && !isWaypointFor(source, state, w.waypoint, opts.network)) {
    const hop = resolveWaypoint(state, w.waypoint, opts);
    if (!hop) throw new ZtunnelError(ZtunnelErrorCode.NO_HEALTHY_UPSTREAM, `waypoint of workload ${w.name} has no healthy endpoint`);
    return {
      kind: 'hbone', ip: hop.ip, port: hop.port, authority: hostPort(ip, dstPort), identities: hop.identities,
      workload: hop.workload, service: undefined, waypoint: true, target: { ip, port: dstPort },
    };
  }
  if (!isHbone(w)) return { kind: 'tcp', ip, port: dstPort, workload: w, service: undefined };
  return {
    kind: 'hbone', ip, port: HBONE_PORT, authority: hostPort(ip, dstPort), identities: [workloadIdentity(w)], workload: w,
    service: undefined, waypoint: false, target: { ip, port: dstPort },
  };
}

function pickWeightedWaypoint(s: Service, random: () => number = Math.random): GatewayAddress | undefined {
  const list = s.weightedWaypoints.filter((w) => w.destination && w.weight > 0);
  const total = list.reduce((n, w) => n + w.weight, 0);
  if (total <= 0) return s.waypoint;
  let r = random() * total;
  for (const w of list) {
    r -= w.weight;
    if (r < 0) return w.destination;
  }
  return list.at(-1)!.destination;
}
