import t from 'tap';
import { Catalog, effectiveTrafficPolicy, hostMatches, visibleTo } from '../../src/router/catalog.js';
import { loadConfig } from '../../src/router/validate.js';
import type { DestinationRule } from '../../src/router/model.js';

t.test('visibleTo (exportTo)', async (t) => {
  t.ok(visibleTo([], 'a', 'b'), 'empty: everywhere');
  t.ok(visibleTo(['*'], 'a', 'b'));
  t.ok(visibleTo(['.'], 'a', 'a'));
  t.notOk(visibleTo(['.'], 'a', 'b'));
  t.ok(visibleTo(['b'], 'a', 'b'));
  t.notOk(visibleTo(['~'], 'a', 'a'), '~: nowhere');
});

t.test('hostMatches', async (t) => {
  t.ok(hostMatches('*', 'anything'));
  t.ok(hostMatches('*.example.com', 'a.b.example.com'));
  t.notOk(hostMatches('*.example.com', 'example.com'));
  t.notOk(hostMatches('a.example.com', 'b.example.com'));
});

t.test('ServiceEntries: exact, wildcard, static endpoints, workloadSelector, exportTo', async (t) => {
  const r = loadConfig([
    { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ext', namespace: 'a' }, spec: { hosts: ['api.example.com', '*.wild.example.com'], ports: [{ number: 443, name: 'https', targetPort: 8443 }], endpoints: [{ address: '1.2.3.4', labels: { v: '1' } }, { address: '1.2.3.5', ports: { https: 9443 } }], exportTo: ['.'] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'vm', namespace: 'a' }, spec: { hosts: ['vm.internal'], ports: [{ number: 80 }], workloadSelector: { labels: { app: 'vm' } } } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'vm-1', namespace: 'a', labels: { app: 'vm' } }, status: { podIP: '10.0.0.9' } },
    { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'nores', namespace: 'a' }, spec: { hosts: ['static.example.com'], ports: [{ number: 80 }], resolution: 'STATIC' } },
  ]);
  t.same(r.errors, []);
  const c = new Catalog(r.model);
  const api = c.lookupDomain('api.example.com', 'a')!;
  t.equal(api.hostname, 'api.example.com');
  t.equal(api.ports[0]!.targetPort, 8443);
  t.same(c.endpoints(api).map((e) => e.name), ['1.2.3.4', '1.2.3.5']);
  t.equal(c.lookupDomain('api.example.com', 'b'), undefined, 'exportTo "." hides it from b');
  t.equal(c.lookupDomain('x.wild.example.com', 'a')?.hostname, '*.wild.example.com');
  t.equal(c.lookupHost('y.wild.example.com', 'a')?.hostname, '*.wild.example.com');
  const vm = c.lookupHost('vm.internal', 'z')!;
  t.same(c.endpoints(vm), [{ name: 'vm-1', labels: { app: 'vm' }, ip: '10.0.0.9' }]);
  t.same(c.endpoints(c.lookupHost('static.example.com', 'a')!), [], 'no endpoints, no DNS: none');
});

t.test('effectiveTrafficPolicy: subset overrides field by field; portLevelSettings replace', async (t) => {
  const dr = {
    trafficPolicy: { loadBalancer: { simple: 'RANDOM' }, connectionPool: { tcp: { maxConnections: 1 } }, portLevelSettings: [{ port: 8080, tls: { mode: 'DISABLE' } }] },
  } as unknown as DestinationRule;
  const sub = { name: 's', labels: {}, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' as const } } };
  t.same(effectiveTrafficPolicy(dr, undefined, 80), { loadBalancer: { simple: 'RANDOM' }, connectionPool: { tcp: { maxConnections: 1 } } });
  t.same(effectiveTrafficPolicy(dr, sub, 80), { loadBalancer: { simple: 'ROUND_ROBIN' }, connectionPool: { tcp: { maxConnections: 1 } } });
  t.same(effectiveTrafficPolicy(dr, sub, 8080), { tls: { mode: 'DISABLE' } });
  t.same(effectiveTrafficPolicy(undefined, undefined, 80), {});
  const full = { name: 'f', labels: {}, trafficPolicy: { connectionPool: { a: 1 }, outlierDetection: { b: 2 }, tls: { c: 3 }, portLevelSettings: [{ port: 1, loadBalancer: { simple: 'RANDOM' as const } }] } };
  t.same(effectiveTrafficPolicy(dr, full, 1), { loadBalancer: { simple: 'RANDOM' } });
  t.same(effectiveTrafficPolicy(dr, full, 2), { loadBalancer: { simple: 'RANDOM' }, connectionPool: { a: 1 }, outlierDetection: { b: 2 }, tls: { c: 3 } });
});

t.test('endpointPort: numeric and named target ports, ServiceEntry endpoint ports', async (t) => {
  const { endpointPort } = await import('../../src/router/catalog.js');
  t.equal(endpointPort(undefined, 80, undefined), 80);
  t.equal(endpointPort({ port: 80, targetPort: 8080 }, 80, undefined), 8080);
  t.equal(endpointPort({ port: 80, targetPort: '9090' }, 80, undefined), 9090);
  t.equal(endpointPort({ port: 80, targetPort: 'http-web' }, 80, { name: 'p', labels: {}, ports: { 'http-web': 3000 } }), 3000);
  t.equal(endpointPort({ port: 80, targetPort: 'missing' }, 80, { name: 'p', labels: {} }), 80);
  t.equal(endpointPort({ port: 80 }, 80, undefined), 80);
  t.equal(endpointPort({ port: 443, name: 'https', targetPort: 8443 }, 443, { name: '1.2.3.4', labels: {}, ports: { https: 9443 } }, true), 9443);
  t.equal(endpointPort({ port: 443, name: 'https', targetPort: 8443 }, 443, { name: '1.2.3.4', labels: {} }, true), 8443);
});
