// The chained CNI plugin (CNI spec 1.0.0): ADD, DEL, CHECK, VERSION. It runs after the interface plugin (bridge,
// ptp, ...), reads prevResult from the network configuration on stdin, tells the node agent about the pod and
// prints prevResult unchanged. Enrollment is the agent's answer; when the agent cannot be reached, the plugin
// reads the agent's enrollment cache: an enrolled pod's ADD fails (traffic must never silently bypass the mesh),
// any other pod starts. Pure over its inputs: the caller passes env and stdin and writes the result.
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { cacheSaysEnrolled, readEnrollmentCache } from './cache.js';
import { CniError, CniErrorCode, cniSpecCode } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { DEFAULT_EVENT_SOCKET, sendPluginEvent, type PluginCommand, type PluginEvent, type PluginReply } from './protocol.js';

export const CNI_VERSION = '1.0.0';
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'];
export const DEFAULT_ENROLLMENT_CACHE = '/var/run/istio-cni/enrollment.json';
export const PLUGIN_TYPE = 'amesh-cni';

/** Our plugin's entry in a conflist (the fields we read; everything else is ignored). */
export interface PluginConfig {
  cniVersion: string;
  name: string;
  type: string;
  /** The agent's unix socket (upstream's field name). */
  cni_event_address: string;
  /** The agent's enrollment cache, read when the agent is unreachable. */
  enrollment_cache: string;
  /** Total time to reach the agent, retries included (ms). */
  agent_timeout_ms: number;
  log_level: string;
  prevResult?: CniResult;
}

export interface CniResult {
  cniVersion?: string;
  ips?: { address?: string; interface?: number; gateway?: string }[];
  [k: string]: unknown;
}

export interface PluginInput {
  env: Readonly<Record<string, string | undefined>>;
  stdin: string;
}

export interface PluginOutput {
  stdout: string;
  exitCode: number;
}

export interface PluginDeps {
  logger?: Logger;
  /** Defaults to sendPluginEvent (HTTP over the unix socket). */
  send?: (socketPath: string, event: PluginEvent, timeoutMs: number) => Promise<PluginReply>;
  /** Whether a path exists (netns check). */
  exists?: (path: string) => boolean;
  /** Waits between retries (ms). */
  delay?: (ms: number) => Promise<void>;
}

/** Parses and validates the network configuration; lists every problem with its field path. */
export function parsePluginConfig(stdin: string): PluginConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (err) {
    throw new CniError(CniErrorCode.INPUT, `network configuration on stdin is not valid JSON: ${(err as Error).message}`, { cause: err, details: ['<stdin>: not JSON'] });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new CniError(CniErrorCode.CONFIG, 'network configuration must be a JSON object', { details: ['<root>: not an object'] });
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  const str = (k: string, def?: string): string => {
    const v = o[k];
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== 'string' || v === '') {
      problems.push(`${k}: required string`);
      return '';
    }
    return v;
  };
  const cfg: PluginConfig = {
    cniVersion: str('cniVersion'),
    name: str('name'),
    type: str('type'),
    cni_event_address: str('cni_event_address', DEFAULT_EVENT_SOCKET),
    enrollment_cache: str('enrollment_cache', DEFAULT_ENROLLMENT_CACHE),
    agent_timeout_ms: 10_000,
    log_level: str('log_level', 'info'),
  };
  if (o.agent_timeout_ms !== undefined) {
    if (typeof o.agent_timeout_ms !== 'number' || !Number.isInteger(o.agent_timeout_ms) || o.agent_timeout_ms < 1) problems.push('agent_timeout_ms: must be a positive integer');
    else cfg.agent_timeout_ms = o.agent_timeout_ms;
  }
  if (o.prevResult !== undefined) {
    if (o.prevResult === null || typeof o.prevResult !== 'object' || Array.isArray(o.prevResult)) problems.push('prevResult: must be an object');
    else {
      const pr = o.prevResult as CniResult;
      if (pr.ips !== undefined && (!Array.isArray(pr.ips) || pr.ips.some((ip) => typeof ip?.address !== 'string'))) problems.push('prevResult.ips: must be a list of { address: "ip/prefix" }');
      cfg.prevResult = pr;
    }
  }
  if (problems.length) throw new CniError(CniErrorCode.CONFIG, `invalid network configuration: ${problems.join('; ')}`, { details: problems });
  if (!SUPPORTED_VERSIONS.includes(cfg.cniVersion)) {
    throw new CniError(CniErrorCode.UNSUPPORTED_VERSION, `cniVersion ${cfg.cniVersion} is not supported (supported: ${SUPPORTED_VERSIONS.join(', ')})`);
  }
  return cfg;
}

/** Parses CNI_ARGS ("K=V;K=V"). */
export function parseCniArgs(args: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (args ?? '').split(';')) {
    if (!part) continue;
    const i = part.indexOf('=');
    if (i <= 0) throw new CniError(CniErrorCode.INPUT, `CNI_ARGS: "${part}" is not KEY=VALUE`, { details: [`CNI_ARGS: "${part}" is not KEY=VALUE`] });
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** The pod IPs in a CNI result (prefix lengths dropped). */
export function resultIps(result: CniResult | undefined): string[] {
  return (result?.ips ?? []).map((ip) => String(ip.address).split('/')[0]!).filter((ip) => isIP(ip) !== 0);
}

function errorOutput(err: unknown, cniVersion: string): PluginOutput {
  const e = err instanceof CniError ? err : new CniError(CniErrorCode.AGENT, (err as Error)?.message ?? String(err), { cause: err });
  // A configuration that is not JSON at all is "failed to decode content" (6) in the spec.
  const code = e.code === CniErrorCode.INPUT && e.details[0] === '<stdin>: not JSON' ? 6 : cniSpecCode(e.code);
  const body: Record<string, unknown> = { cniVersion, code, msg: e.message };
  const details = [e.code, ...e.details].join('; ');
  body.details = details;
  return { stdout: `${JSON.stringify(body)}\n`, exitCode: 1 };
}

const defaultExists = (p: string) => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** Runs one CNI command. Never throws: failures become CNI error JSON with exit code 1. */
export async function runPlugin(input: PluginInput, deps: PluginDeps = {}): Promise<PluginOutput> {
  const log = (deps.logger ?? silentLogger).child({ scope: 'cni' });
  const command = input.env.CNI_COMMAND;
  let cniVersion = CNI_VERSION;
  try {
    if (command === 'VERSION') {
      let v = CNI_VERSION;
      try {
        const o = JSON.parse(input.stdin || '{}') as { cniVersion?: unknown };
        if (typeof o.cniVersion === 'string') v = o.cniVersion;
      } catch {
        /* VERSION may be called with no or any config */
      }
      return { stdout: `${JSON.stringify({ cniVersion: v, supportedVersions: SUPPORTED_VERSIONS })}\n`, exitCode: 0 };
    }
    if (command !== 'ADD' && command !== 'DEL' && command !== 'CHECK') {
      throw new CniError(CniErrorCode.INPUT, `CNI_COMMAND: "${command ?? ''}" is not ADD, DEL, CHECK or VERSION`, { details: ['CNI_COMMAND: unknown'] });
    }
    const cfg = parsePluginConfig(input.stdin);
    cniVersion = cfg.cniVersion;
    const missing = ['CNI_CONTAINERID', 'CNI_IFNAME', ...(command === 'DEL' ? [] : ['CNI_NETNS'])].filter((k) => !input.env[k]);
    if (missing.length) throw new CniError(CniErrorCode.INPUT, `missing environment: ${missing.join(', ')}`, { details: missing.map((k) => `${k}: required`) });
    const args = parseCniArgs(input.env.CNI_ARGS);
    const podName = args.K8S_POD_NAME;
    const podNamespace = args.K8S_POD_NAMESPACE;
    const passthrough = (): PluginOutput => ({ stdout: command === 'ADD' ? `${JSON.stringify(cfg.prevResult ?? { cniVersion })}\n` : '', exitCode: 0 });
    if (!podName || !podNamespace) {
      log.info({ command }, 'not a Kubernetes pod (no K8S_POD_NAME/K8S_POD_NAMESPACE in CNI_ARGS); nothing to do');
      return passthrough();
    }
    if (command !== 'DEL' && !cfg.prevResult) {
      throw new CniError(CniErrorCode.CONFIG, `no prevResult: ${cfg.type} must be chained after an interface plugin (e.g. ptp or bridge)`, { details: ['prevResult: required'] });
    }
    const netns = input.env.CNI_NETNS ?? '';
    if (command !== 'DEL' && !(deps.exists ?? defaultExists)(netns)) {
      throw new CniError(CniErrorCode.NETNS, `network namespace ${netns} of pod ${podNamespace}/${podName} does not exist`);
    }
    const event: PluginEvent = {
      command: command as PluginCommand,
      containerId: input.env.CNI_CONTAINERID!,
      netns,
      ifname: input.env.CNI_IFNAME!,
      podName,
      podNamespace,
      ips: resultIps(cfg.prevResult),
    };
    if (args.K8S_POD_UID) event.podUid = args.K8S_POD_UID;
    log.info({ command, pod: `${podNamespace}/${podName}`, ips: event.ips }, `istio-cni cmd${command === 'ADD' ? 'Add' : command === 'DEL' ? 'Del' : 'Check'} podName: ${podName} podIPs: [${event.ips.join(' ')}]`);
    let reply: PluginReply;
    try {
      reply = await sendWithRetry(cfg, event, deps);
    } catch (err) {
      if (!(err instanceof CniError) || err.code !== CniErrorCode.AGENT_UNREACHABLE) throw err;
      if (command === 'DEL') {
        // DEL must not fail on a missing agent: it removes stale entries when it reconciles on start.
        log.warn({ err }, 'istio-cni agent unreachable on DEL; it reconciles when it comes back');
        return passthrough();
      }
      let enrolled: boolean;
      try {
        enrolled = cacheSaysEnrolled(readEnrollmentCache(cfg.enrollment_cache), podNamespace, podName);
      } catch (cacheErr) {
        throw new CniError(CniErrorCode.AGENT_UNREACHABLE, `${err.message}; enrollment unknown (${(cacheErr as Error).message}), refusing to start the pod unredirected`, { cause: err });
      }
      if (enrolled) throw new CniError(CniErrorCode.AGENT_UNREACHABLE, `${err.message}; pod ${podNamespace}/${podName} is enrolled in the ambient mesh and cannot be redirected now`, { cause: err });
      log.warn({ err }, `istio-cni agent unreachable; pod ${podNamespace}/${podName} is not enrolled, continuing`);
      return passthrough();
    }
    log.info({ command, reply }, `pod ${podNamespace}/${podName}: ${reply.enrolled ? 'redirected to ztunnel' : `not in the ambient mesh (${reply.reason ?? 'not enrolled'})`}`);
    return passthrough();
  } catch (err) {
    log.error({ err, command }, `istio-cni ${command ?? ''} failed: ${(err as Error).message}`);
    return errorOutput(err, cniVersion);
  }
}

/** Retries while the agent is unreachable (e.g. restarting) until the configured total timeout. */
async function sendWithRetry(cfg: PluginConfig, event: PluginEvent, deps: PluginDeps): Promise<PluginReply> {
  const send = deps.send ?? sendPluginEvent;
  const delay = deps.delay ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + cfg.agent_timeout_ms;
  let wait = 100;
  for (;;) {
    const left = deadline - Date.now();
    try {
      return await send(cfg.cni_event_address, event, Math.max(left, 1));
    } catch (err) {
      const retriable = err instanceof CniError && (err.code === CniErrorCode.AGENT_UNREACHABLE || err.code === CniErrorCode.CLOSED);
      if (!retriable || Date.now() + wait >= deadline) {
        if (err instanceof CniError && err.code === CniErrorCode.CLOSED) throw new CniError(CniErrorCode.AGENT_UNREACHABLE, err.message, { cause: err });
        throw err;
      }
      await delay(wait);
      wait = Math.min(wait * 2, 1000);
    }
  }
}
