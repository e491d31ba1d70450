// Table-driven decisions for every rule of policy-and-routing-semantics.md Part A, in the three modes
// (the style of Envoy `checkMatcher` and ztunnel `rbac_test!`). Each row runs once per listed mode.
import t from 'tap';
import { createAuthorizer, explain, type Decision } from '../src/engine.js';
import type { AuthzRequest, Mode } from '../src/request.js';

type Spec = Record<string, unknown>;
const P = (name: string, ns: string, spec: Spec, annotations?: Record<string, string>) => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
  spec,
});

const CLIENT = 'cluster.local/ns/bar/sa/client';
interface ReqOverrides {
  dst?: Partial<AuthzRequest['destination']>;
  src?: AuthzRequest['source'];
  http?: Partial<NonNullable<AuthzRequest['http']>>;
  connection?: AuthzRequest['connection'];
}
function R(o: ReqOverrides = {}): AuthzRequest {
  return {
    destination: {
      namespace: 'foo', labels: { app: 'web' }, ip: '10.0.0.2', port: 8080,
      service: { name: 'web', namespace: 'foo' }, waypoint: { name: 'waypoint', namespace: 'foo' }, ...o.dst,
    },
    source: o.src ?? { principal: CLIENT, ip: '10.0.1.1' },
    http: { method: 'GET', path: '/api/v1?x=1', host: 'web.foo.svc:8080', headers: { 'x-user': 'alice' }, ...o.http },
    ...(o.connection ? { connection: o.connection } : {}),
  };
}
const PLAIN = { principal: null, ip: '10.0.1.1' };

const allowFrom = (source: Spec, ns = 'foo') => [P('allow', ns, { rules: [{ from: [{ source }] }] })];
const allowTo = (operation: Spec) => [P('allow', 'foo', { rules: [{ to: [{ operation }] }] })];
const allowWhen = (...when: Spec[]) => [P('allow', 'foo', { rules: [{ when }] })];
const denyRule = (rule: Spec) => [P('deny', 'foo', { action: 'DENY', rules: [rule] })];
const wp = (spec: Spec, ns = 'foo', name = 'wp-policy') => P(name, ns, spec);

interface Row {
  name: string;
  modes: Mode[];
  policies: unknown[];
  req?: AuthzRequest;
  want: 'ALLOW' | 'DENY';
  policy?: string | null;
  reason?: Decision['reason'];
  rule?: number | null;
  opts?: { rootNamespace?: string; trustDomain?: string };
}
const L4L7: Mode[] = ['l4', 'l7'];
const ALL: Mode[] = ['l4', 'l7', 'waypoint'];
const L7: Mode[] = ['l7'];
const L7W: Mode[] = ['l7', 'waypoint'];

const rows: Row[] = [
  // ---- A3 basics -----------------------------------------------------------------------------------------
  { name: 'no policies: allow', modes: ALL, policies: [], want: 'ALLOW', reason: 'no-allow-policies', policy: null },
  { name: 'spec {} is allow-nothing', modes: L4L7, policies: [P('allow-nothing', 'foo', {})], want: 'DENY', reason: 'not-allowed' },
  { name: 'rules: [] is allow-nothing', modes: L4L7, policies: [P('a', 'foo', { rules: [] })], want: 'DENY', reason: 'not-allowed' },
  { name: 'rules: [{}] is allow-all', modes: L4L7, policies: [P('a', 'foo', { rules: [{}] })], want: 'ALLOW', reason: 'allowed', policy: 'foo/a', rule: 0 },
  { name: 'DENY rules: [{}] is deny-all', modes: L4L7, policies: [P('d', 'foo', { action: 'DENY', rules: [{}] })], want: 'DENY', reason: 'explicitly-denied', policy: 'foo/d' },
  { name: 'allow-nothing + a matching ALLOW allows', modes: L4L7, policies: [P('allow-nothing', 'foo', {}), ...allowFrom({ principals: [CLIENT] })], want: 'ALLOW', policy: 'foo/allow' },
  { name: 'DENY beats a matching ALLOW', modes: L4L7, policies: [P('a', 'foo', { rules: [{}] }), ...denyRule({ from: [{ source: { principals: [CLIENT] } }] })], want: 'DENY', policy: 'foo/deny', reason: 'explicitly-denied' },
  { name: 'non-matching DENY then matching ALLOW', modes: L4L7, policies: [P('a', 'foo', { rules: [{}] }), ...denyRule({ from: [{ source: { principals: ['x/ns/y/sa/z'] } }] })], want: 'ALLOW', policy: 'foo/a' },
  { name: 'non-matching DENY and no ALLOW: allow', modes: L4L7, policies: denyRule({ from: [{ source: { principals: ['x/ns/y/sa/z'] } }] }), want: 'ALLOW', reason: 'no-allow-policies' },
  { name: 'applying ALLOW that does not match denies', modes: L4L7, policies: allowFrom({ principals: ['x/ns/y/sa/z'] }), want: 'DENY', reason: 'not-allowed', policy: null },
  { name: 'ALLOW whose selector does not apply: default allow', modes: L4L7, policies: [P('a', 'foo', { selector: { matchLabels: { app: 'other' } }, rules: [{ from: [{ source: { principals: ['nobody'] } }] }] })], want: 'ALLOW', reason: 'no-allow-policies' },
  { name: 'ALLOW in another namespace never applies', modes: L4L7, policies: [P('a', 'other', {})], want: 'ALLOW', reason: 'no-allow-policies' },
  { name: 'rules are ORed: second rule matches', modes: L4L7, policies: [P('a', 'foo', { rules: [{ from: [{ source: { principals: ['nobody'] } }] }, { from: [{ source: { principals: [CLIENT] } }] }] })], want: 'ALLOW', rule: 1 },
  { name: 'from AND to: to fails', modes: L4L7, policies: [P('a', 'foo', { rules: [{ from: [{ source: { principals: [CLIENT] } }], to: [{ operation: { ports: ['9090'] } }] }] })], want: 'DENY' },
  { name: 'from AND to AND when: all match', modes: L4L7, policies: [P('a', 'foo', { rules: [{ from: [{ source: { principals: [CLIENT] } }], to: [{ operation: { ports: ['8080'] } }], when: [{ key: 'source.ip', values: ['10.0.1.1'] }] }] })], want: 'ALLOW' },

  // ---- A2 principals ---------------------------------------------------------------------------------------
  { name: 'principals exact', modes: L4L7, policies: allowFrom({ principals: [CLIENT] }), want: 'ALLOW' },
  { name: 'principals exact mismatch', modes: L4L7, policies: allowFrom({ principals: ['cluster.local/ns/bar/sa/other'] }), want: 'DENY' },
  { name: 'principals prefix', modes: L4L7, policies: allowFrom({ principals: ['cluster.local/ns/bar/*'] }), want: 'ALLOW' },
  { name: 'principals suffix', modes: L4L7, policies: allowFrom({ principals: ['*/sa/client'] }), want: 'ALLOW' },
  { name: 'principals * with identity', modes: L4L7, policies: allowFrom({ principals: ['*'] }), want: 'ALLOW' },
  { name: 'principals * plaintext', modes: L4L7, policies: allowFrom({ principals: ['*'] }), req: R({ src: PLAIN }), want: 'DENY' },
  { name: 'principals prefix plaintext never matches', modes: L4L7, policies: allowFrom({ principals: ['*'] }), req: R({ src: PLAIN }), want: 'DENY' },
  { name: 'notPrincipals * matches plaintext', modes: L4L7, policies: allowFrom({ notPrincipals: ['*'] }), req: R({ src: PLAIN }), want: 'ALLOW' },
  { name: 'notPrincipals * rejects mTLS', modes: L4L7, policies: allowFrom({ notPrincipals: ['*'] }), want: 'DENY' },
  { name: 'principals values ORed', modes: L4L7, policies: allowFrom({ principals: ['nobody', CLIENT] }), want: 'ALLOW' },
  { name: 'principals and notPrincipals both must hold', modes: L4L7, policies: allowFrom({ principals: ['cluster.local/ns/bar/*'], notPrincipals: [CLIENT] }), want: 'DENY' },
  { name: 'sources ORed', modes: L4L7, policies: [P('a', 'foo', { rules: [{ from: [{ source: { principals: ['nobody'] } }, { source: { namespaces: ['bar'] } }] }] })], want: 'ALLOW' },
  { name: 'fields in one source ANDed', modes: L4L7, policies: allowFrom({ principals: [CLIENT], ipBlocks: ['192.168.0.0/16'] }), want: 'DENY' },
  { name: 'principals are case-sensitive', modes: L4L7, policies: allowFrom({ principals: ['cluster.local/ns/bar/sa/CLIENT'] }), want: 'DENY' },
  { name: 'spiffe:// prefix on the request is stripped', modes: L4L7, policies: allowFrom({ principals: [CLIENT] }), req: R({ src: { principal: `spiffe://${CLIENT}`, ip: '10.0.1.1' } }), want: 'ALLOW' },
  { name: 'trust domain alias: cluster.local matches the mesh trust domain', modes: L4L7, policies: allowFrom({ principals: [CLIENT] }), req: R({ src: { principal: 'example.org/ns/bar/sa/client', ip: '10.0.1.1' } }), opts: { trustDomain: 'example.org' }, want: 'ALLOW' },
  { name: 'other trust domain does not match', modes: L4L7, policies: allowFrom({ principals: [CLIENT] }), req: R({ src: { principal: 'example.org/ns/bar/sa/client', ip: '10.0.1.1' } }), want: 'DENY' },

  // ---- namespaces ------------------------------------------------------------------------------------------
  { name: 'namespaces exact', modes: L4L7, policies: allowFrom({ namespaces: ['bar'] }), want: 'ALLOW' },
  { name: 'namespaces mismatch', modes: L4L7, policies: allowFrom({ namespaces: ['baz'] }), want: 'DENY' },
  { name: 'namespaces prefix', modes: L4L7, policies: allowFrom({ namespaces: ['ba*'] }), want: 'ALLOW' },
  { name: 'namespaces suffix', modes: L4L7, policies: allowFrom({ namespaces: ['*ar'] }), want: 'ALLOW' },
  { name: 'namespaces middle * is a glob at L7', modes: L7W, policies: [P('a', 'foo', { targetRefs: [{ kind: 'Service', group: '', name: 'web' }], rules: [{ from: [{ source: { namespaces: ['b*r'] } }] }] }), ...allowFrom({ namespaces: ['b*r'] })], want: 'ALLOW' },
  { name: 'namespaces middle * is exact at L4', modes: ['l4'], policies: allowFrom({ namespaces: ['b*r'] }), want: 'DENY' },
  { name: 'namespaces * plaintext does not match', modes: L4L7, policies: allowFrom({ namespaces: ['*'] }), req: R({ src: PLAIN }), want: 'DENY' },
  { name: 'notNamespaces * matches plaintext', modes: L4L7, policies: allowFrom({ notNamespaces: ['*'] }), req: R({ src: PLAIN }), want: 'ALLOW' },
  { name: 'notNamespaces excludes bar', modes: L4L7, policies: allowFrom({ notNamespaces: ['bar'] }), want: 'DENY' },

  // ---- serviceAccounts -------------------------------------------------------------------------------------
  { name: 'serviceAccounts ns/sa', modes: L4L7, policies: allowFrom({ serviceAccounts: ['bar/client'] }), want: 'ALLOW' },
  { name: 'serviceAccounts sa alone means the policy namespace', modes: L4L7, policies: allowFrom({ serviceAccounts: ['client'] }), want: 'DENY' },
  { name: 'serviceAccounts sa alone, same namespace', modes: L4L7, policies: allowFrom({ serviceAccounts: ['client'] }), req: R({ src: { principal: 'cluster.local/ns/foo/sa/client', ip: '10.0.1.1' } }), want: 'ALLOW' },
  { name: 'serviceAccounts wrong namespace', modes: L4L7, policies: allowFrom({ serviceAccounts: ['other/client'] }), want: 'DENY' },
  { name: 'serviceAccounts plaintext never matches', modes: L4L7, policies: allowFrom({ serviceAccounts: ['bar/client'] }), req: R({ src: PLAIN }), want: 'DENY' },
  { name: 'notServiceAccounts excludes', modes: L4L7, policies: allowFrom({ notServiceAccounts: ['bar/client'] }), want: 'DENY' },
  { name: 'notServiceAccounts plaintext passes', modes: L4L7, policies: allowFrom({ notServiceAccounts: ['bar/client'] }), req: R({ src: PLAIN }), want: 'ALLOW' },

  // ---- ipBlocks / ports / when L4 keys ---------------------------------------------------------------------
  { name: 'ipBlocks CIDR', modes: L4L7, policies: allowFrom({ ipBlocks: ['10.0.1.0/24'] }), want: 'ALLOW' },
  { name: 'ipBlocks CIDR miss', modes: L4L7, policies: allowFrom({ ipBlocks: ['10.0.2.0/24'] }), want: 'DENY' },
  { name: 'ipBlocks bare IP', modes: L4L7, policies: allowFrom({ ipBlocks: ['10.0.1.1'] }), want: 'ALLOW' },
  { name: 'notIpBlocks', modes: L4L7, policies: allowFrom({ notIpBlocks: ['10.0.1.1'] }), want: 'DENY' },
  { name: 'ipBlocks IPv6', modes: L4L7, policies: allowFrom({ ipBlocks: ['fd00::/64'] }), req: R({ src: { principal: CLIENT, ip: 'fd00::1' } }), want: 'ALLOW' },
  { name: 'ipBlocks IPv4 vs IPv6 never match', modes: L4L7, policies: allowFrom({ ipBlocks: ['::/0'] }), want: 'DENY' },
  { name: 'ipBlocks /0', modes: L4L7, policies: allowFrom({ ipBlocks: ['0.0.0.0/0'] }), want: 'ALLOW' },
  { name: 'ipBlocks uses the direct peer, not remoteIp', modes: L4L7, policies: allowFrom({ ipBlocks: ['10.0.1.1'] }), req: R({ src: { principal: CLIENT, ip: '10.0.1.1', remoteIp: '203.0.113.9' } }), want: 'ALLOW' },
  { name: 'ports', modes: L4L7, policies: allowTo({ ports: ['8080'] }), want: 'ALLOW' },
  { name: 'ports miss', modes: L4L7, policies: allowTo({ ports: ['9090'] }), want: 'DENY' },
  { name: 'notPorts', modes: L4L7, policies: allowTo({ notPorts: ['8080'] }), want: 'DENY' },
  { name: 'operations ORed', modes: L4L7, policies: [P('a', 'foo', { rules: [{ to: [{ operation: { ports: ['9090'] } }, { operation: { ports: ['8080'] } }] }] })], want: 'ALLOW' },
  { name: 'ports compare the workload port', modes: L4L7, policies: allowTo({ ports: ['80'] }), req: R({ dst: { port: 8080 } }), want: 'DENY' },
  { name: 'when source.ip', modes: L4L7, policies: allowWhen({ key: 'source.ip', values: ['10.0.1.0/24'] }), want: 'ALLOW' },
  { name: 'when source.ip notValues', modes: L4L7, policies: allowWhen({ key: 'source.ip', notValues: ['10.0.1.0/24'] }), want: 'DENY' },
  { name: 'when source.namespace', modes: L4L7, policies: allowWhen({ key: 'source.namespace', values: ['bar'] }), want: 'ALLOW' },
  { name: 'when source.principal', modes: L4L7, policies: allowWhen({ key: 'source.principal', values: [CLIENT] }), want: 'ALLOW' },
  { name: 'when source.principal notValues *', modes: L4L7, policies: allowWhen({ key: 'source.principal', notValues: ['*'] }), req: R({ src: PLAIN }), want: 'ALLOW' },
  { name: 'when destination.ip', modes: L4L7, policies: allowWhen({ key: 'destination.ip', values: ['10.0.0.0/24'] }), want: 'ALLOW' },
  { name: 'when destination.port', modes: L4L7, policies: allowWhen({ key: 'destination.port', values: ['8080'] }), want: 'ALLOW' },
  { name: 'when destination.port notValues', modes: L4L7, policies: allowWhen({ key: 'destination.port', notValues: ['8080'] }), want: 'DENY' },
  { name: 'when values and notValues both hold', modes: L4L7, policies: allowWhen({ key: 'source.ip', values: ['10.0.0.0/8'], notValues: ['10.0.1.1'] }), want: 'DENY' },
  { name: 'when conditions ANDed', modes: L4L7, policies: allowWhen({ key: 'source.ip', values: ['10.0.1.1'] }, { key: 'destination.port', values: ['1'] }), want: 'DENY' },

  // ---- A4 attachment (l4, l7) ------------------------------------------------------------------------------
  { name: 'root namespace without selector applies mesh-wide', modes: L4L7, policies: [P('allow-nothing', 'istio-system', {})], want: 'DENY', reason: 'not-allowed' },
  { name: 'root namespace selector applies in every namespace', modes: L4L7, policies: [P('d', 'istio-system', { action: 'DENY', selector: { matchLabels: { app: 'web' } }, rules: [{}] })], want: 'DENY', policy: 'istio-system/d' },
  { name: 'root namespace selector that does not match', modes: L4L7, policies: [P('d', 'istio-system', { action: 'DENY', selector: { matchLabels: { app: 'db' } }, rules: [{}] })], want: 'ALLOW' },
  { name: 'selector policy in another namespace never applies', modes: L4L7, policies: [P('d', 'other', { action: 'DENY', selector: { matchLabels: { app: 'web' } }, rules: [{}] })], want: 'ALLOW' },
  { name: 'namespace-wide policy in another namespace never applies', modes: L4L7, policies: [P('d', 'other', { action: 'DENY', rules: [{}] })], want: 'ALLOW' },
  { name: 'selector must be a subset of the workload labels', modes: L4L7, policies: [P('d', 'foo', { action: 'DENY', selector: { matchLabels: { app: 'web', version: 'v1' } }, rules: [{}] })], want: 'ALLOW' },
  { name: 'extra workload labels are fine', modes: L4L7, policies: [P('d', 'foo', { action: 'DENY', selector: { matchLabels: { app: 'web' } }, rules: [{}] })], req: R({ dst: { labels: { app: 'web', version: 'v2' } } }), want: 'DENY' },
  { name: 'empty matchLabels is namespace-wide', modes: L4L7, policies: [P('d', 'foo', { action: 'DENY', selector: { matchLabels: {} }, rules: [{}] })], want: 'DENY' },
  { name: 'targetRefs policies are ignored outside waypoints', modes: L4L7, policies: [P('gw', 'foo', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] })], want: 'ALLOW', reason: 'no-allow-policies' },
  { name: 'custom root namespace', modes: L4L7, policies: [P('allow-nothing', 'mesh-root', {}), P('d', 'istio-system', { action: 'DENY', rules: [{}] })], opts: { rootNamespace: 'mesh-root' }, want: 'DENY', reason: 'not-allowed' },
  { name: 'istio-system is ordinary when another root is set', modes: L4L7, policies: [P('d', 'istio-system', { action: 'DENY', rules: [{}] })], opts: { rootNamespace: 'mesh-root' }, want: 'ALLOW' },

  // ---- A4 waypoint attachment ------------------------------------------------------------------------------
  { name: 'waypoint ignores selector policies', modes: ['waypoint'], policies: [P('d', 'foo', { action: 'DENY', selector: { matchLabels: { app: 'web' } }, rules: [{}] })], want: 'ALLOW' },
  { name: 'waypoint ignores namespace-wide policies', modes: ['waypoint'], policies: [P('allow-nothing', 'foo', {})], want: 'ALLOW' },
  { name: 'waypoint ignores root namespace-wide policies', modes: ['waypoint'], policies: [P('allow-nothing', 'istio-system', {})], want: 'ALLOW' },
  { name: 'targetRef Gateway attaches', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] })], want: 'DENY', reason: 'not-allowed' },
  { name: 'targetRef Gateway other name', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'other' }] })], want: 'ALLOW' },
  { name: 'targetRef Gateway must be in the gateway namespace', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] }, 'other')], req: R({ dst: { waypoint: { name: 'waypoint', namespace: 'foo' }, service: { name: 'web', namespace: 'other' } } }), want: 'ALLOW' },
  { name: 'targetRef Service attaches', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Service', group: '', name: 'web' }], action: 'DENY', rules: [{}] })], want: 'DENY', policy: 'foo/wp-policy' },
  { name: 'targetRef Service group core', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Service', group: 'core', name: 'web' }], action: 'DENY', rules: [{}] })], want: 'DENY' },
  { name: 'targetRef Service other name', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Service', group: '', name: 'api' }], action: 'DENY', rules: [{}] })], want: 'ALLOW' },
  { name: 'targetRef Service needs the policy in the service namespace', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Service', group: '', name: 'web' }], action: 'DENY', rules: [{}] }, 'other')], want: 'ALLOW' },
  { name: 'targetRef Service does not attach to a ServiceEntry', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Service', group: '', name: 'web' }], action: 'DENY', rules: [{}] })], req: R({ dst: { service: { name: 'web', namespace: 'foo', kind: 'ServiceEntry' } } }), want: 'ALLOW' },
  { name: 'targetRef ServiceEntry attaches', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'ServiceEntry', group: 'networking.istio.io', name: 'web' }], action: 'DENY', rules: [{}] })], req: R({ dst: { service: { name: 'web', namespace: 'foo', kind: 'ServiceEntry' } } }), want: 'DENY' },
  { name: 'targetRef GatewayClass istio-waypoint in the root namespace: every waypoint', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'GatewayClass', group: 'gateway.networking.k8s.io', name: 'istio-waypoint' }], action: 'DENY', rules: [{}] }, 'istio-system')], want: 'DENY', policy: 'istio-system/wp-policy' },
  { name: 'targetRef GatewayClass outside the root namespace has no effect', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'GatewayClass', group: 'gateway.networking.k8s.io', name: 'istio-waypoint' }], action: 'DENY', rules: [{}] })], want: 'ALLOW' },
  { name: 'any targetRef attaches', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Service', group: '', name: 'api' }, { kind: 'Service', group: '', name: 'web' }], action: 'DENY', rules: [{}] })], want: 'DENY' },
  { name: 'waypoint: targetRef ALLOW with L7 operation', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Service', group: '', name: 'web' }], rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })], want: 'ALLOW', policy: 'foo/wp-policy' },
  { name: 'waypoint: targetRef ALLOW with L7 operation, POST', modes: ['waypoint'], policies: [wp({ targetRefs: [{ kind: 'Service', group: '', name: 'web' }], rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })], req: R({ http: { method: 'POST' } }), want: 'DENY', reason: 'not-allowed' },
  { name: 'waypoint: legacy singular targetRef', modes: ['waypoint'], policies: [wp({ targetRef: { kind: 'Service', group: '', name: 'web' }, action: 'DENY', rules: [{}] })], want: 'DENY' },

  // ---- A5.1 L7 attributes at ztunnel ---------------------------------------------------------------------
  { name: 'ALLOW with methods: dropped at L4', modes: ['l4'], policies: allowTo({ methods: ['GET'] }), want: 'DENY', reason: 'not-allowed' },
  { name: 'ALLOW with methods: enforced at L7', modes: L7, policies: allowTo({ methods: ['GET'] }), want: 'ALLOW' },
  { name: 'ALLOW principals + methods: whole rule dropped at L4', modes: ['l4'], policies: [P('a', 'foo', { rules: [{ from: [{ source: { principals: [CLIENT] } }], to: [{ operation: { methods: ['GET'] } }] }] })], want: 'DENY', reason: 'not-allowed' },
  { name: 'ALLOW: dropped rule 0, L4 rule 1 matches', modes: ['l4'], policies: [P('a', 'foo', { rules: [{ to: [{ operation: { paths: ['/x'] } }] }, { from: [{ source: { principals: [CLIENT] } }] }] })], want: 'ALLOW', rule: 1 },
  { name: 'ALLOW with requestPrincipals dropped at L4', modes: ['l4'], policies: allowFrom({ principals: [CLIENT], requestPrincipals: ['*'] }), want: 'DENY' },
  { name: 'ALLOW with remoteIpBlocks dropped at L4', modes: ['l4'], policies: allowFrom({ remoteIpBlocks: ['10.0.0.0/8'] }), want: 'DENY' },
  { name: 'ALLOW with an L7 when key dropped at L4', modes: ['l4'], policies: allowWhen({ key: 'request.headers[x-user]', values: ['alice'] }), want: 'DENY' },
  { name: 'ALLOW with source.serviceAccount when key counts as L7 at L4', modes: ['l4'], policies: allowWhen({ key: 'source.serviceAccount', values: ['bar/client'] }), want: 'DENY' },
  { name: 'ALLOW with source.serviceAccount when key at L7', modes: L7, policies: allowWhen({ key: 'source.serviceAccount', values: ['bar/client'] }), want: 'ALLOW' },
  { name: 'DENY methods only: never matches at L4', modes: ['l4'], policies: denyRule({ to: [{ operation: { methods: ['GET'] } }] }), want: 'ALLOW', reason: 'no-allow-policies' },
  { name: 'DENY methods only: denies GET at L7', modes: L7, policies: denyRule({ to: [{ operation: { methods: ['GET'] } }] }), want: 'DENY' },
  { name: 'DENY principals X + methods GET is a no-op at L4', modes: ['l4'], policies: denyRule({ from: [{ source: { principals: [CLIENT] } }], to: [{ operation: { methods: ['GET'] } }] }), want: 'ALLOW' },
  { name: 'DENY principals X + methods GET at L7', modes: L7, policies: denyRule({ from: [{ source: { principals: [CLIENT] } }], to: [{ operation: { methods: ['GET'] } }] }), want: 'DENY' },
  { name: 'DENY principals X + notRequestPrincipals in one source denies X at L4', modes: ['l4'], policies: denyRule({ from: [{ source: { principals: [CLIENT], notRequestPrincipals: ['*'] } }] }), want: 'DENY' },
  { name: 'DENY principals X + notRequestPrincipals, request with a JWT at L7', modes: L7, policies: denyRule({ from: [{ source: { principals: [CLIENT], notRequestPrincipals: ['*'] } }] }), req: R({ http: { jwt: { issuer: 'iss', subject: 'sub' } } }), want: 'ALLOW' },
  { name: 'DENY requestPrincipals-only source: clause empty at L4', modes: ['l4'], policies: denyRule({ from: [{ source: { requestPrincipals: ['*'] } }] }), want: 'ALLOW' },
  { name: 'DENY sources [principals X] or [requestPrincipals]: X still denied at L4', modes: ['l4'], policies: denyRule({ from: [{ source: { principals: [CLIENT] } }, { source: { requestPrincipals: ['*'] } }] }), want: 'DENY' },
  { name: 'DENY with an L7 when key never matches at L4', modes: ['l4'], policies: denyRule({ when: [{ key: 'request.headers[x-user]', values: ['alice'] }] }), want: 'ALLOW' },
  { name: 'DENY with an L7 when key at L7', modes: L7, policies: denyRule({ when: [{ key: 'request.headers[x-user]', values: ['alice'] }] }), want: 'DENY' },
  { name: 'DENY source.ip + L7 claim condition never matches at L4', modes: ['l4'], policies: denyRule({ when: [{ key: 'source.ip', values: ['10.0.1.1'] }, { key: 'request.auth.claims[iss]', values: ['x'] }] }), want: 'ALLOW' },
  { name: 'DENY ports + methods in one operation: L4 enforces ports only', modes: ['l4'], policies: denyRule({ to: [{ operation: { ports: ['8080'], methods: ['POST'] } }] }), want: 'DENY' },
  { name: 'DENY ports + methods in one operation: L7 needs both', modes: L7, policies: denyRule({ to: [{ operation: { ports: ['8080'], methods: ['POST'] } }] }), want: 'ALLOW' },
  { name: 'ALLOW trustDomains-only source: empty Match at L4', modes: ['l4'], policies: allowFrom({ trustDomains: ['cluster.local'] }), want: 'DENY' },
  { name: 'ALLOW trustDomains at L7', modes: L7, policies: allowFrom({ trustDomains: ['cluster.local'] }), want: 'ALLOW' },
  { name: 'DENY trustDomains-only source never matches at L4', modes: ['l4'], policies: denyRule({ from: [{ source: { trustDomains: ['cluster.local'] } }] }), want: 'ALLOW' },
  { name: 'CUSTOM is ignored at L4', modes: ['l4'], policies: [P('c', 'foo', { action: 'CUSTOM', provider: { name: 'nope' }, rules: [{}] })], want: 'ALLOW' },
  { name: 'AUDIT is ignored at L4', modes: ['l4'], policies: [P('au', 'foo', { action: 'AUDIT', rules: [{}] })], want: 'ALLOW' },
  { name: 'L4 ignores http in the request', modes: ['l4'], policies: allowFrom({ principals: [CLIENT] }), req: R({ http: { method: 'get', path: '/%00' } }), want: 'ALLOW' },

  // ---- L7 attributes ---------------------------------------------------------------------------------------
  { name: 'methods GET', modes: L7, policies: allowTo({ methods: ['GET'] }), want: 'ALLOW' },
  { name: 'methods GET vs POST', modes: L7, policies: allowTo({ methods: ['GET'] }), req: R({ http: { method: 'POST' } }), want: 'DENY' },
  { name: 'notMethods', modes: L7, policies: allowTo({ notMethods: ['POST'] }), want: 'ALLOW' },
  { name: 'methods prefix', modes: L7, policies: allowTo({ methods: ['G*'] }), want: 'ALLOW' },
  { name: 'paths exact, query stripped', modes: L7, policies: allowTo({ paths: ['/api/v1'] }), want: 'ALLOW' },
  { name: 'paths exact does not include the query', modes: L7, policies: allowTo({ paths: ['/api/v1?x=1'] }), want: 'DENY' },
  { name: 'paths prefix', modes: L7, policies: allowTo({ paths: ['/api/*'] }), want: 'ALLOW' },
  { name: 'paths suffix', modes: L7, policies: allowTo({ paths: ['*/v1'] }), want: 'ALLOW' },
  { name: 'paths presence', modes: L7, policies: allowTo({ paths: ['*'] }), want: 'ALLOW' },
  { name: 'paths are case-sensitive', modes: L7, policies: allowTo({ paths: ['/API/v1'] }), want: 'DENY' },
  { name: 'notPaths', modes: L7, policies: allowTo({ notPaths: ['/api/*'] }), want: 'DENY' },
  { name: 'path normalisation: /./', modes: L7, policies: allowTo({ paths: ['/api/v1'] }), req: R({ http: { path: '/api/./v1' } }), want: 'ALLOW' },
  { name: 'path normalisation: /../', modes: L7, policies: allowTo({ paths: ['/api/v1'] }), req: R({ http: { path: '/api/x/../v1' } }), want: 'ALLOW' },
  { name: 'path normalisation: ../ cannot bypass a DENY', modes: L7, policies: denyRule({ to: [{ operation: { paths: ['/admin/*'] } }] }), req: R({ http: { path: '/public/../admin/x' } }), want: 'DENY' },
  { name: 'path normalisation: unreserved percent-decoding', modes: L7, policies: allowTo({ paths: ['/api/v1'] }), req: R({ http: { path: '/api/%76%31' } }), want: 'ALLOW' },
  { name: 'path normalisation: backslash', modes: L7, policies: allowTo({ paths: ['/api/v1'] }), req: R({ http: { path: '\\api\\v1' } }), want: 'ALLOW' },
  { name: 'path normalisation: %2F stays encoded', modes: L7, policies: allowTo({ paths: ['/api/v1'] }), req: R({ http: { path: '/api%2Fv1' } }), want: 'DENY' },
  { name: 'path normalisation: slashes are not merged', modes: L7, policies: allowTo({ paths: ['/api/v1'] }), req: R({ http: { path: '//api/v1' } }), want: 'DENY' },
  { name: '%00 is rejected with 400', modes: L7W, policies: [], req: R({ http: { path: '/a%00b' } }), want: 'DENY', reason: 'bad-request' },
  { name: 'lower-case method is rejected with 400', modes: L7W, policies: [], req: R({ http: { method: 'get' } }), want: 'DENY', reason: 'bad-request' },
  { name: 'template {*} one segment', modes: L7, policies: allowTo({ paths: ['/api/{*}'] }), want: 'ALLOW' },
  { name: 'template {*} does not cross /', modes: L7, policies: allowTo({ paths: ['/api/{*}'] }), req: R({ http: { path: '/api/v1/x' } }), want: 'DENY' },
  { name: 'template {**} many segments', modes: L7, policies: allowTo({ paths: ['/api/{**}'] }), req: R({ http: { path: '/api/v1/x/y' } }), want: 'ALLOW' },
  { name: 'template {**} needs the prefix slash', modes: L7, policies: allowTo({ paths: ['/api/{**}'] }), req: R({ http: { path: '/api' } }), want: 'DENY' },
  { name: 'template {*} in the middle', modes: L7, policies: allowTo({ paths: ['/{*}/v1'] }), want: 'ALLOW' },
  { name: 'template /foo/{**}/ is anchored at the trailing slash (Envoy)', modes: L7, policies: allowTo({ paths: ['/foo/{**}/'] }), req: R({ http: { path: '/foo/bar/baz.txt' } }), want: 'DENY' },
  { name: 'template with a literal suffix', modes: L7, policies: allowTo({ paths: ['/foo/{**}/x.txt'] }), req: R({ http: { path: '/foo/a/b/x.txt' } }), want: 'ALLOW' },
  { name: 'hosts exact with port', modes: L7, policies: allowTo({ hosts: ['web.foo.svc:8080'] }), want: 'ALLOW' },
  { name: 'hosts without the port do not match host:port', modes: L7, policies: allowTo({ hosts: ['web.foo.svc'] }), want: 'DENY' },
  { name: 'hosts are case-insensitive', modes: L7, policies: allowTo({ hosts: ['WEB.Foo.SVC:8080'] }), want: 'ALLOW' },
  { name: 'hosts case-insensitive request', modes: L7, policies: allowTo({ hosts: ['web.foo.svc:8080'] }), req: R({ http: { host: 'Web.FOO.svc:8080' } }), want: 'ALLOW' },
  { name: 'hosts suffix', modes: L7, policies: allowTo({ hosts: ['*.svc:8080'] }), want: 'ALLOW' },
  { name: 'hosts prefix', modes: L7, policies: allowTo({ hosts: ['web.*'] }), want: 'ALLOW' },
  { name: 'notHosts', modes: L7, policies: allowTo({ notHosts: ['web.*'] }), want: 'DENY' },
  { name: 'header value', modes: L7, policies: allowWhen({ key: 'request.headers[x-user]', values: ['alice'] }), want: 'ALLOW' },
  { name: 'header names are case-insensitive', modes: L7, policies: allowWhen({ key: 'request.headers[X-User]', values: ['alice'] }), want: 'ALLOW' },
  { name: 'header values are case-sensitive', modes: L7, policies: allowWhen({ key: 'request.headers[x-user]', values: ['Alice'] }), want: 'DENY' },
  { name: 'header prefix', modes: L7, policies: allowWhen({ key: 'request.headers[x-user]', values: ['ali*'] }), want: 'ALLOW' },
  { name: 'missing header: values never match', modes: L7, policies: allowWhen({ key: 'request.headers[x-missing]', values: ['a'] }), want: 'DENY' },
  { name: 'missing header: notValues is true', modes: L7, policies: allowWhen({ key: 'request.headers[x-missing]', notValues: ['a'] }), want: 'ALLOW' },
  { name: 'header * is presence', modes: L7, policies: allowWhen({ key: 'request.headers[x-user]', values: ['*'] }), want: 'ALLOW' },
  { name: 'header * absent', modes: L7, policies: allowWhen({ key: 'request.headers[x-missing]', values: ['*'] }), want: 'DENY' },
  { name: 'duplicate headers are joined with ,', modes: L7, policies: allowWhen({ key: 'request.headers[x-a]', values: ['1,2'] }), req: R({ http: { headers: { 'x-a': ['1', '2'] } } }), want: 'ALLOW' },
  { name: 'requestPrincipals exact', modes: L7, policies: allowFrom({ requestPrincipals: ['iss/sub'] }), req: R({ http: { jwt: { issuer: 'iss', subject: 'sub' } } }), want: 'ALLOW' },
  { name: 'requestPrincipals without a JWT', modes: L7, policies: allowFrom({ requestPrincipals: ['*'] }), want: 'DENY' },
  { name: 'requestPrincipals * with a JWT', modes: L7, policies: allowFrom({ requestPrincipals: ['*'] }), req: R({ http: { jwt: { issuer: 'iss', subject: 'sub' } } }), want: 'ALLOW' },
  { name: 'requestPrincipals split at the last /', modes: L7, policies: allowFrom({ requestPrincipals: ['https://a.example/x/sub1'] }), req: R({ http: { jwt: { issuer: 'https://a.example/x', subject: 'sub1' } } }), want: 'ALLOW' },
  { name: 'requestPrincipals issuer prefix', modes: L7, policies: allowFrom({ requestPrincipals: ['https://a.example/*'] }), req: R({ http: { jwt: { issuer: 'https://a.example', subject: 'u' } } }), want: 'ALLOW' },
  { name: 'notRequestPrincipals * without a JWT', modes: L7, policies: allowFrom({ notRequestPrincipals: ['*'] }), want: 'ALLOW' },
  { name: 'when request.auth.principal', modes: L7, policies: allowWhen({ key: 'request.auth.principal', values: ['iss/sub'] }), req: R({ http: { jwt: { issuer: 'iss', subject: 'sub' } } }), want: 'ALLOW' },
  { name: 'when request.auth.claims list', modes: L7, policies: allowWhen({ key: 'request.auth.claims[groups]', values: ['admin'] }), req: R({ http: { jwt: { issuer: 'i', subject: 's', claims: { groups: ['dev', 'admin'] } } } }), want: 'ALLOW' },
  { name: 'when request.auth.claims string', modes: L7, policies: allowWhen({ key: 'request.auth.claims[role]', values: ['adm*'] }), req: R({ http: { jwt: { issuer: 'i', subject: 's', claims: { role: 'admin' } } } }), want: 'ALLOW' },
  { name: 'when request.auth.claims nested', modes: L7, policies: allowWhen({ key: 'request.auth.claims[a][b]', values: ['c'] }), req: R({ http: { jwt: { issuer: 'i', subject: 's', claims: { a: { b: 'c' } } } } }), want: 'ALLOW' },
  { name: 'when request.auth.claims without a JWT', modes: L7, policies: allowWhen({ key: 'request.auth.claims[role]', values: ['admin'] }), want: 'DENY' },
  { name: 'when request.auth.audiences', modes: L7, policies: allowWhen({ key: 'request.auth.audiences', values: ['web'] }), req: R({ http: { jwt: { issuer: 'i', subject: 's', audiences: ['api', 'web'] } } }), want: 'ALLOW' },
  { name: 'when request.auth.presenter', modes: L7, policies: allowWhen({ key: 'request.auth.presenter', values: ['cli'] }), req: R({ http: { jwt: { issuer: 'i', subject: 's', presenter: 'cli' } } }), want: 'ALLOW' },
  { name: 'remoteIpBlocks uses remoteIp', modes: L7, policies: allowFrom({ remoteIpBlocks: ['203.0.113.0/24'] }), req: R({ src: { principal: CLIENT, ip: '10.0.1.1', remoteIp: '203.0.113.9' } }), want: 'ALLOW' },
  { name: 'remoteIpBlocks defaults to the peer IP', modes: L7, policies: allowFrom({ remoteIpBlocks: ['10.0.1.1'] }), want: 'ALLOW' },
  { name: 'notRemoteIpBlocks', modes: L7, policies: allowFrom({ notRemoteIpBlocks: ['203.0.113.0/24'] }), req: R({ src: { principal: CLIENT, ip: '10.0.1.1', remoteIp: '203.0.113.9' } }), want: 'DENY' },
  { name: 'when remote.ip', modes: L7, policies: allowWhen({ key: 'remote.ip', values: ['203.0.113.9'] }), req: R({ src: { principal: CLIENT, ip: '10.0.1.1', remoteIp: '203.0.113.9' } }), want: 'ALLOW' },
  { name: 'when connection.sni', modes: L7, policies: allowWhen({ key: 'connection.sni', values: ['*.example.com'] }), req: R({ connection: { sni: 'a.example.com' } }), want: 'ALLOW' },
  { name: 'when source.trustDomain', modes: L7, policies: allowWhen({ key: 'source.trustDomain', values: ['cluster.local'] }), want: 'ALLOW' },
  { name: 'when source.namespace glob at L7', modes: L7, policies: allowWhen({ key: 'source.namespace', values: ['b*r'] }), want: 'ALLOW' },
  { name: 'when experimental.envoy.filters.* never matches values', modes: L7, policies: allowWhen({ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', values: ['x'] }), want: 'DENY' },
  { name: 'when experimental.envoy.filters.* notValues', modes: L7, policies: allowWhen({ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', notValues: ['x'] }), want: 'ALLOW' },
];

for (const row of rows) {
  for (const mode of row.modes) {
    t.test(`[${mode}] ${row.name}`, async (t) => {
      const a = createAuthorizer(row.policies, { mode, ...row.opts });
      const d = a.evaluate(row.req ?? R(), { trace: true });
      const why = explain(d);
      t.equal(d.decision, row.want, why);
      if (row.reason !== undefined) t.equal(d.reason, row.reason, why);
      if (row.policy !== undefined) t.equal(d.policy, row.policy, why);
      if (row.rule !== undefined) t.equal(d.ruleIndex, row.rule, why);
      t.equal(d.mode, mode);
      // The traced and untraced paths agree.
      const fast = a.evaluate(row.req ?? R());
      const { trace: _trace, ...untraced } = d;
      t.same(fast, untraced, 'trace does not change the decision');
    });
  }
}

t.test('rows cover at least 150 mode cases', async (t) => {
  t.ok(rows.reduce((n, r) => n + r.modes.length, 0) >= 150);
});

// ---- A6 dry-run, CUSTOM, AUDIT ---------------------------------------------------------------------------
const DRY = { 'istio.io/dry-run': 'true' };

t.test('dry-run DENY that matches is reported, never enforced', async (t) => {
  for (const mode of ALL) {
    const pol = mode === 'waypoint' ? P('d', 'foo', { targetRefs: [{ kind: 'Service', group: '', name: 'web' }], action: 'DENY', rules: [{}] }, DRY) : P('d', 'foo', { action: 'DENY', rules: [{}] }, DRY);
    const d = createAuthorizer([pol], { mode }).evaluate(R());
    t.equal(d.decision, 'ALLOW', mode);
    t.same(d.dryRun, [{ policy: 'foo/d', action: 'DENY', matched: true, ruleIndex: 0 }], mode);
    t.match(explain(d), /dry-run: foo\/d \(DENY\) would match rule 0 \(would deny; not enforced\)/);
  }
});

t.test('a lone dry-run ALLOW does not trigger deny-by-default', async (t) => {
  for (const mode of L4L7) {
    const d = createAuthorizer([P('a', 'foo', { rules: [{ from: [{ source: { principals: ['nobody'] } }] }] }, DRY)], { mode }).evaluate(R());
    t.equal(d.decision, 'ALLOW');
    t.equal(d.reason, 'no-allow-policies');
    t.same(d.dryRun, [{ policy: 'foo/a', action: 'ALLOW', matched: false, ruleIndex: null }]);
  }
});

t.test('dry-run ALLOW with an enforced ALLOW: only the enforced one counts', async (t) => {
  for (const mode of L4L7) {
    const d = createAuthorizer([P('dry', 'foo', { rules: [{}] }, DRY), P('real', 'foo', { rules: [{ from: [{ source: { principals: ['nobody'] } }] }] })], { mode }).evaluate(R());
    t.equal(d.decision, 'DENY');
    t.equal(d.reason, 'not-allowed');
    t.same(d.dryRun.map((r) => r.matched), [true]);
  }
});

t.test('dry-run annotation is parsed like Go ParseBool', async (t) => {
  const mk = (v: string) => createAuthorizer([P('d', 'foo', { action: 'DENY', rules: [{}] }, { 'istio.io/dry-run': v })], { mode: 'l7' }).evaluate(R()).decision;
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) t.equal(mk(v), 'ALLOW', `${v} is dry-run`);
  for (const v of ['0', 'false', 'yes', 'on', '']) t.equal(mk(v), 'DENY', `${v} is enforced`);
});

const custom = (name: string, provider: string, rules: unknown[] = [{}], ns = 'foo', annotations?: Record<string, string>) => P(name, ns, { action: 'CUSTOM', provider: { name: provider }, rules }, annotations);

t.test('CUSTOM: provider allow continues to DENY/ALLOW; deny denies; not called when no rule matches', async (t) => {
  const calls: string[] = [];
  const providers = {
    yes: (_r: AuthzRequest, p: { key: string }) => (calls.push(`yes:${p.key}`), 'ALLOW' as const),
    no: (_r: AuthzRequest, p: { key: string }) => (calls.push(`no:${p.key}`), 'DENY' as const),
  };
  for (const mode of L7W) {
    const tr = mode === 'waypoint' ? { targetRefs: [{ kind: 'Service', group: '', name: 'web' }] } : {};
    const C = (name: string, prov: string, rules: unknown[] = [{}]) => P(name, 'foo', { ...tr, action: 'CUSTOM', provider: { name: prov }, rules });
    const D = (name: string) => P(name, 'foo', { ...tr, action: 'DENY', rules: [{}] });
    calls.length = 0;
    let d = createAuthorizer([C('c', 'yes')], { mode, providers }).evaluate(R());
    t.equal(d.decision, 'ALLOW', `${mode}: provider allow, nothing else`);
    t.same(calls, ['yes:foo/c']);
    d = createAuthorizer([C('c', 'yes'), D('d')], { mode, providers }).evaluate(R());
    t.equal(d.reason, 'explicitly-denied', `${mode}: the extension cannot bypass DENY`);
    d = createAuthorizer([C('c', 'no')], { mode, providers }).evaluate(R());
    t.equal(d.decision, 'DENY');
    t.equal(d.reason, 'denied-by-custom');
    t.equal(d.policy, 'foo/c');
    t.equal(d.action, 'CUSTOM');
    calls.length = 0;
    d = createAuthorizer([C('c', 'no', [{ to: [{ operation: { paths: ['/admin'] } }] }])], { mode, providers }).evaluate(R());
    t.equal(d.decision, 'ALLOW', `${mode}: no CUSTOM rule matched`);
    t.same(calls, [], 'provider not called');
    d = createAuthorizer([C('c', 'missing')], { mode, providers }).evaluate(R());
    t.equal(d.decision, 'DENY');
    t.equal(d.reason, 'custom-provider-unknown', 'unknown provider fails closed');
    t.match(explain(d), /not a known extension provider/);
  }
});

t.test('CUSTOM: each provider is asked once; two providers without the flag act as DENY', async (t) => {
  let n = 0;
  const providers = { a: () => (n++, 'ALLOW' as const), b: () => (n++, 'ALLOW' as const) };
  n = 0;
  let d = createAuthorizer([custom('c1', 'a'), custom('c2', 'a')], { providers }).evaluate(R());
  t.equal(d.decision, 'ALLOW');
  t.equal(n, 1);
  d = createAuthorizer([custom('c1', 'a'), custom('c2', 'b')], { providers }).evaluate(R());
  t.equal(d.reason, 'custom-multiple-providers');
  n = 0;
  d = createAuthorizer([custom('c1', 'a'), custom('c2', 'b')], { providers, multipleCustomProviders: true }).evaluate(R());
  t.equal(d.decision, 'ALLOW');
  t.equal(n, 2);
});

t.test('CUSTOM: identity fields are unsupported, so the rule is skipped; dry-run CUSTOM never calls', async (t) => {
  let n = 0;
  const providers = { no: () => (n++, 'DENY' as const) };
  let d = createAuthorizer([custom('c', 'no', [{ from: [{ source: { principals: [CLIENT] } }] }])], { providers }).evaluate(R(), { trace: true });
  t.equal(d.decision, 'ALLOW');
  t.equal(n, 0);
  t.match(explain(d), /not supported with the CUSTOM action/);
  d = createAuthorizer([custom('c', 'no', [{ when: [{ key: 'request.auth.claims[x]', values: ['y'] }] }])], { providers }).evaluate(R());
  t.equal(d.decision, 'ALLOW');
  d = createAuthorizer([custom('c', 'no', [{}], 'foo', DRY)], { providers }).evaluate(R());
  t.equal(d.decision, 'ALLOW');
  t.equal(n, 0);
  t.same(d.dryRun, [{ policy: 'foo/c', action: 'CUSTOM', matched: true, ruleIndex: 0 }]);
});

t.test('CUSTOM: provider errors and async providers fail closed in evaluate(); evaluateAsync awaits', async (t) => {
  const boom = () => {
    throw new Error('down');
  };
  let d = createAuthorizer([custom('c', 'x')], { providers: { x: boom } }).evaluate(R());
  t.equal(d.reason, 'custom-provider-error');
  t.match(d.message, /down/);
  const asyncAllow = async () => 'ALLOW' as const;
  const asyncDeny = async () => 'DENY' as const;
  d = createAuthorizer([custom('c', 'x')], { providers: { x: asyncAllow } }).evaluate(R());
  t.equal(d.reason, 'custom-provider-error', 'sync evaluate cannot await');
  d = await createAuthorizer([custom('c', 'x')], { providers: { x: asyncAllow } }).evaluateAsync(R());
  t.equal(d.decision, 'ALLOW');
  d = await createAuthorizer([custom('c', 'x')], { providers: { x: asyncDeny } }).evaluateAsync(R(), { trace: true });
  t.equal(d.reason, 'denied-by-custom');
  t.ok(d.trace);
  d = await createAuthorizer([custom('c', 'x')], { providers: { x: async () => Promise.reject(new Error('nope')) } }).evaluateAsync(R());
  t.equal(d.reason, 'custom-provider-error');
  d = await createAuthorizer([custom('c', 'x')], {}).evaluateAsync(R());
  t.equal(d.reason, 'custom-provider-unknown');
});

t.test('AUDIT marks matching requests and never changes the decision', async (t) => {
  const pols = [P('au', 'foo', { action: 'AUDIT', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }), P('allow-nothing', 'foo', {})];
  const d = createAuthorizer(pols, { mode: 'l7' }).evaluate(R());
  t.equal(d.decision, 'DENY');
  t.same(d.audit, ['foo/au']);
  t.match(explain(d), /audit: foo\/au matched/);
  const d2 = createAuthorizer([pols[0]!], { mode: 'l7' }).evaluate(R({ http: { method: 'POST' } }));
  t.equal(d2.decision, 'ALLOW');
  t.same(d2.audit, []);
  t.same(createAuthorizer([pols[0]!], { mode: 'l4' }).evaluate(R()).audit, [], 'not supported at ztunnel');
});

t.test('explain names the policy, the rule and the field that failed', async (t) => {
  const a = createAuthorizer([P('web', 'foo', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/bar/sa/sleep'] } }], to: [{ operation: { methods: ['GET'] } }] }] })], { mode: 'l7' });
  const text = a.explain(R());
  t.match(text, /^DENY \(not-allowed, mode l7\)/);
  t.match(text, /foo\/web \(ALLOW; attached by namespace foo, no selector \(namespace-wide\)\): no rule matched/);
  t.match(text, /rule 0: rules\[0\]\.from\[0\]\.source\.principals did not match/);
  const two = createAuthorizer([P('web', 'foo', { rules: [{ from: [{ source: { principals: ['a'] } }, { source: { namespaces: ['b'] } }] }, { from: [{ source: { principals: ['a'] } }] }] })]).explain(R());
  t.match(two, /none of rules\[0\]\.from matched \(rules\[0\]\.from\[0\]\.source\.principals; rules\[0\]\.from\[1\]\.source\.namespaces\)/);
  t.match(two, /rule 1: same as rule 0|rule 1: rules\[1\]/);
  t.match(createAuthorizer([]).explain(R()), /no policy applies to this destination/);
  t.match(explain(createAuthorizer([]).evaluate(R())), /^ALLOW \(no-allow-policies/);
  t.match(createAuthorizer([P('n', 'foo', {})]).explain(R()), /allow-nothing/);
});

t.test('policies with identical bodies share one matcher; the first by namespace/name is reported', async (t) => {
  const pols = [];
  for (let i = 0; i < 50; i++) pols.push(P(`deny-${String(i).padStart(2, '0')}`, 'istio-system', { action: 'DENY', rules: [{ from: [{ source: { principals: [CLIENT] } }] }, { from: [{ source: { principals: [CLIENT] } }] }] }));
  const a = createAuthorizer(pols.reverse(), { mode: 'l4' });
  const d = a.evaluate(R());
  t.equal(d.policy, 'istio-system/deny-00');
  t.equal(d.ruleIndex, 0);
  t.equal(a.evaluate(R({ src: PLAIN })).decision, 'ALLOW');
  t.equal(a.policies.length, 50);
});

// ---- seeds ----------------------------------------------------------------------------------------------
// shared/seeds/000: namespace anz-ambient-demo: allow-nothing, then per-service ALLOW policies (L4), then an L7 rule.
const demo = 'anz-ambient-demo';
const sa = (ns: string, name: string) => `cluster.local/ns/${ns}/sa/${name}`;
const seedRbac = (name: string, app: string, principal: string, to?: unknown) =>
  ({ apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: { name, namespace: demo },
    spec: { selector: { matchLabels: { app } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [principal] } }, { source: { namespaces: ['test-ambientmesh'] } }], ...(to ? { to } : {}) }] } });
const seed000 = [
  { apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: demo }, spec: {} },
  seedRbac('web-api-rbac', 'web-api', sa(demo, 'sleep')),
  seedRbac('recommendation-rbac', 'recommendation', sa(demo, 'web-api')),
  seedRbac('purchase-history-rbac', 'purchase-history', sa(demo, 'recommendation')),
];
const call = (from: string | null, app: string, http: Partial<NonNullable<AuthzRequest['http']>> = {}): AuthzRequest => ({
  destination: { namespace: demo, labels: { app }, ip: '10.116.5.10', port: 8080 },
  source: { principal: from, ip: '10.116.5.9' },
  http: { method: 'GET', path: '/', host: `${app}:8080`, ...http },
});

t.test('seed 000: allow-nothing blocks sleep → web-api at L4', async (t) => {
  t.equal(createAuthorizer([seed000[0]], { mode: 'l4' }).evaluate(call(sa(demo, 'sleep'), 'web-api')).decision, 'DENY');
});

t.test('seed 000: the per-service L4 policies allow exactly the call chain', async (t) => {
  const a = createAuthorizer(seed000, { mode: 'l4' });
  const cases: [string | null, string, 'ALLOW' | 'DENY'][] = [
    [sa(demo, 'sleep'), 'web-api', 'ALLOW'],
    [sa(demo, 'notsleep'), 'web-api', 'DENY'],
    [null, 'web-api', 'DENY'],
    [sa(demo, 'web-api'), 'recommendation', 'ALLOW'],
    [sa(demo, 'sleep'), 'recommendation', 'DENY'],
    [sa(demo, 'recommendation'), 'purchase-history', 'ALLOW'],
    [sa(demo, 'web-api'), 'purchase-history', 'DENY'],
    [sa('test-ambientmesh', 'anything'), 'purchase-history', 'ALLOW'],
    [sa('test-ambientmesh', 'anything'), 'web-api', 'ALLOW'],
  ];
  for (const [from, app, want] of cases) t.equal(a.evaluate(call(from, app)).decision, want, `${from} → ${app}`);
  t.equal(a.evaluate(call(sa(demo, 'sleep'), 'web-api')).policy, `${demo}/web-api-rbac`);
});

t.test('seed 000: the L7 web-api rule (methods GET)', async (t) => {
  const l7 = [...seed000.slice(0, 1), seedRbac('web-api-rbac', 'web-api', sa(demo, 'sleep'), [{ operation: { methods: ['GET'] } }]), ...seed000.slice(2)];
  const z = createAuthorizer(l7, { mode: 'l4' });
  t.equal(z.evaluate(call(sa(demo, 'sleep'), 'web-api')).decision, 'DENY', 'ztunnel drops the ALLOW rule with HTTP attributes');
  const e = createAuthorizer(l7, { mode: 'l7' });
  t.equal(e.evaluate(call(sa(demo, 'sleep'), 'web-api')).decision, 'ALLOW');
  t.equal(e.evaluate(call(sa(demo, 'sleep'), 'web-api', { method: 'DELETE' })).decision, 'DENY');
  t.equal(e.evaluate(call(sa(demo, 'notsleep'), 'web-api')).decision, 'DENY');
});

// shared/seeds/003: namespace test; the L4 chain plus an ingress gateway identity; later the L7 rule at a waypoint.
const seed003 = (name: string, spec: Spec) => ({ apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'test' }, spec });
const INGRESS = 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';
const s003 = [
  seed003('purchase-history-rbac', { selector: { matchLabels: { 'istio.io/gateway-name': 'purchase-history' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [sa('test', 'recommendation')] } }] }] }),
  seed003('web-api-rbac', { selector: { matchLabels: { app: 'web-api' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [sa('test', 'sleep'), INGRESS] } }] }] }),
  seed003('recommendation-rbac', { selector: { matchLabels: { app: 'recommendation' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [sa('test', 'web-api')] } }] }] }),
];
const call003 = (from: string | null, app: string, method = 'GET'): AuthzRequest => ({
  destination: { namespace: 'test', labels: { app }, ip: '10.224.0.31', port: 8080, service: { name: app, namespace: 'test' }, waypoint: { name: app, namespace: 'test' } },
  source: { principal: from, ip: '10.224.0.23' },
  http: { method, path: '/', host: `${app}:8080` },
});

t.test('seed 003: allow-nothing then least privilege at L4', async (t) => {
  const nothing = createAuthorizer([seed003('allow-nothing', {}), ...s003], { mode: 'l4' });
  t.equal(nothing.evaluate(call003(sa('test', 'sleep'), 'purchase-history')).decision, 'DENY', 'allow-nothing still in place');
  const a = createAuthorizer(s003, { mode: 'l4' });
  t.equal(a.evaluate(call003(sa('test', 'sleep'), 'web-api')).decision, 'ALLOW');
  t.equal(a.evaluate(call003(INGRESS, 'web-api')).decision, 'ALLOW');
  t.equal(a.evaluate(call003(sa('test', 'notsleep'), 'web-api')).decision, 'DENY');
  t.equal(a.evaluate(call003(sa('test', 'web-api'), 'recommendation')).decision, 'ALLOW');
  t.equal(a.evaluate(call003(sa('test', 'sleep'), 'recommendation')).decision, 'DENY');
  t.equal(a.evaluate(call003(sa('test', 'sleep'), 'purchase-history')).decision, 'ALLOW', 'the gateway-name selector does not select the purchase-history pods');
});

t.test('seed 003: the L7 rule at the web-api waypoint (GET only)', async (t) => {
  const legacy = seed003('web-api-rbac', { selector: { matchLabels: { 'istio.io/gateway-name': 'web-api' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: [sa('test', 'sleep'), INGRESS] } }], to: [{ operation: { methods: ['GET'] } }] }] });
  t.equal(createAuthorizer([legacy], { mode: 'waypoint' }).evaluate(call003(sa('test', 'notsleep'), 'web-api')).decision, 'ALLOW', 'waypoints never use selector policies (the 2023 label-based form has no effect today)');
  const modern = seed003('web-api-rbac', { targetRefs: [{ kind: 'Service', group: '', name: 'web-api' }], action: 'ALLOW', rules: [{ from: [{ source: { principals: [sa('test', 'sleep'), INGRESS] } }], to: [{ operation: { methods: ['GET'] } }] }] });
  const w = createAuthorizer([modern], { mode: 'waypoint' });
  t.equal(w.evaluate(call003(sa('test', 'sleep'), 'web-api')).decision, 'ALLOW', 'sleep GET → 200');
  t.equal(w.evaluate(call003(sa('test', 'notsleep'), 'web-api')).decision, 'DENY', 'notsleep GET → RBAC: access denied');
  t.equal(w.evaluate(call003(sa('test', 'notsleep'), 'web-api', 'PUT')).decision, 'DENY', 'notsleep PUT → RBAC: access denied');
  t.equal(w.evaluate(call003(sa('test', 'sleep'), 'web-api', 'PUT')).decision, 'DENY', 'sleep PUT → RBAC: access denied');
  t.equal(createAuthorizer([modern], { mode: 'l4' }).evaluate(call003(sa('test', 'notsleep'), 'web-api')).decision, 'ALLOW', 'targetRef policies never reach ztunnel');
});
