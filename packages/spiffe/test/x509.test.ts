import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { Certificate, CertificateAuthority, generateKeySync, verifyChain, SpiffeErrorCode } from '../src/index.js';
import { buildCertificate, name, extension, EXT } from '../src/x509.js';
import * as der from '../src/der.js';

t.test('parsed fields agree with node:crypto X509Certificate', async (t) => {
  const ca = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local' });
  const issued = ca.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: generateKeySync().publicKey });
  const mine = Certificate.fromPem(issued.leafPem)[0]!;
  const node = new X509Certificate(issued.leafPem);
  t.equal(mine.serialHex.toUpperCase(), node.serialNumber);
  t.equal(mine.notBefore, Date.parse(node.validFrom));
  t.equal(mine.notAfter, Date.parse(node.validTo));
  t.equal(node.subjectAltName, 'URI:spiffe://cluster.local/ns/a/sa/b');
  t.ok(node.verify(ca.certificate.publicKey));
  t.ok(node.checkIssued(new X509Certificate(ca.certificate.pem)));
  t.equal(mine.pem, issued.leafPem);
  t.ok(mine.extensions.get(EXT.subjectAltName)?.critical);
  t.equal(ca.certificate.subjectKeyId?.length, 20);
});

t.test('malformed certificates are refused', async (t) => {
  t.throws(() => Certificate.fromPem('nothing here'), { code: SpiffeErrorCode.MALFORMED_CERT });
  t.throws(() => Certificate.fromDer(Buffer.from([0x30, 0x00])), { code: SpiffeErrorCode.MALFORMED_CERT });
  t.throws(() => Certificate.fromDer(new Uint8Array([0x02, 0x01, 0x00])), { code: SpiffeErrorCode.MALFORMED_CERT });
  const ca = await CertificateAuthority.createRoot();
  t.throws(() => Certificate.fromDer(Buffer.concat([ca.certificate.der, Buffer.from([0])])), { code: SpiffeErrorCode.MALFORMED_CERT, message: /trailing/ });
  // duplicate extension
  const key = generateKeySync();
  const spki = key.publicKey.export({ type: 'spki', format: 'der' });
  const dup = buildCertificate({
    issuer: name({ O: 'x' }),
    subject: name({ CN: 'y' }),
    notBefore: Date.now(),
    notAfter: Date.now() + 1000,
    spki,
    extensions: [extension(EXT.basicConstraints, true, der.seq()), extension(EXT.basicConstraints, true, der.seq())],
    signingKey: key.privateKey,
  });
  t.throws(() => Certificate.fromDer(dup), { code: SpiffeErrorCode.MALFORMED_CERT, message: /twice/ });
});

t.test('verifyChain: non-CA issuers, loops and unknown signature algorithms fail closed', async (t) => {
  const ca = await CertificateAuthority.createRoot();
  const now = Date.now();
  const a = generateKeySync();
  const leafA = Certificate.fromDer(ca.issue({ id: 'spiffe://cluster.local/a', publicKey: a.publicKey }).leafDer);
  // a "certificate" signed by a leaf key (leaf is not a CA)
  const b = generateKeySync();
  const byLeaf = Certificate.fromDer(
    buildCertificate({
      issuer: leafA.subject,
      subject: der.seq(),
      notBefore: now - 1000,
      notAfter: now + 100_000,
      spki: b.publicKey.export({ type: 'spki', format: 'der' }),
      extensions: [extension(EXT.subjectAltName, true, der.seq(der.tlv(0x86, Buffer.from('spiffe://cluster.local/b'))))],
      signingKey: a.privateKey,
    }),
  );
  t.ok(byLeaf.isSignedBy(leafA));
  t.throws(() => verifyChain([byLeaf, leafA], ca.roots, now), { code: SpiffeErrorCode.PEER_UNTRUSTED });
  t.throws(() => verifyChain([], ca.roots, now), { code: SpiffeErrorCode.PEER_NO_CERT });
  t.equal(verifyChain([ca.certificate], ca.roots, now).length, 1, 'a root itself is trusted');
  const other = await CertificateAuthority.createRoot();
  t.notOk(leafA.isSignedBy(other.certificate), 'same subject, other key');
});
