import t, { type Test } from 'tap';
import { once } from 'node:events';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createTestCa } from '../src/testing.js';
import { clientTlsOptions, serverTlsOptions, verifyPeer, verifyPeerChain, spiffeIdOf, peerChainOf, Certificate, CertificateAuthority, generateKeySync, SpiffeErrorCode, type Svid } from '../src/index.js';

/** Starts a TLS server for `server`, connects as `client` expecting `expected`; returns what each side saw. */
async function handshake(t: Test, server: Svid, client: Svid, expected: string[]) {
  const seen: { serverSaw?: string; serverError?: Error; protocol?: string | null; alpn?: string | false | null } = {};
  const srv = tls.createServer(serverTlsOptions(server), (s) => {
    try {
      seen.serverSaw = verifyPeer(s, { trustBundle: server.roots, trustDomain: server.id.trustDomain }).toString();
    } catch (err) {
      seen.serverError = err as Error;
    }
    seen.protocol = s.getProtocol();
    seen.alpn = s.alpnProtocol;
    s.end('done');
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.teardown(() => srv.close());
  const c = tls.connect({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, ...clientTlsOptions(client, expected) });
  t.teardown(() => c.destroy());
  const result = await new Promise<{ ok: true; peer: string } | { ok: false; err: Error }>((resolve) => {
    c.once('secureConnect', () => resolve({ ok: true, peer: verifyPeer(c, { trustBundle: client.roots, expected }).toString() }));
    c.once('error', (err) => resolve({ ok: false, err }));
  });
  if (result.ok) {
    c.resume();
    await once(c, 'end');
  }
  return { ...seen, ...result };
}

t.test('mTLS between two identities over real TLS 1.3 with ALPN h2', async (t) => {
  const ca = await createTestCa({ intermediate: true });
  const sleep = ca.issue('default/sleep');
  const httpbin = ca.issue('default/httpbin', { keyType: 'rsa' });
  const r = await handshake(t, httpbin, sleep, ['spiffe://cluster.local/ns/default/sa/httpbin']);
  t.ok(r.ok);
  t.equal(r.ok && r.peer, 'spiffe://cluster.local/ns/default/sa/httpbin');
  t.equal(r.serverSaw, 'spiffe://cluster.local/ns/default/sa/sleep');
  t.equal(r.protocol, 'TLSv1.3');
  t.equal(r.alpn, 'h2');
});

t.test('client refuses a server whose identity is not expected', async (t) => {
  const ca = await createTestCa();
  const r = await handshake(t, ca.issue('default/evil'), ca.issue('default/sleep'), ['spiffe://cluster.local/ns/default/sa/httpbin']);
  t.notOk(r.ok);
  t.match(!r.ok && r.err, { code: SpiffeErrorCode.PEER_ID_MISMATCH, message: /default\/sa\/evil is not one of/ });
});

t.test('a peer from another CA is refused by OpenSSL and by verifyPeerChain', async (t) => {
  const ours = await createTestCa();
  const theirs = await createTestCa();
  const r = await handshake(t, ours.issue('a/b'), theirs.issue('a/c'), ['spiffe://cluster.local/ns/a/sa/b']);
  t.notOk(r.ok);
  t.throws(() => verifyPeerChain(theirs.issue('a/c').chain, { trustBundle: ours.trustBundlePem }), { code: SpiffeErrorCode.PEER_UNTRUSTED });
});

t.test('verifyPeerChain: trust domain, expected set, expiry, SAN shape, multiple roots', async (t) => {
  let now = Date.now();
  const ca = await createTestCa({ now: () => now });
  const svid = ca.issue('ns1/sa1', { ttlSeconds: 3600 });
  const chain = svid.chain.map((c) => c.der);
  t.equal(verifyPeerChain(chain, { trustBundle: ca.trustBundlePem }).toString(), 'spiffe://cluster.local/ns/ns1/sa/sa1');
  t.throws(() => verifyPeerChain([], { trustBundle: ca.trustBundlePem }), { code: SpiffeErrorCode.PEER_NO_CERT });
  t.throws(() => verifyPeerChain([Buffer.from([0x30, 0x00])], { trustBundle: ca.trustBundlePem }), { code: SpiffeErrorCode.MALFORMED_CERT });
  t.throws(() => verifyPeerChain(chain, { trustBundle: ca.trustBundlePem, trustDomain: 'other.td' }), { code: SpiffeErrorCode.PEER_TRUST_DOMAIN });
  t.throws(() => verifyPeerChain(chain, { trustBundle: ca.trustBundlePem, expected: [] }), { code: SpiffeErrorCode.PEER_ID_MISMATCH });
  t.throws(() => verifyPeerChain(chain, { trustBundle: ca.trustBundlePem, now: now + 3601_000 }), { code: SpiffeErrorCode.CERT_EXPIRED, message: /leaf/ });
  t.throws(() => verifyPeerChain(chain, { trustBundle: ca.trustBundlePem, now: now - 10_000 }), { code: SpiffeErrorCode.CERT_EXPIRED });
  // root rotation: the bundle holds the old and the new root
  const next = await createTestCa();
  const both = ca.trustBundlePem + next.trustBundlePem;
  t.equal(verifyPeerChain(next.issue('x/y').chain, { trustBundle: both }).toString(), 'spiffe://cluster.local/ns/x/sa/y');
  t.equal(verifyPeerChain(chain, { trustBundle: Certificate.fromPem(both) }).toString(), 'spiffe://cluster.local/ns/ns1/sa/sa1');
  // SAN shapes: none, two, not a SPIFFE ID
  const key = generateKeySync();
  const raw = ca.ca.issueUnchecked('https://example.com/x', key.publicKey.export({ type: 'spki', format: 'der' }), false, 3600);
  t.throws(() => spiffeIdOf(Certificate.fromDer(raw.leafDer)), { code: SpiffeErrorCode.PEER_NO_ID, message: /not a valid SPIFFE ID/ });
  t.throws(() => spiffeIdOf(ca.ca.certificate), { code: SpiffeErrorCode.PEER_NO_ID, message: /0 URI SANs/ });
  now += 1;
});

t.test('an expired intermediate or root fails closed', async (t) => {
  const now = Date.now();
  const root = await CertificateAuthority.createRoot({ rootTtlSeconds: 7200 });
  const leaf = root.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: generateKeySync().publicKey, ttlSeconds: 3600 });
  const certs = [Certificate.fromPem(leaf.leafPem)[0]!];
  t.ok(verifyPeerChain(certs, { trustBundle: root.roots, now }));
  t.throws(() => verifyPeerChain(certs, { trustBundle: root.roots, now: now + 8000_000 }), { code: SpiffeErrorCode.CERT_EXPIRED });
});

t.test('peerChainOf on a socket without a peer certificate is empty', async (t) => {
  const ca = await createTestCa();
  const s = ca.issue('a/b');
  const srv = tls.createServer({ ...s.tlsOptions() }, (sock) => sock.end());
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.teardown(() => srv.close());
  const c = tls.connect({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, ca: ca.trustBundlePem, checkServerIdentity: () => undefined });
  t.teardown(() => c.destroy());
  await once(c, 'secureConnect');
  t.ok(peerChainOf(c).length >= 1, 'client sees the server leaf (and the root OpenSSL completed)');
  const [sock] = await Promise.all([once(srv, 'secureConnection')]);
  t.same(peerChainOf(sock[0] as tls.TLSSocket), []);
  t.throws(() => verifyPeer(sock[0] as tls.TLSSocket, { trustBundle: ca.trustBundlePem }), { code: SpiffeErrorCode.PEER_NO_CERT });
});
