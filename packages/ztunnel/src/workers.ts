// The multi-worker mode (upstream runs its proxy on ZTUNNEL_WORKER_THREADS tokio workers, default 2): the data path
// runs in N worker threads, each with its own data listeners (15001/15006/15008/15080) on sockets bound by the native
// helper with SO_REUSEPORT (options such as IP_TRANSPARENT set before bind), so the kernel spreads new connections
// across the workers. The main thread keeps the one xDS client and the one certificate manager, replicates every
// state mutation to the workers (a snapshot in workerData, then 'op' events, batched per tick), answers their
// certificate requests, serves metrics (summed over the workers), readiness and admin, and drains every worker on
// close(). Without the helper (or with workers < 2) it is the single-thread `build()`.
import { Worker } from 'node:worker_threads';
import type { ZtunnelConfig, ZtunnelPorts } from './config.js';
import { ZtunnelError, ZtunnelErrorCode } from './errors.js';
import type { MetricsSnapshot } from './metrics.js';
import type { Logger } from './proxy.js';
import { bindSocket, canBindSockets, closeFd } from './sockopt.js';
import { ProxyState, type StateOp } from './state.js';
import { build, type Ztunnel, type ZtunnelDeps } from './ztunnel.js';

type DataListener = 'outbound' | 'inboundPlaintext' | 'hbone' | 'socks5';

/** What a worker thread is started with (internal). */
export interface WorkerData {
  kind: 'amesh-ztunnel-worker';
  index: number;
  config: ZtunnelConfig;
  fds: Partial<Record<DataListener, number>>;
  initialOps: StateOp[];
  identities: boolean;
  certificateTtlMs: number;
  logLevel: string;
  version: string;
  hboneDialPort: number | undefined;
}

/** Main thread → worker (internal). */
export type ToWorker =
  | { type: 'ops'; ops: StateOp[] }
  | { type: 'svid'; id: number; pem?: { key: string; chain: string; roots: string }; error?: string; code?: string }
  | { type: 'level'; level: string }
  | { type: 'metrics'; id: number }
  | { type: 'drain'; deadlineMs: number };

/** Worker → main thread (internal). */
export type FromWorker =
  | { type: 'ready'; ports: ZtunnelPorts }
  | { type: 'failed'; message: string }
  | { type: 'log'; level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'; bindings: Record<string, unknown>; obj: object; msg: string | undefined }
  | { type: 'svid'; id: number; identity: string }
  | { type: 'metrics'; id: number; snapshot: MetricsSnapshot; connections: number }
  | { type: 'connections'; n: number }
  | { type: 'closed' };

export interface WorkersDeps extends Omit<ZtunnelDeps, 'listenFds' | 'metricsText' | 'drain' | 'extraConnections' | 'onLogLevel' | 'hboneDialer' | 'hboneAcceptor' | 'resolve' | 'random'> {
  /** Worker threads for the data path; < 2 (or no native helper) = the single-thread build(). */
  workers: number;
  /** Native helper path (tests inject a missing one to see the fallback). */
  addonPath?: string;
  /** How long a worker uses a certificate before asking the main thread again (default 30 s; rotation). */
  certificateTtlMs?: number;
  /** Worker script (testing seam). */
  workerUrl?: URL;
}

/** A ztunnel whose data path runs in worker threads. */
export interface WorkersZtunnel extends Ztunnel {
  /** Data-path worker threads (1 = the single-thread fallback). */
  readonly workers: number;
}

interface Handle {
  worker: Worker;
  index: number;
  connections: number;
  ready: Promise<ZtunnelPorts>;
  closed: Promise<void>;
  exited: boolean;
}

const DEFAULT_WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/**
 * Builds a ztunnel with `deps.workers` data-path worker threads. Every listener is bound before it resolves. Falls
 * back to `build()` (one thread, with a warning) when the native helper cannot bind SO_REUSEPORT sockets.
 */
export async function buildWorkers(config: ZtunnelConfig, deps: WorkersDeps): Promise<WorkersZtunnel> {
  const log = deps.logger.child({ component: 'ztunnel' });
  const { workers: n, addonPath, certificateTtlMs, workerUrl, ...common } = deps;
  if (n < 2 || !canBindSockets(addonPath)) {
    if (n >= 2) log.warn({ workers: n }, 'multi-worker mode needs the native socket helper (SO_REUSEPORT); running one worker');
    const zt = await build(config, common);
    return Object.assign(zt, { workers: 1 });
  }
  const state = deps.state ?? new ProxyState({ nodeName: config.nodeName });

  // one socket per worker and data listener, all on the same address (the first one picks the port when it is 0)
  const listeners: { name: DataListener; host: string; transparent: boolean }[] = [
    { name: 'outbound', host: config.captureBindAddress, transparent: config.transparent },
    { name: 'inboundPlaintext', host: config.captureBindAddress, transparent: config.transparent },
    { name: 'hbone', host: config.captureBindAddress, transparent: config.transparent },
    { name: 'socks5', host: config.localhostBindAddress, transparent: false },
  ];
  const fds: Partial<Record<DataListener, number>>[] = Array.from({ length: n }, () => ({}));
  const dataPorts: Partial<Record<DataListener, number>> = {};
  const opened: number[] = [];
  try {
    for (const l of listeners) {
      const port = config.ports[l.name];
      if (port === null) continue;
      if (l.name === 'hbone' && !deps.identities) continue; // build() warns: no certificates, no HBONE inbound
      let bound = port;
      for (let i = 0; i < n; i++) {
        const r = bindSocket(l.host, bound, {
          reusePort: true, transparent: l.transparent, ...(l.transparent && config.packetMark !== undefined ? { mark: config.packetMark } : {}),
          ...(addonPath ? { addonPath } : {}),
        });
        opened.push(r.fd);
        fds[i]![l.name] = r.fd;
        bound = r.port;
      }
      dataPorts[l.name] = bound;
    }
  } catch (err) {
    for (const fd of opened) closeFd(fd, addonPath);
    const e = err as Error;
    throw new ZtunnelError(ZtunnelErrorCode.LISTEN, `a data listener could not bind: ${e.message}`, { cause: err });
  }

  // the workers see the real ports (recursion checks) and serve only the data listeners
  const workerConfig: ZtunnelConfig = {
    ...config,
    ports: { ...config.ports, ...dataPorts, metrics: null, readiness: null, admin: null },
  };
  for (const l of listeners) if (dataPorts[l.name] === undefined) workerConfig.ports[l.name] = null;
  const logger = deps.logger as Logger & { level?: string };
  const loggers = new Map<string, Logger>();
  const childFor = (bindings: Record<string, unknown>): Logger => {
    const key = JSON.stringify(bindings);
    let l = loggers.get(key);
    if (!l) loggers.set(key, (l = deps.logger.child(bindings)));
    return l;
  };
  const metricsWaiters = new Map<number, (r: { snapshot: MetricsSnapshot; connections: number } | undefined) => void>();
  let nextId = 0;
  let stopping = false;
  let handle: WorkersZtunnel | undefined;

  const start = (index: number): Handle => {
    const data: WorkerData = {
      kind: 'amesh-ztunnel-worker', index, config: workerConfig, fds: fds[index]!, initialOps: state.ops(),
      identities: deps.identities !== undefined, certificateTtlMs: certificateTtlMs ?? 30_000,
      logLevel: logger.level ?? 'info', version: deps.version ?? 'unknown', hboneDialPort: deps.hboneDialPort,
    };
    const worker = new Worker(workerUrl ?? DEFAULT_WORKER_URL, { workerData: data, name: `ztunnel-worker-${index}` });
    let readyResolve!: (p: ZtunnelPorts) => void;
    let readyReject!: (e: Error) => void;
    let closedResolve!: () => void;
    const h: Handle = {
      worker, index, connections: 0, exited: false,
      ready: new Promise((res, rej) => ((readyResolve = res), (readyReject = rej))),
      closed: new Promise((res) => (closedResolve = res)),
    };
    h.ready.catch(() => {});
    worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          readyResolve(m.ports);
          break;
        case 'failed':
          readyReject(new ZtunnelError(ZtunnelErrorCode.LISTEN, `worker ${index} failed to start: ${m.message}`));
          break;
        case 'log': {
          const l = childFor(m.bindings);
          const fn = (l as unknown as Record<string, (o: object, msg?: string) => void>)[m.level];
          if (typeof fn === 'function') fn.call(l, m.obj, m.msg);
          break;
        }
        case 'svid': {
          const reply = (r: Omit<Extract<ToWorker, { type: 'svid' }>, 'type' | 'id'>) => {
            if (!h.exited) worker.postMessage({ type: 'svid', id: m.id, ...r } satisfies ToWorker);
          };
          if (!deps.identities) {
            reply({ error: 'no certificate provider', code: ZtunnelErrorCode.IDENTITY });
            break;
          }
          deps.identities.svid(m.identity).then(
            (s) => reply({ pem: { key: s.privateKeyPem, chain: s.certChainPem, roots: s.trustBundlePem } }),
            (err: Error & { code?: string }) => reply({ error: err.message, ...(err.code ? { code: err.code } : {}) }),
          );
          break;
        }
        case 'metrics':
          h.connections = m.connections;
          metricsWaiters.get(m.id)?.({ snapshot: m.snapshot, connections: m.connections });
          break;
        case 'connections':
          h.connections = m.n;
          break;
        case 'closed':
          closedResolve();
          break;
      }
    });
    worker.on('error', (err) => {
      log.error({ worker: index, err: err.message }, 'ztunnel worker failed');
      readyReject(err);
    });
    worker.once('exit', (code) => {
      h.exited = true;
      h.connections = 0;
      closedResolve();
      readyReject(new ZtunnelError(ZtunnelErrorCode.LISTEN, `worker ${index} exited (code ${code}) before it was ready`));
      if (!stopping) {
        // a lost worker leaves its listeners' share of connections unserved: stop, so the supervisor restarts us
        log.error({ worker: index, code }, 'ztunnel worker exited unexpectedly: shutting down');
        if (deps.onQuit) deps.onQuit();
        else void handle?.close();
      }
    });
    return h;
  };

  const handles: Handle[] = [];
  // state mutations go to every worker, batched per tick (one message per push)
  let batch: StateOp[] = [];
  const flush = () => {
    const ops = batch;
    batch = [];
    for (const h of handles) if (!h.exited) h.worker.postMessage({ type: 'ops', ops } satisfies ToWorker);
  };
  const onOp = (op: StateOp) => {
    if (batch.length === 0) queueMicrotask(flush);
    batch.push(op);
  };
  // every worker's snapshot is taken at its start (workerData), so subscribe before starting them
  state.on('op', onOp);
  for (let i = 0; i < n; i++) handles.push(start(i));
  try {
    await Promise.all(handles.map((h) => h.ready));
  } catch (err) {
    stopping = true;
    state.off('op', onOp);
    await Promise.all(handles.map((h) => h.worker.terminate()));
    throw err;
  }

  const metricsOf = (h: Handle): Promise<MetricsSnapshot | undefined> =>
    new Promise((resolve) => {
      if (h.exited) return resolve(undefined);
      const id = nextId++;
      const timer = setTimeout(() => done(undefined), 2000);
      const done = (r: { snapshot: MetricsSnapshot } | undefined) => {
        clearTimeout(timer);
        metricsWaiters.delete(id);
        resolve(r?.snapshot);
      };
      metricsWaiters.set(id, done);
      h.worker.postMessage({ type: 'metrics', id } satisfies ToWorker);
    });

  const drainWorkers = async (deadlineMs: number): Promise<void> => {
    stopping = true;
    flush();
    for (const h of handles) if (!h.exited) h.worker.postMessage({ type: 'drain', deadlineMs } satisfies ToWorker);
    // a worker that does not answer within the deadline (plus a margin) is terminated
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(handles.map((h) => h.closed)), new Promise<void>((r) => (timer = setTimeout(r, deadlineMs + 2000)))]);
    clearTimeout(timer);
    state.off('op', onOp);
    await Promise.all(handles.map((h) => h.worker.terminate()));
  };

  const mainConfig: ZtunnelConfig = { ...config, ports: { ...config.ports, outbound: null, inboundPlaintext: null, hbone: null, socks5: null } };
  const extraDump = deps.configDumpExtra;
  const zt = await build(mainConfig, {
    ...common,
    state,
    metricsText: async () => {
      const snaps = await Promise.all(handles.map(metricsOf));
      return zt.metrics.render(snaps.filter((s): s is MetricsSnapshot => s !== undefined));
    },
    drain: drainWorkers,
    extraConnections: () => handles.reduce((sum, h) => sum + h.connections, 0),
    onLogLevel: (level) => {
      for (const h of handles) if (!h.exited) h.worker.postMessage({ type: 'level', level } satisfies ToWorker);
    },
    configDumpExtra: () => ({
      ...(extraDump ? extraDump() : {}),
      workers: handles.map((h) => ({ index: h.index, threadId: h.worker.threadId, connections: h.connections, running: !h.exited })),
    }),
  });
  for (const l of listeners) if (dataPorts[l.name] !== undefined) zt.ports[l.name] = dataPorts[l.name]!;
  handle = Object.assign(zt, { workers: n });
  log.info({ workers: n, ports: zt.ports }, 'ztunnel data path running in worker threads');
  return handle;
}
