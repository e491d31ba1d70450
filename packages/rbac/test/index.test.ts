// The public surface (package.json "exports"): the root entry and ./testing.
import t from 'tap';
import { existsSync } from 'node:fs';
import * as rbac from '@amesh/rbac';
import * as testing from '@amesh/rbac/testing';

const ROOT = [
  'RbacError', 'RbacErrorCode', 'parsePolicy', 'parsePolicies', 'loadPolicies', 'isPolicy', 'validateRequest', 'MODES', 'Authorizer',
  'createAuthorizer', 'explain', 'toWireAuthorization', 'workloadPolicyNames', 'wireScope', 'wireMatches', 'WireAuthorizer', 'emptyMatch',
  'normalizePath', 'parseStringMatcher', 'matchString', 'parseCidr', 'parseIp', 'cidrContains', 'compilePathTemplate',
];

t.test('root exports', async (t) => {
  for (const name of ROOT) t.ok(name in rbac, name);
  t.same(rbac.MODES, ['l4', 'l7', 'waypoint']);
});

t.test('testing exports', async (t) => {
  for (const name of ['createAuthorizer', 'assertAllowed', 'assertDenied']) t.ok(name in testing, name);
});

const dist = new URL('../dist/index.js', import.meta.url);
t.test('the built package has the same surface (when built)', { skip: existsSync(dist) ? false : 'not built (npx tsc -b packages/rbac)' }, async (t) => {
  const built = (await import(dist.href)) as Record<string, unknown>;
  for (const name of ROOT) t.ok(name in built, name);
  const a = (built['createAuthorizer'] as typeof rbac.createAuthorizer)([], { mode: 'l4' });
  t.equal(a.evaluate({ destination: { namespace: 'x' } }).decision, 'ALLOW');
});
