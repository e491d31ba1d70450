// What client and server sessions share: HTTP/2 settings as upstream (ambient-protocols §1.4), the PING keepalive,
// the logger and timer seams.
import type { Http2Session, Settings } from 'node:http2';
import { silentLogger, type Logger } from '@amesh/spiffe';
import { HboneError, HboneErrorCode } from './errors.js';

// the logger type and the silent default are spiffe's (the lowest layer), re-exported as this package's API
export { silentLogger, type Logger };

/** Timer seam (tests inject fakes; defaults are the global timers). Handles are unref'd when they support it. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** HTTP/2 tuning. Defaults are ztunnel's (zt `src/config.rs`). */
export interface H2Tuning {
  /** initial stream window, bytes (default 4 MiB) */
  streamWindow?: number;
  /** connection window, bytes (default 16 MiB) */
  connectionWindow?: number;
  /** max frame size, bytes (default 1 MiB) */
  maxFrameSize?: number;
}

export const MiB = 1024 * 1024;
export const DEFAULTS = {
  streamWindow: 4 * MiB,
  connectionWindow: 16 * MiB,
  maxFrameSize: 1 * MiB,
  clientMaxStreams: 100,
  serverMaxConcurrentStreams: 200,
  clientMaxHeaderList: 16 * 1024,
  serverMaxHeaderList: 64 * 1024,
  keepaliveIntervalMs: 10_000,
  keepaliveTimeoutMs: 20_000,
  idleTimeoutMs: 5 * 60_000,
  connectTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  /** streams the client may reset before the handler answered: burst, then per second (rapid-reset bound) */
  earlyResetBurst: 1000,
  earlyResetPerSecond: 33,
} as const;

/** Validates tuning numbers; returns problems with field paths. */
export function tuningProblems(t: H2Tuning | undefined, field: string): string[] {
  const out: string[] = [];
  if (!t) return out;
  const check = (name: keyof H2Tuning, min: number, max: number): void => {
    const v = t[name];
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) out.push(`${field}.${name}: ${v} is not an integer in ${min}..${max}`);
  };
  check('streamWindow', 65535, 2 ** 31 - 1);
  check('connectionWindow', 65535, 2 ** 31 - 1);
  check('maxFrameSize', 16384, 2 ** 24 - 1);
  return out;
}

export function positiveInt(v: unknown, field: string, out: string[]): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)) out.push(`${field}: ${String(v)} is not a positive integer`);
}

export function h2Settings(t: H2Tuning | undefined, extra: Settings): Settings {
  return {
    enablePush: false,
    initialWindowSize: t?.streamWindow ?? DEFAULTS.streamWindow,
    maxFrameSize: t?.maxFrameSize ?? DEFAULTS.maxFrameSize,
    ...extra,
  };
}

/** Raises the connection-level receive window once the session is up. */
export function applyConnectionWindow(session: Http2Session, t: H2Tuning | undefined): void {
  const size = t?.connectionWindow ?? DEFAULTS.connectionWindow;
  const set = (): void => {
    if (!session.destroyed) session.setLocalWindowSize(size);
  };
  if (session.connecting) session.once('connect', set);
  else set();
}

export interface KeepaliveOptions {
  /** PING every this many ms (default 10 s); 0 disables */
  intervalMs?: number;
  /** a PING unanswered this long kills the connection (default 20 s) */
  timeoutMs?: number;
}

/**
 * PING keepalive as ztunnel's h2 layer: the first PING after `intervalMs`, then every `intervalMs`; a PING not
 * answered within `timeoutMs` destroys the session with HBONE_ERR_PING_TIMEOUT. Returns a stop function.
 */
export function startKeepalive(session: Http2Session, opts: KeepaliveOptions | undefined, timers: Timers, log: Logger): () => void {
  const interval = opts?.intervalMs ?? DEFAULTS.keepaliveIntervalMs;
  const timeout = opts?.timeoutMs ?? DEFAULTS.keepaliveTimeoutMs;
  if (interval <= 0) return () => {};
  let next: unknown;
  let deadline: unknown;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    timers.clearTimeout(next);
    timers.clearTimeout(deadline);
  };
  const tick = (): void => {
    if (stopped || session.destroyed || session.closed) return;
    deadline = timers.setTimeout(() => {
      if (stopped) return;
      log.warn({ timeoutMs: timeout }, 'hbone keepalive ping unanswered: closing the connection');
      stop();
      session.destroy(new HboneError(HboneErrorCode.PING_TIMEOUT, `the HBONE peer did not answer a PING within ${timeout} ms`));
    }, timeout);
    const sent = session.ping((err) => {
      timers.clearTimeout(deadline);
      if (err || stopped) return;
      next = timers.setTimeout(tick, interval);
    });
    if (!sent) {
      timers.clearTimeout(deadline);
      next = timers.setTimeout(tick, interval);
    }
  };
  next = timers.setTimeout(tick, interval);
  session.once('close', stop);
  return stop;
}

/** The peer leaf certificate's DER (cheaper than `getPeerCertificate()`, which builds a whole JS object). */
export function peerDer(t: { getPeerX509Certificate(): { raw: Buffer } | undefined }): Buffer {
  const c = t.getPeerX509Certificate();
  if (!c) throw new Error('no peer certificate');
  return c.raw;
}
