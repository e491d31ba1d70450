// Environment -> the ztunnel core's typed config (the only place that reads env). Every problem is collected and
// reported with the variable's name.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { validateConfig, ZtunnelError, type ZtunnelConfig, type ZtunnelConfigInput } from '@amesh/ztunnel';

/** [ENV, default, what] — shown by `ztunnel help`. */
export const SETTINGS: readonly [string, string, string][] = [
  ['NODE_NAME', '', 'the node this ztunnel serves (required)'],
  ['CLUSTER_ID', 'Kubernetes', 'cluster id (also ISTIO_META_CLUSTER_ID)'],
  ['TRUST_DOMAIN', 'cluster.local', 'mesh trust domain'],
  ['NETWORK', '', 'this node\'s network'],
  ['CLUSTER_DOMAIN', 'cluster.local', 'DNS domain of the cluster'],
  ['XDS_ADDRESS', '', 'istiod delta xDS host:port (empty: no control plane)'],
  ['CA_ADDRESS', '$XDS_ADDRESS', 'Istio CA host:port'],
  ['XDS_ROOT_CA', '/var/run/secrets/istio/root-cert.pem', 'PEM file with the roots for istiod TLS (absent file: plaintext xDS)'],
  ['CA_ROOT_CA', '$XDS_ROOT_CA', 'PEM file with the roots for the CA'],
  ['ALT_XDS_HOSTNAME', '', 'TLS name to verify for xDS'],
  ['ALT_CA_HOSTNAME', '', 'TLS name to verify for the CA'],
  ['ISTIO_TOKEN_PATH', '/var/run/secrets/tokens/istio-token', 'bearer token file for xDS and CA (re-read per call)'],
  ['POD_NAME', 'ztunnel-$NODE_NAME', 'this pod (xDS node id)'],
  ['POD_NAMESPACE', 'istio-system', 'this pod\'s namespace'],
  ['INSTANCE_IP', '', 'this pod\'s IP (xDS node id)'],
  ['TRANSPARENT_CAPTURE', 'false', 'set IP_TRANSPARENT on 15001/15006/15008 (TPROXY capture; needs root and the native helper)'],
  ['PACKET_MARK', '', 'SO_MARK for capture listeners'],
  ['CAPTURE_BIND_ADDRESS', '0.0.0.0', 'address of the capture listeners (:: for dual stack)'],
  ['UNSTABLE_ENABLE_SOCKS5', 'true', 'serve SOCKS5 on localhost'],
  ['SOCKS5_WORKLOAD', '', 'namespace/name of the node-local workload SOCKS5 clients act as when their address is not a workload'],
  ['OUTBOUND_PORT', '15001', 'outbound capture port'],
  ['INBOUND_PLAINTEXT_PORT', '15006', 'inbound plaintext capture port'],
  ['HBONE_PORT', '15008', 'HBONE inbound port'],
  ['SOCKS5_PORT', '15080', 'SOCKS5 port'],
  ['STATS_PORT', '15020', 'Prometheus metrics port'],
  ['READINESS_PORT', '15021', 'readiness port'],
  ['ADMIN_PORT', '15000', 'admin port (localhost)'],
  ['CONNECTION_TERMINATION_DEADLINE', '5s', 'drain deadline on SIGTERM (or derived from TERMINATION_GRACE_PERIOD_SECONDS)'],
  ['ZTUNNEL_WORKER_THREADS', '2', 'data-path worker threads: N or N% of the CPUs (upstream default: max(2, 25% of the CPUs)); 1 = single thread; needs the native helper (SO_REUSEPORT), else 1'],
  ['POOL_MAX_STREAMS_PER_CONNECTION', '100', 'streams per pooled HBONE connection before another one is opened'],
  ['HBONE_POOL_SPREAD', '', 'STREAMSxCONNECTIONS, e.g. 16x4: spread tunnels over up to CONNECTIONS pooled connections per destination once each carries STREAMS (default: fill one connection, as upstream)'],
  ['LOG_LEVEL', 'info', 'trace|debug|info|warn|error (RUST_LOG accepted)'],
];

export interface AppConfig {
  core: ZtunnelConfig;
  /** data-path worker threads (ZTUNNEL_WORKER_THREADS) */
  workers: number;
  logLevel: string;
  xdsRootCertPem: string | undefined;
  caRootCertPem: string | undefined;
  xdsServerName: string | undefined;
  caServerName: string | undefined;
  tokenPath: string | undefined;
  podName: string;
  podNamespace: string;
  instanceIp: string | undefined;
  metadata: Record<string, string>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

const FIELD_ENV: Record<string, string> = {
  nodeName: 'NODE_NAME', clusterId: 'CLUSTER_ID', trustDomain: 'TRUST_DOMAIN', network: 'NETWORK', clusterDomain: 'CLUSTER_DOMAIN',
  xdsAddress: 'XDS_ADDRESS', caAddress: 'CA_ADDRESS', captureBindAddress: 'CAPTURE_BIND_ADDRESS', packetMark: 'PACKET_MARK',
  'ports.outbound': 'OUTBOUND_PORT', 'ports.inboundPlaintext': 'INBOUND_PLAINTEXT_PORT', 'ports.hbone': 'HBONE_PORT',
  'ports.socks5': 'SOCKS5_PORT', 'ports.metrics': 'STATS_PORT', 'ports.readiness': 'READINESS_PORT', 'ports.admin': 'ADMIN_PORT',
  drainDeadlineMs: 'CONNECTION_TERMINATION_DEADLINE', socks5Workload: 'SOCKS5_WORKLOAD', poolMaxStreamsPerConnection: 'POOL_MAX_STREAMS_PER_CONNECTION', 'poolSpread.streams': 'HBONE_POOL_SPREAD', 'poolSpread.connections': 'HBONE_POOL_SPREAD',
};

/** "5s", "500ms", "1m" or a bare number of seconds -> ms. */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

/**
 * ZTUNNEL_WORKER_THREADS as upstream reads it (istio/ztunnel src/config.rs): a count or a percentage of the CPUs
 * (rounded up, at least 1); unset = max(2, 25 % of the CPUs). Returns a problem string when malformed.
 */
export function parseWorkerThreads(v: string | undefined, cpus: number): number | string {
  if (v === undefined) return Math.max(2, Math.ceil(cpus * 0.25));
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(v.trim());
  if (pct) {
    const p = Number(pct[1]);
    if (!(p > 0 && p <= 100)) return `ZTUNNEL_WORKER_THREADS: "${v}": percentage must be between 0 and 100`;
    return Math.max(1, Math.ceil((cpus * p) / 100));
  }
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || Number(v) > 64) return `ZTUNNEL_WORKER_THREADS: "${v}" is not a number of threads (1..64) or a percentage`;
  return Number(v);
}

/** Reads and validates the environment. Throws ConfigError listing every problem. */
export function parseConfig(env: Readonly<Record<string, string | undefined>>, cpus: number = availableParallelism()): AppConfig {
  const problems: string[] = [];
  const get = (k: string) => (env[k] === undefined || env[k] === '' ? undefined : env[k]);
  const int = (k: string): number | undefined => {
    const v = get(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) {
      problems.push(`${k}: "${v}" is not a non-negative integer`);
      return undefined;
    }
    return Number(v);
  };
  const bool = (k: string, def: boolean): boolean => {
    const v = get(k);
    if (v === undefined) return def;
    if (!['true', 'false', '1', '0'].includes(v.toLowerCase())) {
      problems.push(`${k}: "${v}" is not true/false`);
      return def;
    }
    return v === 'true' || v === '1';
  };
  const pem = (k: string, path: string | undefined, required: boolean): string | undefined => {
    if (!path) return undefined;
    if (!existsSync(path)) {
      if (required) problems.push(`${k}: file ${path} does not exist`);
      return undefined;
    }
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      problems.push(`${k}: cannot read ${path}: ${(err as Error).message}`);
      return undefined;
    }
  };

  const input: ZtunnelConfigInput = {};
  const str = (k: string, field: 'nodeName' | 'clusterId' | 'trustDomain' | 'network' | 'clusterDomain' | 'xdsAddress' | 'caAddress' | 'captureBindAddress') => {
    const v = get(k);
    if (v !== undefined) input[field] = v;
  };
  str('NODE_NAME', 'nodeName');
  if (get('CLUSTER_ID') === undefined && get('ISTIO_META_CLUSTER_ID')) input.clusterId = get('ISTIO_META_CLUSTER_ID')!;
  str('CLUSTER_ID', 'clusterId');
  str('TRUST_DOMAIN', 'trustDomain');
  str('NETWORK', 'network');
  str('CLUSTER_DOMAIN', 'clusterDomain');
  str('XDS_ADDRESS', 'xdsAddress');
  if (get('CA_ADDRESS') !== undefined) input.caAddress = get('CA_ADDRESS')!;
  else if (get('XDS_ADDRESS') !== undefined) input.caAddress = get('XDS_ADDRESS')!;
  str('CAPTURE_BIND_ADDRESS', 'captureBindAddress');
  input.transparent = bool('TRANSPARENT_CAPTURE', false);
  const mark = int('PACKET_MARK');
  if (mark !== undefined) input.packetMark = mark;
  const ports: NonNullable<ZtunnelConfigInput['ports']> = {};
  for (const [env, key] of [['OUTBOUND_PORT', 'outbound'], ['INBOUND_PLAINTEXT_PORT', 'inboundPlaintext'], ['HBONE_PORT', 'hbone'], ['SOCKS5_PORT', 'socks5'], ['STATS_PORT', 'metrics'], ['READINESS_PORT', 'readiness'], ['ADMIN_PORT', 'admin']] as const) {
    const p = int(env);
    if (p !== undefined) ports[key] = p;
  }
  if (!bool('UNSTABLE_ENABLE_SOCKS5', true)) ports.socks5 = null;
  if (get('SOCKS5_WORKLOAD') !== undefined) input.socks5Workload = get('SOCKS5_WORKLOAD')!;
  const spread = get('HBONE_POOL_SPREAD');
  if (spread !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(spread.trim());
    if (m) input.poolSpread = { streams: Number(m[1]), connections: Number(m[2]) };
    else problems.push(`HBONE_POOL_SPREAD: "${spread}" is not STREAMSxCONNECTIONS (e.g. 16x4)`);
  }
  const maxStreams = int('POOL_MAX_STREAMS_PER_CONNECTION');
  if (maxStreams !== undefined) input.poolMaxStreamsPerConnection = maxStreams;
  const workers = parseWorkerThreads(get('ZTUNNEL_WORKER_THREADS'), cpus);
  if (typeof workers === 'string') problems.push(workers);
  input.ports = ports;
  const deadline = get('CONNECTION_TERMINATION_DEADLINE');
  const grace = get('TERMINATION_GRACE_PERIOD_SECONDS');
  if (deadline !== undefined) {
    const ms = parseDuration(deadline);
    if (ms === undefined) problems.push(`CONNECTION_TERMINATION_DEADLINE: "${deadline}" is not a duration (e.g. 5s)`);
    else input.drainDeadlineMs = ms;
  } else if (grace !== undefined) {
    const g = Number(grace);
    if (!Number.isInteger(g) || g < 0) problems.push(`TERMINATION_GRACE_PERIOD_SECONDS: "${grace}" is not a number of seconds`);
    else input.drainDeadlineMs = Math.max(1, g > 10 ? g - 5 : g - 1) * 1000;
  }
  const logLevel = (get('LOG_LEVEL') ?? get('RUST_LOG') ?? 'info').toLowerCase();
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push(`LOG_LEVEL: "${logLevel}" is not one of trace, debug, info, warn, error`);

  const xdsRootPath = get('XDS_ROOT_CA') ?? '/var/run/secrets/istio/root-cert.pem';
  const xdsRootCertPem = pem('XDS_ROOT_CA', xdsRootPath, get('XDS_ROOT_CA') !== undefined);
  const caRootCertPem = get('CA_ROOT_CA') ? pem('CA_ROOT_CA', get('CA_ROOT_CA'), true) : xdsRootCertPem;
  if (input.caAddress && !caRootCertPem) problems.push(`CA_ROOT_CA: the CA at ${input.caAddress} needs TLS roots (set CA_ROOT_CA or XDS_ROOT_CA to a PEM file)`);
  const tokenPath = get('ISTIO_TOKEN_PATH') ?? '/var/run/secrets/tokens/istio-token';
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('ISTIO_META_') && v !== undefined) metadata[k.slice('ISTIO_META_'.length)] = v;

  let core: ZtunnelConfig | undefined;
  try {
    core = validateConfig(input);
  } catch (err) {
    if (!(err instanceof ZtunnelError)) throw err;
    for (const d of err.details) {
      const field = d.split(':')[0]!;
      problems.push(FIELD_ENV[field] ? `${FIELD_ENV[field]}${d.slice(field.length)}` : d);
    }
  }
  if (problems.length > 0 || !core) throw new ConfigError(problems);
  return {
    core, workers: typeof workers === 'number' ? workers : 1, logLevel, xdsRootCertPem, caRootCertPem,
    xdsServerName: get('ALT_XDS_HOSTNAME'), caServerName: get('ALT_CA_HOSTNAME'),
    tokenPath: existsSync(tokenPath) ? tokenPath : undefined,
    podName: get('POD_NAME') ?? `ztunnel-${core.nodeName}`,
    podNamespace: get('POD_NAMESPACE') ?? 'istio-system',
    instanceIp: get('INSTANCE_IP'),
    metadata,
  };
}
