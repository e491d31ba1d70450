// The typed configuration of the ztunnel core and its validation. Environment reading lives in apps/ztunnel; this
// module only checks a plain object: every problem is collected with its field path, then one ZT_ERR_CONFIG is thrown.
import { isIP } from 'node:net';
import { trustDomainProblems } from '@amesh/spiffe';
import { ZtunnelError, ZtunnelErrorCode } from './errors.js';

/** Listener ports; `null` disables a listener, 0 binds an ephemeral port (tests). */
export interface ZtunnelPorts {
  /** outbound capture (TPROXY), default 15001 */
  outbound: number | null;
  /** inbound plaintext capture (TPROXY), default 15006 */
  inboundPlaintext: number | null;
  /** HBONE inbound (mTLS HTTP/2 CONNECT), default 15008 */
  hbone: number | null;
  /** SOCKS5 outbound on localhost, default 15080 */
  socks5: number | null;
  /** Prometheus metrics, default 15020 */
  metrics: number | null;
  /** readiness `/healthz/ready`, default 15021 */
  readiness: number | null;
  /** admin on localhost, default 15000 */
  admin: number | null;
}

/** The validated configuration {@link validateConfig} returns. */
export interface ZtunnelConfig {
  /** This node's name; workloads with `node === nodeName` are node-local. */
  nodeName: string;
  clusterId: string;
  trustDomain: string;
  /** This ztunnel's network ('' = the default network). */
  network: string;
  clusterDomain: string;
  /** `host:port` of istiod's xDS (delta ADS) endpoint; undefined when state is injected (tests, local files). */
  xdsAddress: string | undefined;
  /** `host:port` of the Istio CA; undefined when identities are injected. */
  caAddress: string | undefined;
  ports: ZtunnelPorts;
  /** Address the capture listeners bind (default `0.0.0.0`; use `::` for dual stack). */
  captureBindAddress: string;
  /** Address SOCKS5 and admin bind (default `127.0.0.1`). */
  localhostBindAddress: string;
  /** Address metrics and readiness bind (default `0.0.0.0`). */
  statsBindAddress: string;
  /** Set IP_TRANSPARENT on the capture listeners (needs the native helper and CAP_NET_ADMIN). Default false. */
  transparent: boolean;
  /** SO_MARK for the capture listeners (optional). */
  packetMark: number | undefined;
  /** Connect timeout for every upstream connection (ms), default 10 000. */
  connectTimeoutMs: number;
  /** How long SIGTERM drain waits for open connections before closing them (ms), default 5 000. */
  drainDeadlineMs: number;
  /** Idle HBONE pooled connections are released after this long (ms), default 300 000. */
  poolIdleTimeoutMs: number;
  /** Streams per pooled HBONE connection before another connection is opened (upstream POOL_MAX_STREAMS_PER_CONNECTION), default 100. */
  poolMaxStreamsPerConnection: number;
  /**
   * Spread tunnels over several pooled HBONE connections per (source identity, destination): a new tunnel goes to
   * the least-loaded connection, and when each carries `streams` open streams another is dialled, up to
   * `connections` (`@amesh/hbone` pool `spread`). Undefined (default) = upstream's fill-one-connection behaviour.
   */
  poolSpread: { streams: number; connections: number } | undefined;
  /**
   * `namespace/name` of the node-local workload that SOCKS5 clients act as when their source IP is not a workload
   * (upstream's dedicated-mode PROXY_WORKLOAD_INFO); undefined = such clients are refused.
   */
  socks5Workload: string | undefined;
}

/** What callers pass: everything but `nodeName` has a default. */
export type ZtunnelConfigInput = Partial<Omit<ZtunnelConfig, 'ports'>> & { nodeName?: string; ports?: Partial<ZtunnelPorts> };

export const DEFAULT_PORTS: ZtunnelPorts = {
  outbound: 15001,
  inboundPlaintext: 15006,
  hbone: 15008,
  socks5: 15080,
  metrics: 15020,
  readiness: 15021,
  admin: 15000,
};

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function hostPortProblems(value: string, field: string): string[] {
  const v = value.replace(/^https?:\/\//, '').replace(/\/$/, '');
  const m = /^(\[[^\]]+\]|[^:\s/]+):(\d{1,5})$/.exec(v);
  if (!m) return [`${field}: "${value}" is not host:port (for example istiod.istio-system.svc:15012)`];
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return [`${field}: port ${port} is out of range 1..65535`];
  return [];
}

/** Validates and fills defaults; throws ZT_ERR_CONFIG listing every problem in `details`. */
export function validateConfig(input: ZtunnelConfigInput): ZtunnelConfig {
  const problems: string[] = [];
  const str = (field: keyof ZtunnelConfigInput, def: string | undefined): string | undefined => {
    const v = input[field];
    if (v === undefined) return def;
    if (typeof v !== 'string') {
      problems.push(`${field}: must be a string`);
      return def;
    }
    return v;
  };
  const int = (field: string, v: unknown, def: number, min: number, max: number): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(`${field}: ${JSON.stringify(v)} must be an integer in ${min}..${max}`);
      return def;
    }
    return v;
  };

  const nodeName = str('nodeName', undefined);
  if (!nodeName) problems.push('nodeName: required (the Kubernetes node this ztunnel serves)');
  else if (!NAME_RE.test(nodeName)) problems.push(`nodeName: "${nodeName}" is not a valid node name`);
  const clusterId = str('clusterId', 'Kubernetes')!;
  if (!clusterId) problems.push('clusterId: must not be empty');
  const trustDomain = str('trustDomain', 'cluster.local')!;
  problems.push(...trustDomainProblems(trustDomain, 'trustDomain'));
  const network = str('network', '')!;
  const clusterDomain = str('clusterDomain', 'cluster.local')!;
  if (!NAME_RE.test(clusterDomain)) problems.push(`clusterDomain: "${clusterDomain}" is not a DNS domain`);
  const xdsAddress = str('xdsAddress', undefined);
  if (xdsAddress) problems.push(...hostPortProblems(xdsAddress, 'xdsAddress'));
  const caAddress = str('caAddress', undefined);
  if (caAddress) problems.push(...hostPortProblems(caAddress, 'caAddress'));

  const ports = { ...DEFAULT_PORTS };
  const inPorts = input.ports ?? {};
  for (const key of Object.keys(inPorts) as (keyof ZtunnelPorts)[]) {
    if (!(key in DEFAULT_PORTS)) {
      problems.push(`ports.${key}: unknown listener (one of ${Object.keys(DEFAULT_PORTS).join(', ')})`);
      continue;
    }
    const v = inPorts[key];
    if (v === null) ports[key] = null;
    else ports[key] = int(`ports.${key}`, v, DEFAULT_PORTS[key]!, 0, 65535);
  }
  const used = new Map<number, string>();
  for (const [k, v] of Object.entries(ports)) {
    if (v === null || v === 0) continue;
    const other = used.get(v);
    if (other) problems.push(`ports.${k}: ${v} is also used by ports.${other}`);
    used.set(v, k);
  }
  if (Object.values(ports).every((p) => p === null)) problems.push('ports: every listener is disabled');

  const addr = (field: 'captureBindAddress' | 'localhostBindAddress' | 'statsBindAddress', def: string) => {
    const v = str(field, def)!;
    if (!isIP(v)) problems.push(`${field}: "${v}" is not an IP address`);
    return v;
  };
  const captureBindAddress = addr('captureBindAddress', '0.0.0.0');
  const localhostBindAddress = addr('localhostBindAddress', '127.0.0.1');
  const statsBindAddress = addr('statsBindAddress', '0.0.0.0');
  let transparent = false;
  if (input.transparent !== undefined) {
    if (typeof input.transparent !== 'boolean') problems.push('transparent: must be a boolean');
    else transparent = input.transparent;
  }
  const packetMark = input.packetMark === undefined ? undefined : int('packetMark', input.packetMark, 0, 1, 0xffffffff);
  const connectTimeoutMs = int('connectTimeoutMs', input.connectTimeoutMs, 10_000, 1, 600_000);
  const drainDeadlineMs = int('drainDeadlineMs', input.drainDeadlineMs, 5_000, 0, 3_600_000);
  const poolIdleTimeoutMs = int('poolIdleTimeoutMs', input.poolIdleTimeoutMs, 300_000, 1, 86_400_000);
  const poolMaxStreamsPerConnection = int('poolMaxStreamsPerConnection', input.poolMaxStreamsPerConnection, 100, 1, 10_000);
  let poolSpread: { streams: number; connections: number } | undefined;
  if (input.poolSpread !== undefined) {
    const sp = input.poolSpread as { streams?: unknown; connections?: unknown } | null;
    if (typeof sp !== 'object' || sp === null) problems.push('poolSpread: must be {streams, connections}');
    else {
      const streams = int('poolSpread.streams', sp.streams, 1, 1, 10_000);
      const connections = int('poolSpread.connections', sp.connections, 1, 1, 1_000);
      poolSpread = { streams, connections };
    }
  }
  const socks5Workload = str('socks5Workload', undefined);
  if (socks5Workload !== undefined && !/^[a-z0-9][-a-z0-9]*\/[a-z0-9][-a-z0-9.]*$/.test(socks5Workload)) {
    problems.push(`socks5Workload: "${socks5Workload}" is not namespace/name`);
  }

  const known = new Set([
    'nodeName', 'clusterId', 'trustDomain', 'network', 'clusterDomain', 'xdsAddress', 'caAddress', 'ports',
    'captureBindAddress', 'localhostBindAddress', 'statsBindAddress', 'transparent', 'packetMark', 'connectTimeoutMs',
    'drainDeadlineMs', 'poolIdleTimeoutMs', 'poolMaxStreamsPerConnection', 'poolSpread', 'socks5Workload',
  ]);
  for (const k of Object.keys(input)) if (!known.has(k)) problems.push(`${k}: unknown option`);

  if (problems.length > 0) {
    throw new ZtunnelError(ZtunnelErrorCode.CONFIG, `invalid ztunnel configuration: ${problems.join('; ')}`, { details: problems });
  }
  return {
    nodeName: nodeName!, clusterId, trustDomain, network, clusterDomain, xdsAddress, caAddress, ports,
    captureBindAddress, localhostBindAddress, statsBindAddress, transparent, packetMark, connectTimeoutMs,
    drainDeadlineMs, poolIdleTimeoutMs, poolMaxStreamsPerConnection, poolSpread, socks5Workload,
  };
}
