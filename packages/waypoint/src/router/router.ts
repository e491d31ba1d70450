// The compiled router: VirtualService selection, first-match-wins over http[], and the route action, as a value.
// Compile once (`compileRouter`); `decide()` walks precompiled matchers and allocates little per request.
import { WaypointError, WaypointErrorCode } from '../errors.js';
import { Catalog, byAge, effectiveTrafficPolicy, endpointPort, hostSpecificity, labelsSubset, lbPolicyOf, visibleTo, type Endpoint } from './catalog.js';
import { formatDuration } from './duration.js';
import { Balancer, createRng, pickWeighted, type LbPolicy, type Rng } from './lb.js';
import type { CorsPolicy, Destination, HTTPMatchRequest, ServicePort, HTTPRoute, HeaderOps, RouterConfigModel, Service, StringMatch, VirtualService } from './model.js';
import { re2RewriteToJs } from './regex.js';
import { convertRetryPolicy, type RetryPolicy } from './retry.js';
import { loadConfig, type LoadOptions } from './validate.js';

/** One HTTP request as the router sees it. */
export interface RouteRequest {
  /** Host / :authority as sent (a `:port` suffix is allowed; mesh host matching ignores it) */
  host: string;
  /** the (service / listener) port the request was sent to */
  port: number;
  method?: string;
  /** path with optional query string; default `/` */
  path?: string;
  scheme?: string;
  /** header names are case-insensitive; repeated values are joined with `,` */
  headers?: Record<string, string | readonly string[]>;
  client?: { namespace?: string; labels?: Record<string, string>; ip?: string };
  /** `mesh` (sidecar / waypoint, the default) or `gateway` */
  context?: 'mesh' | 'gateway';
  /** the gateway, `ns/name`, when context is `gateway` */
  gateway?: string;
  /** validated JWT claims, for `@request.auth.claims.<c>` header matches */
  claims?: Record<string, string | readonly string[]>;
}

export type DecisionAction = 'route' | 'weighted' | 'redirect' | 'directResponse' | 'abort' | 'notFound' | 'unavailable';

export interface RouteTarget {
  /** `outbound|<port>|<subset>|<fqdn>` */
  cluster: string;
  host: string;
  port: number;
  subset?: string;
  /** upstream path after any rewrite, with the query string */
  path: string;
  /** upstream :authority after any rewrite */
  authority: string;
}

export interface DecideOptions {
  /** random source for weighted picks, fault percentages and RANDOM/LEAST_REQUEST endpoint choice */
  rng?: Rng;
  /** active requests per endpoint name, for LEAST_REQUEST */
  activeRequests?: (endpoint: string) => number;
}

export interface RouterOptions extends Omit<LoadOptions, 'origin'> {
  /** seed of the router's own RNG, used when decide() gets none; default 1 */
  seed?: number;
}

const K_EXACT = 0;
const K_PREFIX = 1;
const K_REGEX = 2;
const K_PRESENT = 3;

/** A compiled StringMatch: one shape for every kind, so the hot path stays monomorphic. */
class CSM {
  constructor(
    readonly kind: number,
    readonly value: string,
    readonly re: RegExp | null,
    readonly src: StringMatch,
  ) {}
}

function csm(m: StringMatch | undefined): CSM | null {
  if (!m) return null;
  switch (m.kind) {
    case 'exact':
      return new CSM(K_EXACT, m.value, null, m);
    case 'prefix':
      return new CSM(K_PREFIX, m.value, null, m);
    case 'regex':
      return new CSM(K_REGEX, m.value, m.regex.re, m);
    default:
      return new CSM(K_PRESENT, '', null, m);
  }
}

function test(m: CSM, v: string | undefined): boolean {
  if (v === undefined) return false;
  switch (m.kind) {
    case K_EXACT:
      return v === m.value;
    case K_PREFIX:
      return v.startsWith(m.value);
    case K_REGEX:
      return m.re!.test(v);
    default:
      return true;
  }
}

class CNamed {
  constructor(
    readonly name: string,
    readonly m: CSM,
  ) {}
}

const NO_MATCH: HTTPMatchRequest = { headers: [], withoutHeaders: [], queryParams: [], ignoreUriCase: false, gateways: [] };

class CMatch {
  /** the route this entry belongs to (set when the route is compiled) */
  route: CRoute | undefined = undefined;
  /** the implicit entry of a route without match conditions */
  always = false;
  readonly uri: CSM | null;
  /** lower-cased exact/prefix value when ignoreUriCase applies, else null */
  readonly uriLower: string | null;
  readonly method: CSM | null;
  readonly authority: CSM | null;
  readonly scheme: CSM | null;
  readonly headers: CNamed[];
  readonly withoutHeaders: CNamed[];
  readonly queryParams: CNamed[];
  /** has port / gateways / sourceLabels / sourceNamespace conditions */
  readonly filtered: boolean;
  readonly catchAll: boolean;
  constructor(
    readonly src: HTTPMatchRequest,
    readonly index: number,
  ) {
    this.uri = csm(src.uri);
    this.uriLower = src.ignoreUriCase && src.uri && (src.uri.kind === 'exact' || src.uri.kind === 'prefix') ? src.uri.value.toLowerCase() : null;
    this.method = csm(src.method);
    this.authority = csm(src.authority);
    this.scheme = csm(src.scheme);
    this.headers = src.headers.map(([k, v]) => new CNamed(k, csm(v)!));
    this.withoutHeaders = src.withoutHeaders.map(([k, v]) => new CNamed(k, csm(v)!));
    this.queryParams = src.queryParams.map(([k, v]) => new CNamed(k, csm(v)!));
    this.filtered = src.port !== undefined || src.gateways.length > 0 || src.sourceLabels !== undefined || src.sourceNamespace !== undefined;
    this.catchAll = isCatchAll(src);
  }
}

interface CDest {
  dest: Destination;
  weight: number;
  headers: HTTPRoute['route'][number]['headers'];
  /** cluster per `clientNs|requestPort` */
  cache: Map<string, ClusterInfo>;
  /** the last lookup, checked first */
  memoNs: string | undefined;
  memoPort: number;
  memo: ClusterInfo | undefined;
  /** destination-level header operations, internal keys dropped */
  requestOps: HeaderOps | undefined;
  responseOps: HeaderOps | undefined;
  /** destination-level authority (Host / :authority set or add) */
  authority: string | undefined;
}

interface CRoute {
  vs: VirtualService;
  /** `ns/name` of the (root) VirtualService */
  vsKey: string;
  /** index in the root VirtualService's http[] */
  index: number;
  name: string | undefined;
  /** `ns/name` of the delegate VirtualService this route came from */
  delegate: string | undefined;
  delegateIndex: number | undefined;
  src: HTTPRoute;
  matches: CMatch[];
  dests: CDest[];
  weights: number[];
  totalWeight: number;
  regexRewrite: string | undefined;
  authorityOverride: string | undefined;
  requestOps: HeaderOps | undefined;
  responseOps: HeaderOps | undefined;
  /** destinations with weight > 0 (all of them when there is only one) */
  kept: CDest[];
  /** weighted cluster list per `clientNs|requestPort` */
  weightedCache: Map<string, Array<{ cluster: string; weight: number }>>;
  /** converted retry policy: [no consistent hash, consistent hash]; null = not computed yet */
  retryCache: [RetryPolicy | undefined | null, RetryPolicy | undefined | null];
}

interface CVirtualService {
  vs: VirtualService;
  /** `ns/name` */
  key: string;
  /** every match entry of every route, in order (routes without match contribute one `always` entry) */
  flat: CMatch[];
  routes: CRoute[];
  /** problems met while expanding delegates (dropped routes) */
  notes: string[];
}

interface NReq {
  req: RouteRequest;
  host: string;
  authority: string;
  path: string;
  pathNoQuery: string;
  query: string;
  method: string;
  scheme: string;
  headers: Record<string, string | readonly string[]>;
  clientNs: string;
  clientLabels: Record<string, string>;
  gateway: string;
  params: Map<string, string> | undefined;
}

const HOST_CACHE_MAX = 4096;
const NO_DECIDE_OPTIONS: DecideOptions = Object.freeze({});

interface HostView {
  service: Service | undefined;
  vs: CVirtualService | undefined;
  /** the authority as received for `authPort` (Host without an explicit header) */
  authPort: number;
  authScheme: string;
  authority: string;
}

/** What #select found; one shape for every outcome. */
class Selection {
  service: Service | undefined = undefined;
  vs: CVirtualService | undefined = undefined;
  routes: CRoute[] | undefined = undefined;
  hitRoute: CRoute | undefined = undefined;
  hitMatch: CMatch | undefined = undefined;
  anyEmitted = false;
  unknownPort = false;
}

const EMPTY: Record<string, string> = {};
const DEFAULT_RETRIES = Object.freeze(convertRetryPolicy(undefined, false)!);
const DEFAULT_RETRIES_CH = Object.freeze(convertRetryPolicy(undefined, true)!);
const INTERNAL = (k: string) => k.startsWith(':') || k === 'host';
const AUTH = (k: string) => k === ':authority' || k === 'host';

function matchString(m: StringMatch, v: string): boolean {
  switch (m.kind) {
    case 'exact':
      return v === m.value;
    case 'prefix':
      return v.startsWith(m.value);
    case 'regex':
      return m.regex.re.test(v);
    default:
      return true;
  }
}

function smText(m: StringMatch): string {
  return m.kind === 'present' ? 'present' : `${m.kind} ${JSON.stringify(m.value)}`;
}

function isCatchAll(m: HTTPMatchRequest): boolean {
  const u = m.uri;
  const uriAll = !u || (u.kind === 'prefix' && u.value === '/') || (u.kind === 'regex' && u.value === '.*');
  return uriAll && !m.headers.length && !m.withoutHeaders.length && !m.queryParams.length && !m.method && !m.authority && !m.scheme;
}

/** The Host a client sends for host + port: `host:port` unless the port is the scheme's default. */
function receivedAuthority(req: RouteRequest, scheme: string): string {
  const defaultPort = (scheme === 'http' && req.port === 80) || (scheme === 'https' && req.port === 443);
  return (req.host.includes(':') && !req.host.startsWith('[')) || defaultPort ? req.host : `${req.host}:${req.port}`;
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

function joinHeader(v: string | readonly string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(',');
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const i = host.indexOf(']');
    return i > 0 ? host.slice(1, i) : host;
  }
  const i = host.lastIndexOf(':');
  if (i > 0 && host.indexOf(':') === i && /^\d+$/.test(host.slice(i + 1))) return host.slice(0, i);
  return host;
}

function withShadow(authority: string): string {
  const h = stripPort(authority);
  return h === authority ? `${authority}-shadow` : `${h}-shadow${authority.slice(h.length)}`;
}

/** A routing decision: a value. `explain()` re-walks the routes to say why this route won and why earlier ones lost. */
export class Decision {
  action: DecisionAction;
  /** HTTP status for notFound (404), unavailable (503), redirect, directResponse, abort */
  status?: number;
  /** why, for notFound / unavailable */
  reason?: string;
  /** `ns/name` */
  virtualService?: string;
  /** `ns/name` of the delegate VirtualService the route came from */
  delegate?: string;
  routeName?: string;
  routeIndex?: number;
  matchIndex?: number;
  /** FQDN of the service the Host named */
  service?: string;
  route?: RouteTarget;
  weighted?: Array<{ cluster: string; weight: number }>;
  redirect?: { status: number; location: string };
  directResponse?: { status: number; body?: string };
  abort?: { status: number; grpcStatus?: string };
  delayNs?: number;
  timeoutNs = 0;
  retries?: RetryPolicy;
  mirror?: Array<{ cluster: string; percentage: number; authority: string }>;
  endpoints?: string[];
  /** the endpoint the load balancer picked */
  endpoint?: string;
  /** where to connect for it: `ip:targetPort` (when the Pod has an IP) */
  endpointAddress?: string;
  lbPolicy?: LbPolicy;
  requestHeaders?: HeaderOps;
  responseHeaders?: HeaderOps;
  /** the route's CORS policy, and whether the request's Origin (if any) is allowed by it */
  cors?: CorsPolicy & { originAllowed?: boolean };
  readonly #router: Router;
  readonly #req: RouteRequest;

  constructor(router: Router, req: RouteRequest, action: DecisionAction) {
    this.#router = router;
    this.#req = req;
    this.action = action;
  }

  get timeout(): string {
    return formatDuration(this.timeoutNs);
  }

  get delay(): string | undefined {
    return this.delayNs === undefined ? undefined : formatDuration(this.delayNs);
  }

  /** Lines: host resolution, the VirtualService, each route up to the winner and why it did (not) match, the action. */
  explain(): string {
    return this.#router.explainLines(this.#req, this).join('\n');
  }
}

/** The CLI's JSON shape (exactly the contract's fields): fields that do not apply are omitted; durations are Go-style
 * strings. `status` and `reason` stay on the Decision (the action implies the status: notFound 404, unavailable 503). */
export function decisionToJSON(d: Decision): Record<string, unknown> {
  const o: Record<string, unknown> = { action: d.action };
  if (d.virtualService !== undefined) o['virtualService'] = d.virtualService;
  if (d.routeName !== undefined) o['routeName'] = d.routeName;
  if (d.routeIndex !== undefined) o['routeIndex'] = d.routeIndex;
  if (d.route) o['route'] = { cluster: d.route.cluster, path: d.route.path, authority: d.route.authority };
  if (d.weighted) o['weighted'] = d.weighted;
  if (d.redirect) o['redirect'] = d.redirect;
  if (d.directResponse) o['directResponse'] = d.directResponse;
  if (d.abort) o['abort'] = d.abort;
  if (d.delayNs !== undefined) o['delay'] = d.delay;
  o['timeout'] = d.timeout;
  if (d.retries) {
    o['retries'] = {
      attempts: d.retries.attempts,
      retryOn: d.retries.retryOn,
      retriableStatusCodes: d.retries.retriableStatusCodes,
      perTryTimeout: d.retries.perTryTimeoutNs === null ? null : formatDuration(d.retries.perTryTimeoutNs),
    };
  }
  if (d.mirror && d.mirror.length) o['mirror'] = d.mirror.map((m) => ({ cluster: m.cluster, percentage: m.percentage }));
  if (d.endpoints) o['endpoints'] = d.endpoints;
  return o;
}

interface ClusterInfo {
  name: string;
  fqdn: string;
  port: number;
  subset?: string;
  service?: Service;
  /** why the cluster does not exist / has no endpoints */
  missing?: string;
  noEndpoints?: boolean;
  endpoints: Endpoint[];
  endpointNames: string[];
  lb: LbPolicy;
  hashHeader?: string;
  hashQuery?: string;
  hashCookie?: string;
  hashSourceIp?: boolean;
  /** the service port this cluster is for */
  svcPort?: ServicePort;
}

export class Router {
  readonly catalog: Catalog;
  readonly model: RouterConfigModel;
  /** warnings from validation and compilation (dropped delegate routes, ignored objects) */
  readonly warnings: string[];
  readonly #meshExact = new Map<string, CVirtualService[]>();
  readonly #meshWildcard: CVirtualService[] = [];
  readonly #gateway: CVirtualService[] = [];
  readonly #clusters = new Map<string, ClusterInfo>();
  readonly #hostCache = new Map<string, Map<string, HostView>>();
  readonly #scratch: NReq = newNReq();
  readonly #rng: Rng;
  readonly #balancer: Balancer;

  constructor(model: RouterConfigModel, opts: { seed?: number; warnings?: string[] } = {}) {
    this.model = model;
    this.catalog = new Catalog(model);
    this.warnings = [...(opts.warnings ?? [])];
    this.#rng = createRng(opts.seed ?? 1);
    this.#balancer = new Balancer(this.#rng);
    const roots = model.virtualServices.filter((v) => v.hosts.length > 0).sort(byAge);
    const delegates = new Map(model.virtualServices.filter((v) => v.hosts.length === 0).map((v) => [`${v.namespace}/${v.name}`, v]));
    for (const vs of roots) {
      const cvs = this.#compileVs(vs, delegates);
      if (vs.gateways.includes('mesh')) {
        for (const h of vs.hosts) {
          if (h.startsWith('*')) {
            if (!this.#meshWildcard.includes(cvs)) this.#meshWildcard.push(cvs);
          } else {
            const l = this.#meshExact.get(h);
            if (l) l.push(cvs);
            else this.#meshExact.set(h, [cvs]);
          }
        }
      }
      if (vs.gateways.some((g) => g !== 'mesh')) this.#gateway.push(cvs);
    }
  }

  #compileRoute(vs: VirtualService, r: HTTPRoute, index: number, extra?: { delegate: string; delegateIndex: number }): CRoute {
    const dests: CDest[] = r.route.map((d) => {
      const cd: CDest = { dest: d.destination, weight: d.weight, headers: d.headers, cache: new Map(), memoNs: undefined, memoPort: 0, memo: undefined, requestOps: undefined, responseOps: undefined, authority: undefined };
      if (d.headers?.request) {
        cd.requestOps = cleanOps(d.headers.request);
        for (const [k, v] of [...d.headers.request.set, ...d.headers.request.add]) if (AUTH(k)) cd.authority = v;
      }
      if (d.headers?.response) cd.responseOps = cleanOps(d.headers.response);
      return cd;
    });
    const weights = dests.map((d) => d.weight);
    const cr: CRoute = {
      vs,
      vsKey: `${vs.namespace}/${vs.name}`,
      index,
      src: r,
      name: r.name,
      delegate: extra?.delegate,
      delegateIndex: extra?.delegateIndex,
      matches: r.match.map((m, i) => new CMatch(m, i)),
      dests,
      weights,
      totalWeight: weights.reduce((a, b) => a + b, 0),
      kept: dests.length === 1 ? dests : dests.filter((x) => x.weight > 0),
      weightedCache: new Map(),
      retryCache: [null, null],
      regexRewrite: r.rewrite?.uriRegexRewrite ? re2RewriteToJs(r.rewrite.uriRegexRewrite.rewrite) : undefined,
      authorityOverride: undefined,
      requestOps: undefined,
      responseOps: undefined,
    };
    // authority: rewrite.authority or route-level :authority/host set/add
    const reqOps = r.headers?.request;
    let auth = r.rewrite?.authority;
    if (!auth && reqOps) for (const [k, v] of [...reqOps.set, ...reqOps.add]) if (AUTH(k)) auth = v;
    if (auth) cr.authorityOverride = auth;
    if (reqOps) cr.requestOps = cleanOps(reqOps);
    if (r.headers?.response) cr.responseOps = cleanOps(r.headers.response);
    return cr;
  }

  #compileVs(vs: VirtualService, delegates: Map<string, VirtualService>): CVirtualService {
    const out: CVirtualService = { vs, key: `${vs.namespace}/${vs.name}`, flat: [], routes: [], notes: [] };
    vs.http.forEach((r, i) => {
      if (!r.delegate) {
        out.routes.push(this.#compileRoute(vs, r, i));
        return;
      }
      const key = `${r.delegate.namespace}/${r.delegate.name}`;
      const d = delegates.get(key);
      if (!d || !visibleTo(d.exportTo, d.namespace, vs.namespace)) {
        out.notes.push(`route ${i}: delegate ${key} not found (or not exported to ${vs.namespace}); route dropped`);
        this.warnings.push(`VirtualService ${vs.namespace}/${vs.name}: spec.http[${i}].delegate: ${key} not found or not exported; route dropped`);
        return;
      }
      d.http.forEach((dr, j) => {
        if (dr.delegate) {
          out.notes.push(`route ${i}: delegate ${key} route ${j} has a delegate itself (one level only); dropped`);
          return;
        }
        const merged = mergeDelegateRoute(r, dr);
        if (!merged) {
          out.notes.push(`route ${i}: delegate ${key} route ${j} match is not a subset of the root match; dropped`);
          this.warnings.push(`VirtualService ${d.namespace}/${d.name}: spec.http[${j}].match: not a subset of root ${vs.namespace}/${vs.name} spec.http[${i}].match; route dropped`);
          return;
        }
        out.routes.push(this.#compileRoute(vs, merged, i, { delegate: key, delegateIndex: j }));
      });
    });
    out.flat = flatten(out.routes);
    return out;
  }

  #normalize(req: RouteRequest, into?: NReq): NReq {
    const rawPath = req.path ?? '/';
    const q = rawPath.indexOf('?');
    let headers: Record<string, string | readonly string[]> = req.headers ?? EMPTY;
    for (const k in headers) {
      if (hasUpper(k)) {
        const h: Record<string, string | readonly string[]> = {};
        for (const [kk, v] of Object.entries(headers)) {
          const lk = kk.toLowerCase();
          const prev = h[lk];
          h[lk] = prev === undefined ? v : `${joinHeader(prev)},${joinHeader(v)}`;
        }
        headers = h;
        break;
      }
    }
    const scheme = req.scheme ?? 'http';
    // '' = not given by a header: #select fills in the Host as received (memoized per Host and port)
    const authority = joinHeader(headers[':authority']) ?? joinHeader(headers['host']) ?? '';
    const n: NReq = into ?? newNReq();
    n.req = req;
    n.host = stripPort(hasUpper(req.host) ? req.host.toLowerCase() : req.host);
    n.authority = authority;
    n.path = rawPath;
    n.pathNoQuery = q < 0 ? rawPath : rawPath.slice(0, q);
    n.query = q < 0 ? '' : rawPath.slice(q + 1);
    n.method = req.method ?? 'GET';
    n.scheme = scheme;
    n.headers = headers;
    n.clientNs = req.client?.namespace ?? 'default';
    n.clientLabels = req.client?.labels ?? EMPTY;
    n.gateway = req.context === 'gateway' ? req.gateway ?? '' : 'mesh';
    n.params = undefined;
    return n;
  }

  #header(n: NReq, name: string): string | undefined {
    switch (name) {
      case ':method':
        return n.method;
      case ':authority':
      case 'host':
        return n.authority;
      case ':scheme':
        return n.scheme;
      case ':path':
        return n.path;
    }
    if (name.charCodeAt(0) === 64 /* @ */) {
      const m = /^@request\.auth\.claims(?:\.(.+)|\[(.+)\])$/.exec(name);
      if (!m) return undefined;
      const claim = n.req.claims?.[m[1] ?? m[2]!];
      return claim === undefined ? undefined : joinHeader(claim);
    }
    return joinHeader(n.headers[name]);
  }

  #params(n: NReq): Map<string, string> {
    return n.params ?? parseParams(n);
  }

  /** Config-time filters: port, gateways, sourceLabels, sourceNamespace. */
  #emitted(m: CMatch, n: NReq, why: string[] | null): boolean {
    if (!m.filtered) return true;
    const s = m.src;
    if (s.port !== undefined && s.port !== n.req.port) {
      why?.push(`port ${s.port} != ${n.req.port}`);
      return false;
    }
    if (s.gateways.length) {
      if (!s.gateways.includes(n.gateway)) {
        why?.push(`gateways [${s.gateways.join(', ')}] do not include ${n.gateway}`);
        return false;
      }
      return true;
    }
    if (s.sourceLabels && !labelsSubset(s.sourceLabels, n.clientLabels)) {
      why?.push(`sourceLabels ${JSON.stringify(s.sourceLabels)} not all on the client`);
      return false;
    }
    if (s.sourceNamespace !== undefined && s.sourceNamespace !== n.clientNs) {
      why?.push(`sourceNamespace ${s.sourceNamespace} != ${n.clientNs}`);
      return false;
    }
    return true;
  }

  /** Request-time match of one match entry. */
  #matches(m: CMatch, n: NReq, why: string[] | null): boolean {
    const u = m.uri;
    if (u !== null) {
      let ok: boolean;
      if (m.uriLower !== null) ok = u.kind === K_EXACT ? n.pathNoQuery.toLowerCase() === m.uriLower : n.path.toLowerCase().startsWith(m.uriLower);
      else if (u.kind === K_EXACT) ok = n.pathNoQuery === u.value;
      else if (u.kind === K_PREFIX) ok = n.path.startsWith(u.value);
      else ok = u.re!.test(n.pathNoQuery);
      if (!ok) {
        why?.push(`uri ${smText(u.src)}${m.uriLower !== null ? ' (ignoreUriCase)' : ''} does not match ${JSON.stringify(u.kind === K_PREFIX ? n.path : n.pathNoQuery)}`);
        return false;
      }
    }
    if (m.method !== null && !test(m.method, n.method)) {
      why?.push(`method ${smText(m.method.src)} does not match ${n.method}`);
      return false;
    }
    if (m.authority !== null && !test(m.authority, n.authority)) {
      why?.push(`authority ${smText(m.authority.src)} does not match ${n.authority}`);
      return false;
    }
    if (m.scheme !== null && !test(m.scheme, n.scheme)) {
      why?.push(`scheme ${smText(m.scheme.src)} does not match ${n.scheme}`);
      return false;
    }
    const hs = m.headers;
    for (let i = 0; i < hs.length; i++) {
      const h = hs[i]!;
      const v = this.#header(n, h.name);
      if (!test(h.m, v)) {
        why?.push(`header ${h.name} ${smText(h.m.src)} does not match ${v === undefined ? '(absent)' : JSON.stringify(v)}`);
        return false;
      }
    }
    const wh = m.withoutHeaders;
    for (let i = 0; i < wh.length; i++) {
      const h = wh[i]!;
      const v = this.#header(n, h.name);
      // presence: matches iff absent; otherwise a missing header counts as ""
      const inner = h.m.kind === K_PRESENT ? v !== undefined : test(h.m, v ?? '');
      if (inner) {
        why?.push(`withoutHeaders ${h.name} ${smText(h.m.src)} matches ${v === undefined ? '(absent, treated as "")' : JSON.stringify(v)}`);
        return false;
      }
    }
    const qs = m.queryParams;
    for (let i = 0; i < qs.length; i++) {
      const q = qs[i]!;
      const v = queryParam(n, q.name);
      if (!test(q.m, v)) {
        why?.push(`queryParams ${q.name} ${smText(q.m.src)} does not match ${v === undefined ? '(absent)' : JSON.stringify(v)}`);
        return false;
      }
    }
    return true;
  }

  /** The hot path of #walk: first match wins over the flattened match entries. */
  #walkFast(flat: readonly CMatch[], n: NReq, sel: Selection): void {
    let anyEmitted = false;
    for (let i = 0; i < flat.length; i++) {
      const m = flat[i]!;
      if (m.filtered && !this.#emitted(m, n, null)) continue;
      anyEmitted = true;
      if (m.always || this.#matches(m, n, null)) {
        sel.anyEmitted = true;
        sel.hitRoute = m.route;
        if (!m.always) sel.hitMatch = m;
        return;
      }
    }
    sel.anyEmitted = anyEmitted;
  }

  /** First match wins over the routes; notes when every route was filtered out for this proxy. */
  #walk(routes: readonly CRoute[], n: NReq, trace: string[] | null, sel: Selection): void {
    let anyEmitted = false;
    for (let ri = 0; ri < routes.length; ri++) {
      const r = routes[ri]!;
      const label = trace ? routeLabel(r) : '';
      if (r.matches.length === 0) {
        trace?.push(`${label}: matched (no match conditions: catch-all)${laterNote(routes.length - ri - 1)}`);
        sel.anyEmitted = true;
        sel.hitRoute = r;
        return;
      }
      const why: string[] | null = trace ? [] : null;
      for (let mi = 0; mi < r.matches.length; mi++) {
        const m = r.matches[mi]!;
        if (m.filtered && !this.#emitted(m, n, why)) continue;
        anyEmitted = true;
        if (this.#matches(m, n, why)) {
          trace?.push(`${label}: matched (match[${mi}]${m.src.name ? ` "${m.src.name}"` : ''}${m.catchAll ? ', catch-all' : ''})${laterNote(routes.length - ri - 1)}`);
          sel.anyEmitted = true;
          sel.hitRoute = r;
          sel.hitMatch = m;
          return;
        }
        if (m.catchAll) break; // unreachable: a catch-all always matches
      }
      if (trace) trace.push(`${label}: no match: ${why!.map((w, i) => (r.matches.length > 1 ? `match[${i}]? ${w}` : w)).join('; ') || 'no match entry applies to this proxy'}`);
    }
    sel.anyEmitted = anyEmitted;
  }

  /** Host -> service and the VirtualService that applies (mesh), cached per client namespace and Host. */
  #hostView(n: NReq): HostView {
    let byHost = this.#hostCache.get(n.clientNs);
    if (!byHost) this.#hostCache.set(n.clientNs, (byHost = new Map()));
    let hv = byHost.get(n.host);
    if (hv) return hv;
    const svc = this.catalog.lookupDomain(n.host, n.clientNs);
    const key = svc ? svc.hostname : n.host;
    let chosen: CVirtualService | undefined;
    const exact = this.#meshExact.get(key);
    if (exact) for (const c of exact) if (visibleTo(c.vs.exportTo, c.vs.namespace, n.clientNs)) {
      chosen = c;
      break;
    }
    if (!chosen && this.#meshWildcard.length) {
      let best = -1;
      for (const c of this.#meshWildcard) {
        if (!visibleTo(c.vs.exportTo, c.vs.namespace, n.clientNs)) continue;
        let sp = -1;
        for (const h of c.vs.hosts) sp = Math.max(sp, hostSpecificity(h, key));
        if (sp > best) {
          best = sp;
          chosen = c;
        }
      }
    }
    hv = { service: svc, vs: chosen, authPort: -1, authScheme: '', authority: '' };
    if (byHost.size >= HOST_CACHE_MAX) byHost.clear(); // Hosts come from requests: keep the cache bounded
    byHost.set(n.host, hv);
    return hv;
  }

  #select(n: NReq, trace: string[] | null): Selection {
    if (n.gateway !== 'mesh') {
      if (n.authority === '') n.authority = receivedAuthority(n.req, n.scheme);
      return this.#selectGateway(n, trace);
    }
    const hv = this.#hostView(n);
    if (n.authority === '') {
      if (hv.authPort !== n.req.port || hv.authScheme !== n.scheme) {
        hv.authority = receivedAuthority(n.req, n.scheme);
        hv.authPort = n.req.port;
        hv.authScheme = n.scheme;
      }
      n.authority = hv.authority;
    }
    const svc = hv.service;
    trace?.push(svc ? `host ${n.req.host} -> ${svc.kind} ${svc.namespace}/${svc.name} (${svc.hostname}) as seen from namespace ${n.clientNs}` : `host ${n.req.host} is not a service visible from namespace ${n.clientNs}`);
    if (svc && svc.ports.length) {
      let found = false;
      for (let i = 0; i < svc.ports.length; i++) if (svc.ports[i]!.port === n.req.port) found = true;
      if (!found) {
        trace?.push(`port ${n.req.port} is not a port of ${svc.hostname}`);
        const sel = new Selection();
        sel.service = svc;
        sel.unknownPort = true;
        return sel;
      }
    }
    const chosen = hv.vs;
    const exact = trace ? this.#meshExact.get(svc ? svc.hostname : n.host) : undefined;
    const sel = new Selection();
    sel.service = svc;
    if (!chosen) {
      trace?.push('no VirtualService applies to this host');
      return sel;
    }
    if (trace) {
      const others = (exact ?? []).filter((c) => c !== chosen).map((c) => `${c.vs.namespace}/${c.vs.name}`);
      trace.push(`VirtualService ${chosen.vs.namespace}/${chosen.vs.name} applies${others.length ? ` (oldest; not merged with ${others.join(', ')})` : ''}`);
      for (const note of chosen.notes) trace.push(note);
    }
    sel.vs = chosen;
    sel.routes = chosen.routes;
    if (trace) this.#walk(chosen.routes, n, trace, sel);
    else this.#walkFast(chosen.flat, n, sel);
    return sel;
  }

  #selectGateway(n: NReq, trace: string[] | null): Selection {
    const gwNs = n.gateway.includes('/') ? n.gateway.slice(0, n.gateway.indexOf('/')) : n.clientNs;
    let best = -1;
    let bound: CVirtualService[] = [];
    for (const c of this.#gateway) {
      if (!c.vs.gateways.includes(n.gateway) || !visibleTo(c.vs.exportTo, c.vs.namespace, gwNs)) continue;
      let sp = -1;
      for (const h of c.vs.hosts) sp = Math.max(sp, hostSpecificity(h, n.host));
      if (sp < 0) continue;
      if (sp > best) {
        best = sp;
        bound = [c];
      } else if (sp === best) bound.push(c);
    }
    const svc = this.catalog.lookupDomain(n.host, gwNs);
    const sel = new Selection();
    sel.service = svc;
    if (!bound.length) {
      trace?.push(`no VirtualService bound to gateway ${n.gateway} has a host matching ${n.host}`);
      return sel;
    }
    trace?.push(`gateway ${n.gateway}: VirtualServices merged for ${n.host}: ${bound.map((c) => `${c.vs.namespace}/${c.vs.name}`).join(', ')}`);
    const routes = bound.length === 1 ? bound[0]!.routes : bound.flatMap((c) => c.routes);
    sel.vs = bound[0]!;
    sel.routes = routes;
    this.#walk(routes, n, trace, sel);
    const hr = sel.hitRoute;
    if (hr) sel.vs = bound.find((c) => c.vs === hr.vs) ?? sel.vs;
    return sel;
  }

  #cluster(fqdn: string, port: number, subset: string | undefined, n: NReq): ClusterInfo {
    const key = `${n.clientNs}|${port}|${subset ?? ''}|${fqdn}`;
    const c = this.#clusters.get(key);
    if (c) return c;
    const name = `outbound|${port}|${subset ?? ''}|${fqdn}`;
    const svc = this.catalog.lookupHost(fqdn, n.clientNs);
    const info: ClusterInfo = { name, fqdn, port, endpoints: [], endpointNames: [], lb: 'LEAST_REQUEST' };
    if (subset !== undefined) info.subset = subset;
    if (!svc) {
      info.missing = `host ${fqdn} is not in the service registry (cluster ${name} does not exist)`;
    } else {
      info.service = svc;
      const sp = svc.ports.find((p) => p.port === port);
      if (sp) info.svcPort = sp;
      const dr = this.catalog.destinationRule(fqdn, n.clientNs, svc.namespace);
      let sub;
      if (subset !== undefined) {
        sub = dr?.subsets.find((s) => s.name === subset);
        if (!sub) info.missing = `subset ${subset} is not defined${dr ? ` in DestinationRule ${dr.namespace}/${dr.name}` : ' (no DestinationRule for this host)'} (cluster ${name} does not exist)`;
      }
      if (!info.missing) {
        let eps = this.catalog.endpoints(svc);
        if (sub) eps = eps.filter((e) => labelsSubset(sub.labels, e.labels));
        info.endpoints = eps;
        info.endpointNames = eps.map((e) => e.name);
        if (!eps.length) info.noEndpoints = true;
        const tp = effectiveTrafficPolicy(dr, sub, port);
        info.lb = lbPolicyOf(tp.loadBalancer);
        const ch = tp.loadBalancer?.consistentHash;
        if (ch?.httpHeaderName) info.hashHeader = ch.httpHeaderName;
        if (ch?.httpQueryParameterName) info.hashQuery = ch.httpQueryParameterName;
        if (ch?.httpCookie) info.hashCookie = ch.httpCookie.name;
        if (ch?.useSourceIp) info.hashSourceIp = true;
      }
    }
    this.#clusters.set(key, info);
    return info;
  }

  #destCluster(cd: CDest, n: NReq): ClusterInfo {
    if (cd.memoNs === n.clientNs && cd.memoPort === n.req.port) return cd.memo!;
    const ci = this.#destClusterSlow(cd, n);
    cd.memoNs = n.clientNs;
    cd.memoPort = n.req.port;
    cd.memo = ci;
    return ci;
  }

  #destClusterSlow(cd: CDest, n: NReq): ClusterInfo {
    const key = cd.dest.port !== undefined ? n.clientNs : `${n.clientNs}|${n.req.port}`;
    let ci = cd.cache.get(key);
    if (!ci) {
      ci = this.#cluster(cd.dest.fqdn, this.#destPort(cd.dest, n), cd.dest.subset, n);
      cd.cache.set(key, ci);
    }
    return ci;
  }

  #weighted(r: CRoute, n: NReq): Array<{ cluster: string; weight: number }> {
    const key = `${n.clientNs}|${n.req.port}`;
    let w = r.weightedCache.get(key);
    if (!w) {
      w = r.kept.map((x) => ({ cluster: this.#destCluster(x, n).name, weight: x.weight }));
      r.weightedCache.set(key, w);
    }
    return w;
  }

  #retries(r: CRoute, consistentHash: boolean): RetryPolicy | undefined {
    const i = consistentHash ? 1 : 0;
    let p = r.retryCache[i];
    if (p === null) {
      p = convertRetryPolicy(r.src.retries, consistentHash);
      r.retryCache[i] = p;
    }
    return p;
  }

  #destPort(d: Destination, n: NReq): number {
    if (d.port !== undefined) return d.port;
    const svc = this.catalog.lookupHost(d.fqdn, n.clientNs);
    if (svc && svc.ports.length === 1) return svc.ports[0]!.port;
    return n.req.port;
  }

  #pickEndpoint(ci: ClusterInfo, n: NReq, o: DecideOptions, rng: Rng): Endpoint | undefined {
    let hashKey: string | undefined;
    if (ci.lb === 'CONSISTENT_HASH') {
      if (ci.hashHeader) hashKey = this.#header(n, ci.hashHeader);
      else if (ci.hashQuery) hashKey = this.#params(n).get(ci.hashQuery);
      else if (ci.hashSourceIp) hashKey = n.req.client?.ip;
      else if (ci.hashCookie) {
        const cookie = this.#header(n, 'cookie') ?? '';
        const m = new RegExp(`(?:^|;\\s*)${ci.hashCookie.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=([^;]*)`).exec(cookie);
        hashKey = m?.[1];
      }
    }
    const bal = rng === this.#rng ? this.#balancer : new Balancer(rng);
    if (ci.endpoints.length === 1) return ci.endpoints[0]!;
    if (!o.activeRequests && hashKey === undefined) return bal.pick(ci.name, ci.lb, ci.endpoints);
    const opts: { active?: (e: Endpoint) => number; hashKey?: string } = {};
    if (o.activeRequests) opts.active = (x: Endpoint) => o.activeRequests!(x.name);
    if (hashKey !== undefined) opts.hashKey = hashKey;
    return bal.pick(ci.name, ci.lb, ci.endpoints, opts);
  }

  /** Routes one request. Never throws for a well-formed request; every outcome is a Decision value. */
  decide(req: RouteRequest, o: DecideOptions = NO_DECIDE_OPTIONS): Decision {
    // decide() is synchronous and the Decision keeps only `req`: one scratch request view per router is enough
    const n = this.#normalize(req, this.#scratch);
    const rng = o.rng ?? this.#rng;
    const sel = this.#select(n, null);
    return this.#build(n, sel, rng, o);
  }

  #build(n: NReq, sel: Selection, rng: Rng, o: DecideOptions): Decision {
    const req = n.req;
    if (sel.unknownPort) {
      const d = new Decision(this, req, 'unavailable');
      d.status = 503;
      d.service = sel.service!.hostname;
      d.reason = `port ${req.port} is not a port of ${sel.service!.hostname}`;
      d.route = { cluster: `outbound|${req.port}||${sel.service!.hostname}`, host: sel.service!.hostname, port: req.port, path: n.path, authority: n.authority };
      return d;
    }
    const r = sel.hitRoute;
    if (!r) {
      if (sel.service && n.gateway === 'mesh' && !(sel.routes && sel.anyEmitted)) return this.#defaultRoute(n, sel.service, rng, o);
      if (sel.routes) {
        const d = new Decision(this, req, 'notFound');
        d.status = 404;
        d.virtualService = `${sel.vs!.vs.namespace}/${sel.vs!.vs.name}`;
        d.reason = 'no route matched';
        if (sel.service) d.service = sel.service.hostname;
        return d;
      }
      if (n.gateway !== 'mesh') {
        const d = new Decision(this, req, 'notFound');
        d.status = 404;
        d.reason = `no virtual host for ${n.host} on gateway ${n.gateway}`;
        return d;
      }
      const d = new Decision(this, req, 'unavailable');
      d.status = 503;
      d.reason = `unknown host ${n.host}: not in the service registry and no VirtualService applies`;
      d.route = { cluster: `outbound|${req.port}||${n.host}`, host: n.host, port: req.port, path: n.path, authority: n.authority };
      return d;
    }
    const hitMatch = sel.hitMatch;
    const src = r.src;
    const d = new Decision(this, req, 'route');
    d.virtualService = r.vsKey;
    if (r.delegate) d.delegate = r.delegate;
    if (r.name !== undefined) d.routeName = r.name;
    d.routeIndex = r.index;
    if (hitMatch) d.matchIndex = hitMatch.index;
    if (sel.service) d.service = sel.service.hostname;
    d.timeoutNs = src.timeoutNs ?? 0;
    // the client header x-envoy-upstream-rq-timeout-ms overrides the route timeout per request
    const tmo = n.headers['x-envoy-upstream-rq-timeout-ms'];
    if (tmo !== undefined) {
      const ms = Number(joinHeader(tmo));
      if (Number.isInteger(ms) && ms >= 0) d.timeoutNs = ms * 1e6;
    }
    if (r.responseOps) d.responseHeaders = r.responseOps;
    if (src.corsPolicy) {
      const origin = joinHeader(n.headers['origin']);
      d.cors = origin === undefined ? src.corsPolicy : { ...src.corsPolicy, originAllowed: src.corsPolicy.allowOrigins.some((m) => matchString(m, origin)) };
    }
    if (src.directResponse) {
      d.action = 'directResponse';
      d.status = src.directResponse.status;
      d.directResponse = src.directResponse.body !== undefined ? { status: src.directResponse.status, body: src.directResponse.body } : { status: src.directResponse.status };
      return d;
    }
    if (src.redirect) {
      const rd = src.redirect;
      d.action = 'redirect';
      d.status = rd.redirectCode;
      const scheme = rd.scheme ?? n.scheme;
      let host = rd.authority ?? n.authority;
      const port = rd.port ?? (rd.derivePort === 'FROM_REQUEST_PORT' ? req.port : undefined);
      if (port !== undefined) {
        host = stripPort(host);
        if (!((scheme === 'http' && port === 80) || (scheme === 'https' && port === 443))) host = `${host}:${port}`;
      }
      let path: string;
      if (rd.uri !== undefined) path = rd.uri.includes('?') || !n.query ? rd.uri : `${rd.uri}?${n.query}`;
      else if (rd.prefixRewrite !== undefined) path = rewritePrefix(hitMatch, n, rd.prefixRewrite);
      else path = n.path;
      d.redirect = { status: rd.redirectCode, location: `${scheme}://${host}${path}` };
      return d;
    }
    // fault injection happens before routing upstream
    const fault = src.fault;
    if (fault?.delay && fault.delay.fixedDelayNs !== undefined && !fault.delay.exponential && fault.delay.percentage > 0 && rng() * 100 < fault.delay.percentage) {
      d.delayNs = fault.delay.fixedDelayNs;
    }
    if (fault?.abort && fault.abort.percentage > 0 && rng() * 100 < fault.abort.percentage) {
      d.action = 'abort';
      d.status = fault.abort.httpStatus ?? 200;
      d.abort = fault.abort.grpcStatus !== undefined ? { status: 200, grpcStatus: fault.abort.grpcStatus } : { status: fault.abort.httpStatus! };
      return d;
    }
    // destinations
    let chosen: CDest;
    if (r.kept.length === 1) chosen = r.kept[0]!;
    else {
      d.action = 'weighted';
      chosen = r.dests[pickWeighted(r.weights, r.totalWeight, rng)]!;
      d.weighted = this.#weighted(r, n);
    }
    const ci = this.#destCluster(chosen, n);
    // path rewrite
    let path = n.path;
    if (src.rewrite?.uri !== undefined) path = rewritePrefix(hitMatch, n, src.rewrite.uri);
    else if (src.rewrite?.uriRegexRewrite) {
      const rw = src.rewrite.uriRegexRewrite;
      rw.match.global.lastIndex = 0;
      path = n.pathNoQuery.replace(rw.match.global, r.regexRewrite!) + (n.query ? `?${n.query}` : '');
    }
    // authority: route level wins over destination level
    const authority = r.authorityOverride ?? chosen.authority ?? n.authority;
    const target: RouteTarget = { cluster: ci.name, host: ci.fqdn, port: ci.port, path, authority };
    if (ci.subset !== undefined) target.subset = ci.subset;
    d.route = target;
    // headers: route level first, then destination level
    const reqOps = concatOps(r.requestOps, chosen.requestOps);
    const resOps = concatOps(r.responseOps, chosen.responseOps);
    if (reqOps) d.requestHeaders = reqOps;
    if (resOps) d.responseHeaders = resOps;
    const retries = this.#retries(r, ci.lb === 'CONSISTENT_HASH');
    if (retries) d.retries = retries;
    if (src.mirrors.length) {
      d.mirror = [];
      for (const m of src.mirrors) {
        if (m.percentage <= 0) continue;
        const mc = this.#cluster(m.destination.fqdn, this.#destPort(m.destination, n), m.destination.subset, n);
        d.mirror.push({ cluster: mc.name, percentage: m.percentage, authority: withShadow(authority) });
      }
    }
    if (ci.missing) {
      d.action = 'unavailable';
      d.status = 503;
      d.reason = ci.missing;
      return d;
    }
    d.endpoints = ci.endpointNames;
    d.lbPolicy = ci.lb;
    if (ci.noEndpoints) {
      d.action = 'unavailable';
      d.status = 503;
      d.reason = `no healthy upstream: cluster ${ci.name} has no endpoints`;
      return d;
    }
    this.#setEndpoint(d, ci, n, o, rng);
    return d;
  }

  #setEndpoint(d: Decision, ci: ClusterInfo, n: NReq, o: DecideOptions, rng: Rng): void {
    const e = this.#pickEndpoint(ci, n, o, rng);
    if (e === undefined) return;
    d.endpoint = e.name;
    if (e.ip !== undefined) {
      const port = endpointPort(ci.svcPort, ci.port, e, ci.service?.kind === 'ServiceEntry');
      d.endpointAddress = e.ip.includes(':') ? `[${e.ip}]:${port}` : `${e.ip}:${port}`;
    }
  }

  #defaultRoute(n: NReq, svc: Service, rng: Rng, o: DecideOptions): Decision {
    const d = new Decision(this, n.req, 'route');
    d.service = svc.hostname;
    const ci = this.#cluster(svc.hostname, n.req.port, undefined, n);
    d.route = { cluster: ci.name, host: ci.fqdn, port: ci.port, path: n.path, authority: n.authority };
    d.retries = ci.lb === 'CONSISTENT_HASH' ? DEFAULT_RETRIES_CH : DEFAULT_RETRIES;
    d.endpoints = ci.endpointNames;
    d.lbPolicy = ci.lb;
    if (ci.noEndpoints) {
      d.action = 'unavailable';
      d.status = 503;
      d.reason = `no healthy upstream: cluster ${ci.name} has no endpoints`;
      return d;
    }
    this.#setEndpoint(d, ci, n, o, rng);
    return d;
  }

  /** @internal the lines of Decision.explain() */
  explainLines(req: RouteRequest, d: Decision): string[] {
    const n = this.#normalize(req);
    if (n.authority === '') n.authority = receivedAuthority(req, n.scheme);
    const lines: string[] = [`request ${n.method} ${n.scheme}://${n.authority}${n.path} (port ${req.port}) from namespace ${n.clientNs}${Object.keys(n.clientLabels).length ? ` labels ${JSON.stringify(n.clientLabels)}` : ''}, context ${n.gateway === 'mesh' ? 'mesh' : `gateway ${n.gateway}`}`];
    const sel = this.#select(n, lines);
    if (!sel.hitRoute && sel.service && n.gateway === 'mesh' && !sel.unknownPort && !(sel.routes && sel.anyEmitted)) {
      lines.push(sel.routes ? 'every route was filtered out for this proxy: the VirtualService contributes no virtual host; default route' : 'default route (no VirtualService)');
    }
    switch (d.action) {
      case 'notFound':
        lines.push(`=> 404 not found: ${d.reason}`);
        break;
      case 'unavailable':
        lines.push(`=> 503 unavailable: ${d.reason}`);
        break;
      case 'redirect':
        lines.push(`=> redirect ${d.redirect!.status} ${d.redirect!.location}`);
        break;
      case 'directResponse':
        lines.push(`=> direct response ${d.directResponse!.status}`);
        break;
      case 'abort':
        lines.push(`=> fault abort ${d.abort!.grpcStatus ?? d.abort!.status}${d.delayNs !== undefined ? ` after delay ${d.delay}` : ''}`);
        break;
      default:
        if (d.weighted) lines.push(`=> weighted: ${d.weighted.map((w) => `${w.cluster} ${w.weight}`).join(', ')}; picked ${d.route!.cluster}`);
        else lines.push(`=> route to ${d.route!.cluster}`);
        lines.push(`   path ${d.route!.path}, authority ${d.route!.authority}, timeout ${d.timeout}, retries ${d.retries ? `${d.retries.attempts} on ${d.retries.retryOn}` : 'none'}${d.delayNs !== undefined ? `, delay ${d.delay}` : ''}`);
        if (d.endpoints) lines.push(`   endpoints (${d.lbPolicy}): ${d.endpoints.join(', ') || 'none'}${d.endpoint ? `; picked ${d.endpoint}` : ''}`);
    }
    return lines;
  }
}

/** The routes' match entries in order, each pointing back at its route. */
function flatten(routes: readonly CRoute[]): CMatch[] {
  const flat: CMatch[] = [];
  for (const r of routes) {
    if (r.matches.length === 0) {
      const m = new CMatch(NO_MATCH, -1);
      m.route = r;
      m.always = true;
      flat.push(m);
    } else for (const m of r.matches) {
      m.route = r;
      flat.push(m);
    }
  }
  return flat;
}

function newNReq(): NReq {
  return { req: { host: '', port: 0 }, host: '', authority: '', path: '', pathNoQuery: '', query: '', method: '', scheme: '', headers: EMPTY, clientNs: '', clientLabels: EMPTY, gateway: '', params: undefined };
}

/** One query parameter's (first) value without building a map, decoding only when needed. */
function queryParam(n: NReq, name: string): string | undefined {
  const q = n.query;
  if (!q) return undefined;
  if (q.indexOf('%') >= 0 || q.indexOf('+') >= 0) return (n.params ?? parseParams(n)).get(name);
  let i = 0;
  while (i <= q.length) {
    let amp = q.indexOf('&', i);
    if (amp < 0) amp = q.length;
    const eq = q.indexOf('=', i);
    const keyEnd = eq >= 0 && eq < amp ? eq : amp;
    if (keyEnd - i === name.length && q.startsWith(name, i)) return keyEnd === amp ? '' : q.slice(eq + 1, amp);
    i = amp + 1;
  }
  return undefined;
}

function parseParams(n: NReq): Map<string, string> {
  const p = new Map<string, string>();
  for (const part of n.query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    let dk = k;
    let dv = v;
    try {
      dk = decodeURIComponent(k.replace(/\+/g, ' '));
      dv = decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      /* keep raw */
    }
    if (!p.has(dk)) p.set(dk, dv);
  }
  n.params = p;
  return p;
}

function laterNote(later: number): string {
  return later > 0 ? `; first match wins, ${later} later route${later === 1 ? '' : 's'} not evaluated` : '';
}

function routeLabel(r: CRoute): string {
  return `route ${r.index}${r.name ? ` "${r.name}"` : ''}${r.delegate ? ` (delegate ${r.delegate} route ${r.delegateIndex})` : ''}`;
}

/** prefix_rewrite: the matched prefix is replaced (exact / regex: the whole path; no uri: `/`); the query is kept. */
function rewritePrefix(m: CMatch | undefined, n: NReq, rewrite: string): string {
  const u = m?.src.uri;
  if (!u) return rewrite + n.path.slice(1);
  if (u.kind === 'prefix') return rewrite + n.path.slice(u.value.length);
  return rewrite + (n.query ? `?${n.query}` : '');
}

/** Applies header operations to a header map (lower-case names): `set` overwrites or adds, `add` appends to a
 * comma-separated list, `remove` deletes. Returns a new map. */
export function applyHeaderOps(headers: Readonly<Record<string, string>>, ops: HeaderOps | undefined): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  if (!ops) return out;
  for (const [k, v] of ops.set) out[k] = v;
  for (const [k, v] of ops.add) out[k] = out[k] === undefined ? v : `${out[k]},${v}`;
  for (const k of ops.remove) delete out[k];
  return out;
}

function cleanOps(ops: HeaderOps): HeaderOps | undefined {
  const out: HeaderOps = { set: ops.set.filter(([k]) => !INTERNAL(k)), add: ops.add.filter(([k]) => !INTERNAL(k)), remove: ops.remove.filter((k) => !INTERNAL(k)) };
  return out.set.length || out.add.length || out.remove.length ? out : undefined;
}

function concatOps(a: HeaderOps | undefined, b: HeaderOps | undefined): HeaderOps | undefined {
  if (!a) return b;
  if (!b) return a;
  return { set: [...a.set, ...b.set], add: [...a.add, ...b.add], remove: [...a.remove, ...b.remove] };
}

// ---- delegation (istio pilot/pkg/model/virtualservice.go mergeHTTPRoute / mergeHTTPMatchRequest) ----

function sameSM(a: StringMatch | undefined, b: StringMatch | undefined): boolean {
  if (!a || !b) return true;
  return a.kind === b.kind && (a.kind === 'present' || (a as { value: string }).value === (b as { value: string }).value);
}

function mergeMap(a: Array<[string, StringMatch]>, b: Array<[string, StringMatch]>): Array<[string, StringMatch]> | undefined {
  const out = [...a];
  for (const [k, v] of b) {
    const prev = out.find(([kk]) => kk === k);
    if (prev) {
      if (!sameSM(prev[1], v)) return undefined;
    } else out.push([k, v]);
  }
  return out;
}

function mergeMatch(root: HTTPMatchRequest, del: HTTPMatchRequest): HTTPMatchRequest | undefined {
  const out: HTTPMatchRequest = { ...del };
  if (root.uri) {
    if (del.uri) {
      const r = root.uri;
      const d = del.uri;
      if (r.kind === 'prefix' && (d.kind === 'prefix' || d.kind === 'exact')) {
        if (!d.value.startsWith(r.value)) return undefined;
      } else if (r.kind === 'exact') {
        if (d.kind !== 'exact' || d.value !== r.value) return undefined;
      } else return undefined;
    } else out.uri = root.uri;
  }
  for (const k of ['scheme', 'method', 'authority'] as const) {
    if (root[k] && del[k] && !sameSM(root[k], del[k])) return undefined;
    const v = del[k] ?? root[k];
    if (v) out[k] = v;
  }
  const h = mergeMap(root.headers, del.headers);
  const wh = mergeMap(root.withoutHeaders, del.withoutHeaders);
  const qp = mergeMap(root.queryParams, del.queryParams);
  if (!h || !wh || !qp) return undefined;
  out.headers = h;
  out.withoutHeaders = wh;
  out.queryParams = qp;
  if (root.port !== undefined && del.port !== undefined && root.port !== del.port) return undefined;
  const port = del.port ?? root.port;
  if (port !== undefined) out.port = port;
  if (root.sourceNamespace && del.sourceNamespace && root.sourceNamespace !== del.sourceNamespace) return undefined;
  const sns = del.sourceNamespace ?? root.sourceNamespace;
  if (sns) out.sourceNamespace = sns;
  if (root.sourceLabels || del.sourceLabels) {
    const sl = { ...(root.sourceLabels ?? {}) };
    for (const [k, v] of Object.entries(del.sourceLabels ?? {})) {
      if (sl[k] !== undefined && sl[k] !== v) return undefined;
      sl[k] = v;
    }
    out.sourceLabels = sl;
  }
  out.gateways = root.gateways.length ? root.gateways : del.gateways;
  out.ignoreUriCase = root.ignoreUriCase || del.ignoreUriCase;
  if (root.name && del.name) out.name = `${root.name}-${del.name}`;
  else if (root.name || del.name) out.name = (root.name ?? del.name)!;
  return out;
}

function mergeDelegateRoute(root: HTTPRoute, del: HTTPRoute): HTTPRoute | undefined {
  let match: HTTPMatchRequest[];
  if (root.match.length === 0) match = del.match;
  else if (del.match.length === 0) match = root.match;
  else {
    match = [];
    for (const rm of root.match) for (const dm of del.match) {
      const m = mergeMatch(rm, dm);
      if (m) match.push(m);
    }
    if (!match.length) return undefined;
  }
  const out: HTTPRoute = { ...del, match };
  if (!del.rewrite && root.rewrite) out.rewrite = root.rewrite;
  if (del.timeoutNs === undefined && root.timeoutNs !== undefined) out.timeoutNs = root.timeoutNs;
  if (!del.retries && root.retries) out.retries = root.retries;
  if (!del.fault && root.fault) out.fault = root.fault;
  if (!del.mirrors.length && root.mirrors.length) out.mirrors = root.mirrors;
  if (!del.corsPolicy && root.corsPolicy) out.corsPolicy = root.corsPolicy;
  if (!del.headers && root.headers) out.headers = root.headers;
  return out;
}

/** Validates parsed objects and compiles a Router; throws WP_ERR_INVALID_CONFIG listing every problem. */
export function compileRouter(objects: readonly unknown[], opts: RouterOptions & { origin?: LoadOptions['origin'] } = {}): Router {
  const { seed, ...load } = opts;
  const res = loadConfig(objects, load);
  if (res.errors.length) {
    throw new WaypointError(WaypointErrorCode.INVALID_CONFIG, `invalid routing configuration: ${res.errors.length} problem(s): ${res.errors[0]}${res.errors.length > 1 ? ' …' : ''}`, { details: res.errors });
  }
  return new Router(res.model, { ...(seed !== undefined ? { seed } : {}), warnings: res.warnings });
}
