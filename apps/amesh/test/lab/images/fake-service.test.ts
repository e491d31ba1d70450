import t, { type Test } from 'tap';
import { request } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { fakeTimestamp, goDuration, optionsFromEnv, startFakeService, type FakeResponse } from '../../../src/lab/images/fake-service.js';

function get(port: number, path = '/'): Promise<{ status: number; body: FakeResponse }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let s = '';
      res.on('data', (c) => (s += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(s) as FakeResponse }));
    })
      .on('error', reject)
      .end();
  });
}

async function start(t: Test, name: string, message: string, upstreamUris: string[] = []): Promise<number> {
  const s: Server = await startFakeService({ name, message, upstreamUris, listenAddr: '127.0.0.1:0', ipAddresses: ['10.0.0.9'] });
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  return (s.address() as AddressInfo).port;
}

t.test('the seed 000 chain: web-api -> recommendation -> purchase-history-v1', async (t) => {
  const ph = await start(t, 'purchase-history-v1', 'Hello From Purchase History (v1)!');
  const rec = await start(t, 'recommendation', 'Hello From Recommendations!', [`http://127.0.0.1:${ph}`]);
  const web = await start(t, 'web-api', 'Hello From Web API', [`http://127.0.0.1:${rec}`]);
  const { status, body } = await get(web);
  t.equal(status, 200);
  t.same(Object.keys(body), ['name', 'uri', 'type', 'ip_addresses', 'start_time', 'end_time', 'duration', 'body', 'upstream_calls', 'code']);
  t.equal(body.name, 'web-api');
  t.equal(body.uri, '/');
  t.equal(body.body, 'Hello From Web API');
  t.same(body.ip_addresses, ['10.0.0.9']);
  const r = body.upstream_calls![0]!;
  t.equal(r.name, 'recommendation');
  t.equal(r.uri, `http://127.0.0.1:${rec}`);
  t.equal(r.code, 200);
  const p = r.upstream_calls![0]!;
  t.equal(p.name, 'purchase-history-v1');
  t.equal(p.body, 'Hello From Purchase History (v1)!');
  t.notOk('upstream_calls' in p, 'a leaf has no upstream_calls');
  t.match(body.start_time!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  t.match(body.duration!, /^\d+(\.\d+)?(ns|µs|ms|s)$/);
});

t.test('a failing upstream yields code 500 and the upstream entry carries the error', async (t) => {
  const port = await start(t, 'web-api', 'hi', [`http://127.0.0.1:1`]);
  const { status, body } = await get(port);
  t.equal(status, 500);
  t.equal(body.code, 500);
  t.equal(body.upstream_calls![0]!.code, -1);
  t.match(body.upstream_calls![0]!.error!, /Error communicating with upstream service: .*ECONNREFUSED/);
});

t.test('environment parsing names the bad variable', async (t) => {
  const o = optionsFromEnv({ NAME: 'web-api', MESSAGE: 'm', UPSTREAM_URIS: 'http://a:8080, http://b:8080', LISTEN_ADDR: '0.0.0.0:8080' });
  t.same(o.upstreamUris, ['http://a:8080', 'http://b:8080']);
  t.equal(o.listenAddr, '0.0.0.0:8080');
  t.equal(optionsFromEnv({}).listenAddr, '0.0.0.0:9090');
  t.throws(() => optionsFromEnv({ LISTEN_ADDR: 'nope' }), /LISTEN_ADDR="nope"/);
  t.throws(() => optionsFromEnv({ UPSTREAM_URIS: 'grpc://x' }), /UPSTREAM_URIS entry "grpc:\/\/x"/);
});

t.test('Go-style durations and fake-service timestamps', async (t) => {
  t.equal(goDuration(500), '500ns');
  t.equal(goDuration(680444), '680.444µs');
  t.equal(goDuration(14328322), '14.328322ms');
  t.equal(goDuration(1500000000), '1.5s');
  t.equal(fakeTimestamp(new Date(2022, 10, 15, 7, 45, 20, 808), 573), '2022-11-15T07:45:20.808573');
});
