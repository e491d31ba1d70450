// Interop: an independent HTTP/2 + TLS stack (Debian's python3-h2 over Python's ssl, with a client certificate)
// drives our server with a raw CONNECT and echoes bytes.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mesh, startServer, echoHandler } from './fixtures/mesh.js';
import type { InboundTunnel } from '../src/server.js';

const PY = '/usr/bin/python3';
const script = new URL('./fixtures/h2_connect.py', import.meta.url).pathname;
const hasH2 = existsSync(PY) && existsSync('/usr/lib/python3/dist-packages/h2');

function run(args: string[]): Promise<{ status: number | null; sent: number; received: number; equal: boolean; peer: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(PY, [script, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

t.test('python3-h2 CONNECT over Python ssl with a client certificate', { skip: hasH2 ? false : 'needs Debian python3-h2 (scripts/install-system-deps)' }, async (t) => {
  const m = await mesh();
  const dir = mkdtempSync(join(tmpdir(), 'amt-hbone-interop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.pem'), m.ca.trustBundlePem);
  writeFileSync(join(dir, 'cert.pem'), m.client.certChainPem);
  writeFileSync(join(dir, 'key.pem'), m.client.privateKeyPem);
  const seen: InboundTunnel[] = [];
  const { port } = await startServer(t, {
    handler: (tun) => {
      seen.push(tun);
      if (tun.authority.port === 401) tun.reject(401);
      else echoHandler(tun);
    },
  });
  const base = ['127.0.0.1', String(port), join(dir, 'ca.pem'), join(dir, 'cert.pem'), join(dir, 'key.pem')];

  const echo = await run([...base, '10.0.0.1:8080', String(5 * 1024 * 1024 + 3), 'CONNECT']);
  t.equal(echo.status, 200);
  t.equal(echo.sent, 5 * 1024 * 1024 + 3);
  t.equal(echo.received, echo.sent, 'every byte echoed back (flow control across several windows)');
  t.ok(echo.equal, 'byte-identical');
  t.same(echo.peer, [m.serverId.id.toString()], 'python saw our SPIFFE URI SAN');
  t.equal(seen[0]!.peerIdentity, m.client.id.toString());
  t.equal(seen[0]!.headers.forwarded, 'for="127.0.0.1:1234"');
  t.equal(seen[0]!.headers.traceparent, `00-${'1'.repeat(32)}-${'2'.repeat(16)}-00`);

  t.equal((await run([...base, '[::1]:80', '0', 'CONNECT'])).status, 200, 'IPv6 authority, empty tunnel');
  t.equal((await run([...base, '10.0.0.1:401', '10', 'CONNECT'])).status, 401, 'a policy denial is 401');
  t.equal((await run([...base, 'bad-authority', '10', 'CONNECT'])).status, 400, 'a malformed authority is 400');
  t.equal((await run([...base, '10.0.0.1:80', '0', 'GET'])).status, 400, 'GET is 400');
});
