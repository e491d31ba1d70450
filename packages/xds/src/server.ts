// The ADS server: DeltaAggregatedResources (what ztunnel speaks) and StreamAggregatedResources (state of the
// world) on @grpc/grpc-js, serving resources from a shared ResourceCache.
//
// Per stream and per type URL it keeps: the subscription (wildcard and/or explicit names and aliases), what the
// client holds (name -> version, seeded from initial_resource_versions), the pending updates (coalesced: one entry
// per resource name, so a slow client costs at most one pending entry per resource, never a queue of pushes),
// the outstanding nonces, and the last ACK and NACK (with its error detail, for /debug/syncz).
//
// Cache changes are debounced (default 100 ms) and fanned out: each stream only looks at the changed names.
// Responses are written only while gRPC accepts writes (back-pressure) and while the client has fewer than
// maxUnackedResponses responses outstanding for that type.
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { CacheChange, CachedResource, ResourceCache } from './cache.js';
import { XdsErrorCode } from './errors.js';
import {
  adsServerDefinition, decodeDeltaRequest, decodeSotwRequest, encodeSotwResponse, fieldSize, spliceDeltaResponse,
} from './grpc.js';
import { realTimers, silentLogger, type Logger, type Timers } from './logger.js';
import { CounterMap, LatencyRecorder, type LatencySummary } from './metrics.js';
import { nodeFromProto, type NodeInfo } from './node.js';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, WORKLOAD_TYPE_URL } from './types.js';

/** Who is connected, as the auth hook and generators see it. */
export interface ConnectionInfo {
  /** Server-assigned stream id. */
  readonly id: string;
  /** "ipv4:1.2.3.4:5678" as grpc-js reports the peer. */
  readonly peer: string;
  /** The node from the first request (empty id until it arrives). */
  readonly node: NodeInfo;
  /** What the auth hook returned as identity, if anything. */
  readonly identity: string | undefined;
}

/** Input of the authentication hook. */
export interface AuthRequest {
  peer: string;
  /** The token of an `authorization: Bearer <token>` header. */
  bearerToken: string | undefined;
  /** All request metadata (lower-case keys). */
  metadata: Record<string, string>;
  /** The verified TLS client certificate (mTLS), when there is one. */
  peerCertificate: unknown;
  method: 'delta' | 'sotw';
}
export type AuthResult = { ok: true; identity?: string } | { ok: false; reason: string };

/** Produces the resources of one type for one connection (default: everything in the cache). */
export interface Generator {
  /** Everything a wildcard subscriber should hold. */
  all(conn: ConnectionInfo): Iterable<CachedResource>;
  /** One resource by name or alias, or undefined when it does not exist (or this connection may not see it). */
  get(nameOrAlias: string, conn: ConnectionInfo): CachedResource | undefined;
  /** How many resources all() yields (optional; for status only). */
  size?(conn: ConnectionInfo): number;
}

export interface AdsServerOptions {
  cache: ResourceCache;
  logger?: Logger;
  /** Type URLs served from the cache as-is. Default: Address, Authorization, Workload. */
  types?: readonly string[];
  /** Generators per type URL (also makes the type known). */
  generators?: Readonly<Record<string, Generator>>;
  /** Debounce window for cache changes (ms). Default 100. 0 pushes on the next tick. */
  debounceMs?: number;
  timers?: Timers;
  /** Milliseconds clock (must match the cache's). Default Date.now. */
  clock?: () => number;
  /** Rejects a stream by returning { ok: false }; throwing also rejects. Default: accept all. */
  authenticate?: (req: AuthRequest) => AuthResult | Promise<AuthResult>;
  /** A push bigger than this is split into several responses (a single larger resource goes alone). Default 1 MiB. */
  maxResponseBytes?: number;
  /** Pushes to a (stream, type) pause while this many responses await an ACK. Default 8. */
  maxUnackedResponses?: number;
  /** Sent as control_plane.identifier. */
  controlPlaneId?: string;
}

/** One (stream, type URL) as /debug/syncz shows it. */
export interface WatchStatus {
  typeUrl: string;
  wildcard: boolean;
  /** Explicit subscriptions (names or aliases). */
  subscribed: string[];
  /** How many resources the client holds: for a wildcard delta watch, what the generator offers; else what was sent. */
  resources: number;
  /** Coalesced updates not yet written. */
  pending: number;
  outstandingNonces: number;
  lastSentNonce: string;
  lastAckedNonce: string;
  lastAckAt: number | undefined;
  acks: number;
  nacks: number;
  /** The most recent NACK, kept after later ACKs (see `state`). */
  lastNack: { nonce: string; code: number; message: string; at: number } | undefined;
  /** 'ACKED' (last answer was an ACK), 'NACKED', or 'PENDING' (nothing answered yet / responses outstanding). */
  state: 'ACKED' | 'NACKED' | 'PENDING';
}
export interface ConnectionStatus {
  id: string;
  kind: 'delta' | 'sotw';
  peer: string;
  node: NodeInfo;
  identity: string | undefined;
  connectedAt: number;
  /** Waiting for gRPC to drain (the client reads slowly). */
  blocked: boolean;
  watches: WatchStatus[];
}

export interface AdsServerMetrics {
  connectedClients: number;
  streamsTotal: number;
  rejectedStreams: number;
  /** Responses written, per type URL. */
  pushes: Record<string, number>;
  resourcesSent: Record<string, number>;
  removalsSent: Record<string, number>;
  acks: Record<string, number>;
  nacks: Record<string, number>;
  unknownTypeRequests: number;
  malformedRequests: number;
  /** Times a (stream, type) hit maxUnackedResponses. */
  unackedPauses: number;
  /** Times a write hit gRPC back-pressure. */
  backpressureWaits: number;
  /** Debounced fan-outs of cache changes. */
  debouncedPushes: number;
  /** From the cache change to the client's ACK of the response carrying it. */
  pushLatency: LatencySummary;
  /** From writing a response to its ACK. */
  ackLatency: LatencySummary;
}

interface Outstanding { sentAt: number; changedAt: number | undefined }

class Watch {
  wildcard = false;
  readonly explicit = new Map<string, string | null>();
  /** name -> version the client holds; tracked for explicit subscriptions (wildcard watches track a count only). */
  sent = new Map<string, string>();
  /** Wildcard full state still to stream (a live iterator over the generator: it sees later changes too). */
  cursor: Iterator<CachedResource> | undefined;
  cursorHead: CachedResource | undefined;
  readonly pending = new Map<string, CachedResource | null>();
  pendingSince: number | undefined;
  /** Answer even with nothing to send (a new subscription must be answered so the client can ACK and get ready). */
  mustAnswer = false;
  readonly outstanding = new Map<string, Outstanding>();
  paused = false;
  lastSentNonce = '';
  lastAckedNonce = '';
  lastAckAt: number | undefined;
  lastAnswer: 'ACKED' | 'NACKED' | undefined;
  acks = 0;
  nacks = 0;
  lastNack: WatchStatus['lastNack'];
  lastNackLogged = '';
  // state of the world
  names: string[] = [];
  sotwDirty = false;
  sotwVersion = 0;
  constructor(readonly typeUrl: string) {}
}

class Conn implements ConnectionInfo {
  node: NodeInfo = { id: '', metadata: {} };
  identity: string | undefined;
  readonly watches = new Map<string, Watch>();
  blocked = false;
  closed = false;
  nonceSeq = 0;
  readonly unknownTypesLogged = new Set<string>();
  constructor(
    readonly id: string,
    readonly kind: 'delta' | 'sotw',
    readonly peer: string,
    readonly call: grpc.ServerDuplexStream<Buffer, Buffer>,
    readonly connectedAt: number,
  ) {}
}

/** Payload of the server's 'ack' and 'nack' events. */
export interface AnswerEvent {
  connectionId: string;
  typeUrl: string;
  nonce: string;
  /** From the cache change to this ACK, when the acknowledged response carried changes. */
  changeToAckMs: number | undefined;
  /** True when nothing is pending or outstanding for this (stream, type) after this answer. */
  settled: boolean;
  /** NACK only. */
  message?: string;
}

/**
 * The ADS server. Register it on a grpc.Server with `addTo`, or use `listenAds` for a ready-made server.
 * Events: 'ack' and 'nack' (AnswerEvent), emitted only when listened to.
 */
export class AdsServer extends EventEmitter {
  readonly #cache: ResourceCache;
  readonly #log: Logger;
  readonly #gens = new Map<string, Generator>();
  /** Types served by a caller's generator: visibility may differ per connection, so wildcard watches track names. */
  readonly #custom = new Set<string>();
  readonly #debounceMs: number;
  readonly #timers: Timers;
  readonly #clock: () => number;
  readonly #auth: AdsServerOptions['authenticate'];
  readonly #maxBytes: number;
  readonly #maxUnacked: number;
  readonly #controlPlane: string | undefined;
  readonly #conns = new Set<Conn>();
  readonly #changed = new Map<string, { names: Set<string>; keys: Set<string> }>();
  #changedSince: number | undefined;
  #timer: unknown;
  #seq = 0;
  #version = 0;
  #closed = false;
  readonly #unsubscribe: () => void;
  // metrics
  #streamsTotal = 0;
  #rejected = 0;
  readonly #pushes = new CounterMap();
  readonly #resourcesSent = new CounterMap();
  readonly #removalsSent = new CounterMap();
  readonly #acks = new CounterMap();
  readonly #nacks = new CounterMap();
  #unknownType = 0;
  #malformed = 0;
  #unackedPauses = 0;
  #backpressure = 0;
  #debounced = 0;
  readonly #pushLatency = new LatencyRecorder();
  readonly #ackLatency = new LatencyRecorder();

  constructor(opts: AdsServerOptions) {
    super();
    this.#cache = opts.cache;
    this.#log = (opts.logger ?? silentLogger).child({ component: 'ads-server' });
    for (const t of opts.types ?? [ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, WORKLOAD_TYPE_URL]) this.#gens.set(t, this.#cacheGenerator(t));
    for (const [t, g] of Object.entries(opts.generators ?? {})) {
      this.#gens.set(t, g);
      this.#custom.add(t);
    }
    this.#debounceMs = opts.debounceMs ?? 100;
    this.#timers = opts.timers ?? realTimers;
    this.#clock = opts.clock ?? Date.now;
    this.#auth = opts.authenticate;
    this.#maxBytes = opts.maxResponseBytes ?? 1024 * 1024;
    this.#maxUnacked = Math.max(1, opts.maxUnackedResponses ?? 8);
    this.#controlPlane = opts.controlPlaneId;
    this.#unsubscribe = this.#cache.onChange((c) => this.#onCacheChange(c));
  }

  /** Adds the AggregatedDiscoveryService to a grpc.Server. */
  addTo(server: grpc.Server): void {
    server.addService(adsServerDefinition, {
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.#accept(call, 'delta'),
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.#accept(call, 'sotw'),
    });
  }

  /** Fans out pending cache changes now instead of waiting for the debounce timer. */
  pushNow(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushChanges();
  }

  /** Per-connection, per-type state (for istiod's /debug/syncz). */
  connections(): ConnectionStatus[] {
    return [...this.#conns].map((c) => ({
      id: c.id, kind: c.kind, peer: c.peer, node: c.node, identity: c.identity, connectedAt: c.connectedAt, blocked: c.blocked,
      watches: [...c.watches.values()].map((w) => ({
        typeUrl: w.typeUrl, wildcard: w.wildcard, subscribed: c.kind === 'delta' ? [...w.explicit.keys()] : [...w.names],
        resources: c.kind === 'delta' && w.wildcard && !this.#custom.has(w.typeUrl) ? this.#size(w.typeUrl, c) : w.sent.size,
        pending: w.pending.size + (w.sotwDirty ? 1 : 0) + (w.cursor ? 1 : 0), outstandingNonces: w.outstanding.size,
        lastSentNonce: w.lastSentNonce, lastAckedNonce: w.lastAckedNonce, lastAckAt: w.lastAckAt, acks: w.acks, nacks: w.nacks,
        lastNack: w.lastNack, state: w.outstanding.size > 0 || !w.lastAnswer ? 'PENDING' : w.lastAnswer,
      })),
    }));
  }

  metrics(): AdsServerMetrics {
    return {
      connectedClients: this.#conns.size, streamsTotal: this.#streamsTotal, rejectedStreams: this.#rejected,
      pushes: this.#pushes.toJSON(), resourcesSent: this.#resourcesSent.toJSON(), removalsSent: this.#removalsSent.toJSON(),
      acks: this.#acks.toJSON(), nacks: this.#nacks.toJSON(), unknownTypeRequests: this.#unknownType,
      malformedRequests: this.#malformed, unackedPauses: this.#unackedPauses, backpressureWaits: this.#backpressure,
      debouncedPushes: this.#debounced, pushLatency: this.#pushLatency.summary(), ackLatency: this.#ackLatency.summary(),
    };
  }

  /** Ends every open stream cleanly (status OK) but keeps serving: clients reconnect and resume. */
  resetStreams(): void {
    for (const c of [...this.#conns]) this.#end(c);
  }

  /** Ends every stream cleanly (clients reconnect with reset backoff) and stops listening to the cache. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const c of this.#conns) this.#end(c);
  }

  // ---- connection lifecycle --------------------------------------------------------------------------------------
  #accept(call: grpc.ServerDuplexStream<Buffer, Buffer>, kind: 'delta' | 'sotw'): void {
    const conn = new Conn(`${++this.#seq}`, kind, call.getPeer(), call, this.#clock());
    this.#streamsTotal++;
    const log = this.#log.child({ stream: conn.id, peer: conn.peer, kind });
    if (this.#closed) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'xds server is closed' });
      return;
    }
    const queue: Buffer[] = [];
    let authed = this.#auth === undefined;
    const onData = (b: Buffer) => {
      if (conn.closed) return;
      if (!authed) queue.push(b);
      else if (kind === 'delta') this.#onDelta(conn, b, log);
      else this.#onSotw(conn, b, log);
    };
    call.on('data', onData);
    call.on('end', () => this.#end(conn));
    call.on('cancelled', () => this.#drop(conn));
    call.on('error', (err: Error) => {
      log.debug({ err }, 'stream error');
      this.#drop(conn);
    });
    call.on('close', () => this.#drop(conn));
    this.#conns.add(conn);
    if (authed) return;
    const md: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) md[k] = typeof v === 'string' ? v : v.toString('base64');
    const authz = md['authorization'];
    const bearer = authz && /^bearer\s+/i.test(authz) ? authz.replace(/^bearer\s+/i, '') : undefined;
    let peerCertificate: unknown;
    try {
      peerCertificate = (call as unknown as { getAuthContext?: () => { sslPeerCertificate?: unknown } }).getAuthContext?.()?.sslPeerCertificate;
    } catch {
      peerCertificate = undefined;
    }
    Promise.resolve()
      .then(() => this.#auth!({ peer: conn.peer, bearerToken: bearer, metadata: md, peerCertificate, method: kind }))
      .catch((err: unknown): AuthResult => ({ ok: false, reason: `authentication hook failed: ${(err as Error)?.message ?? String(err)}` }))
      .then((res) => {
        if (conn.closed) return;
        if (!res.ok) {
          this.#rejected++;
          log.warn({ code: XdsErrorCode.UNAUTHENTICATED, reason: res.reason }, 'xds stream rejected by the authentication hook');
          this.#conns.delete(conn);
          conn.closed = true;
          call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: `unauthenticated: ${res.reason}` });
          return;
        }
        conn.identity = res.identity;
        authed = true;
        for (const b of queue.splice(0)) onData(b);
      });
  }

  #end(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.#conns.delete(conn);
    try {
      conn.call.end();
    } catch {
      // already gone
    }
  }

  #drop(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.#conns.delete(conn);
  }

  #fail(conn: Conn, code: grpc.status, details: string): void {
    if (conn.closed) return;
    conn.closed = true;
    this.#conns.delete(conn);
    conn.call.emit('error', { code, details });
  }

  // ---- delta ---------------------------------------------------------------------------------------------------
  #onDelta(conn: Conn, bytes: Buffer, log: Logger): void {
    let req: ReturnType<typeof decodeDeltaRequest>;
    try {
      req = decodeDeltaRequest(bytes);
    } catch (err) {
      this.#malformed++;
      log.warn({ code: XdsErrorCode.MALFORMED_REQUEST, err: (err as Error).message, bytes: bytes.length }, 'malformed DeltaDiscoveryRequest; closing this stream');
      this.#fail(conn, grpc.status.INVALID_ARGUMENT, `malformed DeltaDiscoveryRequest: ${(err as Error).message}`);
      return;
    }
    if (req.node && !conn.node.id) conn.node = nodeFromProto(req.node);
    const typeUrl = req.typeUrl;
    const gen = this.#gens.get(typeUrl);
    if (!gen) {
      this.#unknownTypeRequest(conn, typeUrl, log);
      return;
    }
    let w = conn.watches.get(typeUrl);
    const first = !w;
    if (!w) conn.watches.set(typeUrl, (w = new Watch(typeUrl)));

    if (req.responseNonce) this.#answer(conn, w, req.responseNonce, req.errorDetail ?? undefined, log);

    const sub = req.resourceNamesSubscribe ?? [];
    const unsub = req.resourceNamesUnsubscribe ?? [];
    if (first) {
      for (const [n, v] of Object.entries(req.initialResourceVersions ?? {})) w.sent.set(n, v);
      // A first request that names nothing is a (legacy) wildcard subscription.
      if (sub.length === 0 && unsub.length === 0) w.wildcard = true;
    }
    const wasWildcard = w.wildcard;
    const added: string[] = [];
    for (const s of sub) {
      if (s === '*') w.wildcard = true;
      else if (!w.explicit.has(s)) {
        w.explicit.set(s, null);
        added.push(s);
      } else added.push(s); // re-subscribing must be answered even if unchanged
    }
    for (const u of unsub) {
      if (u === '*') {
        w.wildcard = false;
        continue;
      }
      const resolved = w.explicit.get(u);
      w.explicit.delete(u);
      const ai = added.indexOf(u);
      if (ai >= 0) added.splice(ai, 1);
      if (resolved && !w.wildcard && !this.#explicitlyWanted(w, resolved)) {
        w.sent.delete(resolved);
        w.pending.delete(resolved);
      }
    }
    if (first || (w.wildcard && !wasWildcard)) w.mustAnswer = true;
    if (w.wildcard && (first || !wasWildcard)) {
      if (w.sent.size === 0) {
        // Fresh client: stream the full state straight from the generator, chunk by chunk.
        w.cursor = gen.all(conn)[Symbol.iterator]();
      } else {
        // Resuming client: everything it should hold, minus what it already holds at the same version.
        const live = new Set<string>();
        for (const r of gen.all(conn)) {
          live.add(r.name);
          if (w.sent.get(r.name) !== r.version) w.pending.set(r.name, r);
        }
        for (const n of w.sent.keys()) if (!live.has(n) && !w.explicit.has(n)) w.pending.set(n, null);
        if (!this.#custom.has(typeUrl)) w.sent.clear();
      }
    } else if (first) {
      // Not wildcard: what the client says it holds must still exist and be current.
      for (const [n, v] of w.sent) {
        const r = gen.get(n, conn);
        if (!r) w.pending.set(n, null);
        else if (r.version !== v) w.pending.set(r.name, r);
      }
    }
    for (const key of added) {
      const r = gen.get(key, conn);
      if (r) {
        w.explicit.set(key, r.name);
        w.pending.set(r.name, r);
      } else {
        w.explicit.set(key, null);
        // Tell an on-demand client that the key does not exist, so its lookup completes.
        w.pending.set(key, null);
      }
    }
    this.#flush(conn);
  }

  #explicitlyWanted(w: Watch, name: string): boolean {
    for (const v of w.explicit.values()) if (v === name) return true;
    return w.explicit.has(name);
  }

  #unknownTypeRequest(conn: Conn, typeUrl: string, log: Logger): void {
    this.#unknownType++;
    const lvl = conn.unknownTypesLogged.has(typeUrl) ? 'debug' : 'warn';
    conn.unknownTypesLogged.add(typeUrl);
    log[lvl]({ code: XdsErrorCode.UNKNOWN_TYPE, typeUrl, node: conn.node.id }, 'request for a type url this server does not serve; ignored');
  }

  /** ACK or NACK of `nonce` (delta and state of the world). */
  #answer(conn: Conn, w: Watch, nonce: string, error: { code?: number | null; message?: string | null } | undefined, log: Logger): void {
    const now = this.#clock();
    const o = w.outstanding.get(nonce);
    if (!o) {
      log.debug({ typeUrl: w.typeUrl, nonce }, 'answer for an unknown or stale nonce');
    } else {
      // Answers arrive in order: this one also settles every earlier outstanding nonce.
      for (const k of [...w.outstanding.keys()]) {
        w.outstanding.delete(k);
        if (k === nonce) break;
      }
      this.#ackLatency.record(now - o.sentAt);
    }
    if (error) {
      w.nacks++;
      w.lastAnswer = 'NACKED';
      this.#nacks.inc(w.typeUrl);
      const message = error.message ?? '';
      w.lastNack = { nonce, code: error.code ?? 0, message, at: now };
      // A NACK storm logs once per distinct message per stream and type; the rest go to debug.
      const lvl = w.lastNackLogged === message ? 'debug' : 'warn';
      w.lastNackLogged = message;
      log[lvl]({ code: XdsErrorCode.NACK, typeUrl: w.typeUrl, node: conn.node.id, nonce, detail: message }, 'client rejected a push (NACK)');
    } else {
      w.acks++;
      w.lastAnswer = 'ACKED';
      w.lastAckedNonce = nonce;
      w.lastAckAt = now;
      this.#acks.inc(w.typeUrl);
      if (o?.changedAt !== undefined) this.#pushLatency.record(now - o.changedAt);
    }
    const ev = error ? 'nack' : 'ack';
    if (this.listenerCount(ev) > 0) {
      const e: AnswerEvent = {
        connectionId: conn.id, typeUrl: w.typeUrl, nonce, changeToAckMs: o?.changedAt === undefined ? undefined : now - o.changedAt,
        settled: w.outstanding.size === 0 && w.pending.size === 0 && !w.cursor && !w.sotwDirty,
      };
      if (error) e.message = error.message ?? '';
      this.emit(ev, e);
    }
    if (w.paused && w.outstanding.size < this.#maxUnacked) {
      w.paused = false;
      log.info({ typeUrl: w.typeUrl }, 'client acknowledged again; pushes resume');
      this.#flush(conn);
    }
  }

  // ---- state of the world ----------------------------------------------------------------------------------------
  #onSotw(conn: Conn, bytes: Buffer, log: Logger): void {
    let req: ReturnType<typeof decodeSotwRequest>;
    try {
      req = decodeSotwRequest(bytes);
    } catch (err) {
      this.#malformed++;
      log.warn({ code: XdsErrorCode.MALFORMED_REQUEST, err: (err as Error).message, bytes: bytes.length }, 'malformed DiscoveryRequest; closing this stream');
      this.#fail(conn, grpc.status.INVALID_ARGUMENT, `malformed DiscoveryRequest: ${(err as Error).message}`);
      return;
    }
    if (req.node && !conn.node.id) conn.node = nodeFromProto(req.node);
    const typeUrl = req.typeUrl;
    if (!this.#gens.has(typeUrl)) {
      this.#unknownTypeRequest(conn, typeUrl, log);
      return;
    }
    let w = conn.watches.get(typeUrl);
    const first = !w;
    if (!w) conn.watches.set(typeUrl, (w = new Watch(typeUrl)));
    if (req.responseNonce) {
      this.#answer(conn, w, req.responseNonce, req.errorDetail ?? undefined, log);
      // A request carrying an older nonce is superseded by a response already on its way.
      if (req.responseNonce !== w.lastSentNonce) return;
    }
    const names = [...(req.resourceNames ?? [])].sort();
    const wildcard = names.length === 0 || names.includes('*');
    const changed = first || wildcard !== w.wildcard || names.join('\0') !== w.names.join('\0');
    w.wildcard = wildcard;
    w.names = names.filter((n) => n !== '*');
    if (changed) {
      w.sotwDirty = true;
      this.#flush(conn);
    }
  }

  // ---- cache changes -> pushes -----------------------------------------------------------------------------------
  #onCacheChange(c: CacheChange): void {
    let ch = this.#changed.get(c.typeUrl);
    if (!ch) this.#changed.set(c.typeUrl, (ch = { names: new Set(), keys: new Set() }));
    for (const n of c.names) ch.names.add(n);
    for (const k of c.keys) ch.keys.add(k);
    if (this.#changedSince === undefined || c.at < this.#changedSince) this.#changedSince = c.at;
    if (this.#timer === undefined && !this.#closed) {
      this.#timer = this.#timers.setTimeout(() => {
        this.#timer = undefined;
        this.#flushChanges();
      }, this.#debounceMs);
    }
  }

  #flushChanges(): void {
    if (this.#changed.size === 0) return;
    this.#debounced++;
    const changed = [...this.#changed];
    const since = this.#changedSince;
    this.#changed.clear();
    this.#changedSince = undefined;
    for (const conn of this.#conns) {
      let touched = false;
      for (const [typeUrl, { names, keys }] of changed) {
        const w = conn.watches.get(typeUrl);
        const gen = this.#gens.get(typeUrl);
        if (!w || !gen) continue;
        if (conn.kind === 'sotw') {
          if (w.wildcard || [...keys].some((k) => w.names.includes(k) || w.names.some((n) => gen.get(n, conn)?.name === k))) {
            w.sotwDirty = true;
            if (w.pendingSince === undefined) w.pendingSince = since;
            touched = true;
          }
          continue;
        }
        if (w.wildcard) {
          const custom = this.#custom.has(typeUrl);
          for (const name of names) {
            const r = gen.get(name, conn);
            if (r && r.name === name) w.pending.set(name, r);
            // With the cache as generator a miss means deleted; with a custom one, only what the client holds goes.
            else if (!r && !w.explicit.has(name) && (!custom || w.sent.has(name) || w.pending.get(name))) w.pending.set(name, null);
          }
        }
        if (w.explicit.size > 0) for (const key of keys) if (w.explicit.has(key)) this.#consider(conn, w, gen, key);
        if (w.pending.size > 0) {
          if (w.pendingSince === undefined) w.pendingSince = since;
          touched = true;
        }
      }
      if (touched) this.#flush(conn);
    }
  }

  /** Decides what one changed key means for an explicit subscription of a delta watch. */
  #consider(conn: Conn, w: Watch, gen: Generator, key: string): void {
    {
      const prev = w.explicit.get(key) ?? null;
      const r = gen.get(key, conn);
      if (r) {
        w.explicit.set(key, r.name);
        if (w.sent.get(r.name) !== r.version || w.pending.has(r.name)) w.pending.set(r.name, r);
      } else {
        w.explicit.set(key, null);
        if (prev !== null && (w.sent.has(prev) || w.pending.get(prev)) && !(w.wildcard && gen.get(prev, conn))) w.pending.set(prev, null);
      }
    }
  }

  // ---- writing -------------------------------------------------------------------------------------------------
  #flush(conn: Conn): void {
    if (conn.closed || conn.blocked) return;
    for (const w of conn.watches.values()) {
      while (!conn.closed && !conn.blocked) {
        const hasWork = conn.kind === 'delta' ? w.pending.size > 0 || w.cursor !== undefined || w.mustAnswer : w.sotwDirty;
        if (!hasWork) break;
        if (w.outstanding.size >= this.#maxUnacked) {
          if (!w.paused) {
            w.paused = true;
            this.#unackedPauses++;
            this.#log.warn({ code: XdsErrorCode.CLIENT_NOT_ACKING, stream: conn.id, node: conn.node.id, typeUrl: w.typeUrl, outstanding: w.outstanding.size },
              'client is not acknowledging; pushes to it are paused and coalesced until it does');
          }
          break;
        }
        const ok = conn.kind === 'delta' ? this.#writeDelta(conn, w) : this.#writeSotw(conn, w);
        if (!ok) {
          conn.blocked = true;
          this.#backpressure++;
          conn.call.once('drain', () => {
            conn.blocked = false;
            this.#flush(conn);
          });
          return;
        }
      }
    }
  }

  /** Writes one delta response from the pending map (at most maxResponseBytes); returns write()'s verdict. */
  #writeDelta(conn: Conn, w: Watch): boolean {
    const fields: Buffer[] = [];
    const removed: string[] = [];
    let fieldsBytes = 0;
    let size = 0;
    const track = !w.wildcard || this.#custom.has(w.typeUrl);
    for (const [name, r] of w.pending) {
      const add = r ? r.resourceField.length : fieldSize(Buffer.byteLength(name));
      if (size > 0 && size + add > this.#maxBytes) break;
      size += add;
      w.pending.delete(name);
      if (r) {
        fields.push(r.resourceField);
        fieldsBytes += add;
        if (track) w.sent.set(name, r.version);
      } else {
        removed.push(name);
        if (track) w.sent.delete(name);
      }
    }
    while (w.cursor && size < this.#maxBytes) {
      let r = w.cursorHead;
      w.cursorHead = undefined;
      if (!r) {
        const it = w.cursor.next();
        if (it.done) {
          w.cursor = undefined;
          break;
        }
        r = it.value;
      }
      if (w.pending.has(r.name)) continue; // a newer state is queued
      if (size > 0 && size + r.resourceField.length > this.#maxBytes) {
        w.cursorHead = r;
        break;
      }
      size += r.resourceField.length;
      fields.push(r.resourceField);
      fieldsBytes += r.resourceField.length;
      if (track) w.sent.set(r.name, r.version);
    }
    const resources = fields;
    w.mustAnswer = false;
    const nonce = `${conn.id}-${++conn.nonceSeq}`;
    const now = this.#clock();
    const changedAt = w.pendingSince;
    if (w.pending.size === 0 && !w.cursor) w.pendingSince = undefined;
    w.outstanding.set(nonce, { sentAt: now, changedAt });
    w.lastSentNonce = nonce;
    this.#pushes.inc(w.typeUrl);
    this.#resourcesSent.inc(w.typeUrl, resources.length);
    this.#removalsSent.inc(w.typeUrl, removed.length);
    const msg = spliceDeltaResponse({
      systemVersionInfo: `${++this.#version}`, fields, fieldsBytes, typeUrl: w.typeUrl, nonce, removed,
      ...(this.#controlPlane ? { controlPlane: this.#controlPlane } : {}),
    });
    return conn.call.write(msg);
  }

  #writeSotw(conn: Conn, w: Watch): boolean {
    const gen = this.#gens.get(w.typeUrl)!;
    const list: CachedResource[] = [];
    if (w.wildcard) for (const r of gen.all(conn)) list.push(r);
    else for (const n of w.names) {
      const r = gen.get(n, conn);
      if (r) list.push(r);
    }
    w.sotwDirty = false;
    w.sent = new Map(list.map((r) => [r.name, r.version]));
    const nonce = `${conn.id}-${++conn.nonceSeq}`;
    w.outstanding.set(nonce, { sentAt: this.#clock(), changedAt: w.pendingSince });
    w.pendingSince = undefined;
    w.lastSentNonce = nonce;
    this.#pushes.inc(w.typeUrl);
    this.#resourcesSent.inc(w.typeUrl, list.length);
    return conn.call.write(encodeSotwResponse({
      versionInfo: `${++w.sotwVersion}`, resources: list.map((r) => r.anyBytes), typeUrl: w.typeUrl, nonce,
      ...(this.#controlPlane ? { controlPlane: this.#controlPlane } : {}),
    }));
  }

  #cacheGenerator(typeUrl: string): Generator {
    const cache = this.#cache;
    return { all: () => cache.list(typeUrl), get: (n) => cache.get(typeUrl, n), size: () => cache.size(typeUrl) };
  }

  #size(typeUrl: string, conn: Conn): number {
    const gen = this.#gens.get(typeUrl);
    if (!gen) return 0;
    if (gen.size) return gen.size(conn);
    let n = 0;
    for (const _ of gen.all(conn)) n++;
    return n;
  }
}

export interface ListenAdsOptions extends AdsServerOptions {
  /** host:port; default 127.0.0.1:0. */
  address?: string;
  /** Default insecure (tests, loopback). */
  credentials?: grpc.ServerCredentials;
  /** Largest request accepted (bytes). Default 4 MiB. */
  maxReceiveBytes?: number;
}

/** An AdsServer on its own grpc.Server, bound before this resolves. `close()` ends streams and shuts down. */
export async function listenAds(opts: ListenAdsOptions): Promise<{ ads: AdsServer; server: grpc.Server; port: number; close(): Promise<void> }> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxReceiveBytes ?? 4 * 1024 * 1024,
    'grpc.max_send_message_length': -1,
  });
  const ads = new AdsServer(opts);
  ads.addTo(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(opts.address ?? '127.0.0.1:0', opts.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  let closing: Promise<void> | undefined;
  return {
    ads, server, port,
    close: () => (closing ??= new Promise<void>((resolve) => {
      ads.close();
      server.tryShutdown(() => resolve());
      // Streams that never finish must not hold shutdown forever.
      const t = setTimeout(() => server.forceShutdown(), 2000);
      t.unref();
    })),
  };
}
