import t from 'tap';
import { parsePolicy } from '@amesh/rbac';
import { convertPolicy } from '../src/authz.js';

t.test('policies convert to the xds Authorization model', async (t) => {
  const p = parsePolicy({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { action: 'DENY', rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8', '2001:db8::1'], namespaces: ['a*'] } }], to: [{ operation: { ports: ['8080'] } }] }] },
  }).policy!;
  const { authorization } = convertPolicy(p, { rootNamespace: 'istio-system' });
  t.equal(authorization!.action, 'DENY');
  t.equal(authorization!.scope, 'NAMESPACE');
  const clauses = authorization!.groups[0]!.rules;
  t.same(clauses[0]!.matches[0]!.destinationPorts, [8080]);
  t.same(clauses[1]!.matches[0]!.sourceIps, [{ address: '10.0.0.0', length: 8 }, { address: '2001:db8::1', length: 128 }]);
  t.same(clauses[1]!.matches[0]!.namespaces, [{ prefix: 'a' }]);
  t.same(clauses[1]!.matches[0]!.extensions, []);
  const custom = parsePolicy({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'c', namespace: 'ns' }, spec: { action: 'CUSTOM', provider: { name: 'x' }, rules: [{}] } }).policy!;
  const r = convertPolicy(custom, { rootNamespace: 'istio-system' });
  t.equal(r.authorization, null);
  t.match(r.status, [/CUSTOM/]);
});
