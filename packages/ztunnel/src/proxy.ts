// The data path of ztunnel: outbound (captured or SOCKS5) and inbound (HBONE, plaintext, same-node fast path).
// Every proxied connection is a `Tracked` record: one access-log line and the istio_tcp_* metrics when it ends,
// registration for drain, and (inbound) for live policy re-checks.
import net, { type Socket } from 'node:net';
import { randomFillSync } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Logger, Svid } from '@amesh/spiffe';
import type { Decision, WireConnection } from '@amesh/rbac';
import type { Service, Workload } from '@amesh/xds';
import type { ZtunnelConfig } from './config.js';
import { ZtunnelError, ZtunnelErrorCode } from './errors.js';
import { TrafficLabelCache, type LiveBytes, type Metrics, type ResponseFlag, type TrafficLabels } from './metrics.js';
import { hostPort, resolveOutbound, type Route } from './route.js';
import { canonicalIp, workloadIdentity, type ProxyState } from './state.js';

/** A pino-compatible logger (spiffe's, shared by the packages below ztunnel). */
export type { Logger };

/** Certificates for workload identities (the certificate manager, or a test CA). */
export interface IdentityProvider {
  /** The current SVID for a SPIFFE ID (URI form); rejects when none can be obtained. */
  svid(identity: string): Promise<Svid>;
}

/** The outbound HBONE client ztunnel needs (implemented over @amesh/hbone's pool). */
export interface HboneDialer {
  /**
   * Opens one CONNECT tunnel to `ip:port` with `:authority = authority`, presenting `svid` and requiring a peer
   * URI SAN in `identities`. Resolves after the peer's 200; rejects otherwise (a 401/503 status is in the error).
   */
  connect(req: {
    ip: string;
    port: number;
    authority: string;
    identities: readonly string[];
    svid: Svid;
    srcIp: string;
    headers: Record<string, string>;
  }): Promise<Duplex>;
}

/** One inbound HBONE request as the HBONE server hands it over (a subset of @amesh/hbone's InboundTunnel). */
export interface InboundRequest {
  readonly authority: { host: string; port: number };
  readonly peerIdentity: string;
  readonly peerAddress: { address: string; port: number };
  readonly local: { address: string; port: number };
  readonly headers: { readonly forwarded: string | undefined };
  accept(): Duplex;
  reject(status: 400 | 401 | 503): void;
}

export interface ProxyDeps {
  config: ZtunnelConfig;
  state: ProxyState;
  metrics: Metrics;
  logger: Logger;
  identities?: IdentityProvider | undefined;
  hbone?: HboneDialer | undefined;
  /** Testing seam: the port dialled for HBONE instead of the route's (15008). */
  hboneDialPort?: number | undefined;
  now?: () => number;
  random?: () => number;
}

type Direction = 'outbound' | 'inbound';

/** Access-log fields in upstream order. */
interface LogFields {
  'src.addr': string;
  'src.workload'?: string;
  'src.namespace'?: string;
  'src.identity'?: string;
  'dst.addr'?: string;
  'dst.hbone_addr'?: string;
  'dst.service'?: string;
  'dst.workload'?: string;
  'dst.namespace'?: string;
  'dst.identity'?: string;
  direction: Direction;
}

/** One proxied connection. */
export class Tracked {
  readonly fields: LogFields;
  readonly reporter: 'source' | 'destination';
  readonly started: number;
  readonly streams = new Set<Duplex>();
  labels: TrafficLabels;
  live: LiveBytes | undefined;
  /** inbound: what the policy was checked against (live policy re-check) */
  policy: { conn: WireConnection; dst: Workload } | undefined;
  error: string | undefined;
  done = false;

  constructor(
    private readonly proxy: Proxy,
    fields: LogFields,
    labels: TrafficLabels,
  ) {
    this.fields = fields;
    this.labels = labels;
    this.reporter = labels.reporter as 'source' | 'destination';
    this.started = proxy.now();
  }

  /** Marks the connection established (metrics opened) with a byte source. */
  open(bytes: { received(): number; sent(): number }): void {
    this.live = this.proxy.metrics.opened(this.labels, bytes);
  }

  /** Ends the record: access log + metrics. Idempotent. */
  finish(error?: string, flag?: ResponseFlag): void {
    if (this.done) return;
    this.done = true;
    if (error && !this.error) this.error = error;
    this.proxy.untrack(this);
    const bytesSent = this.live ? this.live.sent() : 0;
    const bytesRecv = this.live ? this.live.received() : 0;
    if (this.live) this.proxy.metrics.closed(this.live, this.reporter);
    else this.proxy.metrics.failed(flag ? { ...this.labels, response_flags: flag } : this.labels);
    const record = {
      ...this.fields,
      // outbound: bytes_sent = app -> upstream (client->server); inbound: bytes_sent = app -> client (server->client)
      bytes_sent: this.reporter === 'source' ? bytesRecv : bytesSent,
      bytes_recv: this.reporter === 'source' ? bytesSent : bytesRecv,
      duration: `${Math.round(this.proxy.now() - this.started)}ms`,
      ...(this.error ? { error: this.error } : {}),
    };
    if (this.error) this.proxy.access.error(record, 'connection complete');
    else this.proxy.access.info(record, 'connection complete');
  }

  /** Destroys every stream of the connection with a reason. */
  abort(reason: string): void {
    this.error = reason;
    for (const s of this.streams) kill(s);
    if (this.streams.size === 0) this.finish(reason);
  }
}

/**
 * Joins two duplex streams both ways with half-close; calls `done` once both have closed (with the first error).
 */
export function splice(a: Duplex, b: Duplex, done: (err?: Error) => void): void {
  let err: Error | undefined;
  let closed = 0;
  const fail = (e: Error) => {
    if (!err) err = e;
    kill(a);
    kill(b);
  };
  const onClose = () => {
    if (++closed === 2) done(err);
  };
  a.on('error', fail);
  b.on('error', fail);
  a.once('close', onClose);
  b.once('close', onClose);
  // Half-close is forwarded one macrotask after 'end', so that an HTTP/2 stream whose END_STREAM is followed by a
  // RST_STREAM error still reaches the other side as a reset, not as a FIN (RFC 9113 §8.5: a CONNECT tunnel's
  // RST_STREAM <-> TCP RST).
  const forwardEnd = (from: Duplex, to: Duplex) =>
    from.once('end', () =>
      setImmediate(() => {
        if (to.destroyed) return;
        if (wasReset(from)) kill(to);
        else to.end();
      }),
    );
  a.pipe(b, { end: false });
  b.pipe(a, { end: false });
  forwardEnd(a, b);
  forwardEnd(b, a);
  // a stream that closes without its readable side ending (reset, abort), or reset by its HTTP/2 peer, takes the
  // other one down
  a.once('close', () => {
    if (!b.destroyed && (!a.readableEnded || wasReset(a))) kill(b);
  });
  b.once('close', () => {
    if (!a.destroyed && (!b.readableEnded || wasReset(b))) kill(a);
  });
}

/** Ends a stream abruptly: a TCP reset for sockets (the peer sees ECONNRESET), destroy() for anything else. */
export function kill(s: Duplex): void {
  if (s.destroyed) return;
  const sock = s as Partial<Socket>;
  if (typeof sock.resetAndDestroy === 'function' && (sock as { _handle?: unknown })._handle) sock.resetAndDestroy();
  // an HTTP/2 CONNECT stream: destroy with an error sends RST_STREAM(INTERNAL_ERROR) and no END_STREAM (the
  // tunnel's equivalent of a TCP reset; `close(code)` would send END_STREAM first, which reads as a clean FIN)
  else if (isH2Stream(s)) s.destroy(new Error('connection reset'));
  else s.destroy();
}

interface H2StreamLike {
  rstCode: number | undefined;
  close(code: number): void;
  session: unknown;
}
function isH2Stream(s: Duplex): s is Duplex & H2StreamLike {
  const h = s as Partial<H2StreamLike>;
  return typeof h.close === 'function' && 'rstCode' in s && h.session !== undefined;
}
/** An HTTP/2 CONNECT stream the peer reset with an error (RST_STREAM other than NO_ERROR and CANCEL). */
function wasReset(s: Duplex): boolean {
  return isH2Stream(s) && s.rstCode !== undefined && s.rstCode !== 0 && s.rstCode !== 8;
}

const ILLEGAL_PORTS = new Set([15001, 15006, 15008]);

/** Outcome of the inbound checks, before any byte flows. */
type InboundResult = { ok: true; app: Socket } | { ok: false; status: 400 | 401 | 503; error: string; flag: ResponseFlag };

export class Proxy {
  readonly config: ZtunnelConfig;
  readonly state: ProxyState;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly access: Logger;
  readonly now: () => number;
  private readonly identities: IdentityProvider | undefined;
  private readonly hbone: HboneDialer | undefined;
  private readonly hboneDialPort: number | undefined;
  private readonly random: () => number;
  private readonly tracked = new Set<Tracked>();
  private drained: (() => void) | undefined;
  /** Ports of our own listeners (recursion check). */
  readonly ownPorts = new Set<number>();
  private readonly labelCache = new TrafficLabelCache();

  constructor(deps: ProxyDeps) {
    this.config = deps.config;
    this.state = deps.state;
    this.metrics = deps.metrics;
    this.log = deps.logger.child({ component: 'proxy' });
    this.access = deps.logger.child({ target: 'access' });
    this.identities = deps.identities;
    this.hbone = deps.hbone;
    this.hboneDialPort = deps.hboneDialPort;
    this.now = deps.now ?? (() => performance.now());
    this.random = deps.random ?? Math.random;
    this.state.on('policy', () => this.recheckPolicies());
  }

  /** Open connections. */
  get connections(): number {
    return this.tracked.size;
  }

  track(t: Tracked): void {
    this.tracked.add(t);
  }
  untrack(t: Tracked): void {
    this.tracked.delete(t);
    if (this.tracked.size === 0) this.drained?.();
  }

  /** Waits for open connections to finish, up to `deadlineMs`; then closes what is left. */
  async drain(deadlineMs: number): Promise<void> {
    if (this.tracked.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        timer.unref?.();
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.drained = undefined;
    for (const t of [...this.tracked]) t.abort('connection closed: ztunnel shutting down (drain deadline)');
  }

  /** Live policy: re-evaluates every inbound connection and closes those the new policy denies. */
  recheckPolicies(): void {
    for (const t of [...this.tracked]) {
      if (!t.policy) continue;
      const dst = this.state.workloadByUid(t.policy.dst.uid) ?? t.policy.dst;
      const d = this.state.checkPolicy(t.policy.conn, dst);
      if (d.decision === 'DENY') {
        this.log.info({ 'src.addr': t.fields['src.addr'], 'dst.addr': t.fields['dst.addr'], policy: d.policy, reason: d.message }, 'connection closed due to policy change');
        t.abort('connection closed due to policy change');
      }
    }
  }

  // ---- outbound ---------------------------------------------------------------------------------------------

  /**
   * Handles one outbound connection from a local workload: `socket` is the client, `srcIp` its address,
   * `dst` the original destination. `socket` must be paused or fresh (nothing read yet).
   */
  async outbound(socket: Socket, src: { ip: string; port: number }, dst: { ip: string; port: number }, opts: { socks5?: boolean } = {}): Promise<void> {
    const srcAddr = hostPort(canonicalIp(src.ip), src.port);
    const dstIp = canonicalIp(dst.ip);
    let source = this.state.localWorkloadByIp(this.config.network, src.ip);
    if (!source && opts.socks5 && this.config.socks5Workload) {
      const [ns, name] = this.config.socks5Workload.split('/');
      source = this.state.nodeLocalWorkloads().find((w) => w.namespace === ns && w.name === name);
    }
    const early = (code: ZtunnelErrorCode, message: string) => {
      this.access.warn({ 'src.addr': srcAddr, 'dst.addr': hostPort(dstIp, dst.port), direction: 'outbound', error: `${code}: ${message}` }, 'connection failed');
      socket.destroy();
    };
    if (!source) {
      early(ZtunnelErrorCode.UNKNOWN_SOURCE, `source ${src.ip} is not a workload enrolled on node ${this.config.nodeName}; refusing`);
      return;
    }
    if (this.ownPorts.has(dst.port) && (isLoopback(dstIp) || this.state.localWorkloadByIp(this.config.network, dstIp))) {
      early(ZtunnelErrorCode.RECURSIVE, `destination ${hostPort(dstIp, dst.port)} is ztunnel's own port (recursive call)`);
      return;
    }
    const srcIdentity = workloadIdentity(source);
    // the workload's own address (differs from the peer only for SOCKS5 clients acting as `socks5Workload`)
    const srcIp = source.addresses.some((a) => canonicalIp(a) === canonicalIp(src.ip)) ? canonicalIp(src.ip) : canonicalIp(source.addresses[0] ?? src.ip);
    const fwdAddr = hostPort(srcIp, src.port);
    let route: Route;
    try {
      route = resolveOutbound(this.state, source, dstIp, dst.port, { network: this.config.network, random: this.random });
    } catch (err) {
      const e = err as ZtunnelError;
      const t = new Tracked(this, { 'src.addr': srcAddr, ...srcFields(source, srcIdentity), 'dst.addr': hostPort(dstIp, dst.port), direction: 'outbound' }, this.labelCache.get({ reporter: 'source', src: source, srcIdentity, mtls: false, flag: 'CONNECT' }));
      socket.destroy();
      t.finish(`${e.code ?? 'error'}: ${e.message}`, 'CONNECT');
      return;
    }

    if (route.kind !== 'hbone') {
      const fields: LogFields = {
        'src.addr': srcAddr, ...srcFields(source, srcIdentity), 'dst.addr': hostPort(route.ip, route.port),
        ...(route.kind === 'tcp' ? dstFields(route.workload, undefined, route.service) : {}), direction: 'outbound',
      };
      const labels = this.labelCache.get({ reporter: 'source', src: source, srcIdentity, dst: route.kind === 'tcp' ? route.workload : undefined, service: route.kind === 'tcp' ? route.service : undefined, mtls: false });
      const t = new Tracked(this, fields, labels);
      this.track(t);
      let upstream: Socket;
      try {
        upstream = await this.connectTcp(route.ip, route.port, t);
      } catch (err) {
        socket.destroy();
        t.finish((err as Error).message, 'CONNECT');
        return;
      }
      this.joinClient(t, socket, upstream);
      return;
    }

    const fields: LogFields = {
      'src.addr': srcAddr, ...srcFields(source, srcIdentity), 'dst.addr': hostPort(route.ip, route.port),
      'dst.hbone_addr': route.authority, ...dstFields(route.workload, route.waypoint ? undefined : workloadIdentity(route.workload), route.service),
      direction: 'outbound',
    };
    const dstIdentity = workloadIdentity(route.workload);
    const labels = this.labelCache.get({ reporter: 'source', src: source, srcIdentity, dst: route.workload, dstIdentity, service: route.service, mtls: true });
    const t = new Tracked(this, fields, labels);
    this.track(t);

    // Same node, direct to the destination workload: in-process fast path, with the inbound side's policy,
    // metrics and access log, and no loopback TLS.
    if (!route.waypoint && route.workload.node === this.config.nodeName) {
      const inbound = await this.inbound({
        peerIdentity: srcIdentity,
        policySrcIp: srcIp,
        srcAddr,
        source,
        dstWorkload: route.workload,
        target: route.target,
        hboneAddr: route.authority,
        dstAddr: hostPort(route.ip, route.port),
        service: route.service,
      });
      if (!inbound.ok) {
        socket.destroy();
        t.finish(`fast path: ${inbound.error}`, inbound.flag);
        return;
      }
      this.joinClient(t, socket, inbound.app);
      return;
    }

    if (!this.hbone || !this.identities) {
      socket.destroy();
      t.finish(`${ZtunnelErrorCode.UPSTREAM_CONNECT}: HBONE is not configured in this ztunnel (no dialer or identities)`, 'CONNECT');
      return;
    }
    let svid: Svid;
    try {
      svid = await this.identities.svid(srcIdentity);
    } catch (err) {
      socket.destroy();
      t.finish(`${ZtunnelErrorCode.IDENTITY}: no certificate for ${srcIdentity}: ${(err as Error).message}`, 'IDENTITY_ERROR');
      return;
    }
    let tunnel: Duplex;
    try {
      tunnel = await this.hbone.connect({
        ip: route.ip,
        port: this.hboneDialPort ?? route.port,
        authority: route.authority,
        identities: route.identities,
        svid,
        srcIp,
        headers: {
          forwarded: `for="${fwdAddr}"${route.service ? `;host=${route.service.hostname}` : ''}`,
          traceparent: traceparent(),
          ...(source ? { baggage: baggage(source, this.config.clusterId) } : {}),
        },
      });
    } catch (err) {
      socket.destroy();
      t.finish(`${ZtunnelErrorCode.UPSTREAM_CONNECT}: ${(err as Error).message}`, 'CONNECT');
      return;
    }
    this.joinClient(t, socket, tunnel);
  }

  /** Client socket <-> upstream stream, counting bytes at the client socket (received = from client). */
  private joinClient(t: Tracked, client: Socket, upstream: Duplex): void {
    if (t.done) {
      client.destroy();
      upstream.destroy();
      return;
    }
    t.streams.add(client);
    t.streams.add(upstream);
    // only the proxied bytes (not e.g. the SOCKS5 handshake)
    const r0 = client.bytesRead - client.readableLength;
    const w0 = client.bytesWritten;
    t.open({ received: () => client.bytesRead - r0, sent: () => client.bytesWritten - w0 });
    client.resume();
    splice(client, upstream, (err) => t.finish(err ? err.message : undefined));
  }

  private connectTcp(ip: string, port: number, t: Tracked | undefined): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: ip, port, allowHalfOpen: true, noDelay: true });
      t?.streams.add(s);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ZtunnelError(ZtunnelErrorCode.UPSTREAM_CONNECT, `connect to ${hostPort(ip, port)} timed out after ${this.config.connectTimeoutMs}ms`));
      }, this.config.connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.off('error', onError);
        t?.streams.delete(s);
        resolve(s);
      });
      const onError = (err: Error) => {
        clearTimeout(timer);
        t?.streams.delete(s);
        reject(new ZtunnelError(ZtunnelErrorCode.UPSTREAM_CONNECT, `connect to ${hostPort(ip, port)} failed: ${err.message}`, { cause: err }));
      };
      s.once('error', onError);
    });
  }

  // ---- inbound ----------------------------------------------------------------------------------------------

  /**
   * The inbound checks shared by HBONE, plaintext and the fast path: policy (401), the illegal-port rule and the
   * connect to the app (503). On success the caller owns `app`; the inbound Tracked is registered and opened.
   */
  async inbound(req: {
    peerIdentity: string | null;
    /** the source IP the policy sees (ipBlocks) */
    policySrcIp: string;
    srcAddr: string;
    source: Workload | undefined;
    dstWorkload: Workload;
    target: { ip: string; port: number };
    hboneAddr: string | undefined;
    dstAddr: string;
    service: Service | undefined;
  }): Promise<InboundResult> {
    const dst = req.dstWorkload;
    const dstIdentity = workloadIdentity(dst);
    const mtls = req.peerIdentity !== null;
    const fields: LogFields = {
      'src.addr': req.srcAddr,
      ...(req.source ? srcFields(req.source, req.peerIdentity ?? undefined) : req.peerIdentity ? { 'src.identity': req.peerIdentity } : {}),
      'dst.addr': req.dstAddr,
      ...(req.hboneAddr ? { 'dst.hbone_addr': req.hboneAddr } : {}),
      ...dstFields(dst, mtls ? dstIdentity : undefined, req.service),
      direction: 'inbound',
    };
    const labels = this.labelCache.get({ reporter: 'destination', src: req.source, srcIdentity: req.peerIdentity ?? undefined, dst, dstIdentity: mtls ? dstIdentity : undefined, service: req.service, mtls });
    const t = new Tracked(this, fields, labels);
    if (ILLEGAL_PORTS.has(req.target.port) || this.ownPorts.has(req.target.port)) {
      const error = `${ZtunnelErrorCode.RECURSIVE}: target port ${req.target.port} is one of ztunnel's own ports`;
      t.finish(error, 'CONNECT');
      return { ok: false, status: 503, error, flag: 'CONNECT' };
    }
    const conn: WireConnection = { srcIdentity: req.peerIdentity, srcIp: req.policySrcIp, dstIp: canonicalIp(req.target.ip), dstPort: req.target.port };
    const decision: Decision = this.state.checkPolicy(conn, dst);
    if (decision.decision === 'DENY') {
      const error = `connection denied by policy: ${decision.message}`;
      this.log.debug({ policy: decision.policy, 'src.identity': req.peerIdentity, 'dst.workload': dst.name }, 'RBAC denied');
      t.finish(error, 'DENY');
      return { ok: false, status: 401, error, flag: 'DENY' };
    }
    this.track(t);
    t.policy = { conn, dst };
    let app: Socket;
    try {
      app = await this.connectTcp(req.target.ip, req.target.port, t);
    } catch (err) {
      const error = (err as Error).message;
      t.finish(error, 'CONNECT');
      return { ok: false, status: 503, error, flag: 'CONNECT' };
    }
    if (t.done) {
      // closed by a policy change or drain while connecting
      app.destroy();
      return { ok: false, status: 401, error: t.error ?? 'closed', flag: 'DENY' };
    }
    t.streams.add(app);
    // inbound bytes, measured at the app socket: received = written to the app, sent = read from the app
    t.open({ received: () => app.bytesWritten, sent: () => app.bytesRead });
    app.once('close', () => t.finish(app.errored ? app.errored.message : undefined));
    app.on('error', () => {});
    return { ok: true, app };
  }

  /** Inbound HBONE: authority must name the local address (400), then the shared inbound checks (401/503). */
  async inboundHbone(req: InboundRequest): Promise<void> {
    const localIp = canonicalIp(req.local.address);
    const authIp = canonicalIp(req.authority.host);
    const peerIp = canonicalIp(req.peerAddress.address);
    const srcAddr = hostPort(peerIp, req.peerAddress.port);
    const dstAddr = hostPort(localIp, req.local.port);
    const dstWorkload = this.state.localWorkloadByIp(this.config.network, localIp);
    const fail = (status: 400 | 401 | 503, error: string) => {
      this.access.warn({ 'src.addr': srcAddr, 'src.identity': req.peerIdentity, 'dst.addr': dstAddr, 'dst.hbone_addr': `${req.authority.host}:${req.authority.port}`, direction: 'inbound', error }, 'connection failed');
      req.reject(status);
    };
    if (!dstWorkload) {
      fail(503, `no node-local workload has address ${localIp}`);
      return;
    }
    // the waypoint "sandwich" exception is not supported: the authority must be the local workload's address
    if (authIp !== localIp) {
      fail(400, `authority ${req.authority.host}:${req.authority.port} does not match the local address ${localIp} (IP mismatch)`);
      return;
    }
    const source = this.trustedSource(req.headers.forwarded, req.peerIdentity, peerIp);
    // `forwarded: host=` is only a hint for telemetry (destination_service), used when the workload serves it
    const host = req.headers.forwarded ? /;\s*host="?([^";,]+)"?/.exec(req.headers.forwarded)?.[1] : undefined;
    const service = host ? this.state.servicesOf(dstWorkload).find((svc) => svc.hostname === host) : undefined;
    const result = await this.inbound({
      peerIdentity: req.peerIdentity,
      policySrcIp: source ? source.ip : peerIp,
      srcAddr: source ? source.addr : srcAddr,
      source: source?.workload,
      dstWorkload,
      target: { ip: localIp, port: req.authority.port },
      hboneAddr: `${req.authority.host}:${req.authority.port}`,
      dstAddr,
      service,
    });
    if (!result.ok) {
      req.reject(result.status);
      return;
    }
    const stream = req.accept();
    splice(stream, result.app, () => {});
  }

  /**
   * The client workload named by `forwarded: for=` is trusted only when its identity equals the peer certificate's
   * and the TCP peer is that workload or its node (a host-network workload on the same node); otherwise undefined.
   */
  trustedSource(forwarded: string | undefined, peerIdentity: string, peerIp: string): { ip: string; addr: string; workload: Workload } | undefined {
    const m = forwarded ? /for="?\[?([0-9a-fA-F.:]+?)\]?(?::(\d+))?"?(?:;|,|$)/.exec(forwarded) : null;
    if (!m) return undefined;
    const ip = canonicalIp(m[1]!);
    const w = this.state.workloadByIp(this.config.network, ip);
    if (!w || workloadIdentity(w) !== peerIdentity) return undefined;
    const peerIsWorkload = w.addresses.some((a) => canonicalIp(a) === peerIp);
    const peerNode = this.state.nodeOfHostAddress(this.config.network, peerIp);
    if (!peerIsWorkload && (!peerNode || peerNode !== w.node)) return undefined;
    return { ip, addr: m[2] ? hostPort(ip, Number(m[2])) : ip, workload: w };
  }

  /** Inbound plaintext (15006): destination = the local address; no identity; STRICT PeerAuthentication denies. */
  async inboundPlaintext(socket: Socket): Promise<void> {
    const localIp = canonicalIp(socket.localAddress ?? '');
    const peerIp = canonicalIp(socket.remoteAddress ?? '');
    const srcAddr = hostPort(peerIp, socket.remotePort ?? 0);
    const dstAddr = hostPort(localIp, socket.localPort ?? 0);
    const dstWorkload = this.state.localWorkloadByIp(this.config.network, localIp);
    if (!dstWorkload) {
      this.access.warn({ 'src.addr': srcAddr, 'dst.addr': dstAddr, direction: 'inbound', error: `no node-local workload has address ${localIp}` }, 'connection failed');
      socket.destroy();
      return;
    }
    const source = this.state.workloadByIp(this.config.network, peerIp);
    const result = await this.inbound({
      peerIdentity: null, policySrcIp: peerIp, srcAddr, source, dstWorkload,
      target: { ip: localIp, port: socket.localPort ?? 0 }, hboneAddr: undefined, dstAddr, service: undefined,
    });
    if (!result.ok) {
      socket.destroy();
      return;
    }
    socket.resume();
    splice(socket, result.app, () => {});
  }
}

// Random trace ids come from a pooled buffer refilled 4 KiB at a time (one getrandom call per ~170 connections).
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;
function randomHex(n: number): string {
  if (randomOffset + n > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const out = randomPool.toString('hex', randomOffset, randomOffset + n);
  randomOffset += n;
  return out;
}

/** A fresh W3C `traceparent` (random trace and span ids, not sampled). */
export function traceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-00`;
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

function srcFields(w: Workload, identity: string | undefined): Partial<LogFields> {
  return { 'src.workload': w.name, 'src.namespace': w.namespace, ...(identity ? { 'src.identity': identity } : {}) };
}

function dstFields(w: Workload, identity: string | undefined, service: Service | undefined): Partial<LogFields> {
  return {
    ...(service ? { 'dst.service': service.hostname } : {}),
    'dst.workload': w.name,
    'dst.namespace': w.namespace,
    ...(identity ? { 'dst.identity': identity } : {}),
  };
}

/** The `baggage` header upstream sends (empty items omitted). */
export function baggage(w: Workload, clusterId: string): string {
  const items: [string, string][] = [
    ['k8s.cluster.name', w.clusterId || clusterId],
    ['k8s.namespace.name', w.namespace],
    [`k8s.${w.workloadType.toLowerCase()}.name`, w.workloadName],
    ['service.name', w.canonicalName],
    ['service.version', w.canonicalRevision],
    ['cloud.region', w.locality?.region ?? ''],
    ['cloud.availability_zone', w.locality?.zone ?? ''],
  ];
  return items.filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(',');
}
