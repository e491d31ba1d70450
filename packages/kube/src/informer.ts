// The Kubernetes API source: one @kubernetes/client-node ListWatch (informer) per kind. The API server's list/watch
// protocol: list (paged), then watch from the list's resourceVersion with bookmarks; a 410 Gone (expired version,
// as a status or as an ERROR event) relists; other failures retry with capped exponential backoff. A kind whose CRD
// is not installed (404) counts as synced and empty, and is retried slowly.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeError, KubeErrorCode } from './errors.js';
import { CachedSource, type SourceOptions } from './source.js';
import { KINDS, objectKey, type KindKey, type KubeObject } from './types.js';

export interface KubeApiSourceOptions extends SourceOptions {
  /** A loaded client-node KubeConfig (see `loadKubeConfig`). */
  kubeConfig: KubeConfig;
  /** API version to list/watch per kind (default: `KINDS[kind].version`). */
  versions?: Partial<Record<KindKey, string>>;
  /** Retry backoff after a failed list/watch: starts at `initialMs` (default 100), doubles up to `maxMs` (30000). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Retry interval for kinds whose CRD is missing (default 30000 ms). */
  missingKindRetryMs?: number;
  /** Server-side watch timeout in seconds; the watch then resumes from the last resourceVersion (default 300). */
  watchTimeoutSeconds?: number;
  /** List page size (`limit`, default 500). */
  pageSize?: number;
  /** Random source for backoff jitter (default Math.random). */
  random?: () => number;
}

/** Loads a KubeConfig: from a file, from the in-cluster service account, or the client's default search. */
export async function loadKubeConfig(options: { kubeconfigPath?: string; inCluster?: boolean; context?: string } = {}): Promise<KubeConfig> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  if (options.inCluster) kc.loadFromCluster();
  else if (options.kubeconfigPath) kc.loadFromFile(options.kubeconfigPath);
  else kc.loadFromDefault();
  if (options.context) kc.setCurrentContext(options.context);
  return kc;
}

interface HttpError extends Error {
  statusCode?: number;
}

function headersToObject(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (h && typeof (h as { forEach?: unknown }).forEach === 'function') {
    (h as { forEach(cb: (v: string, k: string) => void): void }).forEach((v, k) => (out[k] = v));
  } else if (h && typeof h === 'object') {
    for (const [k, v] of Object.entries(h)) out[k] = String(v);
  }
  return out;
}

async function getJson(kc: KubeConfig, path: string): Promise<Record<string, unknown>> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeError(KubeErrorCode.LIST_FAILED, 'the kubeconfig has no current cluster');
  const opts = (await kc.applyToFetchOptions({})) as { agent?: http.Agent; headers?: unknown };
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: 'GET', agent: opts.agent, headers: { ...headersToObject(opts.headers), accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          const err: HttpError = new Error(`GET ${url.pathname}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
          err.statusCode = res.statusCode ?? 0;
          reject(err);
          return;
        }
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Lists and watches every configured kind through the API server. */
export class KubeApiSource extends CachedSource {
  readonly #kc: KubeConfig;
  readonly #opts: KubeApiSourceOptions;
  readonly #stops: (() => void)[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #started: Promise<void> | undefined;

  constructor(options: KubeApiSourceOptions) {
    super(options);
    this.#kc = options.kubeConfig;
    this.#opts = options;
  }

  /** Starts every informer; resolves when each kind has been listed once (errors are retried, never thrown). */
  start(): Promise<void> {
    this.#started ??= (async () => {
      const k8s = await import('@kubernetes/client-node');
      for (const kind of this.kinds) this.#startKind(k8s, kind);
      await this.synced;
    })();
    return this.#started;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of this.#stops) s();
  }

  #path(kind: KindKey): { path: string; apiVersion: string } {
    const info = KINDS[kind];
    const version = this.#opts.versions?.[kind] ?? info.version;
    const apiVersion = info.group ? `${info.group}/${version}` : version;
    const base = info.group ? `/apis/${info.group}/${version}` : `/api/${version}`;
    const ns = info.namespaced && this.namespace ? `/namespaces/${encodeURIComponent(this.namespace)}` : '';
    return { path: `${base}${ns}/${info.plural}`, apiVersion };
  }

  #startKind(k8s: typeof import('@kubernetes/client-node'), kind: KindKey): void {
    const info = KINDS[kind];
    const { path, apiVersion } = this.#path(kind);
    const sel = this.selectors[kind] ?? {};
    const log = this.log.child({ kind });
    const initialMs = this.#opts.backoff?.initialMs ?? 100;
    const maxMs = this.#opts.backoff?.maxMs ?? 30_000;
    const random = this.#opts.random ?? Math.random;
    const pageSize = this.#opts.pageSize ?? 500;
    const timeoutSeconds = this.#opts.watchTimeoutSeconds ?? 300;
    let attempt = 0;
    let missing = false;
    let listFailed = false;
    const fill = (o: KubeObject): KubeObject => (o.apiVersion && o.kind ? o : { ...o, apiVersion, kind: info.kind });

    const listFn = async () => {
      listFailed = false;
      missing = false;
      const items: KubeObject[] = [];
      let cont = '';
      let rv = '';
      try {
        do {
          const q = new URLSearchParams({ limit: String(pageSize) });
          if (cont) q.set('continue', cont);
          if (sel.labelSelector) q.set('labelSelector', sel.labelSelector);
          if (sel.fieldSelector) q.set('fieldSelector', sel.fieldSelector);
          const body = await getJson(this.#kc, `${path}?${q}`);
          for (const it of (body.items as KubeObject[] | undefined) ?? []) items.push(fill(it));
          const md = (body.metadata ?? {}) as { resourceVersion?: string; continue?: string };
          cont = md.continue ?? '';
          rv = md.resourceVersion ?? rv;
        } while (cont);
      } catch (err) {
        if ((err as HttpError).statusCode === 404) {
          missing = true;
          return { apiVersion, kind: `${info.kind}List`, items: [], metadata: { resourceVersion: '' } };
        }
        listFailed = true;
        throw err;
      }
      log.debug({ count: items.length, resourceVersion: rv }, 'listed');
      return { apiVersion, kind: `${info.kind}List`, items, metadata: { resourceVersion: rv } };
    };

    // A Watch that asks for bookmarks and a server-side timeout, and records bookmark versions.
    const self = this;
    class BookmarkWatch extends k8s.Watch {
      override watch(p: string, params: Record<string, string | number | boolean | undefined>, cb: (phase: string, obj: any, w?: any) => void, done: (err: any) => void) {
        if (missing) {
          // The CRD is not installed: do not watch; retry the list later.
          queueMicrotask(() => done(Object.assign(new Error('kind not served'), { statusCode: 404 })));
          return Promise.resolve(new AbortController());
        }
        const jitter = Math.floor(timeoutSeconds * (1 + random()));
        return super.watch(p, { ...params, allowWatchBookmarks: true, timeoutSeconds: jitter }, (phase, obj, w) => {
          attempt = 0;
          if (phase === 'BOOKMARK') {
            const rv = (obj as KubeObject | undefined)?.metadata?.resourceVersion;
            if (rv) self.setResourceVersion(kind, rv);
          } else if (phase === 'ERROR') {
            log.info({ status: obj }, (obj as { code?: number })?.code === 410 ? 'watch expired (410 Gone); relisting' : 'watch error event');
          }
          cb(phase, phase === 'ERROR' ? obj : obj && typeof obj === 'object' ? fill(obj as KubeObject) : obj, w);
        }, done);
      }
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- client-node types timestamps as Date; the wire has strings
    const lw = new k8s.ListWatch<any>(path, new BookmarkWatch(this.#kc), listFn as never, false, sel.labelSelector, sel.fieldSelector);
    lw.on('add', (o: KubeObject) => this.upsert(kind, fill(o)));
    lw.on('update', (o: KubeObject) => this.upsert(kind, fill(o)));
    lw.on('delete', (o: KubeObject) => this.remove(kind, objectKey(o), fill(o)));

    const run = async () => {
      if (this.closed) return;
      await lw.start();
      if (this.closed) return;
      if (!listFailed) {
        this.setResourceVersion(kind, lw.latestResourceVersion());
        this.markSynced(kind);
      }
    };
    const retry = (err: unknown) => {
      if (this.closed) return;
      let delay: number;
      if ((err as HttpError)?.statusCode === 404 || missing) {
        delay = this.#opts.missingKindRetryMs ?? 30_000;
        log.info({ path }, 'kind not served by the API server (CRD not installed?); treating it as empty and retrying');
      } else {
        delay = Math.min(maxMs, initialMs * 2 ** attempt) * (0.5 + random() / 2);
        attempt++;
        log.warn({ err: (err as Error)?.message ?? String(err), path, retryInMs: Math.round(delay) }, 'list/watch failed; retrying with backoff');
      }
      const t = setTimeout(() => {
        this.#timers.delete(t);
        run().catch(retry);
      }, delay);
      t.unref();
      this.#timers.add(t);
    };
    lw.on('error', retry);
    this.#stops.push(() => void lw.stop());
    run().catch(retry);
  }
}
