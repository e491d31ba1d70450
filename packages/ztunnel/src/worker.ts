// One data-path worker thread of the multi-worker mode (see workers.ts). It runs an ordinary `build()` with only the
// data listeners (15001/15006/15008/15080), each on its own pre-bound SO_REUSEPORT socket, and talks to the main
// thread over the worker port: state mutations and certificates come in, log records, metrics snapshots and
// connection counts go out. Loaded by `new Worker(...)`; importing it elsewhere does nothing.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Svid } from '@amesh/spiffe';
import type { ZtunnelConfig } from './config.js';
import type { IdentityProvider, Logger } from './proxy.js';
import { applyStateOps, ProxyState } from './state.js';
import { build } from './ztunnel.js';
import type { FromWorker, ToWorker, WorkerData } from './workers.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const rank = (level: string) => {
  const i = LEVELS.indexOf(level as (typeof LEVELS)[number]);
  return i < 0 ? 2 : i;
};

/** A pino-compatible logger that drops records below the main thread's level and forwards the rest. */
function forwardingLogger(port: MessagePort, level: { value: string }, bindings: Record<string, unknown> = {}): Logger {
  const send = (lvl: (typeof LEVELS)[number]) => (obj: object | string, msg?: string) => {
    if (rank(lvl) < rank(level.value)) return;
    const m: FromWorker = { type: 'log', level: lvl, bindings, obj: typeof obj === 'string' ? {} : obj, msg: typeof obj === 'string' ? obj : msg };
    try {
      port.postMessage(m);
    } catch {
      // something in the record cannot be cloned: send it as JSON
      port.postMessage({ ...m, obj: JSON.parse(JSON.stringify(m.obj, (_k, v: unknown) => (v instanceof Error ? { message: v.message, code: (v as { code?: unknown }).code } : v))) as object });
    }
  };
  return {
    trace: send('trace'), debug: send('debug'), info: send('info'), warn: send('warn'), error: send('error'),
    child: (b) => forwardingLogger(port, level, { ...bindings, ...b }),
  };
}

/** Certificates from the main thread's certificate manager, cached; refreshed in the background after `ttlMs`. */
function workerIdentities(port: MessagePort, ttlMs: number): { provider: IdentityProvider; onReply(m: Extract<ToWorker, { type: 'svid' }>): void } {
  const cache = new Map<string, { svid: Svid; chainPem: string; fetched: number; refreshing: boolean }>();
  const pending = new Map<number, { resolve(s: Svid): void; reject(e: Error): void; identity: string }>();
  let next = 0;
  const request = (identity: string) =>
    new Promise<Svid>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject, identity });
      port.postMessage({ type: 'svid', id, identity } satisfies FromWorker);
    });
  return {
    provider: {
      async svid(identity) {
        const hit = cache.get(identity);
        if (hit) {
          if (!hit.refreshing && Date.now() - hit.fetched > ttlMs) {
            hit.refreshing = true;
            request(identity).catch(() => {}).finally(() => (hit.refreshing = false));
          }
          return hit.svid;
        }
        return request(identity);
      },
    },
    onReply(m) {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (!m.pem) {
        p.reject(Object.assign(new Error(m.error ?? 'no certificate'), { code: m.code }));
        return;
      }
      const hit = cache.get(p.identity);
      // the same certificate as before: keep the Svid object (its SecureContext and the TLS dispatchers on it)
      if (hit && hit.chainPem === m.pem.chain) {
        hit.fetched = Date.now();
        p.resolve(hit.svid);
        return;
      }
      try {
        const svid = new Svid({ key: m.pem.key, certChainPem: m.pem.chain, trustBundlePem: m.pem.roots });
        cache.set(p.identity, { svid, chainPem: m.pem.chain, fetched: Date.now(), refreshing: false });
        p.resolve(svid);
      } catch (err) {
        p.reject(err as Error);
      }
    },
  };
}

async function runWorker(port: MessagePort, data: WorkerData): Promise<void> {
  const config: ZtunnelConfig = data.config;
  const level = { value: data.logLevel };
  const logger = forwardingLogger(port, level, { worker: data.index });
  const state = new ProxyState({ nodeName: config.nodeName });
  applyStateOps(state, data.initialOps);
  const ids = data.identities ? workerIdentities(port, data.certificateTtlMs) : undefined;
  let lastConns = -1;
  let zt: Awaited<ReturnType<typeof build>> | undefined;
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'ops':
        applyStateOps(state, m.ops);
        break;
      case 'svid':
        ids?.onReply(m);
        break;
      case 'level':
        level.value = m.level;
        break;
      case 'metrics':
        port.postMessage({ type: 'metrics', id: m.id, snapshot: zt ? zt.metrics.snapshot() : { families: [], socketsOpen: { source: 0, destination: 0 } }, connections: zt?.connections ?? 0 } satisfies FromWorker);
        break;
      case 'drain':
        void (zt ? zt.close({ deadlineMs: m.deadlineMs }) : Promise.resolve()).then(() => {
          clearInterval(timer);
          port.postMessage({ type: 'closed' } satisfies FromWorker);
          port.close();
        });
        break;
    }
  });
  // open connection counts for the main thread's `connections` (cheap: only when changed)
  const timer = setInterval(() => {
    const n = zt?.connections ?? 0;
    if (n !== lastConns) {
      lastConns = n;
      port.postMessage({ type: 'connections', n } satisfies FromWorker);
    }
  }, 500);
  timer.unref();
  try {
    zt = await build(config, {
      logger, state, ...(ids ? { identities: ids.provider } : {}), listenFds: data.fds, version: data.version,
      ...(data.hboneDialPort !== undefined ? { hboneDialPort: data.hboneDialPort } : {}),
    });
  } catch (err) {
    port.postMessage({ type: 'failed', message: (err as Error).message } satisfies FromWorker);
    port.close();
    return;
  }
  port.postMessage({ type: 'ready', ports: { ...zt.ports } } satisfies FromWorker);
}

const data = workerData as WorkerData | undefined;
if (parentPort && data?.kind === 'amesh-ztunnel-worker') void runWorker(parentPort, data);
