// A fake-service compatible HTTP app (the `nicholasjackson/fake-service` image of seed 000): answers every request
// with a JSON document naming itself, then calls each of UPSTREAM_URIS and nests their answers in `upstream_calls`.
// The JSON has the shape seed 000 shows (fields in that order, Go-style durations, microsecond timestamps).
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';

export interface FakeServiceOptions {
  /** NAME: the service name in responses */
  name: string;
  /** MESSAGE: the body text */
  message: string;
  /** UPSTREAM_URIS: comma-separated http URIs called for every request */
  upstreamUris: string[];
  /** LISTEN_ADDR, e.g. `0.0.0.0:9090` (fake-service's default) */
  listenAddr: string;
  /** UPSTREAM_TIMEOUT in ms for each upstream call (default 30000) */
  upstreamTimeoutMs?: number;
  /** addresses reported in `ip_addresses` (default: this namespace's non-loopback IPv4 addresses) */
  ipAddresses?: string[];
}

export interface FakeResponse {
  name?: string;
  uri: string;
  type?: string;
  ip_addresses?: string[];
  start_time?: string;
  end_time?: string;
  duration?: string;
  body?: string;
  upstream_calls?: FakeResponse[];
  code: number;
  error?: string;
}

/** Reads fake-service's environment variables; throws with the variable's name when one is malformed. */
export function optionsFromEnv(env: NodeJS.ProcessEnv): FakeServiceOptions {
  const listenAddr = env.LISTEN_ADDR ?? '0.0.0.0:9090';
  if (!/^[^:]*:\d+$/.test(listenAddr)) throw new Error(`LISTEN_ADDR="${listenAddr}" is not host:port (for example 0.0.0.0:8080)`);
  const upstreamUris = (env.UPSTREAM_URIS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const u of upstreamUris) {
    if (!/^https?:\/\//.test(u)) throw new Error(`UPSTREAM_URIS entry "${u}" is not an http:// URI`);
  }
  const timeout = env.UPSTREAM_TIMEOUT ? parseDurationMs(env.UPSTREAM_TIMEOUT) : undefined;
  return {
    name: env.NAME ?? 'Service',
    message: env.MESSAGE ?? 'Hello World',
    upstreamUris,
    listenAddr,
    ...(timeout !== undefined ? { upstreamTimeoutMs: timeout } : {}),
  };
}

function parseDurationMs(s: string): number {
  const m = s.match(/^(\d+(?:\.\d+)?)(ms|s|m)?$/);
  if (!m) throw new Error(`UPSTREAM_TIMEOUT="${s}" is not a duration (for example 30s)`);
  const n = Number(m[1]);
  return m[2] === 'm' ? n * 60000 : m[2] === 'ms' ? n : n * 1000;
}

/** Go's time.Duration String() for a span in nanoseconds (e.g. "14.328322ms", "680.444µs", "1.5s"). */
export function goDuration(ns: number): string {
  if (ns < 1000) return `${ns}ns`;
  const fmt = (v: number) => String(Number(v.toFixed(6)));
  if (ns < 1e6) return `${fmt(ns / 1e3)}µs`;
  if (ns < 1e9) return `${fmt(ns / 1e6)}ms`;
  return `${fmt(ns / 1e9)}s`;
}

/** `2022-11-15T07:45:20.808573`: local time with microseconds, as fake-service prints it. */
export function fakeTimestamp(date: Date, extraMicros = 0): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const micros = date.getMilliseconds() * 1000 + extraMicros;
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(micros, 6)}`;
}

function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return out;
}

/** One upstream call; never throws: failures become `{code: -1, error}` entries. */
function callUpstream(uri: string, timeoutMs: number, headers: Record<string, string>): Promise<FakeResponse> {
  return new Promise((resolve) => {
    const fail = (err: Error) => resolve({ uri, code: -1, error: `Error communicating with upstream service: ${err.message}` });
    const req = httpRequest(uri, { method: 'GET', headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: FakeResponse | undefined;
        try {
          parsed = JSON.parse(text) as FakeResponse;
        } catch {
          parsed = undefined;
        }
        const code = res.statusCode ?? -1;
        if (parsed && typeof parsed === 'object') resolve(reorder({ ...parsed, uri, code: parsed.code ?? code }));
        else resolve({ uri, code, ...(code >= 400 ? { error: text.trim() || `upstream answered ${code}` } : { body: text }) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', fail);
    req.end();
  });
}

/** Keeps seed 000's field order: name, uri, type, ip_addresses, start_time, end_time, duration, body, upstream_calls, code, error. */
function reorder(r: FakeResponse): FakeResponse {
  const keys: (keyof FakeResponse)[] = ['name', 'uri', 'type', 'ip_addresses', 'start_time', 'end_time', 'duration', 'body', 'upstream_calls', 'code', 'error'];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (r[k] !== undefined) out[k] = r[k];
  return out as unknown as FakeResponse;
}

/** Headers propagated to upstreams so traces and user headers survive the hop (as fake-service does for tracing). */
const PROPAGATE = ['x-request-id', 'traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'end-user', 'user-agent'];

export async function handle(opts: FakeServiceOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const start = new Date();
  const t0 = process.hrtime.bigint();
  const headers: Record<string, string> = {};
  for (const h of PROPAGATE) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const upstream = await Promise.all(opts.upstreamUris.map((u) => callUpstream(u, opts.upstreamTimeoutMs ?? 30000, headers)));
  const failed = upstream.some((u) => u.code !== 200);
  const ns = Number(process.hrtime.bigint() - t0);
  const body: FakeResponse = reorder({
    name: opts.name,
    uri: req.url ?? '/',
    type: 'HTTP',
    ip_addresses: opts.ipAddresses ?? localAddresses(),
    start_time: fakeTimestamp(start),
    end_time: fakeTimestamp(new Date(start.getTime() + Math.floor(ns / 1e6)), Math.floor((ns % 1e6) / 1e3) % 1000),
    duration: goDuration(ns),
    body: opts.message,
    ...(upstream.length ? { upstream_calls: upstream } : {}),
    code: failed ? 500 : 200,
    ...(failed ? { error: 'Error processing upstream request' } : {}),
  });
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(body.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/** Starts the server; resolves once it listens. */
export async function startFakeService(opts: FakeServiceOptions): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    handle(opts, req, res).catch((err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${err.message}\n`);
    });
  });
  const idx = opts.listenAddr.lastIndexOf(':');
  const host = opts.listenAddr.slice(0, idx) || '0.0.0.0';
  const port = Number(opts.listenAddr.slice(idx + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
