// The HBONE server (zt `src/proxy/inbound.rs`, `src/proxy/h2/server.rs`): raw TCP in, TLS 1.3 with the certificate
// the caller picks from the socket's local address (no SNI), ALPN h2 only, a mandatory client certificate in the
// server's own trust domain, then HTTP/2; each CONNECT stream reaches the handler, which answers 200 (after its
// upstream connected), 400, 401 or 503.
import { EventEmitter } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { Certificate, serverTlsOptions, spiffeIdOf, type Svid } from '@amesh/spiffe';
import { HboneError, HboneErrorCode } from './errors.js';
import { parseAuthority, type Authority } from './headers.js';
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
  peerDer,
} from './session.js';

/** The local end of an accepted connection: which address the client dialled. */
export interface LocalEndpoint {
  address: string;
  port: number;
}

/** One CONNECT request, handed to the handler. Answer exactly once with `accept` or `reject`. */
export interface InboundTunnel {
  /** the CONNECT target */
  readonly authority: Authority;
  /** the client's verified SPIFFE ID (URI form) */
  readonly peerIdentity: string;
  /** the TCP peer (the HBONE client's address; ztunnel spoofs this as the source toward the app) */
  readonly peerAddress: { address: string; port: number };
  /** the address the client dialled (e.g. podIP:15008) */
  readonly local: LocalEndpoint;
  /** the identity this server presented */
  readonly localIdentity: string;
  readonly headers: {
    readonly forwarded: string | undefined;
    readonly baggage: string | undefined;
    readonly traceparent: string | undefined;
    readonly xForwardedNetwork: string | undefined;
    readonly raw: IncomingHttpHeaders;
  };
  /** aborted if the client resets the stream or the connection dies before an answer */
  readonly signal: AbortSignal;
  /** Answers 200 (optionally with a `baggage` describing the local workload) and returns the tunnel's bytes. */
  accept(responseHeaders?: { baggage?: string }): Duplex;
  /** Answers 400 (bad request), 401 (policy denied) or 503 (upstream unavailable) and ends the stream. */
  reject(status: 400 | 401 | 503): void;
  /** whether the stream was answered */
  readonly answered: boolean;
}

export type TunnelHandler = (tunnel: InboundTunnel) => void | Promise<void>;

export interface HboneServerOptions {
  /**
   * The identity to present on a connection accepted at `local` (ztunnel's InboundCertProvider). Returning
   * undefined (or throwing) refuses the connection.
   */
  identity: (local: LocalEndpoint) => Svid | undefined | Promise<Svid | undefined>;
  /** called for each valid CONNECT stream */
  handler: TunnelHandler;
  logger?: Logger;
  /** TLS handshake deadline (default 10 s) */
  handshakeTimeoutMs?: number;
  keepalive?: KeepaliveOptions;
  h2?: H2Tuning;
  /** advertised SETTINGS_MAX_CONCURRENT_STREAMS (default 200) */
  maxConcurrentStreams?: number;
  timers?: Timers;
}

export interface ListenOptions {
  port?: number;
  host?: string;
}

/** Validates server options; every problem with its field path. */
export function serverOptionProblems(o: Partial<HboneServerOptions> | undefined): string[] {
  const out: string[] = [];
  if (!o || typeof o !== 'object') return ['options: required'];
  if (typeof o.identity !== 'function') out.push('identity: required function (local endpoint → Svid)');
  if (typeof o.handler !== 'function') out.push('handler: required function');
  positiveInt(o.handshakeTimeoutMs, 'handshakeTimeoutMs', out);
  positiveInt(o.maxConcurrentStreams, 'maxConcurrentStreams', out);
  out.push(...tuningProblems(o.h2, 'h2'));
  return out;
}

/** The HBONE server. Feed it raw TCP sockets (`handleConnection`) or let it `listen`. */
export class HboneServer extends EventEmitter {
  readonly #o: HboneServerOptions;
  readonly #log: Logger;
  readonly #timers: Timers;
  readonly #dispatchers = new WeakMap<Svid, tls.Server>();
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #sockets = new Set<Duplex>();
  readonly #listeners = new Set<net.Server>();
  #closing: Promise<void> | undefined;

  constructor(options: HboneServerOptions) {
    super();
    const problems = serverOptionProblems(options);
    if (problems.length > 0) {
      throw new HboneError(HboneErrorCode.INVALID_OPTIONS, `invalid HBONE server options: ${problems.join('; ')}`, { details: problems });
    }
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ component: 'hbone.server' });
    this.#timers = options.timers ?? realTimers;
  }

  /** open HTTP/2 connections */
  get connections(): number {
    return this.#sessions.size;
  }

  /** Binds a TCP listener that feeds `handleConnection`. Resolves with the bound address. */
  async listen(opts: ListenOptions = {}): Promise<AddressInfo> {
    if (this.#closing) throw new HboneError(HboneErrorCode.CLOSED);
    const srv = net.createServer({ pauseOnConnect: true, noDelay: true }, (s) => this.handleConnection(s));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        srv.off('error', reject);
        resolve();
      });
    });
    this.#listeners.add(srv);
    return srv.address() as AddressInfo;
  }

  /**
   * Takes an accepted raw TCP socket (or any Duplex, e.g. the outer stream of double HBONE with `local` given):
   * picks the identity from the local address, runs the TLS handshake and serves HTTP/2 on it.
   */
  handleConnection(socket: Duplex, local?: LocalEndpoint): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    const s = socket as net.Socket;
    if (typeof s.setNoDelay === 'function') s.setNoDelay(true);
    const at: LocalEndpoint = local ?? { address: s.localAddress ?? '', port: s.localPort ?? 0 };
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', (err) => this.#log.debug({ err, local: at }, 'hbone raw socket error'));
    let svid: Svid | undefined | Promise<Svid | undefined>;
    try {
      svid = this.#o.identity(at);
    } catch (err) {
      this.#refuse(socket, at, 'identity provider threw', err);
      return;
    }
    if (svid instanceof Promise) {
      svid.then(
        (v) => this.#startTls(socket, at, v),
        (err) => this.#refuse(socket, at, 'identity provider failed', err),
      );
    } else {
      this.#startTls(socket, at, svid);
    }
  }

  #refuse(socket: Duplex, local: LocalEndpoint, why: string, err?: unknown): void {
    this.emit('refused', { local, reason: why });
    this.#log.warn({ local, err }, `hbone connection refused: ${why}`);
    socket.destroy();
  }

  #startTls(socket: Duplex, local: LocalEndpoint, svid: Svid | undefined): void {
    if (!svid) {
      this.#refuse(socket, local, 'no identity for this local address');
      return;
    }
    if (socket.destroyed || this.#closing) {
      socket.destroy();
      return;
    }
    let d = this.#dispatchers.get(svid);
    if (!d) {
      // One never-listening tls.Server per identity: Node's public server path (client-certificate request,
      // handshake timeout, `authorized`) with the certificate chosen per accepted socket.
      d = tls.createServer({
        ...serverTlsOptions(svid),
        // both of ztunnel's TLS 1.3 suites stay enabled; the server picks AES-128-GCM first (cheaper per byte,
        // performance-anchors Part D6)
        ciphers: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384',
        honorCipherOrder: true,
        // we check `authorized` ourselves so the refusal is logged with its reason
        rejectUnauthorized: false,
        handshakeTimeout: this.#o.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
      });
      d.on('secureConnection', (t: tls.TLSSocket) => this.#onSecure(t, svid));
      d.on('tlsClientError', (err: Error & { code?: string }, t: tls.TLSSocket) => {
        const timeout = err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT';
        this.#log.warn(
          { err, code: timeout ? HboneErrorCode.HANDSHAKE_TIMEOUT : HboneErrorCode.PEER_REJECTED, peer: t.remoteAddress },
          timeout ? 'hbone tls handshake timed out' : 'hbone tls handshake failed',
        );
        this.emit('refused', { peer: { address: t.remoteAddress ?? '', port: t.remotePort ?? 0 }, reason: err.message });
        t.destroy();
      });
      this.#dispatchers.set(svid, d);
    }
    d.emit('connection', socket);
  }

  #onSecure(t: tls.TLSSocket, svid: Svid): void {
    const peer = { address: t.remoteAddress ?? '', port: t.remotePort ?? 0 };
    const reject = (why: string, extra: object = {}): void => {
      this.emit('refused', { peer, reason: why });
      this.#log.warn({ code: HboneErrorCode.PEER_REJECTED, peer, localIdentity: svid.id.toString(), ...extra }, `hbone client refused: ${why}`);
      t.destroy();
    };
    if (t.alpnProtocol !== 'h2') return reject(`ALPN ${JSON.stringify(t.alpnProtocol)} is not h2`);
    if (!t.authorized) return reject(`client certificate not verified (${String(t.authorizationError ?? 'none presented')})`);
    let peerIdentity: string;
    try {
      const id = spiffeIdOf(Certificate.fromDer(peerDer(t)));
      if (!id.sameTrustDomain(svid.id.trustDomain)) {
        return reject(`client trust domain ${id.trustDomain} is not ${svid.id.trustDomain}`, { peerIdentity: id.toString() });
      }
      peerIdentity = id.toString();
    } catch (err) {
      return reject('client certificate carries no valid SPIFFE ID', { err });
    }
    if (this.#closing) {
      t.destroy();
      return;
    }
    const local: LocalEndpoint = { address: t.localAddress ?? '', port: t.localPort ?? 0 };
    const session = http2.performServerHandshake(t, {
      settings: h2Settings(this.#o.h2, {
        maxConcurrentStreams: this.#o.maxConcurrentStreams ?? DEFAULTS.serverMaxConcurrentStreams,
        maxHeaderListSize: DEFAULTS.serverMaxHeaderList,
      }),
      maxHeaderListPairs: 128,
      // nghttp2's rapid-reset limit (1000 RST_STREAMs, then 33/s) counts every stream the client resets, also
      // established tunnels whose downstream TCP connection was reset: a busy pooled connection hits it and the
      // server kills it with GOAWAY(INTERNAL_ERROR), taking every other tunnel with it. Lifted here (Node ≥ 22;
      // Node 20 ignores these options), and the same bound is applied below to the streams that are the attack:
      // reset before the handler answered.
      streamResetBurst: 2 ** 31,
      streamResetRate: 2 ** 31,
    } as http2.ServerSessionOptions);
    applyConnectionWindow(session, this.#o.h2);
    this.#sessions.add(session);
    const log = this.#log.child({ peerIdentity, peer: `${peer.address}:${peer.port}` });
    const stopKeepalive = startKeepalive(session, this.#o.keepalive, this.#timers, log);
    session.on('error', (err) => log.debug({ err }, 'hbone server session error'));
    this.emit('connection', { peerIdentity, peer, local });
    let closeError: unknown;
    session.on('error', (err) => (closeError = err));
    session.once('close', () => {
      stopKeepalive();
      this.#sessions.delete(session);
      this.emit('connectionClose', { peerIdentity, peer, local, error: closeError });
    });
    const earlyReset = earlyResetBucket(() => {
      this.emit('refused', { peer, reason: 'too many streams reset before an answer' });
      log.warn({ code: HboneErrorCode.PEER_REJECTED }, 'hbone client resets too many streams before they are answered (rapid reset): closing the connection');
      if (!session.destroyed) {
        session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
        session.destroy();
      }
    });
    session.on('stream', (stream, headers) =>
      this.#onStream(stream, headers, { peerIdentity, peer, local, localIdentity: svid.id.toString(), log, earlyReset }),
    );
  }

  #onStream(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    c: { peerIdentity: string; peer: { address: string; port: number }; local: LocalEndpoint; localIdentity: string; log: Logger; earlyReset: () => void },
  ): void {
    stream.on('error', (err) => c.log.debug({ err }, 'hbone server stream error'));
    const method = headers[':method'];
    if (method !== 'CONNECT') {
      c.log.debug({ method }, 'hbone stream refused: method is not CONNECT');
      respondAndEnd(stream, 400);
      return;
    }
    const raw = headers[':authority'];
    let authority: Authority;
    try {
      // validates (every problem in `details`) and parses in one pass
      authority = parseAuthority(raw as string);
    } catch (err) {
      c.log.debug({ authority: raw, problems: (err as HboneError).details }, 'hbone stream refused: bad authority');
      respondAndEnd(stream, 400);
      return;
    }
    // the AbortController is created only if the handler looks at `signal` (it costs memory per idle tunnel)
    let ac: AbortController | undefined;
    let gone = false;
    let answered = false;
    const onGone = (): void => {
      gone = true;
      if (!answered) c.earlyReset();
      if (!answered) ac?.abort(new HboneError(HboneErrorCode.CONNECTION_CLOSED, 'the client went away before the tunnel was answered'));
    };
    stream.once('close', onGone);
    const tunnel: InboundTunnel = {
      authority,
      peerIdentity: c.peerIdentity,
      peerAddress: c.peer,
      local: c.local,
      localIdentity: c.localIdentity,
      headers: {
        forwarded: str(headers.forwarded),
        baggage: str(headers.baggage),
        traceparent: str(headers.traceparent),
        xForwardedNetwork: str(headers['x-forwarded-network']),
        raw: headers,
      },
      get signal() {
        if (!ac) {
          ac = new AbortController();
          if (gone && !answered) ac.abort(new HboneError(HboneErrorCode.CONNECTION_CLOSED, 'the client went away before the tunnel was answered'));
        }
        return ac.signal;
      },
      get answered() {
        return answered;
      },
      accept(responseHeaders) {
        if (answered) throw new HboneError(HboneErrorCode.INVALID_OPTIONS, 'the tunnel was already answered');
        answered = true;
        stream.off('close', onGone);
        if (!stream.destroyed && !stream.closed) {
          const h: OutgoingHttpHeaders = { ':status': 200 };
          if (responseHeaders?.baggage) h.baggage = responseHeaders.baggage;
          stream.respond(h, { endStream: false });
        }
        return stream;
      },
      reject(status) {
        if (answered) return;
        answered = true;
        stream.off('close', onGone);
        respondAndEnd(stream, status);
      },
    };
    let result: void | Promise<void>;
    try {
      result = this.#o.handler(tunnel);
    } catch (err) {
      c.log.warn({ err, authority: authority.text }, 'hbone handler threw: answering 503');
      tunnel.reject(503);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => {
          if (!answered) {
            c.log.warn({ authority: authority.text }, 'hbone handler returned without answering: 503');
            tunnel.reject(503);
          }
        },
        (err: unknown) => {
          c.log.warn({ err, authority: authority.text }, 'hbone handler failed: answering 503');
          tunnel.reject(503);
        },
      );
    }
  }

  /**
   * Stops accepting, sends GOAWAY on every connection and lets open tunnels finish for up to `graceMs`
   * (default 5 s), then destroys what is left. Idempotent.
   */
  close(opts: { graceMs?: number } = {}): Promise<void> {
    this.#closing ??= (async () => {
      for (const l of this.#listeners) l.close();
      const grace = opts.graceMs ?? 5000;
      const all = [...this.#sessions].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.destroyed) return resolve();
            s.once('close', () => resolve());
            s.close();
          }),
      );
      let timer: unknown;
      await Promise.race([Promise.all(all), new Promise<void>((r) => (timer = this.#timers.setTimeout(r, grace)))]);
      this.#timers.clearTimeout(timer);
      for (const s of this.#sessions) s.destroy();
      for (const s of this.#sockets) s.destroy();
      await Promise.all(all);
      await Promise.all([...this.#listeners].map((l) => new Promise((r) => (l.listening ? l.once('close', r) : r(undefined)))));
    })();
    return this.#closing;
  }
}

/**
 * A token bucket over streams the client reset before they were answered (DEFAULTS.earlyResetBurst, then
 * DEFAULTS.earlyResetPerSecond); `exceeded` runs once when it is empty.
 */
function earlyResetBucket(exceeded: () => void): () => void {
  let tokens: number = DEFAULTS.earlyResetBurst;
  let at = performance.now();
  let fired = false;
  return () => {
    const now = performance.now();
    tokens = Math.min(DEFAULTS.earlyResetBurst, tokens + ((now - at) / 1000) * DEFAULTS.earlyResetPerSecond);
    at = now;
    tokens -= 1;
    if (tokens < 0 && !fired) {
      fired = true;
      exceeded();
    }
  };
}

function respondAndEnd(stream: ServerHttp2Stream, status: number): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  stream.respond({ ':status': status }, { endStream: true });
}

function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}
