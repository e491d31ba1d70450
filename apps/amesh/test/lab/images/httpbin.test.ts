import t from 'tap';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHttpbin } from '../../../src/lab/images/httpbin.js';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: s }));
    })
      .on('error', reject)
      .end();
  });
}

t.test('httpbin endpoints', async (t) => {
  const s = await startHttpbin({ listenAddr: '127.0.0.1:0', maxDelaySeconds: 1 });
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  const port = (s.address() as AddressInfo).port;
  const g = JSON.parse((await get(port, '/get?a=1&a=2&b=x', { 'x-user': 'jason' })).text);
  t.same(g.args, { a: ['1', '2'], b: 'x' });
  t.equal(g.headers['X-User'], 'jason');
  t.equal(g.origin, '127.0.0.1');
  t.same(JSON.parse((await get(port, '/ip')).text), { origin: '127.0.0.1' });
  t.equal(JSON.parse((await get(port, '/headers', { 'end-user': 'jason' })).text).headers['End-User'], 'jason');
  t.equal((await get(port, '/status/418')).status, 418);
  t.equal((await get(port, '/delay/0.05')).status, 200);
  t.equal((await get(port, '/nope')).status, 404);
});
