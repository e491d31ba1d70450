// The daemon's configuration: environment variables, overridden by --flags, validated once with every problem listed.
import { hostname } from 'node:os';

export interface DaemonConfig {
  nodeName: string;
  /** Directory mode: read Namespace/Pod objects from this state directory (the lab). Unset: the Kubernetes API. */
  kubeStateDir: string | undefined;
  kubeconfig: string | undefined;
  inCluster: boolean;
  eventSocket: string;
  agentDir: string;
  /** Program this named network namespace (`ip netns exec`) instead of the current one (the lab's node). */
  nodeNetns: string | undefined;
  ready: { host: string; port: number } | undefined;
  install: boolean;
  cniNetDir: string;
  cniBinDir: string;
  podWaitMs: number;
  reconcileIntervalMs: number;
  logLevel: string;
  logFormat: 'json' | 'plain';
}

/** env name, flag name, default, description: the single table the README documents. */
export const SETTINGS = [
  ['NODE_NAME', '--node-name', '(hostname)', 'this node; only its pods are handled'],
  ['KUBE_STATE_DIR', '--kube-state-dir', '', 'directory mode: watch Namespace/Pod objects in this state directory (the lab) instead of the API server'],
  ['KUBECONFIG', '--kubeconfig', '', 'API mode: kubeconfig file (default: in-cluster when KUBERNETES_SERVICE_HOST is set, else the default search)'],
  ['CNI_EVENT_ADDRESS', '--cni-event-address', '/var/run/istio-cni/pluginevent.sock', 'unix socket the plugin talks to'],
  ['CNI_AGENT_DIR', '--agent-dir', '/var/run/istio-cni', "the agent's state (pods.json) and the plugin's enrollment cache (enrollment.json)"],
  ['NODE_NETNS', '--node-netns', '', 'program this named network namespace instead of the current one'],
  ['READY_ADDRESS', '--ready-address', '0.0.0.0:8000', 'readiness and metrics listener (/readyz, /healthz, /metrics); "off" for none'],
  ['CNI_INSTALL', '--install', 'false', 'install mode: copy the plugin and chain it into the primary CNI config'],
  ['CNI_NET_DIR', '--cni-net-dir', '/etc/cni/net.d', 'the CNI configuration directory (install mode)'],
  ['CNI_BIN_DIR', '--cni-bin-dir', '/opt/cni/bin', 'the CNI plugin directory (install mode)'],
  ['POD_WAIT_MS', '--pod-wait-ms', '5000', 'how long a CNI ADD waits for the pod object'],
  ['RECONCILE_INTERVAL_MS', '--reconcile-interval-ms', '30000', 'full reconcile period (repairs drift); 0 = only at start'],
  ['LOG_LEVEL', '--log-level', 'info', 'trace, debug, info, warn, error'],
  ['LOG_FORMAT', '--log-format', 'plain', 'plain (upstream-style lines) or json (pino)'],
] as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

/** Parses env + argv flags (`--flag value` or `--flag=value`); throws ConfigError listing every problem. */
export function parseConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): DaemonConfig {
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
    if (!SETTINGS.some((s) => s[1] === name)) {
      problems.push(`${name}: unknown flag`);
      continue;
    }
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (name === '--install') flags.set(name, 'true');
    else if (i + 1 < argv.length) flags.set(name, argv[++i]!);
    else problems.push(`${name}: needs a value`);
  }
  const get = (envName: string): string | undefined => {
    const s = SETTINGS.find((x) => x[0] === envName)!;
    return flags.get(s[1]) ?? (env[envName] || undefined);
  };
  const int = (envName: string, def: number, min: number): number => {
    const v = get(envName);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      problems.push(`${envName}: "${v}" is not an integer >= ${min}`);
      return def;
    }
    return n;
  };
  const bool = (envName: string): boolean => {
    const v = (get(envName) ?? 'false').toLowerCase();
    if (!['true', 'false', '1', '0', 'yes', 'no'].includes(v)) problems.push(`${envName}: "${v}" is not a boolean`);
    return ['true', '1', 'yes'].includes(v);
  };
  let ready: DaemonConfig['ready'];
  const readyText = get('READY_ADDRESS') ?? '0.0.0.0:8000';
  if (readyText !== 'off') {
    const m = /^(.*):(\d+)$/.exec(readyText);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port > 65535) problems.push(`READY_ADDRESS: "${readyText}" is not host:port or "off"`);
    else ready = { host: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0', port };
  }
  const level = get('LOG_LEVEL') ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) problems.push(`LOG_LEVEL: "${level}" is not a log level`);
  const format = get('LOG_FORMAT') ?? 'plain';
  if (format !== 'json' && format !== 'plain') problems.push(`LOG_FORMAT: "${format}" must be json or plain`);
  const netns = get('NODE_NETNS');
  if (netns !== undefined && !/^[A-Za-z0-9_.-]+$/.test(netns)) problems.push(`NODE_NETNS: "${netns}" is not a network namespace name`);
  const cfg: DaemonConfig = {
    nodeName: get('NODE_NAME') ?? hostname(),
    kubeStateDir: get('KUBE_STATE_DIR'),
    kubeconfig: get('KUBECONFIG'),
    inCluster: !get('KUBECONFIG') && !!env.KUBERNETES_SERVICE_HOST,
    eventSocket: get('CNI_EVENT_ADDRESS') ?? '/var/run/istio-cni/pluginevent.sock',
    agentDir: get('CNI_AGENT_DIR') ?? '/var/run/istio-cni',
    nodeNetns: netns,
    ready,
    install: bool('CNI_INSTALL'),
    cniNetDir: get('CNI_NET_DIR') ?? '/etc/cni/net.d',
    cniBinDir: get('CNI_BIN_DIR') ?? '/opt/cni/bin',
    podWaitMs: int('POD_WAIT_MS', 5000, 0),
    reconcileIntervalMs: int('RECONCILE_INTERVAL_MS', 30000, 0),
    logLevel: level,
    logFormat: format as 'json' | 'plain',
  };
  if (problems.length) throw new ConfigError(problems);
  return cfg;
}
