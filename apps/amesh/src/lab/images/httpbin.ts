// An httpbin-compatible HTTP app (the `kennethreitz/httpbin` / `docker.io/mccutchen/go-httpbin` image of the Istio
// samples): /get, /headers, /ip, /status/{code}, /delay/{seconds}, /anything.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface HttpbinOptions {
  /** address to listen on, default 0.0.0.0:80 (Istio's httpbin sample uses port 80 in the Service, 8080 or 80 in the pod) */
  listenAddr: string;
  /** upper bound for /delay, seconds (httpbin caps at 10) */
  maxDelaySeconds?: number;
}

/** httpbin's header echo: canonical Title-Case names, values joined with commas. */
function titleHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase()).join('-');
    out[name] = out[name] ? `${out[name]},${req.rawHeaders[i + 1]}` : req.rawHeaders[i + 1]!;
  }
  return out;
}

function origin(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'access-control-allow-origin': '*' });
  res.end(text);
}

export function handle(opts: HttpbinOptions, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const args: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = args[k];
    args[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const path = url.pathname;
  const base = { args, headers: titleHeaders(req), origin: origin(req), url: url.toString() };
  let m: RegExpMatchArray | null;
  if (path === '/get' && (req.method === 'GET' || req.method === 'HEAD')) return json(res, 200, base);
  if (path === '/headers') return json(res, 200, { headers: base.headers });
  if (path === '/ip') return json(res, 200, { origin: base.origin });
  if (path === '/user-agent') return json(res, 200, { 'user-agent': req.headers['user-agent'] ?? '' });
  if (path === '/anything' || path.startsWith('/anything/') || (['/post', '/put', '/patch', '/delete'].includes(path) && req.method === path.slice(1).toUpperCase())) {
    const text = body.toString('utf8');
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return json(res, 200, { ...base, method: req.method, data: text, json: parsed });
  }
  if ((m = path.match(/^\/status\/(\d{3})$/))) {
    const code = Number(m[1]);
    res.writeHead(code, { 'content-type': 'text/html; charset=utf-8', 'content-length': 0 });
    return void res.end();
  }
  if ((m = path.match(/^\/delay\/(\d+(?:\.\d+)?)$/))) {
    const s = Math.min(Number(m[1]), opts.maxDelaySeconds ?? 10);
    const timer = setTimeout(() => json(res, 200, base), s * 1000);
    res.on('close', () => clearTimeout(timer));
    return;
  }
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return void res.end('httpbin (amesh lab): /get /headers /ip /status/{code} /delay/{s} /anything\n');
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('404 page not found\n');
}

export async function startHttpbin(opts: HttpbinOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(opts, req, res, Buffer.concat(chunks)));
  });
  const idx = opts.listenAddr.lastIndexOf(':');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(opts.listenAddr.slice(idx + 1)), opts.listenAddr.slice(0, idx) || '0.0.0.0', () => resolve());
  });
  return server;
}
