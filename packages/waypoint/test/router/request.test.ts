import t from 'tap';
import { validateRequest } from '../../src/router/request.js';

t.test('a valid request passes through', async (t) => {
  const r = validateRequest({ host: 'reviews', port: 9080, method: 'GET', path: '/x?y', scheme: 'https', headers: { a: 'b', c: ['d', 'e'] }, claims: { sub: 'x' }, client: { namespace: 'default', labels: { app: 'p' }, ip: '10.0.0.1' }, context: 'gateway', gateway: 'istio-system/ingress' });
  t.same(r.errors, []);
  t.equal(r.request?.host, 'reviews');
});

t.test('every problem with its field path', async (t) => {
  t.same(validateRequest(7).errors, ['request: must be a JSON object']);
  const r = validateRequest({ port: 0, method: 'get', path: 'x', scheme: 'ftp', headers: { a: 1 }, claims: 'x', client: { namespace: '', labels: { a: 1 }, ip: 5, extra: 1 }, context: 'x', gateway: 'nope', more: 1 });
  for (const re of [/request\.more: unknown field/, /request\.host: is required/, /request\.port: is required/, /request\.method: must be an upper-case/, /request\.path: must be a string starting with \//, /request\.scheme: must be http or https/, /request\.headers\.a: must be a string/, /request\.claims: must be an object/, /request\.client\.namespace/, /request\.client\.labels\.a/, /request\.client\.ip/, /request\.client\.extra: unknown field/, /request\.context: must be/, /request\.gateway: must be "<namespace>\/<name>"/]) {
    t.ok(r.errors.some((e) => re.test(e)), `${re}\n${r.errors.join('\n')}`);
  }
  t.match(validateRequest({ host: 'a', port: 1, client: 'x' }).errors, [/request\.client: must be an object/]);
  t.match(validateRequest({ host: 'a', port: 1, client: { labels: 'x' } }).errors, [/request\.client\.labels: must be an object/]);
});
