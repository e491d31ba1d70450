// The request an authorization decision is made for (the `amesh authz check` request JSON), its validation, and
// the per-evaluation context that parses each attribute at most once, lazily.
import { parseIp, normalizePath, type IpBytes, type NormalizedPath } from './match.js';

export type Mode = 'l4' | 'l7' | 'waypoint';
export const MODES: readonly Mode[] = ['l4', 'l7', 'waypoint'];

/** A validated JWT's attributes (`request.auth.*`). */
export interface JwtInfo {
  readonly issuer: string;
  readonly subject: string;
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly audiences?: readonly string[];
  readonly presenter?: string;
}

export interface AuthzRequest {
  readonly destination: {
    readonly namespace: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly ip?: string;
    readonly port?: number;
    /** The Service called (waypoint mode: `targetRefs` kind Service/ServiceEntry). `kind` defaults to Service. */
    readonly service?: { readonly name: string; readonly namespace: string; readonly kind?: 'Service' | 'ServiceEntry' } | null;
    /** The waypoint enforcing (waypoint mode: `targetRefs` kind Gateway/GatewayClass). */
    readonly waypoint?: { readonly name: string; readonly namespace: string } | null;
  };
  readonly source?: {
    /** Peer identity without `spiffe://` (`<td>/ns/<ns>/sa/<sa>`); null/absent for plaintext. */
    readonly principal?: string | null;
    /** The direct peer IP (`ipBlocks`, `source.ip`). */
    readonly ip?: string;
    /** The original client IP (`remoteIpBlocks`, `remote.ip`); defaults to `ip`. */
    readonly remoteIp?: string;
  };
  /** HTTP attributes (l7/waypoint); ignored in l4 mode. */
  readonly http?: {
    readonly method?: string;
    readonly path?: string;
    readonly host?: string;
    readonly headers?: Readonly<Record<string, string | readonly string[]>>;
    /** The validated token, or null/absent when the request has none. */
    readonly jwt?: JwtInfo | null;
  } | null;
  /** Connection attributes: TLS SNI (`connection.sni`). */
  readonly connection?: { readonly sni?: string } | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every problem with a request, each with its field path; empty when valid. `http` is required in l7/waypoint. */
export function validateRequest(raw: unknown, mode: Mode): string[] {
  const errs: string[] = [];
  const e = (p: string, m: string) => errs.push(`${p}: ${m}`);
  if (!isObj(raw)) return ['(request): must be a JSON object'];
  for (const k of Object.keys(raw)) if (!['destination', 'source', 'http', 'connection'].includes(k)) e(k, 'unknown field');
  const d = raw['destination'];
  if (!isObj(d)) e('destination', 'required object');
  else {
    for (const k of Object.keys(d)) if (!['namespace', 'labels', 'ip', 'port', 'service', 'waypoint'].includes(k)) e(`destination.${k}`, 'unknown field');
    if (typeof d['namespace'] !== 'string' || d['namespace'] === '') e('destination.namespace', 'required non-empty string');
    if (d['labels'] !== undefined && d['labels'] !== null) {
      if (!isObj(d['labels'])) e('destination.labels', 'must be a map of strings');
      else for (const [k, v] of Object.entries(d['labels'])) if (typeof v !== 'string') e(`destination.labels.${k}`, 'must be a string');
    }
    if (d['ip'] !== undefined && (typeof d['ip'] !== 'string' || !parseIp(d['ip']))) e('destination.ip', `invalid IP address "${String(d['ip'])}"`);
    if (d['port'] !== undefined && (typeof d['port'] !== 'number' || !Number.isInteger(d['port']) || d['port'] < 0 || d['port'] > 65535)) e('destination.port', 'must be an integer from 0 to 65535');
    for (const f of ['service', 'waypoint'] as const) {
      const v = d[f];
      if (v === undefined || v === null) continue;
      if (!isObj(v)) {
        e(`destination.${f}`, 'must be an object {name, namespace}');
        continue;
      }
      if (typeof v['name'] !== 'string' || v['name'] === '') e(`destination.${f}.name`, 'required non-empty string');
      if (typeof v['namespace'] !== 'string' || v['namespace'] === '') e(`destination.${f}.namespace`, 'required non-empty string');
      if (f === 'service' && v['kind'] !== undefined && v['kind'] !== 'Service' && v['kind'] !== 'ServiceEntry') e('destination.service.kind', 'must be Service or ServiceEntry');
    }
  }
  const s = raw['source'];
  if (s !== undefined && s !== null) {
    if (!isObj(s)) e('source', 'must be an object');
    else {
      for (const k of Object.keys(s)) if (!['principal', 'ip', 'remoteIp'].includes(k)) e(`source.${k}`, 'unknown field');
      const p = s['principal'];
      if (p !== undefined && p !== null) {
        if (typeof p !== 'string' || p === '') e('source.principal', 'must be a non-empty string or null');
        else if (p.startsWith('spiffe://')) e('source.principal', 'give the identity without "spiffe://"');
      }
      for (const f of ['ip', 'remoteIp'] as const) if (s[f] !== undefined && (typeof s[f] !== 'string' || !parseIp(s[f] as string))) e(`source.${f}`, `invalid IP address "${String(s[f])}"`);
    }
  }
  const h = raw['http'];
  if (h === undefined || h === null) {
    if (mode !== 'l4') e('http', `required in ${mode} mode`);
  } else if (!isObj(h)) e('http', 'must be an object');
  else {
    for (const k of Object.keys(h)) if (!['method', 'path', 'host', 'headers', 'jwt'].includes(k)) e(`http.${k}`, 'unknown field');
    for (const f of ['method', 'path', 'host'] as const) if (h[f] !== undefined && typeof h[f] !== 'string') e(`http.${f}`, 'must be a string');
    if (h['headers'] !== undefined && h['headers'] !== null) {
      if (!isObj(h['headers'])) e('http.headers', 'must be a map of strings (or lists of strings)');
      else
        for (const [k, v] of Object.entries(h['headers'])) {
          if (typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) e(`http.headers.${k}`, 'must be a string or a list of strings');
        }
    }
    const j = h['jwt'];
    if (j !== undefined && j !== null) {
      if (!isObj(j)) e('http.jwt', 'must be an object or null');
      else {
        for (const f of ['issuer', 'subject'] as const) if (typeof j[f] !== 'string') e(`http.jwt.${f}`, 'required string');
        if (j['claims'] !== undefined && j['claims'] !== null && !isObj(j['claims'])) e('http.jwt.claims', 'must be an object');
        if (j['audiences'] !== undefined && !(Array.isArray(j['audiences']) && j['audiences'].every((x) => typeof x === 'string'))) e('http.jwt.audiences', 'must be a list of strings');
        if (j['presenter'] !== undefined && typeof j['presenter'] !== 'string') e('http.jwt.presenter', 'must be a string');
      }
    }
  }
  const c = raw['connection'];
  if (c !== undefined && c !== null) {
    if (!isObj(c)) e('connection', 'must be an object');
    else if (c['sni'] !== undefined && typeof c['sni'] !== 'string') e('connection.sni', 'must be a string');
  }
  return errs;
}

/** A peer identity split into its SPIFFE parts; fields are '' when the principal is not `<td>/ns/<ns>/sa/<sa>`. */
export interface Identity {
  readonly principal: string;
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

export function parseIdentity(principal: string): Identity {
  const a = principal.indexOf('/');
  if (a > 0 && principal.startsWith('/ns/', a)) {
    const b = principal.indexOf('/', a + 4);
    if (b > a + 4 && principal.startsWith('/sa/', b)) {
      const sa = principal.slice(b + 4);
      if (sa.length > 0 && !sa.includes('/')) return { principal, trustDomain: principal.slice(0, a), namespace: principal.slice(a + 4, b), serviceAccount: sa };
    }
  }
  return { principal, trustDomain: '', namespace: '', serviceAccount: '' };
}

/** A bounded cache of parsed identities and addresses, owned by one authorizer (both repeat across requests). */
export class IdentityCache {
  private readonly map = new Map<string, Identity>();
  private readonly ips = new Map<string, IpBytes | null>();
  constructor(private readonly max = 4096) {}
  get(principal: string): Identity {
    let id = this.map.get(principal);
    if (id === undefined) {
      if (this.map.size >= this.max) this.map.clear();
      id = parseIdentity(principal);
      this.map.set(principal, id);
    }
    return id;
  }
  ip(s: string): IpBytes | null {
    let ip = this.ips.get(s);
    if (ip === undefined) {
      if (this.ips.size >= this.max) this.ips.clear();
      ip = parseIp(s);
      this.ips.set(s, ip);
    }
    return ip;
  }
}

const UNSET = Symbol('unset');
type Lazy<T> = T | typeof UNSET;

/** Per-evaluation view of a request: attributes are parsed on first use and cached. Internal. */
export class RequestContext {
  readonly req: AuthzRequest;
  private _id: Lazy<Identity | null> = UNSET;
  private _srcIp: Lazy<IpBytes | null> = UNSET;
  private _remoteIp: Lazy<IpBytes | null> = UNSET;
  private _dstIp: Lazy<IpBytes | null> = UNSET;
  private _path: Lazy<NormalizedPath> = UNSET;
  private _host: Lazy<string | null> = UNSET;

  private readonly ids: IdentityCache | null;
  constructor(req: AuthzRequest, ids: IdentityCache | null = null) {
    this.req = req;
    this.ids = ids;
  }
  private parseIp(s: string): IpBytes | null {
    return this.ids ? this.ids.ip(s) : parseIp(s);
  }
  get identity(): Identity | null {
    if (this._id === UNSET) {
      const p = this.req.source?.principal;
      if (typeof p !== 'string' || p === '') this._id = null;
      else {
        const bare = p.startsWith('spiffe://') ? p.slice(9) : p;
        this._id = this.ids ? this.ids.get(bare) : parseIdentity(bare);
      }
    }
    return this._id;
  }
  get srcIp(): IpBytes | null {
    if (this._srcIp === UNSET) this._srcIp = this.req.source?.ip ? this.parseIp(this.req.source.ip) : null;
    return this._srcIp;
  }
  get remoteIp(): IpBytes | null {
    if (this._remoteIp === UNSET) {
      const r = this.req.source?.remoteIp;
      this._remoteIp = r ? this.parseIp(r) : this.srcIp;
    }
    return this._remoteIp;
  }
  get dstIp(): IpBytes | null {
    if (this._dstIp === UNSET) this._dstIp = this.req.destination.ip ? this.parseIp(this.req.destination.ip) : null;
    return this._dstIp;
  }
  get dstPort(): number | null {
    const p = this.req.destination.port;
    return typeof p === 'number' ? p : null;
  }
  get method(): string | null {
    return this.req.http?.method ?? null;
  }
  get path(): NormalizedPath {
    if (this._path === UNSET) {
      const raw = this.req.http?.path;
      this._path = raw === undefined ? { ok: true, path: '' } : normalizePath(raw);
    }
    return this._path;
  }
  /** Host/:authority lower-cased (hosts match case-insensitively). */
  get host(): string | null {
    if (this._host === UNSET) {
      const h = this.req.http?.host;
      this._host = typeof h === 'string' ? h.toLowerCase() : null;
    }
    return this._host;
  }
  /**
   * Header value by lower-case name: every header whose name lower-cases to it, values joined with ',' in order;
   * `:authority`/`host`, `:method` and `:path` fall back to the request's host, method and path. Scans the (few)
   * headers per call instead of building a map (most requests look up one or two names, or none).
   */
  header(name: string): string | null {
    const http = this.req.http;
    let out: string | null = null;
    const hs = http?.headers;
    if (hs) {
      for (const k in hs) {
        if (!Object.prototype.hasOwnProperty.call(hs, k) || (k !== name && k.toLowerCase() !== name)) continue;
        const v = hs[k]!;
        const val = typeof v === 'string' ? v : v.join(',');
        out = out === null ? val : `${out},${val}`;
      }
    }
    if (out !== null || http == null) return out;
    switch (name) {
      case ':authority':
      case 'host':
        return http.host ?? null;
      case ':method':
        return http.method ?? null;
      case ':path':
        return http.path ?? null;
    }
    return null;
  }
  get jwt(): JwtInfo | null {
    return this.req.http?.jwt ?? null;
  }
  get sni(): string | null {
    return this.req.connection?.sni ?? null;
  }
}

/**
 * Appends one value to a decision cache key: a type tag ('s' string, 'n' number, '-' absent) and the value, then a
 * NUL separator. Strings containing NUL and values of other types are refused (null: the decision is not cached),
 * so two different value lists never give the same key.
 */
export function keyPart(k: string, v: unknown): string | null {
  if (typeof v === 'string') return v.indexOf('\u0000') < 0 ? `${k}s${v}\u0000` : null;
  if (v === undefined || v === null) return `${k}-\u0000`;
  if (typeof v === 'number') return `${k}n${v}\u0000`;
  return null;
}
