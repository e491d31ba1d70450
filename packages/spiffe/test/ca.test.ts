import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { CertificateAuthority, loadPluginCa, Certificate, generateKeySync, SpiffeErrorCode, SpiffeId, verifyChain, DEFAULT_TTL_SECONDS } from '../src/index.js';

const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

t.test('root CA: issued workload certificates verify with openssl and show URI SAN + EKUs', async (t) => {
  for (const type of ['ec', 'rsa'] as const) {
    const ca = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local', type });
    t.equal(ca.trustDomain, 'cluster.local');
    t.ok(ca.certificate.isCa);
    t.equal(ca.chain.length, 0);
    for (const wtype of ['ec', 'rsa'] as const) {
      const key = generateKeySync({ type: wtype });
      const issued = ca.issue({ id: 'spiffe://cluster.local/ns/default/sa/sleep', publicKey: key.publicKey });
      t.equal(issued.certChain.length, 2, '[leaf, root]');
      t.equal(issued.certChain[1], ca.trustBundlePem);
      t.equal(issued.notAfter - issued.notBefore, DEFAULT_TTL_SECONDS * 1000);
      const dir = t.testdir({ 'root.pem': ca.trustBundlePem, 'leaf.pem': issued.leafPem });
      t.match(openssl('verify', '-CAfile', join(dir, 'root.pem'), join(dir, 'leaf.pem')), /leaf\.pem: OK/, `${type} CA, ${wtype} leaf verifies`);
      const text = openssl('x509', '-in', join(dir, 'leaf.pem'), '-noout', '-text');
      t.match(text, /X509v3 Subject Alternative Name: critical\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/sleep\n/);
      t.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
      t.match(text, /CA:FALSE/);
      t.match(text, /Subject: *\n/, 'empty subject');
      t.match(text, wtype === 'rsa' ? /Digital Signature, Key Encipherment/ : /Key Usage: critical\s+Digital Signature\n/);
      t.match(text, type === 'rsa' ? /Signature Algorithm: sha256WithRSAEncryption/ : /Signature Algorithm: ecdsa-with-SHA256/);
      const leaf = Certificate.fromPem(issued.leafPem)[0]!;
      t.same(leaf.uris, ['spiffe://cluster.local/ns/default/sa/sleep']);
      t.same(leaf.extKeyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
      t.notOk(leaf.isCa);
      t.ok(leaf.isSignedBy(ca.certificate));
    }
  }
});

t.test('long identities (multi-byte DER lengths) and fresh serials', async (t) => {
  const ca = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local' });
  const dir = t.testdir({ 'root.pem': ca.trustBundlePem });
  const serials = new Set<string>();
  for (const len of [10, 100, 200, 300, 1000]) {
    const id = `spiffe://cluster.local/ns/default/sa/${'a'.repeat(len)}`;
    for (const wtype of ['ec', 'rsa'] as const) {
      const issued = ca.issue({ id, publicKey: generateKeySync({ type: wtype }).publicKey });
      const cert = Certificate.fromDer(issued.leafDer);
      t.same(cert.uris, [id]);
      serials.add(cert.serialHex);
      writeFileSync(join(dir, 'leaf.pem'), issued.leafPem);
      t.match(openssl('verify', '-CAfile', join(dir, 'root.pem'), join(dir, 'leaf.pem')), /OK/, `${wtype} leaf with a ${len}-character SA verifies`);
    }
  }
  t.equal(serials.size, 10, 'every certificate has its own serial');
});

t.test('intermediate CA: chain is leaf → intermediate → root and verifies with openssl', async (t) => {
  const root = await CertificateAuthority.createRoot({ trustDomain: 'example.org' });
  const mid = await CertificateAuthority.createIntermediate(root, { type: 'rsa' });
  const mid2 = await CertificateAuthority.createIntermediate(mid);
  t.equal(mid2.trustDomain, 'example.org');
  t.equal(mid2.chain.length, 2);
  const issued = mid2.issue({ id: SpiffeId.parse('spiffe://example.org/ns/a/sa/b'), publicKey: generateKeySync().publicKey, ttlSeconds: 3600 });
  t.equal(issued.certChain.length, 4);
  const certs = issued.certChain.map((p) => Certificate.fromPem(p)[0]!);
  t.ok(certs[0]!.isSignedBy(certs[1]!));
  t.ok(certs[1]!.isSignedBy(certs[2]!));
  t.ok(certs[2]!.isSignedBy(certs[3]!));
  t.equal(verifyChain(certs.slice(0, 3), root.roots, Date.now()).length, 4);
  const dir = t.testdir({ 'root.pem': root.trustBundlePem, 'chain.pem': issued.certChain.slice(1, 3).join(''), 'leaf.pem': issued.leafPem });
  t.match(openssl('verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'chain.pem'), join(dir, 'leaf.pem')), /OK/);
  t.match(openssl('x509', '-in', join(dir, 'chain.pem'), '-noout', '-text'), /CA:TRUE/);
});

t.test('refusals: trust domain, TTL, key type, options — nothing is signed', async (t) => {
  const ca = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local', maxTtlSeconds: 7200, defaultTtlSeconds: 3600 });
  const publicKey = generateKeySync().publicKey;
  t.throws(() => ca.issue({ id: 'spiffe://evil.org/ns/a/sa/b', publicKey }), { code: SpiffeErrorCode.TRUST_DOMAIN_MISMATCH, message: /evil\.org/ });
  t.throws(() => ca.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey, ttlSeconds: 7201 }), { code: SpiffeErrorCode.TTL_TOO_LONG, message: /7201s .* 7200s/ });
  t.throws(() => ca.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey, ttlSeconds: 1.5 }), { code: SpiffeErrorCode.INVALID_OPTIONS });
  t.throws(() => ca.issue({ id: 'not-an-id', publicKey }), { code: SpiffeErrorCode.INVALID_ID });
  t.throws(() => ca.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: generateKeyPairSync('ed25519').publicKey }), { code: SpiffeErrorCode.UNSUPPORTED_KEY });
  t.throws(() => ca.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: Buffer.from([0x30, 0x00]) }), { code: SpiffeErrorCode.UNSUPPORTED_KEY });
  const ok = ca.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: publicKey.export({ type: 'spki', format: 'der' }) });
  t.equal(ok.notAfter - ok.notBefore, 3600_000, 'default TTL from policy; SPKI DER accepted');
  const err = await CertificateAuthority.createRoot({ trustDomain: 'Bad TD', defaultTtlSeconds: -1, maxTtlSeconds: 0, rootTtlSeconds: 0 }).catch((e: unknown) => e);
  t.match(err, { code: SpiffeErrorCode.INVALID_OPTIONS });
  t.equal((err as { details: string[] }).details.length, 4, 'collects every problem');
  await t.rejects(CertificateAuthority.createRoot({ defaultTtlSeconds: 100, maxTtlSeconds: 10 }), { code: SpiffeErrorCode.INVALID_OPTIONS, message: /must not exceed/ });
  await t.rejects(CertificateAuthority.createIntermediate(ca, { caTtlSeconds: -5 }), { code: SpiffeErrorCode.INVALID_OPTIONS });
});

t.test('lifetimes follow the injected clock and never outlive the CA', async (t) => {
  let now = Date.UTC(2030, 0, 1);
  const ca = await CertificateAuthority.createRoot({ now: () => now, rootTtlSeconds: 48 * 3600, backdateSeconds: 60 });
  const issued = ca.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: generateKeySync().publicKey });
  t.equal(issued.notBefore, now - 60_000);
  t.equal(issued.notAfter, now + 24 * 3600_000);
  now += 40 * 3600_000;
  const late = ca.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: generateKeySync().publicKey });
  t.equal(late.notAfter, ca.certificate.notAfter, 'capped at the CA notAfter');
});

t.test('fromPem: Istio plug-in material', async (t) => {
  const root = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local' });
  const mid = await CertificateAuthority.createIntermediate(root);
  const other = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local' });
  const ca = CertificateAuthority.fromPem({
    certPem: mid.certificate.pem,
    keyPem: mid.privateKeyPem,
    certChainPem: mid.certificate.pem + root.certificate.pem,
    rootCertPem: root.trustBundlePem + other.trustBundlePem,
  });
  t.equal(ca.trustDomain, 'cluster.local', 'trust domain from the certificate O');
  t.equal(ca.roots.length, 2);
  t.equal(ca.chain.length, 1);
  const issued = ca.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: generateKeySync().publicKey });
  t.equal(issued.certChain.length, 3);
  t.equal(Certificate.fromPem(issued.certChain[2]!).length, 2, 'last element holds both roots');
  t.throws(() => CertificateAuthority.fromPem({ certPem: mid.certificate.pem, keyPem: other.privateKeyPem, rootCertPem: root.trustBundlePem }), {
    code: SpiffeErrorCode.INVALID_OPTIONS,
    message: /does not match/,
  });
  t.throws(() => CertificateAuthority.fromPem({ certPem: mid.certificate.pem, keyPem: mid.privateKeyPem, rootCertPem: other.trustBundlePem }), {
    code: SpiffeErrorCode.PEER_UNTRUSTED,
  });
  const leaf = issued.leafPem;
  const leafKey = generateKeySync();
  t.throws(() => CertificateAuthority.fromPem({ certPem: leaf, keyPem: leafKey.privateKeyPem, rootCertPem: root.trustBundlePem }), {
    code: SpiffeErrorCode.INVALID_OPTIONS,
    message: /not a CA/,
  });
  t.throws(() => CertificateAuthority.fromPem({ certPem: 'garbage', keyPem: mid.privateKeyPem, rootCertPem: root.trustBundlePem }), {
    code: SpiffeErrorCode.MALFORMED_CERT,
  });
  // an expired chain is refused (the intermediate lives one year by default)
  t.throws(
    () => CertificateAuthority.fromPem({ certPem: mid.certificate.pem, keyPem: mid.privateKeyPem, rootCertPem: root.trustBundlePem, now: () => Date.now() + 400 * 24 * 3600_000 }),
    { code: SpiffeErrorCode.CERT_EXPIRED },
  );
});

t.test('an intermediate under a root given as PEM', async (t) => {
  const made = await CertificateAuthority.createRoot({ trustDomain: 'example.org' });
  const root = CertificateAuthority.fromPem({ certPem: made.certificate.pem, keyPem: made.privateKeyPem, rootCertPem: made.certificate.pem });
  t.equal(root.trustDomain, 'example.org');
  t.equal(root.chain.length, 0, 'a root signs directly');
  const mid = await CertificateAuthority.createIntermediate(root);
  const issued = mid.issue({ id: 'spiffe://example.org/ns/a/sa/b', publicKey: generateKeySync().publicKey });
  t.equal(issued.certChain.length, 3);
  t.equal(verifyChain(Certificate.fromPem(issued.certChain.slice(0, 2).join('')), made.roots, Date.now()).length, 3);
});

t.test('loadPluginCa reads the cacerts layout and reports missing files together', async (t) => {
  const root = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local' });
  const mid = await CertificateAuthority.createIntermediate(root, { type: 'rsa' });
  const dir = t.testdir({
    'ca-cert.pem': mid.certificate.pem,
    'ca-key.pem': mid.privateKeyPem,
    'root-cert.pem': root.trustBundlePem,
    'cert-chain.pem': mid.certificate.pem + root.certificate.pem,
  });
  const ca = await loadPluginCa(dir, { maxTtlSeconds: 7200, defaultTtlSeconds: 3600 });
  t.equal(ca.maxTtlSeconds, 7200);
  const issued = ca.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: generateKeySync().publicKey });
  t.equal(issued.certChain.length, 3);
  writeFileSync(join(dir, 'cert-chain.pem'), '');
  t.equal((await loadPluginCa(dir)).chain.length, 1, 'empty cert-chain.pem is fine');
  const empty = t.testdir({ 'ca-cert.pem': mid.certificate.pem });
  const err = await loadPluginCa(empty).catch((e: unknown) => e);
  t.match(err, { code: SpiffeErrorCode.INVALID_OPTIONS });
  t.same((err as { details: string[] }).details.map((d) => d.split(':')[0]), ['ca-key.pem', 'root-cert.pem']);
  await t.rejects(loadPluginCa(join(dir, 'ca-cert.pem')), { code: 'ENOTDIR' });
});
