import t from 'tap';
import { parseIdentity, RequestContext, validateRequest } from '../src/request.js';

t.test('validateRequest reports every problem with its field path', async (t) => {
  t.same(validateRequest({ destination: { namespace: 'ns' } }, 'l4'), []);
  t.same(validateRequest({ destination: { namespace: 'ns' }, http: { method: 'GET' } }, 'l7'), []);
  t.same(validateRequest('x', 'l4'), ['(request): must be a JSON object']);
  const errs = validateRequest({
    extra: 1,
    destination: { namespace: '', labels: { a: 1 }, ip: 'x', port: 70000, service: { name: '' }, waypoint: 'w', bogus: 1 },
    source: { principal: 'spiffe://td/ns/a/sa/b', ip: '1.2.3', remoteIp: 5, what: 1 },
    http: { method: 1, headers: { a: [1] }, jwt: { issuer: 1, claims: 'x', audiences: 'a', presenter: 1 }, x: 1 },
    connection: { sni: 1 },
  }, 'l7');
  for (const p of ['extra:', 'destination.namespace:', 'destination.labels.a:', 'destination.ip:', 'destination.port:', 'destination.service.name:', 'destination.service.namespace:', 'destination.waypoint:', 'destination.bogus:', 'source.principal:', 'source.ip:', 'source.remoteIp:', 'source.what:', 'http.method:', 'http.headers.a:', 'http.jwt.issuer:', 'http.jwt.subject:', 'http.jwt.claims:', 'http.jwt.audiences:', 'http.jwt.presenter:', 'http.x:', 'connection.sni:']) {
    t.ok(errs.some((e) => e.startsWith(p)), p);
  }
  t.match(validateRequest({ destination: { namespace: 'a' } }, 'waypoint'), ['http: required in waypoint mode']);
  t.match(validateRequest({ destination: 'x' }, 'l4'), ['destination: required object']);
  t.match(validateRequest({ destination: { namespace: 'a', labels: 'x', service: { name: 'a', namespace: 'b', kind: 'Pod' } }, source: 'x', http: 'x', connection: 'x' }, 'l4'), [/labels/, /service.kind/, /^source/, /^http/, /^connection/]);
  t.match(validateRequest({ destination: { namespace: 'a' }, http: { headers: 'x', jwt: 'x' } }, 'l7'), [/http.headers/, /http.jwt/]);
});

t.test('identity parsing', async (t) => {
  t.same(parseIdentity('td/ns/a/sa/b'), { principal: 'td/ns/a/sa/b', trustDomain: 'td', namespace: 'a', serviceAccount: 'b' });
  t.same(parseIdentity('weird'), { principal: 'weird', trustDomain: '', namespace: '', serviceAccount: '' });
});

t.test('RequestContext parses lazily and joins duplicate headers', async (t) => {
  const c = new RequestContext({
    destination: { namespace: 'a', ip: '10.0.0.1', port: 80 },
    source: { principal: 'spiffe://td/ns/a/sa/b', ip: '10.0.0.2' },
    http: { method: 'GET', path: '/x/../y?q', host: 'H:80', headers: { 'X-A': '1', 'x-a': ['2', '3'] } },
    connection: { sni: 's' },
  });
  t.equal(c.identity!.namespace, 'a');
  t.equal(c.identity!.principal, 'td/ns/a/sa/b');
  t.same(Array.from(c.remoteIp!), [10, 0, 0, 2], 'remoteIp defaults to the peer');
  t.same(Array.from(c.dstIp!), [10, 0, 0, 1]);
  t.equal(c.dstPort, 80);
  t.same(c.path, { ok: true, path: '/y' });
  t.equal(c.host, 'h:80');
  t.equal(c.header('x-a'), '1,2,3');
  t.equal(c.header(':authority'), 'H:80');
  t.equal(c.header(':method'), 'GET');
  t.equal(c.header(':path'), '/x/../y?q');
  t.equal(c.sni, 's');
  const empty = new RequestContext({ destination: { namespace: 'a' } });
  t.equal(empty.identity, null);
  t.equal(empty.srcIp, null);
  t.equal(empty.dstIp, null);
  t.equal(empty.dstPort, null);
  t.equal(empty.method, null);
  t.equal(empty.host, null);
  t.equal(empty.jwt, null);
  t.equal(empty.sni, null);
  t.equal(empty.header('x'), null);
  t.same(empty.path, { ok: true, path: '' });
});
