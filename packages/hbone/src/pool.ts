// The HBONE client (zt `src/proxy/pool.rs`, `src/proxy/h2/client.rs`, `OutboundConnection::create_hbone_request`):
// a pool of mTLS HTTP/2 connections keyed by (source identity, expected destination identities, destination
// address, source IP), at most 100 streams per connection, one dial shared by concurrent first requests, idle
// release after 5 minutes, GOAWAY'd connections leave the pool. Plus double HBONE (an unpooled inner tunnel inside
// an outer pooled one).
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Duplex } from 'node:stream';
import { Certificate, SpiffeError, SpiffeErrorCode, clientTlsOptions, spiffeIdOf, type SpiffeId, type Svid } from '@amesh/spiffe';
import { HboneError, HboneErrorCode } from './errors.js';
import { authorityProblems, newTraceparent } from './headers.js';
import {
  DEFAULTS,
  applyConnectionWindow,
  h2Settings,
  positiveInt,
  realTimers,
  silentLogger,
  startKeepalive,
  tuningProblems,
  type H2Tuning,
  type KeepaliveOptions,
  type Logger,
  type Timers,
} from './session.js';

/** Opens the raw TCP connection (the seam for transparent source binding, SO_MARK, network namespaces). */
export type SocketFactory = (opts: { host: string; port: number; localAddress?: string }) => Duplex;

export interface HbonePoolOptions {
  logger?: Logger;
  /** streams per connection before another connection is opened (default 100; lower if the peer says so) */
  maxStreamsPerConnection?: number;
  /** a connection with no streams for this long is closed (default 5 min) */
  idleTimeoutMs?: number;
  /** TCP + TLS deadline (default 10 s) */
  connectTimeoutMs?: number;
  keepalive?: KeepaliveOptions;
  h2?: H2Tuning;
  /**
   * Spread streams over several connections per pool key (off by default: like ztunnel, one connection is filled up
   * to `maxStreamsPerConnection` before the next is opened). With `{streams, connections}`, a new tunnel goes to the
   * key's least-loaded connection, and when every connection already carries `streams` open streams another is
   * dialled, up to `connections` per key. Parallel bulk flows then do not share one TLS connection and its
   * connection window (performance-anchors Part D2).
   */
  spread?: { streams: number; connections: number };
  /** default: `net.connect` with no-delay */
  socketFactory?: SocketFactory;
  timers?: Timers;
}

export interface ConnectRequest {
  /** the source workload's identity: presented as the client certificate, part of the pool key */
  source: Svid;
  /** the HBONE endpoint to dial (e.g. podIP:15008, waypointIP:15008, gatewayIP:15008) */
  destination: { address: string; port: number };
  /** the server's URI SAN must be one of these (destination identity ∪ service SANs) */
  expectedIdentities: readonly (SpiffeId | string)[];
  /** the CONNECT target (`ip:port`, `[v6]:port` or `host:port`) */
  authority: string;
  /** local address to bind new connections to (also part of the pool key; ztunnel's spoofed source IP) */
  sourceIp?: string;
  /** `forwarded`, `baggage`, `traceparent` (default: a new random one), `x-forwarded-network`, … */
  headers?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** An established tunnel. `stream` carries the bytes; `end()` it to half-close. */
export interface OutboundTunnel {
  readonly stream: Duplex;
  /** the 200 response's headers (e.g. `baggage` describing the destination) */
  readonly responseHeaders: IncomingHttpHeaders;
  /** the server's verified SPIFFE ID */
  readonly peerIdentity: string;
}

export interface DoubleHboneRequest {
  source: Svid;
  /** the east/west gateway's HBONE endpoint and identities (outer, pooled) */
  gateway: { address: string; port: number; expectedIdentities: readonly (SpiffeId | string)[] };
  /** the outer CONNECT target (the service `hostname:port`) */
  outerAuthority: string;
  /** the final service's identities (inner TLS) */
  expectedIdentities: readonly (SpiffeId | string)[];
  /** the inner CONNECT target (the service `hostname:port`) */
  authority: string;
  sourceIp?: string;
  /** the source's network: sent as `x-forwarded-network` on the inner CONNECT */
  network?: string;
  /** inner CONNECT headers (outer gets `traceparent` and `forwarded` only if given in `outerHeaders`) */
  headers?: Record<string, string | undefined>;
  outerHeaders?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** Validates pool options; every problem with its field path. */
export function poolOptionProblems(o: HbonePoolOptions | undefined): string[] {
  const out: string[] = [];
  if (o === undefined) return out;
  if (typeof o !== 'object' || o === null) return ['options: must be an object'];
  positiveInt(o.maxStreamsPerConnection, 'maxStreamsPerConnection', out);
  positiveInt(o.idleTimeoutMs, 'idleTimeoutMs', out);
  positiveInt(o.connectTimeoutMs, 'connectTimeoutMs', out);
  if (o.spread !== undefined) {
    if (typeof o.spread !== 'object' || o.spread === null) out.push('spread: must be {streams, connections}');
    else {
      positiveInt(o.spread.streams ?? 0, 'spread.streams', out);
      positiveInt(o.spread.connections ?? 0, 'spread.connections', out);
    }
  }
  out.push(...tuningProblems(o.h2, 'h2'));
  return out;
}

function requestProblems(r: ConnectRequest): string[] {
  const out: string[] = [];
  if (!r || typeof r !== 'object') return ['request: required'];
  if (!r.source || typeof (r.source as Svid).secureContext !== 'function') out.push('source: required Svid');
  if (!r.destination || net.isIP(r.destination.address) === 0) out.push(`destination.address: ${JSON.stringify(r.destination?.address)} is not an IP address`);
  if (!r.destination || !Number.isInteger(r.destination.port) || r.destination.port < 1 || r.destination.port > 65535) {
    out.push(`destination.port: ${JSON.stringify(r.destination?.port)} is not in 1..65535`);
  }
  if (!Array.isArray(r.expectedIdentities) || r.expectedIdentities.length === 0) out.push('expectedIdentities: at least one identity is required');
  out.push(...authorityProblems(r.authority));
  if (r.sourceIp !== undefined && net.isIP(r.sourceIp) === 0) out.push(`sourceIp: ${JSON.stringify(r.sourceIp)} is not an IP address`);
  return out;
}

/** One pooled HTTP/2 connection. */
class Conn {
  readonly session: ClientHttp2Session;
  readonly peerIdentity: string;
  active = 0;
  total = 0;
  maxStreams: number;
  goaway = false;
  idleTimer: unknown;
  constructor(session: ClientHttp2Session, peerIdentity: string, maxStreams: number) {
    this.session = session;
    this.peerIdentity = peerIdentity;
    this.maxStreams = maxStreams;
  }
  get usable(): boolean {
    return !this.goaway && !this.session.closed && !this.session.destroyed && this.active < this.maxStreams;
  }
}

interface Entry {
  conns: Conn[];
  dialing: Promise<Conn> | undefined;
}

/** Pool statistics (for metrics and tests). */
export interface PoolStats {
  /** pool keys with at least one connection */
  keys: number;
  /** open HTTP/2 connections */
  connections: number;
  /** open streams */
  streams: number;
  /** connections ever dialled */
  dials: number;
}

/** The pooled HBONE client. One per proxied workload and listener, as ztunnel keeps one pool per pod. */
export class HbonePool extends EventEmitter {
  readonly #o: HbonePoolOptions;
  readonly #log: Logger;
  readonly #timers: Timers;
  readonly #entries = new Map<string, Entry>();
  readonly #all = new Set<Conn>();
  readonly #extra = new Set<ClientHttp2Session>();
  #dials = 0;
  #closed = false;

  constructor(options: HbonePoolOptions = {}) {
    super();
    const problems = poolOptionProblems(options);
    if (problems.length > 0) {
      throw new HboneError(HboneErrorCode.INVALID_OPTIONS, `invalid HBONE pool options: ${problems.join('; ')}`, { details: problems });
    }
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ component: 'hbone.pool' });
    this.#timers = options.timers ?? realTimers;
  }

  stats(): PoolStats {
    let streams = 0;
    for (const c of this.#all) streams += c.active;
    return { keys: this.#entries.size, connections: this.#all.size, streams, dials: this.#dials };
  }

  /**
   * Opens a CONNECT tunnel over a pooled connection. Resolves once the server answered 200; any other status
   * rejects with HBONE_ERR_CONNECT_STATUS (`error.status`).
   */
  async connect(req: ConnectRequest): Promise<OutboundTunnel> {
    if (this.#closed) throw new HboneError(HboneErrorCode.CLOSED);
    const problems = requestProblems(req);
    if (problems.length > 0) {
      throw new HboneError(HboneErrorCode.INVALID_OPTIONS, `invalid HBONE connect request: ${problems.join('; ')}`, { details: problems });
    }
    const conn = await this.#acquire(req);
    return this.#request(conn, req.authority, req.headers, req.signal, () => this.#release(conn));
  }

  /**
   * Double HBONE: a pooled outer tunnel to the gateway, then a new (unpooled) TLS + HTTP/2 connection inside it
   * with the final identities, carrying the inner CONNECT with `x-forwarded-network`.
   */
  async connectDouble(req: DoubleHboneRequest): Promise<OutboundTunnel> {
    const outer = await this.connect({
      source: req.source,
      destination: { address: req.gateway.address, port: req.gateway.port },
      expectedIdentities: req.gateway.expectedIdentities,
      authority: req.outerAuthority,
      ...(req.sourceIp !== undefined ? { sourceIp: req.sourceIp } : {}),
      ...(req.outerHeaders ? { headers: req.outerHeaders } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    });
    try {
      const problems = [...authorityProblems(req.authority)];
      if (!Array.isArray(req.expectedIdentities) || req.expectedIdentities.length === 0) problems.push('expectedIdentities: at least one identity is required');
      if (problems.length > 0) throw new HboneError(HboneErrorCode.INVALID_OPTIONS, `invalid double HBONE request: ${problems.join('; ')}`, { details: problems });
      const { session, peerIdentity } = await this.#handshake(outer.stream, req.source, req.expectedIdentities, 'inner tunnel');
      this.#extra.add(session);
      session.once('close', () => {
        this.#extra.delete(session);
        outer.stream.destroy();
      });
      const conn = new Conn(session, peerIdentity, 1);
      const headers = { ...req.headers, ...(req.network ? { 'x-forwarded-network': req.network } : {}) };
      // the inner connection carries exactly one stream: close it (and the outer stream) when that stream ends
      return await this.#request(conn, req.authority, headers, req.signal, () => session.close());
    } catch (err) {
      outer.stream.destroy();
      throw err;
    }
  }

  async #acquire(req: ConnectRequest): Promise<Conn> {
    const key = poolKey(req);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { conns: [], dialing: undefined };
      this.#entries.set(key, entry);
    }
    const spread = this.#o.spread;
    for (;;) {
      if (this.#closed) throw new HboneError(HboneErrorCode.CLOSED);
      // with `spread`: the least-loaded connection, unless all are busy and another may be dialled (then it is the
      // fallback should that dial fail)
      let fallback: Conn | undefined;
      if (spread) {
        let least: Conn | undefined;
        for (const c of entry.conns) if (c.usable && (!least || c.active < least.active)) least = c;
        if (least && (least.active < spread.streams || entry.conns.length >= spread.connections || entry.dialing)) {
          this.#reserve(least);
          return least;
        }
        fallback = least;
      } else {
        const conn = entry.conns.find((c) => c.usable);
        if (conn) {
          this.#reserve(conn);
          return conn;
        }
      }
      if (entry.dialing) {
        // concurrent first dials to one key share one connection (ztunnel serialises them per key)
        await entry.dialing;
        continue;
      }
      const e = entry;
      e.dialing = this.#dial(req, key).finally(() => {
        e.dialing = undefined;
      });
      let c: Conn;
      try {
        c = await e.dialing;
      } catch (err) {
        if (fallback?.usable) {
          this.#log.debug({ err }, 'hbone: dialling an extra connection failed; using an existing one');
          this.#reserve(fallback);
          return fallback;
        }
        if (e.conns.length === 0 && this.#entries.get(key) === e) this.#entries.delete(key);
        throw err;
      }
      if (this.#entries.get(key) !== e) this.#entries.set(key, e);
      if (!c.session.closed && !c.session.destroyed) e.conns.push(c);
    }
  }

  #reserve(conn: Conn): void {
    conn.active++;
    conn.total++;
    this.#timers.clearTimeout(conn.idleTimer);
    conn.idleTimer = undefined;
  }

  #release(conn: Conn): void {
    conn.active--;
    if (conn.active === 0 && !conn.session.closed && !conn.session.destroyed) {
      conn.idleTimer = this.#timers.setTimeout(() => {
        if (conn.active === 0) {
          this.#log.debug({ peerIdentity: conn.peerIdentity }, 'hbone connection idle: closing');
          conn.session.close();
        }
      }, this.#o.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs);
    }
  }

  async #dial(req: ConnectRequest, key: string): Promise<Conn> {
    this.#dials++;
    const { address, port } = req.destination;
    const factory = this.#o.socketFactory ?? defaultSocketFactory;
    let raw: Duplex;
    try {
      raw = factory({ host: address, port, ...(req.sourceIp !== undefined ? { localAddress: req.sourceIp } : {}) });
    } catch (err) {
      throw new HboneError(HboneErrorCode.CONNECT_FAILED, `could not open a socket to ${address}:${port}: ${(err as Error).message}`, { cause: err });
    }
    const { session, peerIdentity } = await this.#handshake(raw, req.source, req.expectedIdentities, `${address}:${port}`, req.signal);
    const conn = new Conn(session, peerIdentity, this.#o.maxStreamsPerConnection ?? DEFAULTS.clientMaxStreams);
    this.#all.add(conn);
    this.emit('connection', { key, peerIdentity });
    const log = this.#log.child({ peer: `${address}:${port}`, peerIdentity });
    const stopKeepalive = startKeepalive(session, this.#o.keepalive, this.#timers, log);
    session.on('remoteSettings', (s) => {
      const cap = this.#o.maxStreamsPerConnection ?? DEFAULTS.clientMaxStreams;
      conn.maxStreams = Math.min(cap, s.maxConcurrentStreams ?? cap);
    });
    const leave = (): void => {
      const e = this.#entries.get(key);
      if (!e) return;
      const i = e.conns.indexOf(conn);
      if (i >= 0) e.conns.splice(i, 1);
      if (e.conns.length === 0 && !e.dialing) this.#entries.delete(key);
    };
    session.on('goaway', (code) => {
      log.debug({ code }, 'hbone connection received GOAWAY: leaving the pool');
      conn.goaway = true;
      leave();
    });
    session.on('error', (err) => log.debug({ err }, 'hbone client session error'));
    session.once('close', () => {
      stopKeepalive();
      this.#timers.clearTimeout(conn.idleTimer);
      this.#all.delete(conn);
      leave();
      this.emit('connectionClose', { key, peerIdentity, streams: conn.total });
    });
    return conn;
  }

  /** TLS (no SNI, no resumption, URI SAN ∈ expected) then HTTP/2 over `raw`. */
  #handshake(
    raw: Duplex,
    source: Svid,
    expected: readonly (SpiffeId | string)[],
    what: string,
    signal?: AbortSignal,
  ): Promise<{ session: ClientHttp2Session; peerIdentity: string }> {
    return new Promise((resolve, reject) => {
      const timeoutMs = this.#o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
      const opts = clientTlsOptions(source, expected);
      // the identity check parses the leaf once; its SPIFFE ID is kept for the connection (a second parse cost
      // ≈0.1 ms per cold connect)
      const want = new Set(expected.map(String));
      let verifiedId: string | undefined;
      const t = tls.connect({
        ...opts,
        socket: raw,
        minVersion: 'TLSv1.3',
        checkServerIdentity: (_host, cert) => {
          try {
            const id = spiffeIdOf(Certificate.fromDer(cert.raw)).toString();
            if (!want.has(id)) {
              return new SpiffeError(SpiffeErrorCode.PEER_ID_MISMATCH, `server identity ${id} is not one of the expected identities [${[...want].join(', ')}]`);
            }
            verifiedId = id;
            return undefined;
          } catch (err) {
            return err as Error;
          }
        },
      });
      let done = false;
      const fail = (err: HboneError): void => {
        if (done) return;
        done = true;
        cleanup();
        t.destroy();
        raw.destroy();
        reject(err);
      };
      const timer = this.#timers.setTimeout(
        () => fail(new HboneError(HboneErrorCode.CONNECT_TIMEOUT, `connecting to ${what} timed out after ${timeoutMs} ms (maybe a NetworkPolicy is blocking HBONE port 15008)`)),
        timeoutMs,
      );
      const onAbort = (): void => fail(new HboneError(HboneErrorCode.CONNECTION_CLOSED, `connecting to ${what} was aborted`, { cause: signal?.reason }));
      const onError = (err: Error & { code?: string }): void => {
        const identity = typeof err.code === 'string' && err.code.startsWith('SPIFFE_ERR_');
        if (/no application protocol/i.test(err.message)) {
          fail(new HboneError(HboneErrorCode.TLS_ALPN, `${what} does not speak ALPN h2: ${err.message}`, { cause: err }));
          return;
        }
        fail(
          new HboneError(
            identity ? HboneErrorCode.PEER_IDENTITY : HboneErrorCode.CONNECT_FAILED,
            identity ? `server ${what} refused: ${err.message}` : `connecting to ${what} failed: ${err.message}`,
            { cause: err },
          ),
        );
      };
      const onRawClose = (): void => fail(new HboneError(HboneErrorCode.CONNECT_FAILED, `connection to ${what} closed during the TLS handshake`));
      const cleanup = (): void => {
        this.#timers.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        t.off('error', onError);
        t.off('close', onRawClose);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      t.once('error', onError);
      t.once('close', onRawClose);
      t.once('secureConnect', () => {
        if (done) return;
        if (t.alpnProtocol !== 'h2') {
          fail(new HboneError(HboneErrorCode.TLS_ALPN, `${what} negotiated ALPN ${JSON.stringify(t.alpnProtocol)}, not h2`));
          return;
        }
        const peerIdentity = verifiedId;
        if (peerIdentity === undefined) {
          // unreachable while Node runs checkServerIdentity on every full handshake (resumption is off): fail closed
          fail(new HboneError(HboneErrorCode.PEER_IDENTITY, `server ${what}: the identity check did not run`));
          return;
        }
        done = true;
        cleanup();
        t.setNoDelay(true);
        const session = http2.connect(`https://${what.replace(/[^A-Za-z0-9.:[\]-]/g, '-')}`, {
          createConnection: () => t,
          settings: h2Settings(this.#o.h2, { maxHeaderListSize: DEFAULTS.clientMaxHeaderList }),
          peerMaxConcurrentStreams: DEFAULTS.clientMaxStreams,
        });
        applyConnectionWindow(session, this.#o.h2);
        session.on('error', () => {});
        resolve({ session, peerIdentity });
      });
    });
  }

  #request(
    conn: Conn,
    authority: string,
    extra: Record<string, string | undefined> | undefined,
    signal: AbortSignal | undefined,
    release: () => void,
  ): Promise<OutboundTunnel> {
    return new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = { ':method': 'CONNECT', ':authority': authority };
      for (const [k, v] of Object.entries(extra ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
      headers.traceparent ??= newTraceparent();
      let stream: ClientHttp2Stream;
      try {
        stream = conn.session.request(headers, { endStream: false });
      } catch (err) {
        release();
        reject(new HboneError(HboneErrorCode.CONNECTION_CLOSED, `could not open a stream: ${(err as Error).message}`, { cause: err }));
        return;
      }
      let settled = false;
      stream.once('close', () => {
        release();
        if (!settled) {
          settled = true;
          const code = stream.rstCode;
          reject(
            code !== undefined && code !== http2.constants.NGHTTP2_NO_ERROR && code !== http2.constants.NGHTTP2_CANCEL
              ? new HboneError(HboneErrorCode.STREAM_RESET, `the HBONE stream to ${authority} was reset (h2 code ${code})`, { h2Code: code })
              : new HboneError(HboneErrorCode.CONNECTION_CLOSED, `the HBONE stream to ${authority} closed before a response`),
          );
        }
      });
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(new HboneError(HboneErrorCode.CONNECTION_CLOSED, `the HBONE request to ${authority} was aborted`, { cause: signal?.reason }));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('error', () => {
        // surfaced through 'close' before the response, and to the stream's consumer after it
      });
      stream.once('response', (h) => {
        signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        const status = Number(h[':status']);
        if (status !== 200) {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          reject(new HboneError(HboneErrorCode.CONNECT_STATUS, `the HBONE peer answered CONNECT ${authority} with ${status}`, { status }));
          return;
        }
        resolve({ stream, responseHeaders: h, peerIdentity: conn.peerIdentity });
      });
    });
  }

  /**
   * Closes every connection: GOAWAY, open streams may finish for `graceMs` (default: wait for them), then the rest
   * is destroyed. Later `connect` calls reject HBONE_ERR_CLOSED. Idempotent.
   */
  async close(opts: { graceMs?: number } = {}): Promise<void> {
    this.#closed = true;
    const sessions = [...[...this.#all].map((c) => c.session), ...this.#extra];
    const all = Promise.all(
      sessions.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.destroyed) return resolve();
            s.once('close', () => resolve());
            s.close();
          }),
      ),
    );
    if (opts.graceMs === undefined) {
      await all;
      return;
    }
    let timer: unknown;
    await Promise.race([all, new Promise<void>((r) => (timer = this.#timers.setTimeout(r, opts.graceMs!)))]);
    this.#timers.clearTimeout(timer);
    this.destroy();
    await all;
  }

  /** Destroys every connection now. */
  destroy(): void {
    this.#closed = true;
    for (const c of this.#all) c.session.destroy();
    for (const s of this.#extra) s.destroy();
  }
}

/** The pool key: (source identity, sorted expected identities, destination ip:port, source IP). */
export function poolKey(r: Pick<ConnectRequest, 'source' | 'expectedIdentities' | 'destination' | 'sourceIp'>): string {
  const ids = [...r.expectedIdentities].map(String).sort().join(',');
  return `${r.source.id.toString()}|${ids}|${r.destination.address}:${r.destination.port}|${r.sourceIp ?? ''}`;
}

function defaultSocketFactory(o: { host: string; port: number; localAddress?: string }): Duplex {
  const s = net.connect({ host: o.host, port: o.port, noDelay: true, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
  return s;
}
