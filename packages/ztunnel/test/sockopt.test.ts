import t from 'tap';
import net from 'node:net';
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { needsRoot, isRoot } from '@amesh/test-utils';
import { DEFAULT_ADDON_PATH, bindSocket, canBindSockets, closeFd, fdOf, isTransparent, loadSockopt, makeTransparent, originalDst } from '../src/sockopt.js';
import { ZtunnelError, ZtunnelErrorCode } from '../src/errors.js';

const built = existsSync(DEFAULT_ADDON_PATH);
const needsAddon = { skip: built ? false : 'native helper not built (npm run build)' };

function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port)));
}

t.test('a missing addon fails with ZT_ERR_NATIVE_UNAVAILABLE and a clear hint', async (t) => {
  const server = net.createServer();
  await listen(server);
  t.teardown(() => server.close());
  t.throws(() => makeTransparent(server, { addonPath: '/nonexistent/ztunnel_sockopt.node' }), {
    code: ZtunnelErrorCode.NATIVE_UNAVAILABLE,
    message: /npm run build/,
  });
  try {
    loadSockopt('/nonexistent/x.node');
  } catch (err) {
    t.ok(err instanceof ZtunnelError);
  }
});

t.test('fdOf refuses an unbound server', async (t) => {
  t.throws(() => fdOf(net.createServer()), { code: ZtunnelErrorCode.SOCKOPT });
});

t.test('IP_TRANSPARENT is set after listen and reads back (root)', { ...needsAddon, ...(built ? needsRoot() : {}) }, async (t) => {
  for (const host of ['127.0.0.1', '::1']) {
    const server = net.createServer();
    await listen(server, host);
    t.teardown(() => server.close());
    t.equal(isTransparent(server), false, `${host}: off by default`);
    makeTransparent(server, { freebind: true, mark: 0x539 });
    t.equal(isTransparent(server), true, `${host}: on after makeTransparent`);
  }
});

t.test('originalDst is null for a connection that was not NATed', needsAddon, async (t) => {
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const port = await listen(server);
  const client = net.connect(port, '127.0.0.1');
  const s = await accepted;
  t.teardown(() => {
    client.destroy();
    s.destroy();
    server.close();
  });
  t.equal(originalDst(s), null);
});

t.test('without CAP_NET_ADMIN the option fails with ZT_ERR_SOCKOPT', { skip: !built || isRoot() ? 'runs only as non-root' : false }, async (t) => {
  const server = net.createServer();
  await listen(server);
  t.teardown(() => server.close());
  t.throws(() => makeTransparent(server), { code: ZtunnelErrorCode.SOCKOPT, message: /CAP_NET_ADMIN/ });
});

// The recipe from docs: a transparent Node server in a "node" namespace receives a "pod"'s connection to an arbitrary
// address through TPROXY, with localAddress = that address and remoteAddress = the pod.
t.test('TPROXY to a transparent listener in a network namespace', { ...needsAddon, ...(built ? needsRoot() : {}) }, async (t) => {
  const node = `amt-ztunnel-${process.pid}-n`;
  const pod = `amt-ztunnel-${process.pid}-p`;
  const sh = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const inNs = (ns: string, ...args: string[]) => sh('ip', 'netns', 'exec', ns, ...args);
  t.teardown(() => {
    for (const ns of [pod, node]) {
      try {
        sh('ip', 'netns', 'del', ns);
      } catch {
        /* already gone */
      }
    }
  });
  sh('ip', 'netns', 'add', node);
  sh('ip', 'netns', 'add', pod);
  sh('ip', 'link', 'add', 'zt0', 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
  inNs(node, 'ip', 'link', 'set', 'lo', 'up');
  inNs(pod, 'ip', 'link', 'set', 'lo', 'up');
  inNs(node, 'ip', 'addr', 'add', '10.199.0.1/24', 'dev', 'zt0');
  inNs(node, 'ip', 'link', 'set', 'zt0', 'up');
  inNs(pod, 'ip', 'addr', 'add', '10.199.0.2/24', 'dev', 'eth0');
  inNs(pod, 'ip', 'link', 'set', 'eth0', 'up');
  inNs(pod, 'ip', 'route', 'add', 'default', 'via', '10.199.0.1');
  inNs(node, 'iptables', '-t', 'mangle', '-A', 'PREROUTING', '-i', 'zt0', '-p', 'tcp', '-j', 'TPROXY', '--on-port', '15001', '--tproxy-mark', '0x1/0x1');
  inNs(node, 'ip', 'rule', 'add', 'fwmark', '0x1/0x1', 'lookup', '100');
  inNs(node, 'ip', 'route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100');

  const fixture = new URL('./fixtures/tproxy-server.mjs', import.meta.url).pathname;
  const child = spawn('ip', ['netns', 'exec', node, process.execPath, fixture, DEFAULT_ADDON_PATH, '15001'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.teardown(() => {
    child.stdin.end();
    child.kill();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = JSON.parse((await lines.next()).value as string);
  t.same(first, { listening: true, transparent: true });

  const reply = inNs(pod, process.execPath, '-e',
    `const s=require('net').connect(80,'203.0.113.7');let d='';s.on('data',c=>d+=c);s.on('end',()=>process.stdout.write(d))`);
  t.equal(reply, 'hello\n', 'the pod talked to "203.0.113.7:80" and got the transparent listener');
  const accepted = JSON.parse((await lines.next()).value as string);
  t.same(accepted, { accepted: true, local: '203.0.113.7:80', remote: '10.199.0.2' });
});

t.test('bindSocket: SO_REUSEPORT sockets share a port; Node listens on the descriptor; without it the port is taken', needsAddon, async (t) => {
  const a = bindSocket('127.0.0.1', 0, { reusePort: true });
  const b = bindSocket('127.0.0.1', a.port, { reusePort: true });
  t.equal(b.port, a.port);
  const servers = [a, b].map((r) => net.createServer((s) => s.end('hi')));
  for (const [i, r] of [a, b].entries()) await new Promise<void>((res) => servers[i]!.listen({ fd: r.fd }, res));
  t.teardown(() => servers.forEach((s) => s.close()));
  t.equal((servers[1]!.address() as net.AddressInfo).port, a.port);
  const got = await new Promise<string>((resolve) => {
    let out = '';
    net.connect(a.port, '127.0.0.1').on('data', (d) => (out += d)).on('close', () => resolve(out));
  });
  t.equal(got, 'hi');
  t.throws(() => bindSocket('127.0.0.1', a.port), { code: ZtunnelErrorCode.SOCKOPT, message: /EADDRINUSE|in use/ });
  t.throws(() => bindSocket('not-an-ip', 0), { code: ZtunnelErrorCode.SOCKOPT });
  const c = bindSocket('::', 0, {});
  t.ok(c.port > 0, 'dual-stack IPv6 socket');
  closeFd(c.fd);
  t.ok(canBindSockets());
  t.notOk(canBindSockets('/nonexistent/x.node'));
  t.throws(() => bindSocket('127.0.0.1', 0, { addonPath: '/nonexistent/x.node' }), { code: ZtunnelErrorCode.NATIVE_UNAVAILABLE });
});

t.test('bindSocket with IP_TRANSPARENT and SO_MARK before bind (root)', { ...needsAddon, ...(isRoot() ? {} : { skip: 'needs CAP_NET_ADMIN' }) }, async (t) => {
  const r = bindSocket('127.0.0.1', 0, { reusePort: true, transparent: true, mark: 1 });
  const server = net.createServer();
  await new Promise<void>((res) => server.listen({ fd: r.fd }, res));
  t.teardown(() => server.close());
  t.equal(isTransparent(server), true);
});
