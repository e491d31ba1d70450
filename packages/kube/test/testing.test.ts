import t from 'tap';
import http from 'node:http';
import { FakeApiServer } from '../src/testing.js';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

t.test('the fake API server speaks list, 404 and injected failures', async (t) => {
  const api = await FakeApiServer.start();
  t.teardown(() => api.close());
  t.equal((await get(`${api.url}/api/v1/pods`)).status, 404, 'unserved collection');
  t.equal((await get(`${api.url}/nonsense`)).status, 404);
  api.upsert('v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'ns', labels: { app: 'x' } } });
  const list = JSON.parse((await get(`${api.url}/api/v1/namespaces/ns/pods?labelSelector=app%3Dx`)).body);
  t.equal(list.items.length, 1);
  t.equal(list.items[0].kind, undefined, 'list items carry no kind, like the real server');
  t.equal(list.metadata.resourceVersion, api.resourceVersion);
  api.failNext(503);
  t.equal((await get(`${api.url}/api/v1/pods`)).status, 503);
  api.delete('v1/pods', 'missing');
  t.equal(api.watcherCount, 0);
});
