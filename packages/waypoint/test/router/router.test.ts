// Table-driven tests for the router: every rule of Part B (policy-and-routing-semantics.md), one or more rows each.
import t, { type Test } from 'tap';
import { compileRouter, decisionToJSON, type Decision, type RouteRequest } from '../../src/router/index.js';
import { WaypointError } from '../../src/errors.js';
import { C, REVIEWS, REVIEWS_DR, WORLD, dr, pod, reviewsVs, se, svc, to, vs } from './fixtures/world.js';
import { seed000, seed002, seed003 } from './fixtures/seeds.js';

type Obj = Record<string, unknown>;
interface Case {
  rule: string;
  name: string;
  config?: Obj[];
  /** no REVIEWS_DR */
  noDr?: boolean;
  req?: Partial<RouteRequest>;
  want?: Record<string, unknown>;
  absent?: string[];
  check?: (t: Test, d: Decision) => void;
  errors?: RegExp[];
  explain?: RegExp[];
}

const BASE: RouteRequest = { host: 'reviews', port: 9080, method: 'GET', path: '/', client: { namespace: 'default', labels: { app: 'productpage' } } };
const DEFAULT_RETRIES = { attempts: 2, retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', retriableStatusCodes: [], perTryTimeout: null };
const V1 = C(9080, 'v1', REVIEWS);
const V2 = C(9080, 'v2', REVIEWS);
const V3 = C(9080, 'v3', REVIEWS);
const PLAIN = C(9080, '', REVIEWS);
/** route 0 matches `m` and goes to v2, route 1 is a catch-all to v1 */
const probe = (m: Obj, routeExtra: Obj = {}): Obj[] => [reviewsVs([{ name: 'probe', match: [m], route: [to('v2')], ...routeExtra }, { name: 'rest', route: [to('v1')] }])];
const hitsV2 = { action: 'route', routeName: 'probe', route: { cluster: V2 } };
const hitsV1 = { action: 'route', routeName: 'rest', route: { cluster: V1 } };
const only = (m: Obj): Obj[] => [reviewsVs([{ name: 'only', match: [m], route: [to('v2')] }])];
const notFound = { action: 'notFound', virtualService: 'default/reviews' };
const redirectVs = (redirect: Obj, match?: Obj[]) => [vs('b', 'default', { hosts: ['b.example.com'], http: [{ ...(match ? { match } : {}), redirect }] })];

const cases: Case[] = [
  // ---- B1: which VirtualService applies ----
  { rule: 'B1 short name', name: 'VS host "reviews" resolves in the VS namespace and applies', config: [reviewsVs([{ route: [to('v2')] }])], want: { action: 'route', virtualService: 'default/reviews', route: { cluster: V2 } } },
  { rule: 'B1 short name', name: 'the rule namespace is used, not the service namespace: a prod VS for "reviews" does not apply to default/reviews', config: [vs('r', 'prod', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] })], want: { action: 'route', route: { cluster: PLAIN } }, absent: ['virtualService'] },
  { rule: 'B1 short name', name: 'a prod VS for "reviews" applies to prod clients calling reviews', config: [vs('r', 'prod', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] })], req: { client: { namespace: 'prod' } }, want: { virtualService: 'prod/r', route: { cluster: C(9080, '', 'reviews.prod.svc.cluster.local') }, endpoints: ['reviews-prod-1'] } },
  { rule: 'B1 short name', name: 'a dotted host is already qualified: "reviews.prod" is not reviews.prod.svc.cluster.local', config: [vs('r', 'default', { hosts: ['reviews.prod'], http: [{ route: [{ destination: { host: 'reviews.prod' } }] }] })], req: { host: 'reviews.prod' }, want: { action: 'route', route: { cluster: C(9080, '', 'reviews.prod.svc.cluster.local') } }, absent: ['virtualService'] },
  { rule: 'B1 short name', name: 'destination short names resolve in the VS namespace', config: [vs('r', 'prod', { hosts: ['reviews.default.svc.cluster.local'], http: [{ route: [{ destination: { host: 'reviews' } }] }] })], want: { virtualService: 'prod/r', route: { cluster: C(9080, '', 'reviews.prod.svc.cluster.local') } } },
  { rule: 'B1 short name', name: 'a VS for a dotted external host with a ServiceEntry', config: [se('ext', 'default', { hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], resolution: 'DNS' }), vs('ext', 'default', { hosts: ['api.example.com'], http: [{ timeout: '3s', route: [{ destination: { host: 'api.example.com' } }] }] })], req: { host: 'api.example.com', port: 443, scheme: 'https' }, want: { virtualService: 'default/ext', route: { cluster: C(443, '', 'api.example.com'), authority: 'api.example.com' }, timeout: '3s', endpoints: ['api.example.com'] } },
  { rule: 'B1 gateways', name: 'gateways omitted means mesh', config: [reviewsVs([{ route: [to('v3')] }])], want: { route: { cluster: V3 } } },
  { rule: 'B1 gateways', name: 'gateways without mesh: the VS does not apply to mesh proxies', config: [reviewsVs([{ route: [to('v3')] }], { gateways: ['istio-system/ingress'] })], want: { route: { cluster: PLAIN } }, absent: ['virtualService'] },
  { rule: 'B1 gateways', name: 'gateways [mesh, ingress] applies to mesh', config: [reviewsVs([{ route: [to('v3')] }], { gateways: ['mesh', 'istio-system/ingress'] })], want: { route: { cluster: V3 } } },
  { rule: 'B1 gateways', name: 'gateways [mesh, ingress] applies at the gateway', config: [reviewsVs([{ route: [to('v3')] }], { hosts: ['reviews.default.svc.cluster.local'], gateways: ['mesh', 'istio-system/ingress'] })], req: { host: REVIEWS, context: 'gateway', gateway: 'istio-system/ingress' }, want: { route: { cluster: V3 } } },
  { rule: 'B1 gateways', name: 'a short gateway name resolves to the VS namespace (default/ingress, not istio-system/ingress)', config: [vs('g', 'default', { hosts: ['shop.example.com'], gateways: ['ingress'], http: [{ route: [to('v1')] }] })], req: { host: 'shop.example.com', context: 'gateway', gateway: 'istio-system/ingress' }, want: { action: 'notFound' } },
  { rule: 'B1 gateways', name: 'a short gateway name matches ns/name of the VS namespace', config: [vs('g', 'default', { hosts: ['shop.example.com'], gateways: ['ingress'], http: [{ route: [to('v1')] }] })], req: { host: 'shop.example.com', context: 'gateway', gateway: 'default/ingress' }, want: { action: 'route', virtualService: 'default/g', route: { cluster: V1 } } },
  { rule: 'B1 domains', name: 'same namespace: bare name', config: [reviewsVs([{ route: [to('v2')] }])], req: { host: 'reviews' }, want: { route: { cluster: V2 } } },
  { rule: 'B1 domains', name: 'same namespace: name.ns', config: [reviewsVs([{ route: [to('v2')] }])], req: { host: 'reviews.default' }, want: { route: { cluster: V2 } } },
  { rule: 'B1 domains', name: 'same namespace: name.ns.svc', config: [reviewsVs([{ route: [to('v2')] }])], req: { host: 'reviews.default.svc' }, want: { route: { cluster: V2 } } },
  { rule: 'B1 domains', name: 'FQDN', config: [reviewsVs([{ route: [to('v2')] }])], req: { host: REVIEWS }, want: { route: { cluster: V2 } } },
  { rule: 'B1 domains', name: 'FQDN with a trailing dot', config: [reviewsVs([{ route: [to('v2')] }])], req: { host: `${REVIEWS}.` }, want: { route: { cluster: V2 } } },
  { rule: 'B1 domains', name: 'cluster IP', config: [reviewsVs([{ route: [to('v2')] }])], req: { host: '10.96.0.10' }, want: { route: { cluster: V2 } } },
  { rule: 'B1 domains', name: 'another namespace: a bare name does not match', config: [reviewsVs([{ route: [to('v2')] }])], req: { client: { namespace: 'other' } }, want: { action: 'unavailable', route: { cluster: 'outbound|9080||reviews' } } },
  { rule: 'B1 domains', name: 'another namespace: name.ns matches', config: [reviewsVs([{ route: [to('v2')] }])], req: { host: 'reviews.default', client: { namespace: 'other' } }, want: { action: 'route', route: { cluster: V2 } } },
  { rule: 'B1 domains', name: 'another namespace: name.ns.svc matches', req: { host: 'reviews.default.svc', client: { namespace: 'other' } }, want: { action: 'route', route: { cluster: PLAIN } } },
  { rule: 'B1 domains', name: 'sidecars ignore the port in host matching', config: [reviewsVs([{ route: [to('v2')] }])], req: { host: 'reviews:9080' }, want: { route: { cluster: V2, authority: 'reviews:9080' } } },
  { rule: 'B1 multiple', name: 'several VSs for one host: the oldest wins (not merged)', config: [vs('new', 'default', { hosts: ['reviews'], http: [{ match: [{ uri: { prefix: '/a' } }], route: [to('v1')] }] }, '2024-02-01T00:00:00Z'), vs('old', 'default', { hosts: ['reviews'], http: [{ match: [{ uri: { prefix: '/b' } }], route: [to('v2')] }] }, '2024-01-01T00:00:00Z')], req: { path: '/a' }, want: { action: 'notFound', virtualService: 'default/old' } },
  { rule: 'B1 multiple', name: 'same creationTimestamp: ordered by name', config: [vs('zz', 'default', { hosts: ['reviews'], http: [{ route: [to('v1')] }] }, '2024-01-01T00:00:00Z'), vs('aa', 'default', { hosts: ['reviews'], http: [{ route: [to('v2')] }] }, '2024-01-01T00:00:00Z')], want: { virtualService: 'default/aa' } },
  { rule: 'B1 multiple', name: 'an exact host wins over an older wildcard host', config: [vs('wild', 'default', { hosts: ['*.default.svc.cluster.local'], http: [{ route: [to('v1')] }] }, '2020-01-01T00:00:00Z'), vs('exact', 'default', { hosts: ['reviews'], http: [{ route: [to('v2')] }] }, '2024-01-01T00:00:00Z')], want: { virtualService: 'default/exact', route: { cluster: V2 } } },
  { rule: 'B1 multiple', name: 'a wildcard VS applies when no exact host does', config: [vs('wild', 'default', { hosts: ['*.default.svc.cluster.local'], http: [{ route: [{ destination: { host: 'ratings' } }] }] })], want: { virtualService: 'default/wild', route: { cluster: C(9080, '', 'ratings.default.svc.cluster.local') } } },
  { rule: 'B1 multiple', name: 'gateways merge VSs for one host: the newer VS route is reached', config: [vs('one', 'default', { hosts: ['shop.example.com'], gateways: ['istio-system/ingress'], http: [{ match: [{ uri: { prefix: '/a' } }], route: [to('v1')] }] }, '2024-01-01T00:00:00Z'), vs('two', 'default', { hosts: ['shop.example.com'], gateways: ['istio-system/ingress'], http: [{ match: [{ uri: { prefix: '/b' } }], route: [to('v2')] }] }, '2024-02-01T00:00:00Z')], req: { host: 'shop.example.com', path: '/b', context: 'gateway', gateway: 'istio-system/ingress' }, want: { virtualService: 'default/two', route: { cluster: V2 } } },
  { rule: 'B1 multiple', name: 'gateways merge in age order: the older VS wins an overlap', config: [vs('two', 'default', { hosts: ['shop.example.com'], gateways: ['istio-system/ingress'], http: [{ route: [to('v2')] }] }, '2024-02-01T00:00:00Z'), vs('one', 'default', { hosts: ['shop.example.com'], gateways: ['istio-system/ingress'], http: [{ route: [to('v1')] }] }, '2024-01-01T00:00:00Z')], req: { host: 'shop.example.com', context: 'gateway', gateway: 'istio-system/ingress' }, want: { virtualService: 'default/one', route: { cluster: V1 } } },
  { rule: 'B1 exportTo', name: 'exportTo "." hides the VS from other namespaces', config: [reviewsVs([{ route: [to('v2')] }], { exportTo: ['.'] })], req: { host: 'reviews.default', client: { namespace: 'other' } }, want: { route: { cluster: PLAIN } }, absent: ['virtualService'] },
  { rule: 'B1 exportTo', name: 'exportTo "." is visible in its own namespace', config: [reviewsVs([{ route: [to('v2')] }], { exportTo: ['.'] })], want: { route: { cluster: V2 } } },
  { rule: 'B1 exportTo', name: 'exportTo a named namespace', config: [reviewsVs([{ route: [to('v2')] }], { exportTo: ['other'] })], req: { host: 'reviews.default', client: { namespace: 'other' } }, want: { route: { cluster: V2 } } },
  { rule: 'B1 exportTo', name: 'exportTo "*" (the default) is visible everywhere', config: [reviewsVs([{ route: [to('v2')] }], { exportTo: ['*'] })], req: { host: 'reviews.default', client: { namespace: 'x' } }, want: { route: { cluster: V2 } } },
  // delegation
  { rule: 'B1 delegation', name: 'a root route delegates; the delegate match narrows the root match', config: [reviewsVs([{ match: [{ uri: { prefix: '/reviews' } }], delegate: { name: 'reviews-del', namespace: 'default' } }]), vs('reviews-del', 'default', { http: [{ name: 'v2-only', match: [{ uri: { prefix: '/reviews/v2' } }], route: [to('v2')] }, { name: 'other', route: [to('v1')] }] })], req: { path: '/reviews/v2/1' }, want: { virtualService: 'default/reviews', routeName: 'v2-only', routeIndex: 0, route: { cluster: V2 } } },
  { rule: 'B1 delegation', name: 'a delegate route without match inherits the root match', config: [reviewsVs([{ match: [{ uri: { prefix: '/reviews' } }], delegate: { name: 'reviews-del' } }]), vs('reviews-del', 'default', { http: [{ name: 'all', route: [to('v3')] }] })], req: { path: '/ratings' }, want: { action: 'notFound' } },
  { rule: 'B1 delegation', name: 'the inherited root match still routes its own paths', config: [reviewsVs([{ match: [{ uri: { prefix: '/reviews' } }], delegate: { name: 'reviews-del' } }]), vs('reviews-del', 'default', { http: [{ name: 'all', route: [to('v3')] }] })], req: { path: '/reviews/1' }, want: { routeName: 'all', route: { cluster: V3 } } },
  { rule: 'B1 delegation', name: 'a delegate match that is not a subset of the root match is dropped', config: [reviewsVs([{ match: [{ uri: { prefix: '/reviews' } }], delegate: { name: 'reviews-del' } }]), vs('reviews-del', 'default', { http: [{ match: [{ uri: { prefix: '/other' } }], route: [to('v2')] }] })], req: { path: '/other' }, want: { action: 'route', route: { cluster: PLAIN } }, absent: ['virtualService'], explain: [/not a subset of the root match; dropped/] },
  { rule: 'B1 delegation', name: 'a dropped delegate route leaves the other root routes', config: [reviewsVs([{ match: [{ uri: { prefix: '/reviews' } }], delegate: { name: 'reviews-del' } }, { name: 'last', match: [{ uri: { prefix: '/last' } }], route: [to('v3')] }]), vs('reviews-del', 'default', { http: [{ match: [{ uri: { prefix: '/other' } }], route: [to('v2')] }] })], req: { path: '/other' }, want: notFound },
  { rule: 'B1 delegation', name: 'a missing delegate drops the root route', config: [reviewsVs([{ match: [{ uri: { prefix: '/reviews' } }], delegate: { name: 'nope' } }, { name: 'rest', route: [to('v1')] }])], req: { path: '/reviews' }, want: { routeName: 'rest', route: { cluster: V1 } } },
  { rule: 'B1 delegation', name: 'the root route timeout is inherited by the delegate route', config: [reviewsVs([{ match: [{ uri: { prefix: '/' } }], timeout: '2s', delegate: { name: 'reviews-del' } }]), vs('reviews-del', 'default', { http: [{ route: [to('v1')] }] })], want: { timeout: '2s', route: { cluster: V1 } } },
  { rule: 'B1 delegation', name: 'delegate header matches are merged with the root match', config: [reviewsVs([{ match: [{ headers: { 'end-user': { exact: 'jason' } } }], delegate: { name: 'reviews-del' } }]), vs('reviews-del', 'default', { http: [{ match: [{ uri: { prefix: '/r' } }], route: [to('v2')] }] })], req: { path: '/r', headers: {} }, want: { action: 'notFound' } },
  { rule: 'B1 delegation', name: 'a delegate VS exported elsewhere is not visible to the root', config: [reviewsVs([{ delegate: { name: 'd', namespace: 'team' } }, { name: 'rest', route: [to('v1')] }]), vs('d', 'team', { http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v2' } }] }], exportTo: ['.'] })], want: { routeName: 'rest' } },
  { rule: 'B1 delegation', name: 'a delegate VS in another namespace is used when exported', config: [reviewsVs([{ delegate: { name: 'd', namespace: 'team' } }]), vs('d', 'team', { http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v2' } }] }] })], want: { virtualService: 'default/reviews', route: { cluster: V2 } } },
  { rule: 'B1 delegation', name: 'a delegate VS must not list gateways', config: [vs('d', 'default', { gateways: ['mesh'], http: [{ route: [to('v1')] }] })], errors: [/spec\.gateways: delegate virtual service must have no gateways specified/] },
  { rule: 'B1 delegation', name: 'only one level: a delegate route cannot delegate', config: [vs('d', 'default', { http: [{ delegate: { name: 'e' } }] })], errors: [/spec\.http\[0\]\.delegate: delegate HTTP route cannot contain delegate/] },
  { rule: 'B1 delegation', name: 'a root route has only match + delegate', config: [reviewsVs([{ delegate: { name: 'd' }, route: [to('v1')] }])], errors: [/spec\.http\[0\]\.route: root HTTP route must not specify route/] },
  { rule: 'B1 delegation', name: 'delegate matches cannot use regex', config: [vs('d', 'default', { http: [{ match: [{ uri: { regex: '/a.*' } }], route: [to('v1')] }] })], errors: [/spec\.http\[0\]\.match\[0\]\.uri\.regex: regex match is not supported for delegating/] },
  { rule: 'B1 delegation', name: 'delegate.name is required', config: [reviewsVs([{ delegate: { namespace: 'x' } }])], errors: [/spec\.http\[0\]\.delegate\.name: delegate\.name is required/] },

  // ---- B2.1: config-time filters ----
  { rule: 'B2.1 port', name: 'match.port != request port: the route is omitted', config: probe({ port: 9999 }), want: hitsV1 },
  { rule: 'B2.1 port', name: 'match.port == request port: kept', config: probe({ port: 9080 }), want: hitsV2 },
  { rule: 'B2.1 source', name: 'sourceLabels subset of the client labels: kept', config: probe({ sourceLabels: { app: 'productpage' } }), want: hitsV2 },
  { rule: 'B2.1 source', name: 'sourceLabels not on the client: omitted', config: probe({ sourceLabels: { app: 'productpage', version: 'v9' } }), want: hitsV1 },
  { rule: 'B2.1 source', name: 'sourceNamespace equal to the client namespace: kept', config: probe({ sourceNamespace: 'default' }), want: hitsV2 },
  { rule: 'B2.1 source', name: 'sourceNamespace different: omitted', config: probe({ sourceNamespace: 'prod' }), want: hitsV1 },
  { rule: 'B2.1 gateways', name: 'match.gateways includes mesh: kept and sourceLabels are not checked', config: probe({ gateways: ['mesh'], sourceLabels: { app: 'nope' } }), want: hitsV2 },
  { rule: 'B2.1 gateways', name: 'match.gateways without mesh: omitted for mesh proxies', config: probe({ gateways: ['istio-system/ingress'] }), want: hitsV1 },
  { rule: 'B2.1 all filtered', name: 'every route filtered out: default route, not 404', config: only({ sourceLabels: { app: 'nope' } }), want: { action: 'route', route: { cluster: PLAIN }, retries: DEFAULT_RETRIES, timeout: '0s' }, absent: ['virtualService'], explain: [/every route was filtered out/] },
  { rule: 'B2.1 all filtered', name: 'some route kept but none matches: 404', config: only({ uri: { prefix: '/x' }, sourceNamespace: 'default' }), req: { path: '/y' }, want: notFound },

  // ---- B2.2: request-time match ----
  { rule: 'B2.2 uri', name: 'exact compares the path without the query', config: probe({ uri: { exact: '/a' } }), req: { path: '/a?x=1' }, want: hitsV2 },
  { rule: 'B2.2 uri', name: 'exact does not match a longer path', config: probe({ uri: { exact: '/a' } }), req: { path: '/a/b' }, want: hitsV1 },
  { rule: 'B2.2 uri', name: 'prefix is a plain string prefix (/foo matches /foobar)', config: probe({ uri: { prefix: '/foo' } }), req: { path: '/foobar' }, want: hitsV2 },
  { rule: 'B2.2 uri', name: 'prefix mismatch', config: probe({ uri: { prefix: '/foo' } }), req: { path: '/fo' }, want: hitsV1 },
  { rule: 'B2.2 uri', name: 'regex is a full match', config: probe({ uri: { regex: '/reviews/\\d+' } }), req: { path: '/reviews/12' }, want: hitsV2 },
  { rule: 'B2.2 uri', name: 'regex is not a search (trailing text)', config: probe({ uri: { regex: '/reviews/\\d+' } }), req: { path: '/reviews/12/x' }, want: hitsV1 },
  { rule: 'B2.2 uri', name: 'regex is not a search (leading text)', config: probe({ uri: { regex: '/reviews/\\d+' } }), req: { path: '/x/reviews/12' }, want: hitsV1 },
  { rule: 'B2.2 uri', name: 'regex ignores the query string', config: probe({ uri: { regex: '/reviews/\\d+' } }), req: { path: '/reviews/12?a=b' }, want: hitsV2 },
  { rule: 'B2.2 uri', name: 'ignoreUriCase makes exact case-insensitive', config: probe({ uri: { exact: '/Login' }, ignoreUriCase: true }), req: { path: '/LOGIN' }, want: hitsV2 },
  { rule: 'B2.2 uri', name: 'ignoreUriCase makes prefix case-insensitive', config: probe({ uri: { prefix: '/API' }, ignoreUriCase: true }), req: { path: '/api/v1' }, want: hitsV2 },
  { rule: 'B2.2 uri', name: 'without ignoreUriCase exact is case-sensitive', config: probe({ uri: { exact: '/Login' } }), req: { path: '/login' }, want: hitsV1 },
  { rule: 'B2.2 uri', name: 'ignoreUriCase does not apply to regex', config: probe({ uri: { regex: '/login' }, ignoreUriCase: true }), req: { path: '/LOGIN' }, want: hitsV1 },
  { rule: 'B2.2 uri', name: 'no uri means prefix /', config: probe({ method: { exact: 'GET' } }), req: { path: '/anything' }, want: hitsV2 },
  { rule: 'B2.2 headers', name: 'exact value is case-sensitive', config: probe({ headers: { 'end-user': { exact: 'jason' } } }), req: { headers: { 'end-user': 'Jason' } }, want: hitsV1 },
  { rule: 'B2.2 headers', name: 'exact value matches', config: probe({ headers: { 'end-user': { exact: 'jason' } } }), req: { headers: { 'end-user': 'jason' } }, want: hitsV2 },
  { rule: 'B2.2 headers', name: 'header names are case-insensitive', config: probe({ headers: { 'End-User': { exact: 'jason' } } }), req: { headers: { 'END-USER': 'jason' } }, want: hitsV2 },
  { rule: 'B2.2 headers', name: 'prefix', config: probe({ headers: { 'user-agent': { prefix: 'Mozilla' } } }), req: { headers: { 'user-agent': 'Mozilla/5.0' } }, want: hitsV2 },
  { rule: 'B2.2 headers', name: 'regex is a full match', config: probe({ headers: { 'x-id': { regex: '[0-9]+' } } }), req: { headers: { 'x-id': 'a123' } }, want: hitsV1 },
  { rule: 'B2.2 headers', name: 'regex full match succeeds', config: probe({ headers: { 'x-id': { regex: '[0-9]+' } } }), req: { headers: { 'x-id': '123' } }, want: hitsV2 },
  { rule: 'B2.2 headers', name: '{} means presence', config: probe({ headers: { 'x-canary': {} } }), req: { headers: { 'x-canary': '' } }, want: hitsV2 },
  { rule: 'B2.2 headers', name: 'regex "*" means presence', config: probe({ headers: { 'x-canary': { regex: '*' } } }), req: { headers: { 'x-canary': 'anything' } }, want: hitsV2 },
  { rule: 'B2.2 headers', name: 'a missing header does not match', config: probe({ headers: { 'x-canary': {} } }), want: hitsV1 },
  { rule: 'B2.2 headers', name: 'repeated header values are joined with ","', config: probe({ headers: { 'x-a': { exact: '1,2' } } }), req: { headers: { 'x-a': ['1', '2'] } }, want: hitsV2 },
  { rule: 'B2.2 headers', name: 'pseudo header :method is accepted', config: probe({ headers: { ':method': { exact: 'POST' } } }), req: { method: 'POST' }, want: hitsV2 },
  { rule: 'B2.2 headers', name: '@request.auth.claims.<c> matches a JWT claim', config: probe({ headers: { '@request.auth.claims.groups': { exact: 'admin' } } }), req: { claims: { groups: 'admin' } }, want: hitsV2 },
  { rule: 'B2.2 headers', name: '@request.auth.claims[c] form', config: probe({ headers: { '@request.auth.claims[sub]': { prefix: 'user-' } } }), req: { claims: { sub: 'user-1' } }, want: hitsV2 },
  { rule: 'B2.2 headers', name: 'the key "method" is a literal header matcher, not :method', config: probe({ headers: { method: { exact: 'POST' } } }), req: { method: 'POST' }, want: hitsV1 },
  { rule: 'B2.2 headers', name: 'the key "authority" matches a literal "authority" header', config: probe({ headers: { authority: { exact: 'x' } } }), req: { headers: { authority: 'x' } }, want: hitsV2 },
  { rule: 'B2.2 method', name: 'method exact', config: probe({ method: { exact: 'POST' } }), req: { method: 'POST' }, want: hitsV2 },
  { rule: 'B2.2 method', name: 'method mismatch', config: probe({ method: { exact: 'POST' } }), want: hitsV1 },
  { rule: 'B2.2 authority', name: 'authority compares :authority as received (with port)', config: probe({ authority: { exact: 'reviews:9080' } }), want: hitsV2 },
  { rule: 'B2.2 authority', name: 'authority prefix', config: probe({ authority: { prefix: 'rev' } }), want: hitsV2 },
  { rule: 'B2.2 scheme', name: 'scheme exact', config: probe({ scheme: { exact: 'https' } }), req: { scheme: 'https' }, want: hitsV2 },
  { rule: 'B2.2 scheme', name: 'scheme mismatch', config: probe({ scheme: { exact: 'https' } }), want: hitsV1 },
  { rule: 'B2.2 queryParams', name: 'exact', config: probe({ queryParams: { v: { exact: '2' } } }), req: { path: '/?v=2' }, want: hitsV2 },
  { rule: 'B2.2 queryParams', name: 'exact "" matches ?k with an empty value', config: probe({ queryParams: { debug: { exact: '' } } }), req: { path: '/?debug' }, want: hitsV2 },
  { rule: 'B2.2 queryParams', name: 'prefix', config: probe({ queryParams: { v: { prefix: 'be' } } }), req: { path: '/?v=beta' }, want: hitsV2 },
  { rule: 'B2.2 queryParams', name: 'regex \\d+$ matches 123 (full match)', config: probe({ queryParams: { id: { regex: '\\d+$' } } }), req: { path: '/?id=123' }, want: hitsV2 },
  { rule: 'B2.2 queryParams', name: 'regex \\d+$ does not match a123', config: probe({ queryParams: { id: { regex: '\\d+$' } } }), req: { path: '/?id=a123' }, want: hitsV1 },
  { rule: 'B2.2 queryParams', name: '{} means present', config: probe({ queryParams: { id: {} } }), req: { path: '/?x=1&id=' }, want: hitsV2 },
  { rule: 'B2.2 queryParams', name: 'regex "*" means present; absent does not match', config: probe({ queryParams: { id: { regex: '*' } } }), req: { path: '/?x=1' }, want: hitsV1 },
  { rule: 'B2.2 withoutHeaders', name: 'exact jason matches when the header is absent', config: probe({ withoutHeaders: { 'end-user': { exact: 'jason' } } }), want: hitsV2 },
  { rule: 'B2.2 withoutHeaders', name: 'exact jason does not match jason', config: probe({ withoutHeaders: { 'end-user': { exact: 'jason' } } }), req: { headers: { 'end-user': 'jason' } }, want: hitsV1 },
  { rule: 'B2.2 withoutHeaders', name: 'exact jason matches another user', config: probe({ withoutHeaders: { 'end-user': { exact: 'jason' } } }), req: { headers: { 'end-user': 'bob' } }, want: hitsV2 },
  { rule: 'B2.2 withoutHeaders', name: 'regex ".*" never matches, even when absent (missing = "")', config: probe({ withoutHeaders: { 'end-user': { regex: '.*' } } }), want: hitsV1 },
  { rule: 'B2.2 withoutHeaders', name: 'presence: matches when absent', config: probe({ withoutHeaders: { 'x-canary': { regex: '*' } } }), want: hitsV2 },
  { rule: 'B2.2 withoutHeaders', name: 'presence: does not match when present', config: probe({ withoutHeaders: { 'x-canary': {} } }), req: { headers: { 'x-canary': '1' } }, want: hitsV1 },
  { rule: 'B2.2 and/or', name: 'conditions in one match entry are ANDed', config: probe({ uri: { prefix: '/a' }, method: { exact: 'POST' } }), req: { path: '/a', method: 'GET' }, want: hitsV1 },
  { rule: 'B2.2 and/or', name: 'match entries are ORed', config: [reviewsVs([{ name: 'probe', match: [{ uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }], route: [to('v2')] }, { name: 'rest', route: [to('v1')] }])], req: { path: '/b' }, want: hitsV2, check: (t, d) => t.equal(d.matchIndex, 1) },
  { rule: 'B2.2 first match', name: 'the first matching route wins', config: [reviewsVs([{ name: 'first', match: [{ uri: { prefix: '/' } }, { headers: { a: {} } }], route: [to('v3')] }, { name: 'second', match: [{ uri: { prefix: '/a' } }], route: [to('v2')] }])], req: { path: '/a' }, want: { routeName: 'first', routeIndex: 0, route: { cluster: V3 } } },
  { rule: 'B2.3 catch-all', name: 'a route without match is a catch-all; later routes are never reached', config: [reviewsVs([{ name: 'all', route: [to('v1')] }, { name: 'never', match: [{ uri: { exact: '/x' } }], route: [to('v2')] }])], req: { path: '/x' }, want: { routeName: 'all', route: { cluster: V1 } }, explain: [/route 0 "all": matched \(no match conditions: catch-all\); first match wins, 1 later route not evaluated/] },
  { rule: 'B2.3 catch-all', name: 'prefix / is a catch-all', config: [reviewsVs([{ name: 'all', match: [{ uri: { prefix: '/' } }], route: [to('v1')] }, { name: 'never', route: [to('v2')] }])], req: { path: '/x' }, want: { routeName: 'all' }, explain: [/catch-all/] },
  { rule: 'B2.3 catch-all', name: 'regex .* is a catch-all', config: [reviewsVs([{ name: 'all', match: [{ uri: { regex: '.*' } }], route: [to('v1')] }, { name: 'never', route: [to('v2')] }])], want: { routeName: 'all' }, explain: [/catch-all/] },
  { rule: 'B2.3 catch-all', name: 'prefix / with a header condition is not a catch-all', config: [reviewsVs([{ name: 'hdr', match: [{ uri: { prefix: '/' }, headers: { a: {} } }], route: [to('v1')] }, { name: 'next', route: [to('v2')] }])], want: { routeName: 'next' } },
  { rule: 'B2.4 404', name: 'a VS applies but nothing matches: 404', config: only({ uri: { prefix: '/only' } }), req: { path: '/other' }, want: notFound, explain: [/route 0 "only": no match: uri prefix "\/only" does not match "\/other"/, /404/] },
  { rule: 'B2.5 default', name: 'no VS: default route, default retries, no timeout', want: { action: 'route', route: { cluster: PLAIN, path: '/', authority: 'reviews:9080' }, timeout: '0s', retries: DEFAULT_RETRIES, endpoints: ['reviews-v1-7d8f', 'reviews-v2-5b6c', 'reviews-v3-9a1e'] }, absent: ['virtualService', 'routeIndex'] },
  { rule: 'B2.5 default', name: 'no VS, service without endpoints: 503 no healthy upstream', req: { host: 'empty', port: 80 }, want: { action: 'unavailable', route: { cluster: C(80, '', 'empty.default.svc.cluster.local') }, reason: /no healthy upstream/ } },
  { rule: 'B3 unknown host', name: 'unknown host without a VS: 503', req: { host: 'nope' }, want: { action: 'unavailable', status: 503, route: { cluster: 'outbound|9080||nope' } } },
  { rule: 'B3 unknown host', name: 'a port the service does not have: 503', req: { port: 1234 }, want: { action: 'unavailable', route: { cluster: C(1234, '', REVIEWS) } } },

  // ---- B3 validation: actions ----
  { rule: 'B3 conflicts', name: 'redirect + route', config: [reviewsVs([{ redirect: { uri: '/x' }, route: [to('v1')] }])], errors: [/spec\.http\[0\]: HTTP route cannot contain both route and redirect/] },
  { rule: 'B3 conflicts', name: 'redirect + fault', config: [reviewsVs([{ redirect: { uri: '/x' }, fault: { abort: { httpStatus: 500, percentage: { value: 1 } } } }])], errors: [/cannot contain both fault and redirect/] },
  { rule: 'B3 conflicts', name: 'redirect + rewrite', config: [reviewsVs([{ redirect: { uri: '/x' }, rewrite: { uri: '/y' } }])], errors: [/cannot contain both rewrite and redirect/] },
  { rule: 'B3 conflicts', name: 'redirect + directResponse', config: [reviewsVs([{ redirect: { uri: '/x' }, directResponse: { status: 200 } }])], errors: [/cannot contain both redirect and directResponse/] },
  { rule: 'B3 conflicts', name: 'directResponse + route', config: [reviewsVs([{ directResponse: { status: 200 }, route: [to('v1')] }])], errors: [/cannot contain both route and directResponse/] },
  { rule: 'B3 conflicts', name: 'directResponse + fault', config: [reviewsVs([{ directResponse: { status: 200 }, fault: { delay: { fixedDelay: '1s', percentage: { value: 1 } } } }])], errors: [/cannot contain both fault and directResponse/] },
  { rule: 'B3 conflicts', name: 'directResponse + rewrite', config: [reviewsVs([{ directResponse: { status: 200 }, rewrite: { uri: '/' } }])], errors: [/cannot contain both rewrite and directResponse/] },
  { rule: 'B3 conflicts', name: 'a route needs route, redirect or directResponse', config: [reviewsVs([{ name: 'x', timeout: '1s' }])], errors: [/spec\.http\[0\]: HTTP route, redirect or directResponse is required/] },
  { rule: 'B3 conflicts', name: 'mirror and mirrors together', config: [reviewsVs([{ route: [to('v1')], mirror: { host: 'httpbin' }, mirrors: [{ destination: { host: 'httpbin' } }] }])], errors: [/cannot contain both mirror and mirrors/] },
  { rule: 'B3 conflicts', name: 'redirect uri and prefixRewrite are exclusive', config: [reviewsVs([{ match: [{ uri: { prefix: '/a' } }], redirect: { uri: '/x', prefixRewrite: '/y' } }])], errors: [/uri and prefixRewrite are mutually exclusive/] },
  { rule: 'B3 conflicts', name: 'prefixRewrite requires prefix uri matches', config: [reviewsVs([{ match: [{ uri: { exact: '/a' } }], redirect: { prefixRewrite: '/y' } }])], errors: [/spec\.http\[0\]\.match\[0\]\.uri: redirect\.prefixRewrite requires every uri match to be a prefix match/] },
  { rule: 'B3 weights', name: 'negative weight', config: [reviewsVs([{ route: [to('v1', { weight: -1 }), to('v2', { weight: 2 })] }])], errors: [/spec\.http\[0\]\.route\[0\]\.weight: weight -1 < 0/] },
  { rule: 'B3 weights', name: 'total weight 0 with several destinations', config: [reviewsVs([{ route: [to('v1', { weight: 0 }), to('v2', { weight: 0 })] }])], errors: [/spec\.http\[0\]\.route: total destination weight = 0/] },
  { rule: 'B3 regex', name: 'lookahead is rejected (RE2 has none)', config: probe({ uri: { regex: '/a(?=b)' } }), errors: [/uri\.regex: "\/a\(\?=b\)" is not a supported RE2 regex: lookahead/] },
  { rule: 'B3 regex', name: 'backreferences are rejected', config: probe({ headers: { x: { regex: '(a)\\1' } } }), errors: [/headers\[x\]\.regex: .*backreference/] },
  { rule: 'B3 regex', name: '"*" is not a uri regex', config: probe({ uri: { regex: '*' } }), errors: [/uri\.regex: "\*" is not a supported RE2 regex/] },
  { rule: 'B3 regex', name: 'empty regex', config: probe({ uri: { regex: '' } }), errors: [/regex string match should not be empty/] },
  { rule: 'B3 validation', name: 'redirect code 305 is invalid', config: [reviewsVs([{ redirect: { uri: '/x', redirectCode: 305 } }])], errors: [/redirectCode: 305 is not a valid redirect code/] },
  { rule: 'B3 validation', name: 'abort status out of range', config: [reviewsVs([{ route: [to('v1')], fault: { abort: { httpStatus: 700, percentage: { value: 1 } } } }])], errors: [/fault\.abort\.httpStatus: invalid abort http status 700/] },
  { rule: 'B3 validation', name: 'percentage above 100', config: [reviewsVs([{ route: [to('v1')], fault: { delay: { fixedDelay: '1s', percentage: { value: 101 } } } }])], errors: [/fault\.delay\.percentage\.value: percentage 101 must be in \[0, 100\]/] },
  { rule: 'B3 validation', name: 'unknown retryOn policy', config: [reviewsVs([{ route: [to('v1')], retries: { attempts: 1, retryOn: 'some,5xx' } }])], errors: [/retries\.retryOn: "some" is not a valid retryOn policy/] },
  { rule: 'B3 validation', name: 'invalid duration', config: [reviewsVs([{ route: [to('v1')], timeout: 'soon' }])], errors: [/spec\.http\[0\]\.timeout: invalid duration "soon"/] },
  { rule: 'B3 validation', name: 'authority set twice at route level', config: [reviewsVs([{ route: [to('v1')], rewrite: { authority: 'a' }, headers: { request: { set: { host: 'b' } } } }])], errors: [/authority header cannot be set multiple times/] },
  { rule: 'B3 validation', name: 'wildcard * host bound to mesh', config: [vs('w', 'default', { hosts: ['*'], http: [{ route: [to('v1')] }] })], errors: [/spec\.hosts: wildcard host \* is not allowed/] },
  { rule: 'B3 validation', name: 'every problem in one pass, with field paths', config: [reviewsVs([{ route: [to('v1', { weight: -5 })], timeout: 'x', match: [{ uri: { regex: '(?!a)' } }] }, { redirect: { redirectCode: 399 } }])], errors: [/spec\.http\[0\]\.route\[0\]\.weight/, /spec\.http\[0\]\.timeout/, /spec\.http\[0\]\.match\[0\]\.uri\.regex/, /spec\.http\[1\]\.redirect\.redirectCode/, /spec\.http\[1\]\.redirect: redirect must specify/] },

  // ---- B3 destinations, weights, subsets ----
  { rule: 'B3 cluster', name: 'cluster name outbound|port|subset|fqdn', config: [reviewsVs([{ route: [to('v1')] }])], want: { route: { cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local' } } },
  { rule: 'B3 port', name: 'destination.port.number wins', config: [reviewsVs([{ route: [{ destination: { host: 'multi', port: { number: 8080 } } }] }])], want: { route: { cluster: C(8080, '', 'multi.default.svc.cluster.local') } } },
  { rule: 'B3 port', name: 'a single-port service: that port', config: [reviewsVs([{ route: [{ destination: { host: 'httpbin' } }] }])], want: { route: { cluster: C(8000, '', 'httpbin.default.svc.cluster.local') } } },
  { rule: 'B3 port', name: 'several ports: the port the request arrived on', config: [vs('m', 'default', { hosts: ['multi'], http: [{ route: [{ destination: { host: 'multi' } }] }] })], req: { host: 'multi', port: 8080 }, want: { route: { cluster: C(8080, '', 'multi.default.svc.cluster.local') } } },
  { rule: 'B3 weights', name: 'weights are relative (1:3)', config: [reviewsVs([{ route: [to('v1', { weight: 1 }), to('v2', { weight: 3 })] }])], want: { action: 'weighted', weighted: [{ cluster: V1, weight: 1 }, { cluster: V2, weight: 3 }] } },
  { rule: 'B3 weights', name: 'weight 0 destinations are dropped', config: [reviewsVs([{ route: [to('v1', { weight: 50 }), to('v2', { weight: 0 }), to('v3', { weight: 50 })] }])], check: (t, d) => t.same(d.weighted, [{ cluster: V1, weight: 50 }, { cluster: V3, weight: 50 }]) },
  { rule: 'B3 weights', name: 'one non-zero weight left: a single route', config: [reviewsVs([{ route: [to('v1', { weight: 100 }), to('v2', { weight: 0 })] }])], want: { action: 'route', route: { cluster: V1 } }, absent: ['weighted'] },
  { rule: 'B3 weights', name: 'a single destination gets 100% whatever its weight', config: [reviewsVs([{ route: [to('v2', { weight: 7 })] }])], want: { action: 'route', route: { cluster: V2 } }, absent: ['weighted'] },
  { rule: 'B3 weights', name: 'sums other than 100 are valid', config: [reviewsVs([{ route: [to('v1', { weight: 30 }), to('v2', { weight: 30 })] }])], want: { action: 'weighted' } },
  { rule: 'B3 subsets', name: 'DestinationRule in the client namespace wins', noDr: true, config: [REVIEWS_DR, dr('client-view', 'client', { host: 'reviews.default.svc.cluster.local', subsets: [{ name: 'v1', labels: { version: 'v3' } }] }), reviewsVs([{ route: [to('v1')] }])], req: { host: 'reviews.default', client: { namespace: 'client' } }, want: { route: { cluster: V1 }, endpoints: ['reviews-v3-9a1e'] } },
  { rule: 'B3 subsets', name: 'then the service namespace', noDr: true, config: [REVIEWS_DR, reviewsVs([{ route: [to('v1')] }])], req: { host: 'reviews.default', client: { namespace: 'client' } }, want: { endpoints: ['reviews-v1-7d8f'] } },
  { rule: 'B3 subsets', name: 'then the root namespace', noDr: true, config: [dr('root', 'istio-system', { host: '*.default.svc.cluster.local', subsets: [{ name: 'v1', labels: { version: 'v2' } }] }), reviewsVs([{ route: [to('v1')] }])], want: { action: 'route', endpoints: ['reviews-v2-5b6c'] } },
  { rule: 'B3 subsets', name: 'the most specific host wins within a namespace', noDr: true, config: [dr('wild', 'default', { host: '*.default.svc.cluster.local', subsets: [{ name: 'v1', labels: { version: 'v3' } }] }), REVIEWS_DR, reviewsVs([{ route: [to('v1')] }])], want: { endpoints: ['reviews-v1-7d8f'] } },
  { rule: 'B3 subsets', name: 'subset endpoints are the service endpoints whose labels include the subset labels', config: [reviewsVs([{ route: [to('v2')] }])], want: { endpoints: ['reviews-v2-5b6c'] } },
  { rule: 'B3 subsets', name: 'an undefined subset: 503, route.cluster names the missing cluster', config: [reviewsVs([{ route: [to('v9')] }])], want: { action: 'unavailable', status: 503, route: { cluster: C(9080, 'v9', REVIEWS), path: '/' }, reason: /subset v9 is not defined/ } },
  { rule: 'B3 subsets', name: 'a subset without any DestinationRule: 503', noDr: true, config: [reviewsVs([{ route: [to('v1')] }])], want: { action: 'unavailable', route: { cluster: V1 }, reason: /no DestinationRule/ } },
  { rule: 'B3 subsets', name: 'a subset with no matching endpoints: 503 no healthy upstream', noDr: true, config: [dr('r', 'default', { host: 'reviews', subsets: [{ name: 'v4', labels: { version: 'v4' } }] }), reviewsVs([{ route: [to('v4')] }])], want: { action: 'unavailable', route: { cluster: C(9080, 'v4', REVIEWS) }, reason: /no healthy upstream/, endpoints: [] } },
  { rule: 'B3 subsets', name: 'a destination host not in the registry: 503', config: [reviewsVs([{ route: [{ destination: { host: 'ghost' } }] }])], want: { action: 'unavailable', route: { cluster: 'outbound|9080||ghost.default.svc.cluster.local' }, reason: /not in the service registry/ } },
  { rule: 'B3 traffic policy', name: 'subset policy overrides the DR-level load balancer', noDr: true, config: [dr('r', 'default', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } }] }), reviewsVs([{ route: [to('v2')] }])], check: (t, d) => t.equal(d.lbPolicy, 'ROUND_ROBIN') },
  { rule: 'B3 traffic policy', name: 'a subset without its own policy inherits the DR-level one', noDr: true, config: [dr('r', 'default', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }] }), reviewsVs([{ route: [to('v1')] }])], check: (t, d) => t.equal(d.lbPolicy, 'RANDOM') },
  { rule: 'B3 traffic policy', name: 'portLevelSettings replace the DR-level settings without inheriting', noDr: true, config: [dr('r', 'default', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' }, portLevelSettings: [{ port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 1 } } }] } })], check: (t, d) => t.equal(d.lbPolicy, 'LEAST_REQUEST') },
  { rule: 'B3 traffic policy', name: 'the default load balancer is LEAST_REQUEST', check: (t, d) => t.equal(d.lbPolicy, 'LEAST_REQUEST') },

  // ---- B3 rewrite ----
  { rule: 'B3 rewrite', name: 'uri replaces the matched prefix; query kept', config: [reviewsVs([{ match: [{ uri: { prefix: '/reviews' } }], rewrite: { uri: '/v1' }, route: [to('v1')] }])], req: { path: '/reviews/0?x=1' }, want: { route: { path: '/v1/0?x=1' } } },
  { rule: 'B3 rewrite', name: 'an exact match replaces the whole path; query kept', config: [reviewsVs([{ match: [{ uri: { exact: '/old' } }], rewrite: { uri: '/new' }, route: [to('v1')] }])], req: { path: '/old?q=2' }, want: { route: { path: '/new?q=2' } } },
  { rule: 'B3 rewrite', name: 'catch-all prefix / with rewrite /x/: /headers -> /x/headers', config: [reviewsVs([{ rewrite: { uri: '/x/' }, route: [to('v1')] }])], req: { path: '/headers' }, want: { route: { path: '/x/headers' } } },
  { rule: 'B3 rewrite', name: 'catch-all prefix / with rewrite /x: /headers -> /xheaders', config: [reviewsVs([{ match: [{ uri: { prefix: '/' } }], rewrite: { uri: '/x' }, route: [to('v1')] }])], req: { path: '/headers' }, want: { route: { path: '/xheaders' } } },
  { rule: 'B3 rewrite', name: 'prefix /foo with rewrite /: /foo/bar -> //bar', config: [reviewsVs([{ match: [{ uri: { prefix: '/foo' } }], rewrite: { uri: '/' }, route: [to('v1')] }])], req: { path: '/foo/bar' }, want: { route: { path: '//bar' } } },
  { rule: 'B3 rewrite', name: 'uriRegexRewrite with capture groups (\\1)', config: [reviewsVs([{ rewrite: { uriRegexRewrite: { match: '^/service/([^/]+)(/.*)$', rewrite: '\\2/instance/\\1' } }, route: [to('v1')] }])], req: { path: '/service/foo/v1/api?x=1' }, want: { route: { path: '/v1/api/instance/foo?x=1' } } },
  { rule: 'B3 rewrite', name: 'rewrite.authority sets :authority', config: [reviewsVs([{ rewrite: { authority: 'reviews.internal' }, route: [to('v1')] }])], want: { route: { authority: 'reviews.internal' } } },
  { rule: 'B3 rewrite', name: 'route-level headers.request.set[:authority] rewrites the authority', config: [reviewsVs([{ headers: { request: { set: { ':authority': 'a.example' } } }, route: [to('v1')] }])], want: { route: { authority: 'a.example' } } },
  { rule: 'B3 rewrite', name: 'destination-level Host set applies when no route-level authority', config: [reviewsVs([{ route: [to('v1', { headers: { request: { set: { host: 'dest.example' } } } })] }])], want: { route: { authority: 'dest.example' } } },
  { rule: 'B3 rewrite', name: 'a route-level authority wins over the destination level', config: [reviewsVs([{ rewrite: { authority: 'route.example' }, route: [to('v1', { headers: { request: { set: { host: 'dest.example' } } } })] }])], want: { route: { authority: 'route.example' } } },
  { rule: 'B3 rewrite', name: 'weighted destinations set the authority per cluster', config: [reviewsVs([{ route: [to('v1', { weight: 1, headers: { request: { set: { host: 'one.example' } } } }), to('v2', { weight: 0 }), to('v3', { weight: 0 })] }])], want: { route: { authority: 'one.example' } } },

  // ---- B3 redirect ----
  { rule: 'B3 redirect', name: '301 by default; uri replaces the whole path; query kept', config: redirectVs({ uri: '/new' }), req: { host: 'b.example.com', port: 80, path: '/old?a=1' }, want: { action: 'redirect', redirect: { status: 301, location: 'http://b.example.com/new?a=1' } }, absent: ['route', 'retries'] },
  { rule: 'B3 redirect', name: 'redirectCode 302', config: redirectVs({ uri: '/new', redirectCode: 302 }), req: { host: 'b.example.com', port: 80 }, want: { redirect: { status: 302 } } },
  { rule: 'B3 redirect', name: 'redirectCode 308', config: redirectVs({ uri: '/new', redirectCode: 308 }), req: { host: 'b.example.com', port: 80 }, want: { redirect: { status: 308 } } },
  { rule: 'B3 redirect', name: 'FROM_REQUEST_PORT on 80 with http drops the port', config: redirectVs({ uri: '/foo', derivePort: 'FROM_REQUEST_PORT' }), req: { host: 'b.example.com', port: 80 }, want: { redirect: { location: 'http://b.example.com/foo' } } },
  { rule: 'B3 redirect', name: 'Host b:80 as received is kept', config: redirectVs({ uri: '/foo' }), req: { host: 'b.example.com:80', port: 80 }, want: { redirect: { location: 'http://b.example.com:80/foo' } } },
  { rule: 'B3 redirect', name: 'FROM_REQUEST_PORT on 85 keeps :85', config: redirectVs({ uri: '/foo', derivePort: 'FROM_REQUEST_PORT' }), req: { host: 'b.example.com', port: 85 }, want: { redirect: { location: 'http://b.example.com:85/foo' } } },
  { rule: 'B3 redirect', name: 'scheme https with FROM_REQUEST_PORT on 80 keeps :80', config: redirectVs({ uri: '/foo', scheme: 'https', derivePort: 'FROM_REQUEST_PORT' }), req: { host: 'b.example.com', port: 80 }, want: { redirect: { location: 'https://b.example.com:80/foo' } } },
  { rule: 'B3 redirect', name: 'port 443 with https is dropped', config: redirectVs({ scheme: 'https', port: 443 }), req: { host: 'b.example.com', port: 80, path: '/p' }, want: { redirect: { location: 'https://b.example.com/p' } } },
  { rule: 'B3 redirect', name: 'FROM_PROTOCOL_DEFAULT sets no port', config: redirectVs({ scheme: 'https', derivePort: 'FROM_PROTOCOL_DEFAULT' }), req: { host: 'b.example.com', port: 80, path: '/p' }, want: { redirect: { location: 'https://b.example.com/p' } } },
  { rule: 'B3 redirect', name: 'authority replaces the host', config: redirectVs({ authority: 'c.example.com' }), req: { host: 'b.example.com', port: 80, path: '/p?q' }, want: { redirect: { location: 'http://c.example.com/p?q' } } },
  { rule: 'B3 redirect', name: 'prefixRewrite replaces the matched prefix', config: redirectVs({ prefixRewrite: '/v2' }, [{ uri: { prefix: '/v1' } }]), req: { host: 'b.example.com', port: 80, path: '/v1/items?x=1' }, want: { redirect: { location: 'http://b.example.com/v2/items?x=1' } } },

  // ---- B3 direct response ----
  { rule: 'B3 directResponse', name: 'status and body string', config: [reviewsVs([{ directResponse: { status: 503, body: { string: 'down' } } }])], want: { action: 'directResponse', directResponse: { status: 503, body: 'down' }, timeout: '0s' }, absent: ['route', 'retries'] },
  { rule: 'B3 directResponse', name: 'body bytes (base64)', config: [reviewsVs([{ directResponse: { status: 200, body: { bytes: Buffer.from('hi').toString('base64') } } }])], want: { directResponse: { status: 200, body: 'hi' } } },
  { rule: 'B3 directResponse', name: 'route-level response headers still apply', config: [reviewsVs([{ directResponse: { status: 200 }, headers: { response: { set: { 'x-a': '1' } } } }])], check: (t, d) => t.same(d.responseHeaders, { set: [['x-a', '1']], add: [], remove: [] }) },

  // ---- B3 headers ----
  { rule: 'B3 headers', name: 'route-level first, then destination-level', config: [reviewsVs([{ headers: { request: { set: { 'x-a': '1' }, add: { 'x-b': '2' }, remove: ['x-c'] } }, route: [to('v1', { headers: { request: { set: { 'x-d': '4' } } } })] }])], check: (t, d) => t.same(d.requestHeaders, { set: [['x-a', '1'], ['x-d', '4']], add: [['x-b', '2']], remove: ['x-c'] }) },
  { rule: 'B3 headers', name: 'keys starting with ":" and host are dropped (except the authority rewrite)', config: [reviewsVs([{ headers: { request: { set: { ':path': '/x', 'x-ok': 'y' }, remove: ['host'] } }, route: [to('v1')] }])], check: (t, d) => t.same(d.requestHeaders, { set: [['x-ok', 'y']], add: [], remove: [] }) },

  // ---- B3 timeouts ----
  { rule: 'B3 timeout', name: 'default is disabled (0s)', config: [reviewsVs([{ route: [to('v1')] }])], want: { timeout: '0s' } },
  { rule: 'B3 timeout', name: 'Go-style 1.5s', config: [reviewsVs([{ route: [to('v1')], timeout: '1.5s' }])], want: { timeout: '1.5s' } },
  { rule: 'B3 timeout', name: 'Go-style 100ms', config: [reviewsVs([{ route: [to('v1')], timeout: '0.1s' }])], want: { timeout: '100ms' } },

  { rule: 'B3 timeout', name: 'the client header x-envoy-upstream-rq-timeout-ms overrides the route timeout', config: [reviewsVs([{ route: [to('v1')], timeout: '10s' }])], req: { headers: { 'x-envoy-upstream-rq-timeout-ms': '250' } }, want: { timeout: '250ms' } },

  // ---- B3 CORS ----
  { rule: 'B3 cors', name: 'corsPolicy is translated (methods joined, maxAge in seconds, FORWARD default) and the Origin checked', config: [reviewsVs([{ route: [to('v1')], corsPolicy: { allowOrigins: [{ exact: 'https://a.example' }, { regex: 'https://.*\\.b\\.example' }], allowMethods: ['GET', 'POST'], allowHeaders: ['x-a', 'x-b'], exposeHeaders: ['x-c'], maxAge: '24h', allowCredentials: true } }])], req: { headers: { origin: 'https://x.b.example' } }, check: (t, d) => t.match(d.cors, { allowMethods: 'GET,POST', allowHeaders: 'x-a,x-b', exposeHeaders: 'x-c', maxAge: '86400', allowCredentials: true, unmatchedPreflights: 'FORWARD', originAllowed: true }) },
  { rule: 'B3 cors', name: 'an Origin outside allowOrigins is not allowed; IGNORE is kept', config: [reviewsVs([{ route: [to('v1')], corsPolicy: { allowOrigins: [{ prefix: 'https://a.' }], unmatchedPreflights: 'IGNORE' } }])], req: { headers: { origin: 'https://evil.example' } }, check: (t, d) => t.match(d.cors, { originAllowed: false, unmatchedPreflights: 'IGNORE' }) },
  { rule: 'B3 cors', name: 'maxAge must be whole seconds; methods must be upper case', config: [reviewsVs([{ route: [to('v1')], corsPolicy: { maxAge: '1.5s', allowMethods: ['get'] } }])], errors: [/corsPolicy\.maxAge: max_age duration is accurate only to seconds precision/, /corsPolicy\.allowMethods\[0\]: get is not a valid HTTP method/] },

  // ---- B3 retries ----
  { rule: 'B3 retries', name: 'no retries field: the default policy', config: [reviewsVs([{ route: [to('v1')] }])], want: { retries: DEFAULT_RETRIES } },
  { rule: 'B3 retries', name: 'attempts 0 disables retries', config: [reviewsVs([{ route: [to('v1')], retries: { attempts: 0 } }])], absent: ['retries'] },
  { rule: 'B3 retries', name: 'status codes in retryOn become retriable codes', config: [reviewsVs([{ route: [to('v1')], retries: { attempts: 3, retryOn: '5xx, 404,503', perTryTimeout: '2s' } }])], want: { retries: { attempts: 3, retryOn: '5xx,retriable-status-codes', retriableStatusCodes: [404, 503], perTryTimeout: '2s' } } },
  { rule: 'B3 retries', name: 'empty retryOn keeps the default conditions', config: [reviewsVs([{ route: [to('v1')], retries: { attempts: 5 } }])], want: { retries: { attempts: 5, retryOn: DEFAULT_RETRIES.retryOn, perTryTimeout: null } } },
  { rule: 'B3 retries', name: 'consistent-hash load balancing drops the previous_hosts predicate', noDr: true, config: [dr('r', 'default', { host: 'reviews', trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } } })], check: (t, d) => t.same(d.retries?.retryHostPredicate, []) },

  // ---- B3 fault ----
  { rule: 'B3 fault', name: 'delay at 100%', config: [reviewsVs([{ route: [to('v1')], fault: { delay: { fixedDelay: '7s', percentage: { value: 100 } } } }])], want: { action: 'route', delay: '7s' } },
  { rule: 'B3 fault', name: 'delay with neither percentage nor percent: never', config: [reviewsVs([{ route: [to('v1')], fault: { delay: { fixedDelay: '7s' } } }])], absent: ['delay'] },
  { rule: 'B3 fault', name: 'deprecated integer percent 100', config: [reviewsVs([{ route: [to('v1')], fault: { delay: { fixedDelay: '7s', percent: 100 } } }])], want: { delay: '7s' } },
  { rule: 'B3 fault', name: 'exponentialDelay is not supported: dropped', config: [reviewsVs([{ route: [to('v1')], fault: { delay: { exponentialDelay: '1s', percentage: { value: 100 } } } }])], absent: ['delay'] },
  { rule: 'B3 fault', name: 'abort at 100% short-circuits: no route', config: [reviewsVs([{ route: [to('v1')], fault: { abort: { httpStatus: 503, percentage: { value: 100 } } } }])], want: { action: 'abort', abort: { status: 503 } }, absent: ['route', 'endpoints'] },
  { rule: 'B3 fault', name: 'abort without percentage: no request aborted', config: [reviewsVs([{ route: [to('v1')], fault: { abort: { httpStatus: 503 } } }])], want: { action: 'route' }, absent: ['abort'] },
  { rule: 'B3 fault', name: 'delay and abort at 100%: delayed, then aborted', config: [reviewsVs([{ route: [to('v1')], fault: { delay: { fixedDelay: '1.5s', percentage: { value: 100 } }, abort: { httpStatus: 500, percentage: { value: 100 } } } }])], want: { action: 'abort', delay: '1.5s', abort: { status: 500 } } },
  { rule: 'B3 fault', name: 'grpcStatus abort', config: [reviewsVs([{ route: [to('v1')], fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 100 } } } }])], want: { action: 'abort', abort: { grpcStatus: 'UNAVAILABLE' } } },
  { rule: 'B3 fault', name: 'percentage 0 never fires', config: [reviewsVs([{ route: [to('v1')], fault: { abort: { httpStatus: 500, percentage: { value: 0 } } } }])], want: { action: 'route' } },

  // ---- B3 mirror ----
  { rule: 'B3 mirror', name: 'mirror without percentage: 100%', config: [reviewsVs([{ route: [to('v1')], mirror: { host: 'httpbin', subset: 'v2' } }]), dr('h', 'default', { host: 'httpbin', subsets: [{ name: 'v2', labels: { version: 'v2' } }] })], want: { mirror: [{ cluster: C(8000, 'v2', 'httpbin.default.svc.cluster.local'), percentage: 100 }] } },
  { rule: 'B3 mirror', name: 'mirrorPercentage 0: no mirroring', config: [reviewsVs([{ route: [to('v1')], mirror: { host: 'httpbin' }, mirrorPercentage: { value: 0 } }])], absent: ['mirror'] },
  { rule: 'B3 mirror', name: 'mirrors[] with percentages', config: [reviewsVs([{ route: [to('v1')], mirrors: [{ destination: { host: 'httpbin' }, percentage: { value: 25 } }, { destination: { host: 'ratings' } }] }])], want: { mirror: [{ cluster: C(8000, '', 'httpbin.default.svc.cluster.local'), percentage: 25 }, { cluster: C(9080, '', 'ratings.default.svc.cluster.local'), percentage: 100 }] } },
  { rule: 'B3 mirror', name: 'the mirror authority gets -shadow', config: [reviewsVs([{ route: [to('v1')], mirror: { host: 'httpbin' } }])], req: { host: 'reviews', port: 9080, headers: { host: 'reviews' } }, check: (t, d) => t.equal(d.mirror?.[0]?.authority, 'reviews-shadow') },

  // ---- seeds ----
  { rule: 'seed 000', name: 'purchase-history 90/10 (v1beta1, explicit port 8080)', noDr: true, config: seed000(), req: { host: 'purchase-history.default.svc.cluster.local', port: 8080, client: { namespace: 'default', labels: { app: 'recommendation' } } }, want: { action: 'weighted', virtualService: 'default/purchase-history-vs', weighted: [{ cluster: 'outbound|8080|v1|purchase-history.default.svc.cluster.local', weight: 90 }, { cluster: 'outbound|8080|v2|purchase-history.default.svc.cluster.local', weight: 10 }] } },
  { rule: 'seed 002', name: 'reviews 90/10 with RANDOM (v1alpha3)', noDr: true, config: seed002(), want: { action: 'weighted', virtualService: 'default/reviews', weighted: [{ cluster: V1, weight: 90 }, { cluster: V2, weight: 10 }] }, check: (t, d) => t.equal(d.lbPolicy, 'RANDOM') },
  { rule: 'seed 003', name: 'purchase-history 80/19/1 in namespace test', noDr: true, config: seed003(), req: { host: 'purchase-history', port: 8080, client: { namespace: 'test', labels: { app: 'web-api' } } }, want: { action: 'weighted', virtualService: 'test/purchase-history-vs', weighted: [{ cluster: 'outbound|8080|v1|purchase-history.test.svc.cluster.local', weight: 80 }, { cluster: 'outbound|8080|v2|purchase-history.test.svc.cluster.local', weight: 19 }, { cluster: 'outbound|8080|v3|purchase-history.test.svc.cluster.local', weight: 1 }] } },
  { rule: 'seed 003', name: 'the ingress VS (prefix /) at the gateway: catch-all to nginx', noDr: true, config: [svc('nginx-service', 'istio-test', [80]), pod('nginx-1', 'istio-test', { app: 'nginx-service' }), vs('nginx-ingress-vs', 'istio-test', { hosts: ['my-nginx.dev.company.com'], gateways: ['nginx-ingress-gateway'], http: [{ match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: 'nginx-service.istio-test.svc.cluster.local', port: { number: 80 } } }] }] }, undefined, 'networking.istio.io/v1beta1')], req: { host: 'my-nginx.dev.company.com', port: 443, scheme: 'https', context: 'gateway', gateway: 'istio-test/nginx-ingress-gateway' }, want: { action: 'route', route: { cluster: 'outbound|80||nginx-service.istio-test.svc.cluster.local' }, endpoints: ['nginx-1'] } },
];

t.ok(cases.length >= 120, `at least 120 table rows (have ${cases.length})`);

for (const c of cases) {
  t.test(`${c.rule}: ${c.name}`, async (t) => {
    const objects = [...WORLD, ...(c.noDr ? [] : [REVIEWS_DR]), ...(c.config ?? [])];
    if (c.errors) {
      const err = t.throws(() => compileRouter(objects)) as unknown;
      t.ok(err instanceof WaypointError, 'a WaypointError');
      const e = err as WaypointError;
      t.equal(e.code, 'WP_ERR_INVALID_CONFIG');
      for (const re of c.errors) t.ok(e.details.some((d) => re.test(d)), `a problem matches ${re}\n${e.details.join('\n')}`);
      return;
    }
    const router = compileRouter(objects);
    const d = router.decide({ ...BASE, ...c.req } as RouteRequest);
    const json = decisionToJSON(d);
    // status and reason live on the Decision, not in the CLI JSON
    const view = { ...json, ...(d.status !== undefined ? { status: d.status } : {}), ...(d.reason !== undefined ? { reason: d.reason } : {}) };
    if (c.want) t.match(view, c.want, JSON.stringify(view));
    t.notOk('status' in json || 'reason' in json, 'the JSON has only the contract fields');
    for (const k of c.absent ?? []) t.notOk(k in json, `${k} is omitted`);
    t.type(json['timeout'], 'string', 'timeout is always present');
    if (json['route']) t.type((json['route'] as Obj)['path'], 'string', 'every route carries path');
    c.check?.(t, d);
    const explain = d.explain();
    for (const re of c.explain ?? []) t.match(explain, re);
  });
}

t.test('applyHeaderOps: set overwrites, add appends a comma list, remove deletes', async (t) => {
  const { applyHeaderOps } = await import('../../src/router/index.js');
  t.same(applyHeaderOps({ a: '1', b: '2', c: '3' }, { set: [['a', 'x'], ['n', 'y']], add: [['b', 'z'], ['m', 'w']], remove: ['c'] }), { a: 'x', b: '2,z', n: 'y', m: 'w' });
  t.same(applyHeaderOps({ a: '1' }, undefined), { a: '1' });
});

t.test('explain names delegate routes, gateway merges and port mismatches', async (t) => {
  const r = compileRouter([
    ...WORLD,
    REVIEWS_DR,
    reviewsVs([{ match: [{ uri: { prefix: '/r' } }], delegate: { name: 'del' } }]),
    vs('del', 'default', { http: [{ name: 'inner', match: [{ uri: { prefix: '/r/x' } }, { uri: { prefix: '/r/y' } }], route: [to('v2')] }] }),
    vs('g', 'default', { hosts: ['shop.example.com'], gateways: ['istio-system/ingress'], http: [{ match: [{ port: 8443 }], route: [to('v1')] }, { match: [{ gateways: ['other/gw'] }], route: [to('v1')] }] }),
  ]);
  const d = r.decide({ ...BASE, path: '/r/y' });
  t.equal(d.delegate, 'default/del');
  t.equal(d.matchIndex, 1);
  t.match(d.explain(), /route 0 "inner" \(delegate default\/del route 0\): matched \(match\[1\]\)/);
  const n = r.decide({ ...BASE, path: '/r/z' });
  t.match(n.explain(), /route 0 "inner" \(delegate default\/del route 0\): no match: match\[0\]\? uri prefix "\/r\/x"/);
  const g = r.decide({ host: 'shop.example.com', port: 80, context: 'gateway', gateway: 'istio-system/ingress' });
  t.equal(g.action, 'notFound');
  t.match(g.explain(), /gateway istio-system\/ingress: VirtualServices merged for shop\.example\.com: default\/g/);
  t.match(g.explain(), /port 8443 != 80/);
  t.match(g.explain(), /gateways \[other\/gw\] do not include istio-system\/ingress/);
  const p = r.decide({ ...BASE, port: 1 });
  t.match(p.explain(), /port 1 is not a port of reviews\.default\.svc\.cluster\.local/);
  t.match(p.explain(), /503 unavailable/);
  const u = r.decide({ ...BASE, host: 'nope', headers: { Host: 'Nope:9080' } });
  t.match(u.explain(), /host nope is not a service/);
  const red = compileRouter([...WORLD, vs('b', 'default', { hosts: ['b.example.com'], http: [{ redirect: { uri: '/n' } }, { route: [to('v1')] }] })]).decide({ host: 'b.example.com', port: 80 });
  t.match(red.explain(), /=> redirect 301 http:\/\/b\.example\.com\/n/);
  const dr = compileRouter([...WORLD, reviewsVs([{ directResponse: { status: 418 } }])]).decide(BASE);
  t.match(dr.explain(), /=> direct response 418/);
  const ab = compileRouter([...WORLD, reviewsVs([{ route: [to()], fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 100 } }, delay: { fixedDelay: '1s', percentage: { value: 100 } } } }])]).decide(BASE);
  t.match(ab.explain(), /=> fault abort UNAVAILABLE after delay 1s/);
  const w = compileRouter([...WORLD, REVIEWS_DR, reviewsVs([{ route: [to('v1', { weight: 1 }), to('v2', { weight: 1 })] }])]).decide(BASE);
  t.match(w.explain(), /=> weighted: outbound\|9080\|v1\|reviews\.default\.svc\.cluster\.local 1, outbound\|9080\|v2\|reviews\.default\.svc\.cluster\.local 1; picked/);
  t.match(w.explain(), /endpoints \(LEAST_REQUEST\): reviews-v[12]-/);
});

t.test('mixed-case request headers are normalized; repeated names join', async (t) => {
  const r = compileRouter([...WORLD, REVIEWS_DR, ...probe({ headers: { 'x-a': { exact: '1,2' } } })]);
  t.equal(r.decide({ ...BASE, headers: { 'X-A': '1', 'x-a': '2' } }).routeName, 'probe');
  t.equal(r.decide({ ...BASE, headers: { ':authority': 'reviews.default', 'X-A': '1,2' } }).route?.authority, 'reviews.default');
});

t.test('ServiceEntry hosts at the mesh: a wildcard SE and a VS for it', async (t) => {
  const r = compileRouter([
    se('wild', 'default', { hosts: ['*.api.example.com'], ports: [{ number: 80, name: 'http' }], resolution: 'NONE' }),
    vs('w', 'default', { hosts: ['*.api.example.com'], gateways: ['mesh'], http: [{ route: [{ destination: { host: 'eu.api.example.com' } }], timeout: '5s' }] }),
  ]);
  const d = r.decide({ host: 'eu.api.example.com', port: 80 });
  t.match(decisionToJSON(d), { virtualService: 'default/w', timeout: '5s', route: { cluster: 'outbound|80||eu.api.example.com' } });
});

t.test('endpointAddress: the picked Pod IP and its (named) target port', async (t) => {
  const r = compileRouter([
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] }, status: { podIP: '10.1.0.5' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'v6', namespace: 'default' }, spec: { selector: { app: 'v6' }, ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'v6-1', namespace: 'default', labels: { app: 'v6' } }, status: { podIP: 'fd00::5' } },
  ]);
  const d = r.decide({ host: 'web', port: 80 });
  t.equal(d.endpoint, 'web-1');
  t.equal(d.endpointAddress, '10.1.0.5:8080');
  t.equal(r.decide({ host: 'v6', port: 80 }).endpointAddress, '[fd00::5]:80');
});
