// The CNI plugin → node agent protocol: one HTTP/1.1 POST per CNI command over a unix socket
// (upstream's equivalent is /var/run/istio-cni/pluginevent.sock). The body is a PluginEvent as JSON; the answer is
// 200 with a PluginReply, or an error status with { error: { code, message } } where code is a CniErrorCode.
import { request } from 'node:http';
import { CniError, CniErrorCode } from './errors.js';

export const DEFAULT_EVENT_SOCKET = '/var/run/istio-cni/pluginevent.sock';
export const EVENT_PATH = '/v1/cni-event';

export type PluginCommand = 'ADD' | 'DEL' | 'CHECK';

export interface PluginEvent {
  command: PluginCommand;
  containerId: string;
  netns: string;
  ifname: string;
  podName: string;
  podNamespace: string;
  /** K8S_POD_UID (older runtimes do not send it). */
  podUid?: string;
  /** The pod's IPs from prevResult (no prefix length). */
  ips: string[];
}

export interface PluginReply {
  enrolled: boolean;
  redirected: boolean;
  reason?: string;
  ips?: string[];
}

/** Validates a PluginEvent body; lists every problem with its field path. */
export function parsePluginEvent(raw: unknown): PluginEvent {
  const problems: string[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new CniError(CniErrorCode.INPUT, 'plugin event: not a JSON object', { details: ['<root>: not an object'] });
  const o = raw as Record<string, unknown>;
  if (o.command !== 'ADD' && o.command !== 'DEL' && o.command !== 'CHECK') problems.push('command: must be ADD, DEL or CHECK');
  for (const f of ['containerId', 'podName', 'podNamespace'] as const) if (typeof o[f] !== 'string' || o[f] === '') problems.push(`${f}: required string`);
  for (const f of ['netns', 'ifname'] as const) if (o[f] !== undefined && typeof o[f] !== 'string') problems.push(`${f}: must be a string`);
  if (o.podUid !== undefined && typeof o.podUid !== 'string') problems.push('podUid: must be a string');
  if (o.ips !== undefined && (!Array.isArray(o.ips) || o.ips.some((ip) => typeof ip !== 'string'))) problems.push('ips: must be an array of strings');
  if (problems.length) throw new CniError(CniErrorCode.INPUT, `invalid plugin event: ${problems.join('; ')}`, { details: problems });
  const ev: PluginEvent = {
    command: o.command as PluginCommand,
    containerId: o.containerId as string,
    netns: (o.netns as string | undefined) ?? '',
    ifname: (o.ifname as string | undefined) ?? '',
    podName: o.podName as string,
    podNamespace: o.podNamespace as string,
    ips: (o.ips as string[] | undefined) ?? [],
  };
  if (typeof o.podUid === 'string' && o.podUid !== '') ev.podUid = o.podUid;
  return ev;
}

/**
 * Sends one event to the agent and returns its reply. Throws CNI_ERR_AGENT_UNREACHABLE when the socket cannot
 * be reached or the connection breaks before an answer (callers may retry: the agent's handling is idempotent),
 * and a CniError with the agent's code when the agent answers with an error.
 */
export function sendPluginEvent(socketPath: string, event: PluginEvent, timeoutMs: number): Promise<PluginReply> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(event);
    const req = request(
      { socketPath, path: EVENT_PATH, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new CniError(CniErrorCode.AGENT_UNREACHABLE, `istio-cni agent at ${socketPath}: ${err.message}`, { cause: err })));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch (err) {
            return reject(new CniError(CniErrorCode.AGENT, `istio-cni agent sent an unreadable answer (status ${res.statusCode})`, { cause: err }));
          }
          if (res.statusCode === 200) return resolve(parsed as PluginReply);
          const e = (parsed as { error?: { code?: string; message?: string } }).error;
          const code = Object.values(CniErrorCode).includes(e?.code as CniErrorCode) ? (e!.code as CniErrorCode) : CniErrorCode.AGENT;
          reject(new CniError(code, e?.message ?? `istio-cni agent answered ${res.statusCode}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new CniError(CniErrorCode.AGENT_UNREACHABLE, `istio-cni agent at ${socketPath}: ${err.message}`, { cause: err })));
    req.end(body);
  });
}
