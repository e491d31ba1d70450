// istiod's configuration: environment variables, overridden by --flags, validated once with every problem listed.

export interface AppConfig {
  /** Directory mode: the state directory of YAML/JSON objects. Unset: the Kubernetes API. */
  configDir: string | undefined;
  kubeconfig: string | undefined;
  inCluster: boolean;
  host: string;
  xdsPort: number;
  secureXdsPort: number;
  debugPort: number;
  trustDomain: string;
  clusterId: string;
  domainSuffix: string;
  rootNamespace: string;
  network: string;
  /** Plug-in CA directory (ca-cert.pem, ca-key.pem, root-cert.pem[, cert-chain.pem]); created with a new root when empty. */
  caDir: string | undefined;
  /** JSON file `{ "<token>": { "identity": "ns/sa", "node": "n1" } }` of static CA tokens (the lab). */
  caTokensFile: string | undefined;
  /** CA signing worker threads (0 = sign on the main thread). */
  caSigningWorkers: number;
  trustedNodeAccounts: string[];
  /** Write the mesh root certificate here (what ztunnels use to verify 15012). */
  rootCertOut: string | undefined;
  statusDir: string | undefined;
  debounceMs: number;
  enableDryRun: boolean;
  autoAllowWaypoints: boolean;
  /** Extra IP SANs of the 15012 serving certificate (127.0.0.1 is always included). */
  servingIps: string[];
  /** Kubernetes mode: the image of rendered waypoint Deployments ("" = do not deploy waypoints). */
  waypointImage: string;
  logLevel: string;
  logFormat: 'json' | 'plain';
}

/** env name, flag name, default, description: the single table the README documents. */
export const SETTINGS = [
  ['CONFIG_DIR', '--config-dir', '', 'directory mode: read objects from this state directory (the lab / embedded) instead of the API server'],
  ['KUBECONFIG', '--kubeconfig', '', 'API mode: kubeconfig file (default: in-cluster when KUBERNETES_SERVICE_HOST is set, else the default search)'],
  ['HOST', '--host', '0.0.0.0', 'bind address of every listener'],
  ['XDS_PORT', '--xds-port', '15010', 'delta ADS, plaintext'],
  ['SECURE_XDS_PORT', '--secure-xds-port', '15012', 'delta ADS and the CA, TLS'],
  ['DEBUG_PORT', '--debug-port', '15014', 'debug/admin HTTP (/ready, /metrics, /debug/*)'],
  ['TRUST_DOMAIN', '--trust-domain', 'cluster.local', 'mesh trust domain'],
  ['CLUSTER_ID', '--cluster-id', 'Kubernetes', 'cluster id (workload uids `<cluster>//Pod/<ns>/<name>`)'],
  ['DOMAIN_SUFFIX', '--domain-suffix', 'cluster.local', 'service DNS suffix'],
  ['POD_NAMESPACE', '--root-namespace', 'istio-system', 'mesh root namespace (global policies, mesh-wide PeerAuthentication)'],
  ['NETWORK', '--network', '', 'network name sent on workloads and services'],
  ['CA_DIR', '--ca-dir', '', 'plug-in CA files (ca-cert.pem, ca-key.pem, root-cert.pem); an empty directory gets a new self-signed root (kept across restarts)'],
  ['CA_TOKENS_FILE', '--ca-tokens-file', '', 'static CA bearer tokens (JSON {token: {identity: "ns/sa", node?}}), for the lab'],
  ['CA_SIGNING_WORKERS', '--ca-signing-workers', '0', 'CA signing worker threads (0 = sign on the main thread); each loads the CA key once and signs whole CSRs, so an RSA CA can use every core'],
  ['CA_TRUSTED_NODE_ACCOUNTS', '--trusted-node-accounts', 'istio-system/ztunnel', 'comma-separated ns/sa allowed to impersonate pods on their node'],
  ['POD_IP', '--serving-ips', '', 'comma-separated IPs added to the 15012 serving certificate (127.0.0.1 always is), so clients can verify istiod by IP'],
  ['ROOT_CERT_OUT', '--root-cert-out', '', 'write the mesh root certificate (PEM) to this file'],
  ['STATUS_DIR', '--status-dir', '', 'where to write waypoints.json (default <config-dir>/.status in directory mode)'],
  ['PILOT_DEBOUNCE_AFTER', '--debounce-ms', '100', 'xDS push debounce in ms'],
  ['AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY', '--enable-dry-run', 'false', 'send dry-run AuthorizationPolicies to ztunnel'],
  ['PILOT_AUTO_ALLOW_WAYPOINT_POLICY', '--auto-allow-waypoint-policy', 'false', 'admit each waypoint\'s identity on the workloads behind it (always on for the legacy waypoint forms)'],
  ['WAYPOINT_IMAGE', '--waypoint-image', 'ghcr.io/amesh/waypoint:latest', 'Kubernetes mode: image of the waypoint Deployments istiod renders and applies ("" = do not deploy)'],
  ['LOG_LEVEL', '--log-level', 'info', 'trace, debug, info, warn, error'],
  ['LOG_FORMAT', '--log-format', 'plain', 'plain (upstream-style lines) or json (pino)'],
] as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

const BOOL_FLAGS = new Set(['--enable-dry-run', '--in-cluster', '--auto-allow-waypoint-policy']);

/** Parses env + argv flags (`--flag value`, `--flag=value`, boolean `--flag`); throws ConfigError listing every problem. */
export function parseConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): AppConfig {
  const problems: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      problems.push(`argv[${i}]: unexpected argument "${a}"`);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!SETTINGS.some((s) => s[1] === name) && !BOOL_FLAGS.has(name)) {
      problems.push(`${name}: unknown flag`);
      continue;
    }
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (BOOL_FLAGS.has(name)) flags.set(name, 'true');
    else if (i + 1 < argv.length) flags.set(name, argv[++i]!);
    else problems.push(`${name}: needs a value`);
  }
  const val = (envName: string, flag: string, def: string): string => flags.get(flag) ?? env[envName] ?? def;
  const setting = (flag: string): string => {
    const s = SETTINGS.find((x) => x[1] === flag)!;
    return val(s[0], s[1], s[2]);
  };
  const port = (flag: string): number => {
    const v = setting(flag);
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > 65535) problems.push(`${flag}: "${v}" is not a port (0..65535)`);
    return n;
  };
  const bool = (flag: string): boolean => {
    const v = setting(flag).toLowerCase();
    if (!['true', 'false', '1', '0', ''].includes(v)) problems.push(`${flag}: "${v}" is not a boolean`);
    return v === 'true' || v === '1';
  };
  const opt = (flag: string): string | undefined => setting(flag) || undefined;

  const configDir = opt('--config-dir');
  const kubeconfig = opt('--kubeconfig');
  const inCluster = flags.get('--in-cluster') === 'true' || (!configDir && !kubeconfig && env['KUBERNETES_SERVICE_HOST'] !== undefined && env['KUBERNETES_SERVICE_HOST'] !== '');
  if (configDir && flags.has('--kubeconfig')) problems.push('--config-dir and --kubeconfig: choose one config source');
  const logLevel = setting('--log-level');
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) problems.push(`--log-level: "${logLevel}" is not one of trace, debug, info, warn, error`);
  const logFormat = setting('--log-format');
  if (logFormat !== 'json' && logFormat !== 'plain') problems.push(`--log-format: "${logFormat}" must be json or plain`);
  const debounce = setting('--debounce-ms').replace(/ms$/, '');
  if (!/^\d+$/.test(debounce)) problems.push(`--debounce-ms: "${debounce}" must be a number of milliseconds`);
  const trusted = setting('--trusted-node-accounts').split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of trusted) if (!/^[^/\s]+\/[^/\s]+$/.test(a)) problems.push(`--trusted-node-accounts: "${a}" must be namespace/serviceaccount`);
  for (const ip of setting('--serving-ips').split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!/^[0-9.]+$/.test(ip) && !/^[0-9a-fA-F:]+$/.test(ip)) problems.push(`--serving-ips: "${ip}" is not an IP address`);
  }
  const signingWorkers = setting('--ca-signing-workers');
  if (!/^\d+$/.test(signingWorkers) || Number(signingWorkers) > 64) problems.push(`--ca-signing-workers: "${signingWorkers}" must be an integer from 0 to 64`);
  const trustDomain = setting('--trust-domain');
  if (!/^[a-z0-9._-]+$/.test(trustDomain)) problems.push(`--trust-domain: "${trustDomain}" must contain only a-z, 0-9, ".", "_" and "-"`);

  const cfg: AppConfig = {
    configDir,
    kubeconfig,
    inCluster,
    host: setting('--host'),
    xdsPort: port('--xds-port'),
    secureXdsPort: port('--secure-xds-port'),
    debugPort: port('--debug-port'),
    trustDomain,
    clusterId: setting('--cluster-id'),
    domainSuffix: setting('--domain-suffix'),
    rootNamespace: setting('--root-namespace'),
    network: setting('--network'),
    caDir: opt('--ca-dir'),
    caTokensFile: opt('--ca-tokens-file'),
    caSigningWorkers: Number(signingWorkers),
    trustedNodeAccounts: trusted,
    rootCertOut: opt('--root-cert-out'),
    statusDir: opt('--status-dir') ?? (configDir ? `${configDir.replace(/\/$/, '')}/.status` : undefined),
    debounceMs: Number(debounce),
    enableDryRun: bool('--enable-dry-run'),
    autoAllowWaypoints: bool('--auto-allow-waypoint-policy'),
    servingIps: setting('--serving-ips').split(',').map((x) => x.trim()).filter(Boolean),
    waypointImage: setting('--waypoint-image'),
    logLevel,
    logFormat: logFormat as 'json' | 'plain',
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}
