// This file is also the documented example of @amesh/rbac/testing (see the README "Testing your policies").
import t from 'tap';
import { createAuthorizer, assertAllowed, assertDenied } from '../src/testing.js';
import { RbacError } from '../src/errors.js';

const policies = [
  { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: 'shop' }, spec: {} },
  {
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'web-get', namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'web' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }], to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }] }] },
  },
];
const request = (principal: string | null, method = 'GET', path = '/api/items') => ({
  destination: { namespace: 'shop', labels: { app: 'web' }, port: 8080 },
  source: { principal, ip: '10.0.0.9' },
  http: { method, path, host: 'web.shop:8080' },
});

t.test('example: the frontend may GET /api/*, nobody else', async () => {
  const authz = createAuthorizer(policies, { mode: 'l7' });
  assertAllowed(authz, request('cluster.local/ns/shop/sa/frontend'), { policy: 'shop/web-get', ruleIndex: 0 });
  assertDenied(authz, request('cluster.local/ns/shop/sa/frontend', 'DELETE'), { reason: 'not-allowed' });
  assertDenied(authz, request(null));
});

t.test('failed assertions explain the decision', async (t) => {
  const authz = createAuthorizer(policies, { mode: 'l7' });
  t.throws(() => assertAllowed(authz, request(null), {}, 'plaintext'), { name: 'AssertionError', message: /plaintext: expected ALLOW, got DENY[\s\S]*shop\/web-get[\s\S]*principals did not match/ });
  t.throws(() => assertDenied(authz, request('cluster.local/ns/shop/sa/frontend')), /expected DENY, got ALLOW/);
  t.throws(() => assertAllowed(authz, request('cluster.local/ns/shop/sa/frontend'), { policy: 'x/y', reason: 'no-allow-policies', ruleIndex: 3 }), /expected policy x\/y.*expected reason no-allow-policies.*expected rule 3/);
  t.match(authz.explain(request(null)), /^DENY \(not-allowed/);
});

t.test('invalid requests and policies throw with field paths', async (t) => {
  const authz = createAuthorizer(policies, { mode: 'l7' });
  const e1 = t.throws(() => authz.check({ destination: { namespace: 'shop' } } as never)) as RbacError;
  t.ok(e1 instanceof RbacError);
  t.equal(e1.code, 'RBAC_ERR_INVALID_REQUEST');
  t.same(e1.details, ['http: required in l7 mode']);
  const e2 = t.throws(() => createAuthorizer([{ apiVersion: 'v1', kind: 'AuthorizationPolicy', metadata: { name: 'x' } }])) as RbacError;
  t.equal(e2.code, 'RBAC_ERR_INVALID_POLICY');
  t.match(e2.details[0], /apiVersion/);
});
