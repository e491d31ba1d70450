// Test helpers (subpath export `@amesh/kube/testing`): a small HTTP server that speaks the Kubernetes list/watch
// protocol — paged lists, chunked watch streams of JSON lines, bookmarks, 410 Gone for compacted versions (as an
// HTTP status or as an ERROR event), and injected failures — so informer code runs against real HTTP.
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { fieldValue, parseSelector } from './selectors.js';
import type { KubeObject } from './types.js';

interface Watcher {
  res: http.ServerResponse;
  collection: string;
  namespace: string | undefined;
  label: ((o: KubeObject) => boolean) | undefined;
  field: ((o: KubeObject) => boolean) | undefined;
}

interface HistoryEvent {
  rv: number;
  collection: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

const PATH = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(\/status)?$/;

/** A fake API server. Collections are named `group/version/plural` (core: `v1/pods`). */
export class FakeApiServer extends EventEmitter {
  readonly #server: http.Server;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #served = new Set<string>();
  readonly #watchers = new Set<Watcher>();
  readonly #history: HistoryEvent[] = [];
  #rv = 100;
  #compactedRv = 0;
  #failures: number[] = [];
  /** Every request URL (path + query), in order. */
  readonly requests: string[] = [];
  /** How watch requests with a compacted resourceVersion are refused: HTTP 410, or a 200 stream with an ERROR event. */
  goneMode: 'status' | 'event' = 'event';

  private constructor(server: http.Server) {
    super();
    this.#server = server;
  }

  static async start(): Promise<FakeApiServer> {
    let self!: FakeApiServer;
    const server = http.createServer((req, res) => self.#handle(req, res));
    self = new FakeApiServer(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** A KubeConfig pointing at this server (plain HTTP, bearer token "test"). */
  async kubeConfig(): Promise<KubeConfig> {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'test' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'u' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** Marks a collection as served (so it lists empty instead of 404). */
  serve(collection: string): void {
    this.#served.add(collection);
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  get watcherCount(): number {
    return this.#watchers.size;
  }

  /** Resolves when the number of open watch streams reaches `n`. */
  async waitForWatchers(n: number): Promise<void> {
    while (this.#watchers.size < n) await once(this, 'watch');
  }

  /** Creates or updates an object; returns it with its new resourceVersion. */
  upsert(collection: string, obj: KubeObject): KubeObject {
    this.#served.add(collection);
    const m = this.#objects.get(collection) ?? new Map<string, KubeObject>();
    this.#objects.set(collection, m);
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#rv) } };
    const type = m.has(key) ? 'MODIFIED' : 'ADDED';
    m.set(key, stored);
    this.#record({ rv: this.#rv, collection, type, object: stored });
    return stored;
  }

  delete(collection: string, name: string, namespace?: string): void {
    const m = this.#objects.get(collection);
    const key = `${namespace ?? ''}/${name}`;
    const prev = m?.get(key);
    if (!m || !prev) return;
    m.delete(key);
    this.#record({ rv: ++this.#rv, collection, type: 'DELETED', object: { ...prev, metadata: { ...prev.metadata, resourceVersion: String(this.#rv) } } });
  }

  /** Sends a BOOKMARK carrying the current resourceVersion to every open watch. */
  bookmark(): void {
    for (const w of this.#watchers) this.#send(w, { type: 'BOOKMARK', object: { kind: 'Bookmark', apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv) } } });
  }

  /** Forgets history: watches from an older resourceVersion now get 410 Gone. */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#history.length = 0;
  }

  /** Ends every open watch with an ERROR 410 event (as the API server does when a watch falls too far behind). */
  expireWatches(): void {
    this.compact();
    for (const w of [...this.#watchers]) {
      this.#send(w, { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' } });
      w.res.end();
      this.#watchers.delete(w);
    }
  }

  /** Closes every open watch stream normally (like a server-side timeout). */
  closeWatches(): void {
    for (const w of [...this.#watchers]) {
      w.res.end();
      this.#watchers.delete(w);
    }
  }

  /** The next requests (list or watch) fail with these HTTP statuses, in order. */
  failNext(...statuses: number[]): void {
    this.#failures.push(...statuses);
  }

  async close(): Promise<void> {
    for (const w of this.#watchers) w.res.destroy();
    this.#watchers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Server-side apply (PATCH, any body that is JSON) and DELETE of one object. */
  #write(req: http.IncomingMessage, res: http.ServerResponse, collection: string, namespace: string | undefined, name: string, statusOnly = false): void {
    if (req.method === 'DELETE') {
      const existed = this.#objects.get(collection)?.has(`${namespace ?? ''}/${name}`) ?? false;
      this.delete(collection, name, namespace);
      res.writeHead(existed ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: existed ? 200 : 404 }));
      return;
    }
    if (req.method !== 'PATCH') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let obj: KubeObject;
      try {
        obj = JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeObject;
      } catch {
        res.writeHead(400).end();
        return;
      }
      let next: KubeObject;
      if (statusOnly) {
        const prev = this.#objects.get(collection)?.get(`${namespace ?? ''}/${name}`);
        if (!prev) {
          res.writeHead(404).end();
          return;
        }
        next = { ...prev, status: { ...((prev.status as object | undefined) ?? {}), ...((obj as { status?: object }).status ?? {}) } };
      } else {
        next = { ...obj, metadata: { ...obj.metadata, name, ...(namespace ? { namespace } : {}) } };
      }
      const stored = this.upsert(collection, next);
      this.emit('write', { method: 'PATCH', collection, object: stored, contentType: req.headers['content-type'], url: req.url, status: statusOnly });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stored));
    });
  }

  /** The objects stored in a collection. */
  objects(collection: string): KubeObject[] {
    return [...(this.#objects.get(collection)?.values() ?? [])];
  }

  #record(ev: HistoryEvent): void {
    this.#history.push(ev);
    for (const w of this.#watchers) {
      if (w.collection === ev.collection && this.#matches(w, ev.object)) this.#send(w, { type: ev.type, object: ev.object });
    }
  }

  #matches(w: { namespace: string | undefined; label?: ((o: KubeObject) => boolean) | undefined; field?: ((o: KubeObject) => boolean) | undefined }, o: KubeObject): boolean {
    if (w.namespace !== undefined && o.metadata.namespace !== w.namespace) return false;
    if (w.label && !w.label(o)) return false;
    if (w.field && !w.field(o)) return false;
    return true;
  }

  #send(w: Watcher, ev: unknown): void {
    w.res.write(`${JSON.stringify(ev)}\n`);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push(req.url ?? '');
    this.emit('request', req.url);
    const failure = this.#failures.shift();
    if (failure !== undefined) {
      res.writeHead(failure, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: failure }));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const m = url.pathname.match(PATH);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const collection = m[1] ? `v1/${m[5]}` : `${m[2]}/${m[3]}/${m[5]}`;
    if (m[6] !== undefined) {
      this.#write(req, res, collection, m[4], decodeURIComponent(m[6]), m[7] !== undefined);
      return;
    }
    if (!this.#served.has(collection)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound' }));
      return;
    }
    const q = url.searchParams;
    const ls = q.get('labelSelector');
    const fs = q.get('fieldSelector');
    const lsel = ls ? parseSelector(ls) : undefined;
    const fsel = fs ? parseSelector(fs) : undefined;
    const fpaths = fs ? fs.split(',').map((t) => t.split(/!?==?/)[0]!.trim()) : [];
    const filter = {
      namespace: m[4],
      label: lsel ? (o: KubeObject) => lsel.matches(o.metadata.labels ?? {}) : undefined,
      field: fsel ? (o: KubeObject) => fsel.matches(Object.fromEntries(fpaths.map((p) => [p, fieldValue(o, p)]))) : undefined,
    };
    if (q.get('watch') === 'true') {
      const from = Number(q.get('resourceVersion') || String(this.#rv));
      if (from < this.#compactedRv) {
        if (this.goneMode === 'status') {
          res.writeHead(410, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired' }));
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
          res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } })}\n`);
        }
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const w: Watcher = { res, collection, ...filter };
      for (const ev of this.#history) {
        if (ev.rv > from && ev.collection === collection && this.#matches(w, ev.object)) this.#send(w, { type: ev.type, object: ev.object });
      }
      this.#watchers.add(w);
      res.on('close', () => this.#watchers.delete(w));
      this.emit('watch', req.url);
      return;
    }
    const all = [...(this.#objects.get(collection)?.values() ?? [])].filter((o) => this.#matches(filter, o));
    const limit = Number(q.get('limit') || '0');
    const start = Number(q.get('continue') || '0');
    const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
    const next = limit > 0 && start + limit < all.length ? String(start + limit) : undefined;
    // Like the real API server: list items carry no apiVersion/kind.
    const items = page.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv), ...(next ? { continue: next } : {}) }, items }));
  }
}
