// The CA's signing pool: worker threads that each hold the CA (and its signing key, imported once per worker) and
// issue certificates, so a CA service uses every core. RSA-2048 signing costs ~1 ms of CPU: one thread cannot
// reach 1,000 certificates/s, two can.
//
// Requests queue on the main thread and are sent in batches (one message per worker per event-loop turn) to the
// least busy ready worker. A worker that crashes, exits or stops answering for `timeoutMs` is terminated and
// replaced; the requests it held fail with SIGNING_WORKER_FAILED (nothing was issued), the queue moves on to the
// other workers. Requests that wait `timeoutMs` without any ready worker fail the same way. `close()` terminates
// every worker and fails whatever is still pending with CA_CLOSED. Idle workers are unref'd: they never keep a
// process alive on their own.
import { Worker } from 'node:worker_threads';
import { SpiffeError, SpiffeErrorCode } from './errors.js';
import type { Logger } from './log.js';

/** A request to a worker: a whole CSR (`sign`: verify + identity/TTL policy + issue) or a pre-verified `issue`. */
export type PoolRequest =
  | { id: number; now: number; kind: 'sign'; csr: string | Uint8Array; identity?: string; ttlSeconds?: number }
  | { id: number; now: number; kind: 'issue'; uri: string; spki: Uint8Array; rsa: boolean; ttlSeconds: number };

export type PoolReply =
  | { id: number; ok: true; leafPem: string; leafDer: Uint8Array; notBefore: number; notAfter: number }
  | { id: number; ok: false; code?: string; message: string; details?: string[] };

/** What a worker returns for a request: the leaf (the caller appends its own chain) and the validity. */
export interface PoolResult {
  leafPem: string;
  leafDer: Uint8Array;
  notBefore: number;
  notAfter: number;
}

/** A request without its id and clock reading (the pool adds them). */
export type PoolJob = DistributiveOmit<PoolRequest, 'id' | 'now'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface SigningPoolOptions {
  /** number of worker threads (>= 1) */
  size: number;
  /** the snapshot each worker rebuilds its CA from (contains the signing key) */
  snapshot: unknown;
  /** the main thread's clock; its reading travels with each request */
  now: () => number;
  /** a worker holding requests this long without answering is terminated; queued requests fail after it too */
  timeoutMs: number;
  logger: Logger;
}

interface Pending {
  id: number;
  job: PoolJob;
  queuedAt: number;
  resolve: (r: PoolResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  /** requests sent and not answered, by id */
  inflight: Map<number, Pending>;
  /** requests assigned in this turn, not yet posted */
  outbox: Pending[];
  /** monotonic ms of the last message from the worker (or of its start) */
  lastHeard: number;
  /** true once the pool itself decided to stop this worker */
  retired: boolean;
}

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const [NODE_MAJOR, NODE_MINOR] = process.versions.node.split('.').map(Number) as [number, number];
/** Node's type stripping (>= 22.6) */
const STRIP_TYPES = NODE_MAJOR > 22 || (NODE_MAJOR === 22 && NODE_MINOR >= 6);
/**
 * Running from the TypeScript sources (the test runner's `@amesh/source` condition): the runner's loader hangs in
 * worker threads, so the worker loads its .ts files with Node's type stripping and a resolve hook that maps `./x.js`
 * to `./x.ts`. On an older Node (the test run on the Node 20 floor) it runs the built worker (`dist/`, which
 * `npm test` builds first) with no inherited loader flags. The built package (dist/*.js) needs none of this.
 */
const WORKER_URL = new URL(!FROM_SOURCE ? './signing-worker.js' : STRIP_TYPES ? './signing-worker.ts' : '../dist/signing-worker.js', import.meta.url);
const SOURCE_HOOKS = `export async function resolve(specifier, context, next) {
  if (context.parentURL?.endsWith('.ts') && /^\\.\\.?\\//.test(specifier) && specifier.endsWith('.js')) {
    try { return await next(specifier.slice(0, -3) + '.ts', context); } catch {}
  }
  return next(specifier, context);
}`;
const WORKER_EXEC_ARGV = !FROM_SOURCE
  ? undefined
  : !STRIP_TYPES
    ? []
    : [
        '--experimental-strip-types',
        '--disable-warning=ExperimentalWarning',
        '--import',
        'data:text/javascript,' + encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(SOURCE_HOOKS))});`),
      ];
const RESTART_BACKOFF_MS = [0, 100, 500, 2000, 5000];

export class SigningPool {
  readonly size: number;
  readonly #opts: SigningPoolOptions;
  readonly #slots: (Slot | undefined)[];
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #flushScheduled = false;
  #closed = false;
  #watchdog: NodeJS.Timeout | undefined;
  /** consecutive failures without a successful answer in between (drives the restart backoff) */
  #failures = 0;
  #restarts = 0;
  #readyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** replacement workers waiting out their backoff */
  readonly #restartTimers = new Set<NodeJS.Timeout>();

  constructor(opts: SigningPoolOptions) {
    this.size = opts.size;
    this.#opts = opts;
    this.#slots = Array.from({ length: opts.size }, () => undefined);
    for (let i = 0; i < opts.size; i++) this.#start(i);
  }

  /** how many workers were replaced after a crash, exit or timeout */
  get restarts(): number {
    return this.#restarts;
  }

  /** requests queued or in flight */
  get pending(): number {
    let n = this.#queue.length;
    for (const s of this.#slots) if (s) n += s.inflight.size + s.outbox.length;
    return n;
  }

  /** Runs one job on a worker. Rejects with the worker's SpiffeError, SIGNING_WORKER_FAILED or CA_CLOSED. */
  run(job: PoolJob): Promise<PoolResult> {
    if (this.#closed) return Promise.reject(new SpiffeError(SpiffeErrorCode.CA_CLOSED, 'the certificate authority is closed: its signing workers are stopped'));
    return new Promise<PoolResult>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, queuedAt: performance.now(), resolve, reject });
      // a worker still starting (or about to be restarted) must keep the process alive for this request
      for (const s of this.#slots) if (s && !s.ready) s.worker.ref();
      for (const timer of this.#restartTimers) timer.ref();
      this.#scheduleFlush();
      this.#armWatchdog();
    });
  }

  /** Terminates every worker; pending requests fail with CA_CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#watchdog) clearInterval(this.#watchdog);
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    const err = (): SpiffeError => new SpiffeError(SpiffeErrorCode.CA_CLOSED, 'the certificate authority was closed before this request was signed');
    for (const p of this.#queue.splice(0)) p.reject(err());
    for (const w of this.#readyWaiters.splice(0)) w.resolve();
    const stopping: Promise<number>[] = [];
    for (const s of this.#slots) {
      if (!s) continue;
      s.retired = true;
      for (const p of [...s.inflight.values(), ...s.outbox.splice(0)]) p.reject(err());
      s.inflight.clear();
      stopping.push(s.worker.terminate());
    }
    await Promise.all(stopping);
  }

  /**
   * Resolves once every worker is started and ready to sign (right away when they are); rejects with
   * SIGNING_WORKER_FAILED when a worker fails before it became ready (it is still replaced, with backoff).
   */
  whenReady(): Promise<void> {
    if (this.#closed || this.readyWorkers === this.size) return Promise.resolve();
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /** workers started and ready to sign */
  get readyWorkers(): number {
    return this.#slots.filter((s) => s !== undefined && s.ready && !s.retired).length;
  }

  /** Test hook: worker `index` crashes (uncaught exception) or hangs (busy loop) when its next batch arrives. */
  injectFault(index: number, fault: 'crash' | 'hang'): void {
    this.#slots[index]?.worker.postMessage({ test: fault });
  }

  #start(index: number): void {
    const worker = new Worker(WORKER_URL, { workerData: this.#opts.snapshot, ...(WORKER_EXEC_ARGV ? { execArgv: WORKER_EXEC_ARGV } : {}) });
    const slot: Slot = { index, worker, ready: false, inflight: new Map(), outbox: [], lastHeard: performance.now(), retired: false };
    this.#slots[index] = slot;
    if (this.#queue.length === 0) worker.unref();
    worker.on('message', (msg: 'ready' | PoolReply[]) => {
      slot.lastHeard = performance.now();
      if (msg === 'ready') {
        slot.ready = true;
        if (this.readyWorkers === this.size) for (const w of this.#readyWaiters.splice(0)) w.resolve();
        if (this.#queue.length === 0) worker.unref();
        else this.#scheduleFlush();
        return;
      }
      for (const r of msg) {
        const p = slot.inflight.get(r.id);
        if (!p) continue;
        slot.inflight.delete(r.id);
        if (r.ok) p.resolve({ leafPem: r.leafPem, leafDer: r.leafDer, notBefore: r.notBefore, notAfter: r.notAfter });
        else p.reject(toError(r));
      }
      this.#failures = 0;
      if (slot.inflight.size === 0) worker.unref();
      if (this.#queue.length > 0) this.#scheduleFlush();
    });
    worker.on('error', (err) => this.#fail(slot, `crashed: ${err.message}`));
    worker.on('exit', (code) => this.#fail(slot, `exited with code ${code}`));
  }

  /** A worker is gone (or must go): fail what it held, replace it after a backoff. */
  #fail(slot: Slot, why: string): void {
    if (slot.retired) return;
    slot.retired = true;
    this.#slots[slot.index] = undefined;
    const held = [...slot.inflight.values(), ...slot.outbox.splice(0)];
    slot.inflight.clear();
    this.#opts.logger.error({ worker: slot.index, threadId: slot.worker.threadId, failedRequests: held.length }, `signing worker ${why}: replacing it`);
    void slot.worker.terminate();
    for (const p of held) {
      p.reject(new SpiffeError(SpiffeErrorCode.SIGNING_WORKER_FAILED, `signing worker ${slot.index} ${why} while holding this request: nothing was issued, retry`));
    }
    if (!slot.ready) {
      for (const w of this.#readyWaiters.splice(0)) {
        w.reject(new SpiffeError(SpiffeErrorCode.SIGNING_WORKER_FAILED, `signing worker ${slot.index} ${why} while starting`));
      }
    }
    if (this.#closed) return;
    const delay = RESTART_BACKOFF_MS[Math.min(this.#failures, RESTART_BACKOFF_MS.length - 1)]!;
    this.#failures++;
    this.#restarts++;
    const timer = setTimeout(() => {
      this.#restartTimers.delete(timer);
      if (!this.#closed) this.#start(slot.index);
    }, delay);
    this.#restartTimers.add(timer);
    // like an idle worker, a pending replacement keeps the process alive only while requests wait for it
    if (this.pending === 0) timer.unref();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  /** Assigns queued requests to the least busy ready workers and posts one batch per worker. */
  #flush(): void {
    const ready = this.#slots.filter((s): s is Slot => s !== undefined && s.ready && !s.retired);
    if (ready.length === 0) return;
    const now = this.#opts.now();
    // keep at most a few batches' worth in flight per worker so a crash loses little and the queue stays fair
    const cap = 64;
    while (this.#queue.length > 0) {
      let best: Slot | undefined;
      for (const s of ready) {
        const load = s.inflight.size + s.outbox.length;
        if (load < cap && (!best || load < best.inflight.size + best.outbox.length)) best = s;
      }
      if (!best) break;
      best.outbox.push(this.#queue.shift()!);
    }
    for (const s of ready) {
      if (s.outbox.length === 0) continue;
      const batch: PoolRequest[] = [];
      for (const p of s.outbox) {
        s.inflight.set(p.id, p);
        batch.push({ ...p.job, id: p.id, now } as PoolRequest);
      }
      s.outbox.length = 0;
      if (s.inflight.size === batch.length) s.lastHeard = performance.now(); // it was idle: the clock starts now
      s.worker.ref();
      s.worker.postMessage({ batch });
    }
  }

  /** Every timeoutMs/4 while requests are pending: replace silent workers, fail requests nobody could take. */
  #armWatchdog(): void {
    if (this.#watchdog) return;
    const period = Math.max(10, Math.floor(this.#opts.timeoutMs / 4));
    this.#watchdog = setInterval(() => {
      const t = performance.now();
      for (const s of this.#slots) {
        if (s && !s.retired && s.inflight.size > 0 && t - s.lastHeard > this.#opts.timeoutMs) {
          this.#fail(s, `did not answer within ${this.#opts.timeoutMs} ms`);
        }
      }
      while (this.#queue.length > 0 && t - this.#queue[0]!.queuedAt > this.#opts.timeoutMs) {
        this.#queue
          .shift()!
          .reject(new SpiffeError(SpiffeErrorCode.SIGNING_WORKER_FAILED, `no signing worker was available within ${this.#opts.timeoutMs} ms: nothing was issued, retry`));
      }
      if (this.pending === 0) {
        clearInterval(this.#watchdog);
        this.#watchdog = undefined;
      }
    }, period);
    this.#watchdog.unref();
  }
}

function toError(r: Extract<PoolReply, { ok: false }>): Error {
  if (r.code && Object.values(SpiffeErrorCode).includes(r.code as SpiffeErrorCode)) {
    return new SpiffeError(r.code as SpiffeErrorCode, r.message, r.details && r.details.length > 0 ? { details: r.details } : undefined);
  }
  return new Error(`signing worker: ${r.message}`);
}
