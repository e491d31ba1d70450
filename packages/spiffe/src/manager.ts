// The client-side certificate manager (ztunnel `src/identity/manager.rs` SecretManager): per identity it fetches on
// demand, shares one in-flight request between concurrent callers, caches, refreshes at half of the lifetime (a
// little earlier, by jitter, so a fleet does not renew in lock-step), retries failures with capped exponential
// backoff, keeps a still-valid certificate while renewals fail, and forgets identities it is told are unused.
// Time comes from an injected clock so tests can drive rotation with a fake one.
import { EventEmitter } from 'node:events';
import type { FetchSvidOptions, SvidSource } from './ca-client.js';
import { silentLogger, type Logger } from './log.js';
import { SpiffeError, SpiffeErrorCode } from './errors.js';
import { SpiffeId } from './id.js';
import type { Svid } from './svid.js';

/** Timer handle of the injected clock. */
export type TimerHandle = unknown;

/** The time source: wall clock in ms plus timers. The default uses Date.now and unref'd setTimeout. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface CertificateManagerOptions {
  /** where certificates come from (a `CaClient`, or anything with `fetchSvid`) */
  source: SvidSource;
  /** options for every fetch (TTL, key type, impersonation) */
  fetchOptions?: FetchSvidOptions;
  clock?: Clock;
  /** uniform [0,1) source for jitter (default Math.random) */
  random?: () => number;
  /** refresh up to this fraction of the lifetime before the 50 % point (default 0.05; 0 disables jitter) */
  jitter?: number;
  /** first retry delay after a failed fetch (default 1 s) */
  initialBackoffMs?: number;
  /** retry delay cap (default 150 s, as ztunnel) */
  maxBackoffMs?: number;
  logger?: Logger;
}

export type CertificateState = 'initializing' | 'available' | 'unavailable';

/** Events (all carry `id`): */
export interface CertificateManagerEvents {
  /** a certificate was installed; `renewed` is true when it replaced an earlier one */
  certificate: [{ id: SpiffeId; svid: Svid; renewed: boolean; refreshAt: number }];
  /** a fetch failed; `retryInMs` is when it will be tried again; `keptPrevious` when a valid certificate remains */
  fetchFailed: [{ id: SpiffeId; error: Error; attempt: number; retryInMs: number; keptPrevious: boolean }];
  /** the certificate expired before a renewal succeeded; the identity has no certificate now */
  expired: [{ id: SpiffeId; svid: Svid }];
  /** the identity was forgotten */
  forgotten: [{ id: SpiffeId }];
}

interface Entry {
  id: SpiffeId;
  svid: Svid | undefined;
  inflight: Promise<Svid> | undefined;
  refreshTimer: TimerHandle | undefined;
  expiryTimer: TimerHandle | undefined;
  attempt: number;
  lastError: Error | undefined;
  alive: boolean;
}

/** Longest single timer (setTimeout's 32-bit limit); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class CertificateManager extends EventEmitter<CertificateManagerEvents> {
  readonly #opts: CertificateManagerOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #jitter: number;
  readonly #initialBackoff: number;
  readonly #maxBackoff: number;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(opts: CertificateManagerOptions) {
    super();
    const problems: string[] = [];
    if (!opts.source || typeof opts.source.fetchSvid !== 'function') problems.push('source: must have fetchSvid(id, opts)');
    if (opts.jitter !== undefined && !(opts.jitter >= 0 && opts.jitter < 0.5)) problems.push('jitter: must be in [0, 0.5)');
    if (opts.initialBackoffMs !== undefined && !(opts.initialBackoffMs > 0)) problems.push('initialBackoffMs: must be positive');
    if (opts.maxBackoffMs !== undefined && !(opts.maxBackoffMs >= (opts.initialBackoffMs ?? 1000))) problems.push('maxBackoffMs: must be at least initialBackoffMs');
    if (problems.length > 0) {
      throw new SpiffeError(SpiffeErrorCode.INVALID_OPTIONS, `invalid certificate manager options: ${problems.join('; ')}`, { details: problems });
    }
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#jitter = opts.jitter ?? 0.05;
    this.#initialBackoff = opts.initialBackoffMs ?? 1000;
    this.#maxBackoff = opts.maxBackoffMs ?? 150_000;
    this.#log = (opts.logger ?? silentLogger).child({ component: 'cert-manager' });
  }

  /**
   * The certificate for `id`: the cached one if still valid, else the in-flight request's result, else a new
   * request. The identity is then kept and renewed until `forget(id)`. Rejects with the fetch error when there is
   * no valid certificate (retries continue in the background).
   */
  fetch(id: SpiffeId | string): Promise<Svid> {
    if (this.#closed) return Promise.reject(new SpiffeError(SpiffeErrorCode.MANAGER_CLOSED));
    const entry = this.#entry(id);
    const svid = entry.svid;
    if (svid && this.#clock.now() < svid.notAfter) return Promise.resolve(svid);
    return this.#start(entry);
  }

  /** Starts fetching `id` in the background (ztunnel's Warmup) without waiting; errors surface as events. */
  prefetch(id: SpiffeId | string): void {
    if (this.#closed) return;
    const entry = this.#entry(id);
    if (!entry.svid && !entry.inflight) this.#start(entry).catch(() => undefined);
  }

  /** The cached certificate if it is valid now (never starts a fetch). */
  get(id: SpiffeId | string): Svid | undefined {
    const e = this.#entries.get(String(id));
    return e?.svid && this.#clock.now() < e.svid.notAfter ? e.svid : undefined;
  }

  state(id: SpiffeId | string): CertificateState | undefined {
    const e = this.#entries.get(String(id));
    if (!e) return undefined;
    if (this.get(id)) return 'available';
    return e.lastError && !e.inflight ? 'unavailable' : 'initializing';
  }

  /** The identities currently managed. */
  identities(): SpiffeId[] {
    return [...this.#entries.values()].map((e) => e.id);
  }

  /** Stops renewing `id` and drops its certificate (call when the last workload with that identity is gone). */
  forget(id: SpiffeId | string): boolean {
    const e = this.#entries.get(String(id));
    if (!e) return false;
    this.#drop(e);
    this.emit('forgotten', { id: e.id });
    return true;
  }

  /** Forgets everything and refuses further fetches (MANAGER_CLOSED). Idempotent. */
  close(): void {
    this.#closed = true;
    for (const e of [...this.#entries.values()]) this.#drop(e);
  }

  #entry(id: SpiffeId | string): Entry {
    const key = String(id);
    let e = this.#entries.get(key);
    if (!e) {
      const sid = typeof id === 'string' ? SpiffeId.parse(id) : id;
      e = { id: sid, svid: undefined, inflight: undefined, refreshTimer: undefined, expiryTimer: undefined, attempt: 0, lastError: undefined, alive: true };
      this.#entries.set(key, e);
    }
    return e;
  }

  #drop(e: Entry): void {
    e.alive = false;
    this.#cancel(e.refreshTimer);
    this.#cancel(e.expiryTimer);
    e.refreshTimer = e.expiryTimer = undefined;
    e.svid = undefined;
    this.#entries.delete(e.id.toString());
  }

  /** Runs `fn` after `ms` on the injected clock, chaining timers past setTimeout's limit. */
  #after(ms: number, fn: () => void): TimerHandle {
    const box: { h: TimerHandle } = { h: undefined };
    const at = this.#clock.now() + ms;
    const arm = (): void => {
      const left = at - this.#clock.now();
      box.h = this.#clock.setTimeout(left > MAX_TIMER_MS ? arm : fn, Math.max(0, Math.min(left, MAX_TIMER_MS)));
    };
    arm();
    return box;
  }

  #cancel(h: TimerHandle | undefined): void {
    if (h !== undefined) this.#clock.clearTimeout((h as { h: TimerHandle }).h);
  }

  #start(e: Entry): Promise<Svid> {
    if (e.inflight) return e.inflight;
    this.#cancel(e.refreshTimer);
    e.refreshTimer = undefined;
    const p = this.#opts.source.fetchSvid(e.id, this.#opts.fetchOptions).then(
      (svid) => {
        e.inflight = undefined;
        if (!e.alive) return svid;
        this.#install(e, svid);
        return svid;
      },
      (err: unknown) => {
        e.inflight = undefined;
        const error = err instanceof Error ? err : new Error(String(err));
        if (!e.alive) throw error;
        e.attempt++;
        e.lastError = error;
        const retryInMs = Math.min(this.#maxBackoff, this.#initialBackoff * 2 ** (e.attempt - 1));
        const keptPrevious = e.svid !== undefined && this.#clock.now() < e.svid.notAfter;
        e.refreshTimer = this.#after(retryInMs, () => {
          e.refreshTimer = undefined;
          this.#start(e).catch(() => undefined);
        });
        this.#log.warn({ id: e.id.toString(), attempt: e.attempt, retryInMs, keptPrevious, err: error.message }, 'certificate fetch failed');
        this.emit('fetchFailed', { id: e.id, error, attempt: e.attempt, retryInMs, keptPrevious });
        throw error;
      },
    );
    e.inflight = p;
    return p;
  }

  #install(e: Entry, svid: Svid): void {
    const renewed = e.svid !== undefined;
    e.svid = svid;
    e.attempt = 0;
    e.lastError = undefined;
    const lifetime = svid.notAfter - svid.notBefore;
    const refreshAt = svid.notBefore + lifetime / 2 - this.#random() * this.#jitter * lifetime;
    const now = this.#clock.now();
    this.#cancel(e.refreshTimer);
    e.refreshTimer = this.#after(Math.max(0, refreshAt - now), () => {
      e.refreshTimer = undefined;
      this.#start(e).catch(() => undefined);
    });
    this.#cancel(e.expiryTimer);
    e.expiryTimer = this.#after(Math.max(0, svid.notAfter - now), () => {
      e.expiryTimer = undefined;
      if (e.svid === svid) {
        e.svid = undefined;
        this.#log.error({ id: e.id.toString(), notAfter: new Date(svid.notAfter).toISOString() }, 'certificate expired before renewal succeeded');
        this.emit('expired', { id: e.id, svid });
      }
    });
    this.#log.debug({ id: e.id.toString(), notAfter: new Date(svid.notAfter).toISOString(), refreshAt: new Date(refreshAt).toISOString() }, 'certificate installed');
    this.emit('certificate', { id: e.id, svid, renewed, refreshAt });
  }
}
