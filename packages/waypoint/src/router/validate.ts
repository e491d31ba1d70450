// One pass over parsed Kubernetes objects: every problem with its field path, and the normalized model (model.ts).
// Rules follow istio/istio pkg/config/validation (virtualservice.go, validation.go); see the README "Router" section.
import { compileRe2, type CompiledRegex } from './regex.js';
import { parseDuration } from './duration.js';
import type {
  CorsPolicy, Destination, DestinationRule, HTTPFault, HTTPMatchRequest, HTTPMirror, HTTPRedirect, HTTPRetry, HTTPRewrite, HTTPRoute,
  HeaderOps, Headers, LoadBalancer, Meta, Pod, RouterConfigModel, Service, ServicePort, StringMatch,
  Subset, TrafficPolicy, VirtualService,
} from './model.js';

export interface LoadOptions {
  /** meshConfig rootNamespace; default `istio-system` */
  rootNamespace?: string;
  /** cluster domain; default `cluster.local` */
  domainSuffix?: string;
  /** namespace for objects without one; default `default` */
  defaultNamespace?: string;
  /** prefix for each problem of object i (e.g. its file name) */
  origin?: (index: number) => string | undefined;
}

export interface LoadResult {
  model: RouterConfigModel;
  /** every violation, `<Kind> <ns>/<name>: <field path>: <message>` */
  errors: string[];
  /** accepted but notable (ignored kinds, dropped header operations, unsupported fields) */
  warnings: string[];
}

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

const NETWORKING_VERSIONS = new Set(['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3']);
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_ANY_CASE = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const HEADER_NAME = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const LB_SIMPLE = new Set(['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST']);
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
/** Envoy retry_on policies Istio accepts (validation.go supportedRetryOnPolicies) */
export const RETRY_ON_POLICIES = new Set([
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);
/** HTTP status codes Go's http.StatusText knows: the integers retryOn accepts */
export const KNOWN_HTTP_STATUS = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
  425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);
export const GRPC_CODES = new Set([
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE',
  'DATA_LOSS', 'UNAUTHENTICATED',
]);

export function isIp(s: string): boolean {
  const m = IPV4.exec(s);
  if (m) return m.slice(1).every((p) => Number(p) <= 255);
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s);
}

/** Istio ResolveShortnameToFQDN: `*` and IPs stay, a name without a dot gets `<ns>.svc.<domain>`, dotted names stay. */
export function resolveShortName(name: string, namespace: string, domainSuffix = 'cluster.local'): string {
  const n = name.toLowerCase();
  if (n === '*' || isIp(n)) return n;
  if (!n.includes('.')) return `${n}.${namespace}.svc.${domainSuffix}`;
  return n;
}

function resolveGateway(name: string, namespace: string): string {
  if (name === 'mesh' || name.includes('/')) return name;
  return `${namespace}/${name}`;
}

/** A wildcard-aware DNS name check (Istio ValidateWildcardDomain). Returns an error text or undefined. */
function checkWildcardDomain(host: string): string | undefined {
  if (host === '*') return undefined;
  if (host.length === 0) return 'domain name must not be empty';
  if (host.length > 255) return `domain name "${host}" too long (max 255)`;
  let rest = host;
  if (rest.startsWith('*.')) rest = rest.slice(2);
  else if (rest.startsWith('*')) rest = rest.slice(1);
  if (rest.endsWith('.')) rest = rest.slice(0, -1);
  for (const label of rest.split('.')) {
    if (!DNS_LABEL_ANY_CASE.test(label) || label.length > 63) return `domain name "${host}" invalid (label "${label}" invalid)`;
  }
  return undefined;
}

class Collector {
  errors: string[] = [];
  warnings: string[] = [];
  prefix = '';
  err(path: string, msg: string): void {
    this.errors.push(`${this.prefix}${path}: ${msg}`);
  }
  warn(path: string, msg: string): void {
    this.warnings.push(`${this.prefix}${path}: ${msg}`);
  }
}

function strField(c: Collector, o: Raw, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    c.err(`${path}.${key}`, `must be a string`);
    return undefined;
  }
  return v;
}

function intField(c: Collector, o: Raw, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    c.err(`${path}.${key}`, `must be an integer`);
    return undefined;
  }
  return n;
}

function arrField(c: Collector, o: Raw, key: string, path: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.err(`${path}.${key}`, 'must be a list');
    return [];
  }
  return v;
}

function objField(c: Collector, o: Raw, key: string, path: string): Raw | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) {
    c.err(`${path}.${key}`, 'must be an object');
    return undefined;
  }
  return v;
}

function stringMap(c: Collector, o: Raw, key: string, path: string): Record<string, string> | undefined {
  const v = objField(c, o, key, path);
  if (!v) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') c.err(`${path}.${key}.${k}`, 'must be a string');
    else out[k] = String(val);
  }
  return out;
}

function durationField(c: Collector, o: Raw, key: string, path: string, allowZero = false): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const ns = parseDuration(v);
  if (ns === undefined) {
    c.err(`${path}.${key}`, `invalid duration ${JSON.stringify(v)} (use e.g. "1.5s", "100ms")`);
    return undefined;
  }
  if (ns === 0 && allowZero) return 0;
  if (ns < 1e6) c.err(`${path}.${key}`, 'duration must be greater than 1ms');
  else if (ns % 1e6 !== 0) c.err(`${path}.${key}`, 'only durations to ms precision are supported');
  return ns;
}

function percentValue(c: Collector, o: Raw | undefined, path: string): number | undefined {
  if (!o) return undefined;
  const v = o['value'];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    c.err(`${path}.value`, 'must be a number');
    return undefined;
  }
  if (v < 0 || v > 100) c.err(`${path}.value`, `percentage ${v} must be in [0, 100]`);
  return v;
}

function parseMeta(c: Collector, obj: Raw, index: number, opts: Required<Pick<LoadOptions, 'defaultNamespace'>>): Meta | undefined {
  const md = isObj(obj['metadata']) ? obj['metadata'] : undefined;
  if (!md) {
    c.err('metadata', 'is required');
    return undefined;
  }
  const name = typeof md['name'] === 'string' ? md['name'] : '';
  if (!name) c.err('metadata.name', 'is required');
  const namespace = typeof md['namespace'] === 'string' && md['namespace'] ? md['namespace'] : opts.defaultNamespace;
  let created: number | undefined;
  if (md['creationTimestamp'] !== undefined && md['creationTimestamp'] !== null) {
    const ts = md['creationTimestamp'] instanceof Date ? md['creationTimestamp'].getTime() : Date.parse(String(md['creationTimestamp']));
    if (Number.isNaN(ts)) c.err('metadata.creationTimestamp', 'invalid timestamp');
    else created = ts;
  }
  const labels = stringMap(c, md, 'labels', 'metadata') ?? {};
  return { name, namespace, created, order: index, labels };
}

function parseStringMatch(c: Collector, v: unknown, path: string, allowPresence: boolean, delegateRoute: boolean): StringMatch | undefined {
  if (v === null || v === undefined) {
    c.err(path, 'cannot be null');
    return undefined;
  }
  if (!isObj(v)) {
    c.err(path, 'must be an object with one of exact, prefix, regex');
    return undefined;
  }
  const keys = Object.keys(v).filter((k) => v[k] !== undefined && v[k] !== null);
  if (keys.length === 0) {
    if (allowPresence) return { kind: 'present' };
    c.err(path, 'must set one of exact, prefix, regex');
    return undefined;
  }
  if (keys.length > 1) {
    c.err(path, `only one of exact, prefix, regex may be set (have ${keys.join(', ')})`);
    return undefined;
  }
  const k = keys[0]!;
  const val = v[k];
  if (typeof val !== 'string') {
    c.err(`${path}.${k}`, 'must be a string');
    return undefined;
  }
  if (k === 'exact' || k === 'prefix') return { kind: k, value: val };
  if (k === 'regex') {
    if (allowPresence && val === '*') return { kind: 'present' };
    if (delegateRoute) {
      c.err(`${path}.regex`, 'regex match is not supported for delegating');
      return undefined;
    }
    if (val === '') {
      c.err(`${path}.regex`, 'regex string match should not be empty');
      return undefined;
    }
    const r = compileRe2(val);
    if (!r.ok) {
      c.err(`${path}.regex`, `"${val}" is not a supported RE2 regex: ${r.error}`);
      return undefined;
    }
    return { kind: 'regex', value: val, regex: r.value };
  }
  c.err(`${path}.${k}`, 'unknown match type (use exact, prefix or regex)');
  return undefined;
}

function parseMatchMap(c: Collector, m: Raw, key: string, path: string, delegateRoute: boolean, isHeader: boolean): Array<[string, StringMatch]> {
  const o = objField(c, m, key, path);
  if (!o) return [];
  const out: Array<[string, StringMatch]> = [];
  for (const [name, v] of Object.entries(o)) {
    const p = `${path}.${key}[${name}]`;
    if (isHeader && !name.startsWith('@') && !HEADER_NAME.test(name)) c.err(p, `invalid header name "${name}"`);
    if (name === '') c.err(p, 'name must not be empty');
    const sm = parseStringMatch(c, v, p, true, delegateRoute);
    if (sm) out.push([isHeader ? name.toLowerCase() : name, sm]);
  }
  return out;
}

function parseMatch(c: Collector, raw: unknown, path: string, ns: string, delegateRoute: boolean): HTTPMatchRequest | undefined {
  if (!isObj(raw)) {
    c.err(path, 'must be an object');
    return undefined;
  }
  const m: HTTPMatchRequest = { headers: [], withoutHeaders: [], queryParams: [], ignoreUriCase: false, gateways: [] };
  const name = strField(c, raw, 'name', path);
  if (name !== undefined) m.name = name;
  for (const k of ['uri', 'scheme', 'method', 'authority'] as const) {
    if (raw[k] !== undefined && raw[k] !== null) {
      const sm = parseStringMatch(c, raw[k], `${path}.${k}`, false, delegateRoute);
      if (sm) m[k] = sm;
    }
  }
  m.headers = parseMatchMap(c, raw, 'headers', path, delegateRoute, true);
  m.withoutHeaders = parseMatchMap(c, raw, 'withoutHeaders', path, delegateRoute, true);
  m.queryParams = parseMatchMap(c, raw, 'queryParams', path, delegateRoute, false);
  if (raw['ignoreUriCase'] !== undefined) {
    if (typeof raw['ignoreUriCase'] !== 'boolean') c.err(`${path}.ignoreUriCase`, 'must be a boolean');
    else m.ignoreUriCase = raw['ignoreUriCase'];
  }
  const port = intField(c, raw, 'port', path);
  if (port !== undefined && port !== 0) {
    if (port < 1 || port > 65535) c.err(`${path}.port`, `port number ${port} must be in the range 1..65535`);
    m.port = port;
  }
  const sl = stringMap(c, raw, 'sourceLabels', path);
  if (sl && Object.keys(sl).length) m.sourceLabels = sl;
  const sns = strField(c, raw, 'sourceNamespace', path);
  if (sns) {
    if (!DNS1123_LABEL.test(sns)) c.err(`${path}.sourceNamespace`, `sourceNamespace match ${sns} is invalid`);
    m.sourceNamespace = sns;
  }
  const gws = arrField(c, raw, 'gateways', path);
  gws.forEach((g, i) => {
    if (typeof g !== 'string' || !g) c.err(`${path}.gateways[${i}]`, 'must be a non-empty string');
    else m.gateways.push(resolveGateway(g, ns));
  });
  for (const k of Object.keys(raw)) {
    if (!['name', 'uri', 'scheme', 'method', 'authority', 'headers', 'withoutHeaders', 'queryParams', 'ignoreUriCase', 'port', 'sourceLabels', 'sourceNamespace', 'gateways', 'statPrefix'].includes(k)) {
      c.err(`${path}.${k}`, 'unknown field');
    }
  }
  return m;
}

function parseDestination(c: Collector, raw: unknown, path: string, ns: string, domain: string): Destination | undefined {
  if (!isObj(raw)) {
    c.err(path, 'destination is required');
    return undefined;
  }
  const host = strField(c, raw, 'host', path);
  if (!host) {
    c.err(`${path}.host`, 'destination.host is required');
    return undefined;
  }
  const e = checkWildcardDomain(host);
  if (e && !isIp(host)) c.err(`${path}.host`, e);
  else if (host.includes('*')) c.err(`${path}.host`, 'destination host must not be a wildcard');
  const d: Destination = { host, fqdn: resolveShortName(host, ns, domain) };
  const subset = strField(c, raw, 'subset', path);
  if (subset !== undefined && subset !== '') {
    if (!DNS_LABEL_ANY_CASE.test(subset)) c.err(`${path}.subset`, `subset name "${subset}" is not a valid DNS-1123 label`);
    d.subset = subset;
  }
  const port = objField(c, raw, 'port', path);
  if (port) {
    const n = intField(c, port, 'number', `${path}.port`);
    if (n !== undefined && n !== 0) {
      if (n < 1 || n > 65535) c.err(`${path}.port.number`, `port number ${n} must be in the range 1..65535`);
      d.port = n;
    }
  }
  return d;
}

function parseHeaderOps(c: Collector, raw: unknown, path: string, allowAuthority: boolean): HeaderOps | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObj(raw)) {
    c.err(path, 'must be an object');
    return undefined;
  }
  const ops: HeaderOps = { set: [], add: [], remove: [] };
  for (const kind of ['set', 'add'] as const) {
    const o = objField(c, raw, kind, path);
    if (!o) continue;
    for (const [k, v] of Object.entries(o)) {
      const p = `${path}.${kind}[${k}]`;
      if (!k || !HEADER_NAME.test(k)) c.err(p, `invalid header name "${k}"`);
      if (typeof v !== 'string') c.err(p, 'header value must be a string');
      const lk = k.toLowerCase();
      const internal = lk.startsWith(':') || lk === 'host';
      const authority = lk === ':authority' || lk === 'host';
      if (internal && !(authority && allowAuthority)) c.warn(p, `header "${k}" cannot be modified (internal header); the operation is dropped`);
      ops[kind].push([lk, String(v)]);
    }
  }
  arrField(c, raw, 'remove', path).forEach((k, i) => {
    if (typeof k !== 'string' || !HEADER_NAME.test(k)) c.err(`${path}.remove[${i}]`, `invalid header name ${JSON.stringify(k)}`);
    else {
      const lk = k.toLowerCase();
      if (lk.startsWith(':') || lk === 'host') c.warn(`${path}.remove[${i}]`, `header "${k}" cannot be removed (internal header); the operation is dropped`);
      ops.remove.push(lk);
    }
  });
  return ops;
}

function parseHeaders(c: Collector, raw: unknown, path: string): Headers | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObj(raw)) {
    c.err(path, 'must be an object');
    return undefined;
  }
  const h: Headers = {};
  const req = parseHeaderOps(c, raw['request'], `${path}.request`, true);
  const res = parseHeaderOps(c, raw['response'], `${path}.response`, false);
  if (req) h.request = req;
  if (res) h.response = res;
  return h;
}

function authorityOf(ops: HeaderOps | undefined): string[] {
  if (!ops) return [];
  return [...ops.set, ...ops.add].filter(([k]) => k === ':authority' || k === 'host').map(([, v]) => v);
}

function parseRetries(c: Collector, raw: Raw, path: string): HTTPRetry {
  const r: HTTPRetry = { attempts: intField(c, raw, 'attempts', path) ?? 0 };
  if (r.attempts < 0) c.err(`${path}.attempts`, 'attempts cannot be negative');
  const ptt = durationField(c, raw, 'perTryTimeout', path);
  if (ptt !== undefined) r.perTryTimeoutNs = ptt;
  const retryOn = strField(c, raw, 'retryOn', path);
  if (retryOn !== undefined && retryOn !== '') {
    for (const part of retryOn.split(',')) {
      const p = part.trim();
      if (p === '') continue;
      if (/^\d+$/.test(p)) {
        if (!KNOWN_HTTP_STATUS.has(Number(p))) c.err(`${path}.retryOn`, `"${p}" is not a valid HTTP status code`);
      } else if (!RETRY_ON_POLICIES.has(p)) c.err(`${path}.retryOn`, `"${p}" is not a valid retryOn policy`);
    }
    r.retryOn = retryOn;
  }
  if (typeof raw['retryRemoteLocalities'] === 'boolean') r.retryRemoteLocalities = raw['retryRemoteLocalities'];
  if (typeof raw['retryIgnorePreviousHosts'] === 'boolean') r.retryIgnorePreviousHosts = raw['retryIgnorePreviousHosts'];
  const backoff = durationField(c, raw, 'backoff', path);
  if (backoff !== undefined) r.backoffNs = backoff;
  return r;
}

function parseFault(c: Collector, raw: Raw, path: string): HTTPFault {
  const f: HTTPFault = {};
  const delay = objField(c, raw, 'delay', path);
  if (delay) {
    const p = `${path}.delay`;
    const fixed = durationField(c, delay, 'fixedDelay', p);
    const exponential = delay['exponentialDelay'] !== undefined;
    if (fixed === undefined && !exponential) c.err(`${p}.fixedDelay`, 'delay must specify fixedDelay');
    if (exponential) c.warn(`${p}.exponentialDelay`, 'exponentialDelay is not supported; this delay is dropped');
    let percentage: number;
    const pct = objField(c, delay, 'percentage', p);
    if (pct) percentage = percentValue(c, pct, `${p}.percentage`) ?? 0;
    else {
      const percent = intField(c, delay, 'percent', p);
      if (percent !== undefined && (percent < 0 || percent > 100)) c.err(`${p}.percent`, `percentage ${percent} must be in [0, 100]`);
      percentage = percent ?? 0; // deprecated integer percent; absent/0 means never
    }
    f.delay = { exponential, percentage, ...(fixed !== undefined ? { fixedDelayNs: fixed } : {}) };
  }
  const abort = objField(c, raw, 'abort', path);
  if (abort) {
    const p = `${path}.abort`;
    const httpStatus = intField(c, abort, 'httpStatus', p);
    const grpcStatus = strField(c, abort, 'grpcStatus', p);
    if (httpStatus === undefined && grpcStatus === undefined) c.err(p, 'abort must specify httpStatus or grpcStatus');
    if (httpStatus !== undefined && grpcStatus !== undefined) c.err(p, 'abort may specify only one of httpStatus and grpcStatus');
    if (httpStatus !== undefined && (httpStatus < 200 || httpStatus > 599)) c.err(`${p}.httpStatus`, `invalid abort http status ${httpStatus}`);
    if (grpcStatus !== undefined && !GRPC_CODES.has(grpcStatus)) c.err(`${p}.grpcStatus`, `invalid abort grpc status "${grpcStatus}"`);
    const pct = objField(c, abort, 'percentage', p);
    const percentage = pct ? percentValue(c, pct, `${p}.percentage`) ?? 0 : 0; // absent: Envoy default 0%
    f.abort = { percentage, ...(httpStatus !== undefined ? { httpStatus } : {}), ...(grpcStatus !== undefined ? { grpcStatus } : {}) };
  }
  if (!delay && !abort) c.err(path, 'fault must specify at least one of delay or abort');
  return f;
}

function parseRoute(c: Collector, raw: unknown, path: string, ns: string, domain: string, delegateVs: boolean): HTTPRoute | undefined {
  if (!isObj(raw)) {
    c.err(path, 'must be an object');
    return undefined;
  }
  const r: HTTPRoute = { match: [], route: [], mirrors: [] };
  const name = strField(c, raw, 'name', path);
  if (name) r.name = name;
  const isRoot = raw['delegate'] !== undefined && raw['delegate'] !== null;
  const delegateRoute = delegateVs || isRoot;
  arrField(c, raw, 'match', path).forEach((m, i) => {
    const pm = parseMatch(c, m, `${path}.match[${i}]`, ns, delegateRoute);
    if (pm) r.match.push(pm);
  });
  const dests = arrField(c, raw, 'route', path);
  let total = 0;
  dests.forEach((d, i) => {
    const p = `${path}.route[${i}]`;
    if (!isObj(d)) {
      c.err(p, 'must be an object');
      return;
    }
    const dest = parseDestination(c, d['destination'], `${p}.destination`, ns, domain);
    const weight = intField(c, d, 'weight', p) ?? 0;
    if (weight < 0) c.err(`${p}.weight`, `weight ${weight} < 0`);
    total += weight;
    const headers = parseHeaders(c, d['headers'], `${p}.headers`);
    if (dest) r.route.push({ destination: dest, weight, ...(headers ? { headers } : {}) });
  });
  if (dests.length > 1 && total === 0) c.err(`${path}.route`, 'total destination weight = 0');
  // actions
  const redirect = objField(c, raw, 'redirect', path);
  const direct = objField(c, raw, 'directResponse', path);
  const rewrite = objField(c, raw, 'rewrite', path);
  const fault = objField(c, raw, 'fault', path);
  const delegate = objField(c, raw, 'delegate', path);
  if (delegate) {
    if (delegateVs) c.err(`${path}.delegate`, 'delegate HTTP route cannot contain delegate');
    const dn = strField(c, delegate, 'name', `${path}.delegate`);
    if (!dn) c.err(`${path}.delegate.name`, 'delegate.name is required');
    const dns = strField(c, delegate, 'namespace', `${path}.delegate`) || ns;
    r.delegate = { name: dn ?? '', namespace: dns };
    if (dests.length) c.err(`${path}.route`, `root HTTP route ${name ?? ''} must not specify route`.replace('  ', ' '));
    if (redirect) c.err(`${path}.redirect`, `root HTTP route ${name ?? ''} must not specify redirect`.replace('  ', ' '));
    if (direct) c.err(`${path}.directResponse`, `root HTTP route ${name ?? ''} must not specify directResponse`.replace('  ', ' '));
  } else if (redirect) {
    if (dests.length) c.err(path, 'HTTP route cannot contain both route and redirect');
    if (fault) c.err(path, 'HTTP route cannot contain both fault and redirect');
    if (rewrite) c.err(path, 'HTTP route rule cannot contain both rewrite and redirect');
    if (direct) c.err(path, 'HTTP route cannot contain both redirect and directResponse');
  } else if (direct) {
    if (dests.length) c.err(path, 'HTTP route cannot contain both route and directResponse');
    if (fault) c.err(path, 'HTTP route cannot contain both fault and directResponse');
    if (rewrite) c.err(path, 'HTTP route rule cannot contain both rewrite and directResponse');
  } else if (dests.length === 0) c.err(path, 'HTTP route, redirect or directResponse is required');
  if (raw['mirror'] && Array.isArray(raw['mirrors']) && raw['mirrors'].length) c.err(path, 'HTTP route cannot contain both mirror and mirrors');

  if (redirect) {
    const p = `${path}.redirect`;
    const rd: HTTPRedirect = { redirectCode: 301 };
    const uri = strField(c, redirect, 'uri', p);
    const prefixRewrite = strField(c, redirect, 'prefixRewrite', p);
    const authority = strField(c, redirect, 'authority', p);
    const scheme = strField(c, redirect, 'scheme', p);
    if (uri) rd.uri = uri;
    if (authority) rd.authority = authority;
    if (scheme) rd.scheme = scheme;
    if (prefixRewrite !== undefined) {
      if (uri) c.err(p, 'redirect: uri and prefixRewrite are mutually exclusive');
      rd.prefixRewrite = prefixRewrite;
      r.match.forEach((m, i) => {
        if (m.uri && m.uri.kind !== 'prefix') c.err(`${path}.match[${i}].uri`, 'redirect.prefixRewrite requires every uri match to be a prefix match');
      });
    }
    const port = intField(c, redirect, 'port', p);
    const derive = strField(c, redirect, 'derivePort', p);
    if (port !== undefined && derive !== undefined) c.err(p, 'only one of port and derivePort may be set');
    if (port !== undefined) {
      if (port < 1 || port > 65535) c.err(`${p}.port`, `port number ${port} must be in the range 1..65535`);
      rd.port = port;
    }
    if (derive !== undefined) {
      if (derive !== 'FROM_PROTOCOL_DEFAULT' && derive !== 'FROM_REQUEST_PORT') c.err(`${p}.derivePort`, `unknown derivePort "${derive}"`);
      else rd.derivePort = derive;
    }
    const code = intField(c, redirect, 'redirectCode', p);
    if (code !== undefined && code !== 0) {
      if (!REDIRECT_CODES.has(code)) c.err(`${p}.redirectCode`, `${code} is not a valid redirect code, must be 301, 302, 303, 307, or 308`);
      rd.redirectCode = code;
    }
    if (!uri && prefixRewrite === undefined && !authority && !scheme && port === undefined && derive === undefined) c.err(p, 'redirect must specify URI, authority, scheme, or port');
    r.redirect = rd;
  }
  if (direct) {
    const p = `${path}.directResponse`;
    const status = intField(c, direct, 'status', p);
    if (status === undefined) c.err(`${p}.status`, 'is required');
    else if (status < 200 || status > 599) c.err(`${p}.status`, `status ${status} must be in the range 200..599`);
    let body: string | undefined;
    const b = objField(c, direct, 'body', p);
    if (b) {
      const s = strField(c, b, 'string', `${p}.body`);
      const bytes = strField(c, b, 'bytes', `${p}.body`);
      if (s !== undefined && bytes !== undefined) c.err(`${p}.body`, 'only one of string and bytes may be set');
      if (s !== undefined) body = s;
      else if (bytes !== undefined) {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(bytes)) c.err(`${p}.body.bytes`, 'must be base64');
        else body = Buffer.from(bytes, 'base64').toString('utf8');
      }
      if (body !== undefined && Buffer.byteLength(body) > 100 * 1024) c.err(`${p}.body`, 'body must be at most 100KB');
    }
    r.directResponse = { status: status ?? 200, ...(body !== undefined ? { body } : {}) };
  }
  if (rewrite) {
    const p = `${path}.rewrite`;
    const rw: HTTPRewrite = {};
    const uri = strField(c, rewrite, 'uri', p);
    const authority = strField(c, rewrite, 'authority', p);
    if (uri !== undefined && uri !== '') rw.uri = uri;
    if (authority) rw.authority = authority;
    const urr = objField(c, rewrite, 'uriRegexRewrite', p);
    if (urr) {
      if (rw.uri !== undefined) c.err(p, 'rewrite may only contain one of uri and uriRegexRewrite');
      const mp = `${p}.uriRegexRewrite`;
      const m = strField(c, urr, 'match', mp);
      const rep = strField(c, urr, 'rewrite', mp);
      if (!m) c.err(`${mp}.match`, 'is required');
      if (rep === undefined) c.err(`${mp}.rewrite`, 'is required');
      let cre: CompiledRegex | undefined;
      if (m) {
        const res = compileRe2(m);
        if (!res.ok) c.err(`${mp}.match`, `"${m}" is not a supported RE2 regex: ${res.error}`);
        else cre = res.value;
      }
      if (cre && rep !== undefined) rw.uriRegexRewrite = { match: cre, rewrite: rep };
    }
    if (rw.uri === undefined && !rw.authority && !urr) c.err(p, 'rewrite must specify uri, authority, or uriRegexRewrite');
    r.rewrite = rw;
  }
  const headers = parseHeaders(c, raw['headers'], `${path}.headers`);
  if (headers) r.headers = headers;
  // authority may be set in one place only at route level
  const auths = [...(r.rewrite?.authority ? [r.rewrite.authority] : []), ...authorityOf(headers?.request)];
  if (auths.length > 1) c.err(`${path}.headers.request`, `authority header cannot be set multiple times: have "${auths[0]}", attempting to set "${auths[1]}"`);
  const timeout = durationField(c, raw, 'timeout', path, true);
  if (timeout !== undefined) r.timeoutNs = timeout;
  const retries = objField(c, raw, 'retries', path);
  if (retries) r.retries = parseRetries(c, retries, `${path}.retries`);
  if (fault) r.fault = parseFault(c, fault, `${path}.fault`);
  // mirrors
  const mirror = raw['mirror'];
  if (mirror !== undefined && mirror !== null) {
    const d = parseDestination(c, mirror, `${path}.mirror`, ns, domain);
    let pct = 100;
    const mp = objField(c, raw, 'mirrorPercentage', path);
    if (mp) pct = percentValue(c, mp, `${path}.mirrorPercentage`) ?? 100;
    else if (raw['mirrorPercent'] !== undefined) {
      const v = intField(c, raw, 'mirrorPercent', path);
      if (v !== undefined && v > 100) c.err(`${path}.mirrorPercent`, `mirror_percent must have a max value of 100 (it has ${v})`);
      c.warn(`${path}.mirrorPercent`, 'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead');
      pct = v ?? 100;
    }
    if (d) r.mirrors.push({ destination: d, percentage: pct });
  }
  arrField(c, raw, 'mirrors', path).forEach((m, i) => {
    const p = `${path}.mirrors[${i}]`;
    if (!isObj(m)) {
      c.err(p, 'must be an object');
      return;
    }
    const d = parseDestination(c, m['destination'], `${p}.destination`, ns, domain);
    const pctObj = objField(c, m, 'percentage', p);
    const pct = pctObj ? percentValue(c, pctObj, `${p}.percentage`) ?? 100 : 100;
    if (d) r.mirrors.push({ destination: d, percentage: pct } satisfies HTTPMirror);
  });
  const cors = objField(c, raw, 'corsPolicy', path);
  if (cors) r.corsPolicy = parseCors(c, cors, `${path}.corsPolicy`);
  const known = ['name', 'match', 'route', 'redirect', 'directResponse', 'delegate', 'rewrite', 'timeout', 'retries', 'fault', 'mirror', 'mirrors', 'mirrorPercentage', 'mirrorPercent', 'corsPolicy', 'headers'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) c.err(`${path}.${k}`, 'unknown field');
  return r;
}

function parseCors(c: Collector, raw: Raw, path: string): CorsPolicy {
  const out: CorsPolicy = { allowOrigins: [], unmatchedPreflights: 'FORWARD' };
  arrField(c, raw, 'allowOrigins', path).forEach((o, i) => {
    const m = parseStringMatch(c, o, `${path}.allowOrigins[${i}]`, false, false);
    if (m) out.allowOrigins.push(m);
  });
  if (raw['allowOrigin'] !== undefined) c.err(`${path}.allowOrigin`, 'allowOrigin is deprecated and not supported; use allowOrigins');
  const list = (k: 'allowMethods' | 'allowHeaders' | 'exposeHeaders') => {
    const vals = arrField(c, raw, k, path);
    vals.forEach((v, i) => {
      if (typeof v !== 'string' || v === '') c.err(`${path}.${k}[${i}]`, 'must be a non-empty string');
      else if (k === 'allowMethods' && !/^[A-Z]+$/.test(v)) c.err(`${path}.${k}[${i}]`, `${v} is not a valid HTTP method`);
      else if (k !== 'allowMethods' && !HEADER_NAME.test(v)) c.err(`${path}.${k}[${i}]`, `invalid header name "${v}"`);
    });
    if (vals.length) out[k] = vals.filter((v) => typeof v === 'string').join(',');
  };
  list('allowMethods');
  list('allowHeaders');
  list('exposeHeaders');
  const maxAge = durationField(c, raw, 'maxAge', path);
  if (maxAge !== undefined) {
    if (maxAge % 1e9 !== 0) c.err(`${path}.maxAge`, 'max_age duration is accurate only to seconds precision');
    out.maxAge = String(Math.floor(maxAge / 1e9));
  }
  if (raw['allowCredentials'] !== undefined) {
    if (typeof raw['allowCredentials'] !== 'boolean') c.err(`${path}.allowCredentials`, 'must be a boolean');
    else out.allowCredentials = raw['allowCredentials'];
  }
  const up = strField(c, raw, 'unmatchedPreflights', path);
  if (up !== undefined) {
    if (up !== 'FORWARD' && up !== 'IGNORE' && up !== 'UNSPECIFIED') c.err(`${path}.unmatchedPreflights`, `unknown value "${up}"`);
    else if (up === 'IGNORE') out.unmatchedPreflights = 'IGNORE';
  }
  return out;
}

function parseExportTo(c: Collector, spec: Raw, path: string): string[] {
  const out: string[] = [];
  arrField(c, spec, 'exportTo', path).forEach((e, i) => {
    if (typeof e !== 'string' || !(e === '.' || e === '*' || e === '~' || DNS1123_LABEL.test(e))) c.err(`${path}.exportTo[${i}]`, `invalid exportTo value ${JSON.stringify(e)}`);
    else out.push(e);
  });
  if (out.includes('*') && out.length > 1) c.err(`${path}.exportTo`, 'cannot have "*" together with other values');
  return out;
}

function parseVirtualService(c: Collector, meta: Meta, spec: Raw, domain: string): VirtualService {
  const hostsRaw = arrField(c, spec, 'hosts', 'spec');
  const delegate = hostsRaw.length === 0;
  const hosts: string[] = [];
  hostsRaw.forEach((h, i) => {
    if (typeof h !== 'string') c.err(`spec.hosts[${i}]`, 'must be a string');
    else {
      const e = isIp(h) ? undefined : checkWildcardDomain(h);
      if (e) c.err(`spec.hosts[${i}]`, e);
      hosts.push(resolveShortName(h, meta.namespace, domain));
    }
  });
  const gwRaw = arrField(c, spec, 'gateways', 'spec');
  const gateways: string[] = [];
  gwRaw.forEach((g, i) => {
    if (typeof g !== 'string' || !g) c.err(`spec.gateways[${i}]`, 'must be a non-empty string');
    else {
      const parts = g.split('/');
      if (parts.length > 2 || parts.some((p) => !/^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?$/.test(p))) c.err(`spec.gateways[${i}]`, `invalid gateway name "${g}"`);
      gateways.push(resolveGateway(g, meta.namespace));
    }
  });
  if (delegate && gwRaw.length) c.err('spec.gateways', 'delegate virtual service must have no gateways specified');
  if (delegate && Array.isArray(spec['tls']) && spec['tls'].length) c.err('spec.tls', 'delegate virtual service must have no tls route specified');
  if (delegate && Array.isArray(spec['tcp']) && spec['tcp'].length) c.err('spec.tcp', 'delegate virtual service must have no tcp route specified');
  const effGateways = gateways.length ? gateways : ['mesh'];
  if (!delegate && effGateways.includes('mesh') && hosts.includes('*')) c.err('spec.hosts', 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
  const httpRaw = arrField(c, spec, 'http', 'spec');
  const hasOther = (Array.isArray(spec['tcp']) && spec['tcp'].length > 0) || (Array.isArray(spec['tls']) && spec['tls'].length > 0);
  if (httpRaw.length === 0 && !hasOther) c.err('spec', 'http, tcp or tls must be provided in virtual service');
  const http: HTTPRoute[] = [];
  const names = new Set<string>();
  httpRaw.forEach((r, i) => {
    const pr = parseRoute(c, r, `spec.http[${i}]`, meta.namespace, domain, delegate);
    if (!pr) return;
    if (pr.name) {
      if (names.has(pr.name)) c.err(`spec.http[${i}].name`, `route name "${pr.name}" is not unique`);
      names.add(pr.name);
    }
    http.push(pr);
  });
  const exportTo = parseExportTo(c, spec, 'spec');
  return { ...meta, kind: 'VirtualService', hosts, gateways: delegate ? [] : effGateways, exportTo, http };
}

function parseLoadBalancer(c: Collector, raw: Raw, path: string): LoadBalancer {
  const lb: LoadBalancer = {};
  const simple = strField(c, raw, 'simple', path);
  if (simple !== undefined) {
    if (!LB_SIMPLE.has(simple)) c.err(`${path}.simple`, `unknown load balancer "${simple}"`);
    else lb.simple = simple as LoadBalancer['simple'];
  }
  const ch = objField(c, raw, 'consistentHash', path);
  if (ch) {
    if (simple !== undefined) c.err(path, 'only one of simple and consistentHash may be set');
    const h: NonNullable<LoadBalancer['consistentHash']> = {};
    const hn = strField(c, ch, 'httpHeaderName', `${path}.consistentHash`);
    const qp = strField(c, ch, 'httpQueryParameterName', `${path}.consistentHash`);
    const cookie = objField(c, ch, 'httpCookie', `${path}.consistentHash`);
    if (hn) h.httpHeaderName = hn.toLowerCase();
    if (qp) h.httpQueryParameterName = qp;
    if (cookie && typeof cookie['name'] === 'string') h.httpCookie = { name: cookie['name'] };
    if (ch['useSourceIp'] === true) h.useSourceIp = true;
    lb.consistentHash = h;
  }
  return lb;
}

function parseTrafficPolicy(c: Collector, raw: Raw, path: string, allowPortLevel: boolean): TrafficPolicy {
  const tp: TrafficPolicy = {};
  const lb = objField(c, raw, 'loadBalancer', path);
  if (lb) tp.loadBalancer = parseLoadBalancer(c, lb, `${path}.loadBalancer`);
  for (const k of ['connectionPool', 'outlierDetection', 'tls'] as const) {
    const o = objField(c, raw, k, path);
    if (o) tp[k] = o;
  }
  const pls = arrField(c, raw, 'portLevelSettings', path);
  if (pls.length && !allowPortLevel) c.err(`${path}.portLevelSettings`, 'portLevelSettings are not allowed here');
  if (pls.length) {
    tp.portLevelSettings = [];
    const seen = new Set<number>();
    pls.forEach((p, i) => {
      const pp = `${path}.portLevelSettings[${i}]`;
      if (!isObj(p)) {
        c.err(pp, 'must be an object');
        return;
      }
      const port = objField(c, p, 'port', pp);
      const n = port ? intField(c, port, 'number', `${pp}.port`) : undefined;
      if (n === undefined || n < 1 || n > 65535) c.err(`${pp}.port`, 'port.number is required (1..65535)');
      else if (seen.has(n)) c.err(`${pp}.port`, `port ${n} has more than one portLevelSettings entry`);
      else {
        seen.add(n);
        tp.portLevelSettings!.push({ ...parseTrafficPolicy(c, p, pp, false), port: n });
      }
    });
  }
  return tp;
}

function parseDestinationRule(c: Collector, meta: Meta, spec: Raw, domain: string): DestinationRule {
  const host = strField(c, spec, 'host', 'spec');
  if (!host) c.err('spec.host', 'host is required');
  else {
    const e = isIp(host) ? undefined : checkWildcardDomain(host);
    if (e) c.err('spec.host', e);
  }
  const dr: DestinationRule = { ...meta, kind: 'DestinationRule', host: resolveShortName(host ?? '', meta.namespace, domain), exportTo: parseExportTo(c, spec, 'spec'), subsets: [] };
  const tp = objField(c, spec, 'trafficPolicy', 'spec');
  if (tp) dr.trafficPolicy = parseTrafficPolicy(c, tp, 'spec.trafficPolicy', true);
  const names = new Set<string>();
  arrField(c, spec, 'subsets', 'spec').forEach((s, i) => {
    const p = `spec.subsets[${i}]`;
    if (!isObj(s)) {
      c.err(p, 'must be an object');
      return;
    }
    const name = strField(c, s, 'name', p);
    if (!name) c.err(`${p}.name`, 'name is required');
    else if (!DNS_LABEL_ANY_CASE.test(name)) c.err(`${p}.name`, `subset name "${name}" is not a valid DNS-1123 label`);
    else if (names.has(name)) c.err(`${p}.name`, `duplicate subset name "${name}"`);
    if (name) names.add(name);
    const sub: Subset = { name: name ?? '', labels: stringMap(c, s, 'labels', p) ?? {} };
    const stp = objField(c, s, 'trafficPolicy', p);
    if (stp) sub.trafficPolicy = parseTrafficPolicy(c, stp, `${p}.trafficPolicy`, true);
    dr.subsets.push(sub);
  });
  return dr;
}

function parsePorts(c: Collector, list: unknown[], path: string, k8s: boolean): ServicePort[] {
  const out: ServicePort[] = [];
  list.forEach((p, i) => {
    const pp = `${path}[${i}]`;
    if (!isObj(p)) {
      c.err(pp, 'must be an object');
      return;
    }
    const n = intField(c, p, k8s ? 'port' : 'number', pp);
    if (n === undefined || n < 1 || n > 65535) {
      c.err(`${pp}.${k8s ? 'port' : 'number'}`, 'port number is required (1..65535)');
      return;
    }
    const sp: ServicePort = { port: n };
    if (typeof p['name'] === 'string') sp.name = p['name'];
    if (typeof p['protocol'] === 'string') sp.protocol = p['protocol'];
    const tp = p['targetPort'];
    if (typeof tp === 'number' || typeof tp === 'string') sp.targetPort = tp;
    out.push(sp);
  });
  return out;
}

function parseService(c: Collector, meta: Meta, spec: Raw, domain: string): Service {
  const svc: Service = {
    ...meta,
    kind: 'Service',
    hostname: `${meta.name}.${meta.namespace}.svc.${domain}`,
    ports: parsePorts(c, arrField(c, spec, 'ports', 'spec'), 'spec.ports', true),
    exportTo: [],
  };
  const sel = stringMap(c, spec, 'selector', 'spec');
  if (sel) svc.selector = sel;
  const ip = strField(c, spec, 'clusterIP', 'spec');
  if (ip && ip !== 'None') svc.clusterIP = ip;
  return svc;
}

function parseServiceEntry(c: Collector, meta: Meta, spec: Raw, index: number): Service[] {
  const hosts = arrField(c, spec, 'hosts', 'spec');
  if (hosts.length === 0) c.err('spec.hosts', 'ServiceEntry must have at least one host');
  const ports = parsePorts(c, arrField(c, spec, 'ports', 'spec'), 'spec.ports', false);
  const exportTo = parseExportTo(c, spec, 'spec');
  const resolution = strField(c, spec, 'resolution', 'spec');
  const eps: NonNullable<Service['seEndpoints']> = [];
  arrField(c, spec, 'endpoints', 'spec').forEach((e, i) => {
    const p = `spec.endpoints[${i}]`;
    if (!isObj(e)) {
      c.err(p, 'must be an object');
      return;
    }
    const address = strField(c, e, 'address', p) ?? '';
    if (!address) c.err(`${p}.address`, 'address is required');
    const labels = stringMap(c, e, 'labels', p) ?? {};
    const pm = stringMap(c, e, 'ports', p);
    eps.push({ address, labels, ...(pm ? { ports: Object.fromEntries(Object.entries(pm).map(([k, v]) => [k, Number(v)])) } : {}) });
  });
  const ws = objField(c, spec, 'workloadSelector', 'spec');
  const selector = ws ? stringMap(c, ws, 'labels', 'spec.workloadSelector') : undefined;
  const out: Service[] = [];
  hosts.forEach((h, i) => {
    if (typeof h !== 'string') {
      c.err(`spec.hosts[${i}]`, 'must be a string');
      return;
    }
    const e = checkWildcardDomain(h);
    if (e) c.err(`spec.hosts[${i}]`, e);
    if (h === '*') c.err(`spec.hosts[${i}]`, 'ServiceEntry host cannot be *');
    out.push({
      ...meta,
      order: index,
      kind: 'ServiceEntry',
      hostname: h.toLowerCase(),
      ports,
      exportTo,
      ...(selector ? { selector } : {}),
      ...(eps.length ? { seEndpoints: eps } : {}),
      ...(resolution ? { resolution } : {}),
    });
  });
  return out;
}

/** Validates and normalizes a list of parsed objects (any mix of VirtualService, DestinationRule, ServiceEntry, Service,
 * Pod; `List` objects are flattened). Never throws: problems are returned. */
export function loadConfig(objects: readonly unknown[], opts: LoadOptions = {}): LoadResult {
  const domain = opts.domainSuffix ?? 'cluster.local';
  const defaultNamespace = opts.defaultNamespace ?? 'default';
  const c = new Collector();
  const model: RouterConfigModel = { virtualServices: [], destinationRules: [], services: [], pods: [], rootNamespace: opts.rootNamespace ?? 'istio-system', domainSuffix: domain };
  const flat: Array<{ obj: unknown; index: number; sub?: number }> = [];
  objects.forEach((o, index) => {
    if (isObj(o) && o['kind'] === 'List' && Array.isArray(o['items'])) o['items'].forEach((it, sub) => flat.push({ obj: it, index, sub }));
    else flat.push({ obj: o, index });
  });
  flat.forEach(({ obj, index, sub }, order) => {
    const origin = opts.origin?.(index);
    const where = `${origin ? `${origin}: ` : ''}${sub !== undefined ? `items[${sub}]: ` : ''}`;
    if (obj === null || obj === undefined) return; // empty YAML documents
    if (!isObj(obj)) {
      c.prefix = where;
      c.err('object', 'must be a Kubernetes object');
      return;
    }
    const kind = typeof obj['kind'] === 'string' ? obj['kind'] : '';
    const apiVersion = typeof obj['apiVersion'] === 'string' ? obj['apiVersion'] : '';
    const md = isObj(obj['metadata']) ? obj['metadata'] : {};
    c.prefix = `${where}${kind || 'object'} ${typeof md['namespace'] === 'string' ? md['namespace'] : defaultNamespace}/${typeof md['name'] === 'string' ? md['name'] : '?'}: `;
    if (!kind) {
      c.err('kind', 'is required');
      return;
    }
    const istio = kind === 'VirtualService' || kind === 'DestinationRule' || kind === 'ServiceEntry';
    if (istio && !NETWORKING_VERSIONS.has(apiVersion)) {
      c.err('apiVersion', `"${apiVersion}" is not one of networking.istio.io/v1, v1beta1, v1alpha3`);
      return;
    }
    if ((kind === 'Service' || kind === 'Pod') && apiVersion !== 'v1') {
      c.err('apiVersion', `"${apiVersion}" must be v1`);
      return;
    }
    if (!istio && kind !== 'Service' && kind !== 'Pod') {
      c.warn('kind', `${kind} is not used by the router; ignored`);
      return;
    }
    const meta = parseMeta(c, obj, order, { defaultNamespace });
    if (!meta) return;
    const spec = obj['spec'];
    if (kind !== 'Pod' && !isObj(spec)) {
      c.err('spec', 'is required');
      return;
    }
    const s = (spec ?? {}) as Raw;
    switch (kind) {
      case 'VirtualService':
        model.virtualServices.push(parseVirtualService(c, meta, s, domain));
        break;
      case 'DestinationRule':
        model.destinationRules.push(parseDestinationRule(c, meta, s, domain));
        break;
      case 'ServiceEntry':
        model.services.push(...parseServiceEntry(c, meta, s, order));
        break;
      case 'Service':
        model.services.push(parseService(c, meta, s, domain));
        break;
      case 'Pod': {
        const status = isObj(obj['status']) ? obj['status'] : {};
        const pod: Pod = { ...meta, kind: 'Pod' };
        if (typeof status['podIP'] === 'string') pod.ip = status['podIP'];
        const podSpec = isObj(obj['spec']) ? obj['spec'] : {};
        const ports: Record<string, number> = {};
        for (const ctr of Array.isArray(podSpec['containers']) ? podSpec['containers'] : []) {
          if (!isObj(ctr) || !Array.isArray(ctr['ports'])) continue;
          for (const cp of ctr['ports']) if (isObj(cp) && typeof cp['name'] === 'string' && typeof cp['containerPort'] === 'number') ports[cp['name']] = cp['containerPort'];
        }
        if (Object.keys(ports).length) pod.ports = ports;
        model.pods.push(pod);
        break;
      }
    }
  });
  // cross-object checks: delegates
  const byName = new Map(model.virtualServices.map((v) => [`${v.namespace}/${v.name}`, v]));
  for (const vs of model.virtualServices) {
    vs.http.forEach((r, i) => {
      if (!r.delegate || !r.delegate.name) return;
      const target = byName.get(`${r.delegate.namespace}/${r.delegate.name}`);
      if (target && target.hosts.length) {
        c.prefix = `VirtualService ${vs.namespace}/${vs.name}: `;
        c.err(`spec.http[${i}].delegate`, `delegate ${r.delegate.namespace}/${r.delegate.name} is not a delegate VirtualService (it has hosts)`);
      }
    });
  }
  return { model, errors: c.errors, warnings: c.warnings };
}
