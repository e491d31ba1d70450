import t, { type Test } from 'tap';
import net from 'node:net';
import { acceptSocks5, socks5Fail, SOCKS5_SUCCESS, type Socks5Request } from '../src/socks5.js';
import { ZtunnelErrorCode } from '../src/errors.js';

async function handshake(t: Test, bytes: Buffer[]): Promise<{ result: Socks5Request | Error; replies: Buffer; rest: Buffer }> {
  let resolveResult!: (v: Socks5Request | Error) => void;
  const result = new Promise<Socks5Request | Error>((r) => (resolveResult = r));
  let rest = Buffer.alloc(0);
  const server = net.createServer(async (s) => {
    try {
      const req = await acceptSocks5(s);
      s.write(SOCKS5_SUCCESS);
      if (req.corked) s.uncork();
      s.on('data', (c) => (rest = Buffer.concat([rest, c])));
      s.resume();
      s.on('end', () => s.end());
      resolveResult(req);
    } catch (err) {
      resolveResult(err as Error);
      s.destroy();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const chunks: Buffer[] = [];
  c.on('data', (d) => chunks.push(d));
  c.on('error', () => {});
  for (const b of bytes) c.write(b);
  c.end();
  const res = await result;
  await new Promise((r) => c.on('close', r));
  return { result: res, replies: Buffer.concat(chunks), rest };
}


t.test('IPv4, IPv6 and domain CONNECT; early payload is kept', async (t) => {
  const v4 = await handshake(t, [Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 1, 10, 0, 0, 1, 0x1f, 0x90]), Buffer.from('early')]);
  // the client wrote its request before reading the method reply: the reply is corked until SOCKS5_SUCCESS
  t.same(v4.result, { host: '10.0.0.1', type: 'ipv4', port: 8080, corked: true });
  t.same([...v4.replies.subarray(0, 2)], [5, 0]);
  t.same(v4.replies.subarray(2), SOCKS5_SUCCESS);
  t.equal(v4.rest.toString(), 'early');
  const v6 = Buffer.from([5, 1, 0, 4, ...Buffer.from('20010db8000000000000000000000001', 'hex'), 0, 80]);
  t.same((await handshake(t, [Buffer.from([5, 2, 2, 0]), v6])).result, { host: '2001:db8::1', type: 'ipv6', port: 80, corked: true });
  const name = Buffer.from('echo.default.svc.cluster.local');
  const dom = Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, name.length]), name, Buffer.from([0, 80])]);
  t.same((await handshake(t, [dom])).result, { host: 'echo.default.svc.cluster.local', type: 'domain', port: 80, corked: true });
});

t.test('a client that waits for the method reply gets it at once (nothing corked)', async (t) => {
  let resolveResult!: (v: Socks5Request) => void;
  const result = new Promise<Socks5Request>((r) => (resolveResult = r));
  const server = net.createServer(async (s) => {
    s.on('error', () => {});
    const req = await acceptSocks5(s);
    s.end(SOCKS5_SUCCESS);
    resolveResult(req);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  c.on('error', () => {});
  c.write(Buffer.from([5, 1, 0]));
  const method = await new Promise<Buffer>((r) => c.once('data', r));
  t.same([...method], [5, 0]);
  c.write(Buffer.from([5, 1, 0, 1, 10, 0, 0, 1, 0, 80]));
  t.same(await result, { host: '10.0.0.1', type: 'ipv4', port: 80 });
  c.destroy();
});

t.test('refusals: auth required, BIND, bad address type, bad version, early close', async (t) => {
  const noAuth = await handshake(t, [Buffer.from([5, 1, 2])]);
  t.match(noAuth.result, { code: ZtunnelErrorCode.SOCKS5, message: /no authentication/ });
  t.same([...noAuth.replies], [5, 0xff]);
  const bind = await handshake(t, [Buffer.from([5, 1, 0, 5, 2, 0, 1, 1, 2, 3, 4, 0, 80])]);
  t.match(bind.result, { code: ZtunnelErrorCode.SOCKS5, message: /command 2/ });
  t.equal(bind.replies[3], 7);
  const atyp = await handshake(t, [Buffer.from([5, 1, 0, 5, 1, 0, 9])]);
  t.match(atyp.result, { message: /address type 9/ });
  t.match((await handshake(t, [Buffer.from([4, 1, 0])])).result, { message: /version 4/ });
  t.match((await handshake(t, [Buffer.from([5, 1])])).result, { message: /closed during the handshake/ });
});

t.test('socks5Fail writes a general failure reply', async (t) => {
  const server = net.createServer((s) => socks5Fail(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const chunks: Buffer[] = [];
  c.on('error', () => {});
  c.on('data', (d) => chunks.push(d));
  await new Promise((r) => c.on('close', r));
  t.equal(Buffer.concat(chunks)[1], 1);
});
