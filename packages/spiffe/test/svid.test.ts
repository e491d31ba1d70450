import t from 'tap';
import { CertificateAuthority, Svid, generateKeySync, createSecureContext, SpiffeErrorCode, TLS_CIPHERS } from '../src/index.js';

t.test('Svid from an Istio cert_chain', async (t) => {
  const root = await CertificateAuthority.createRoot();
  const mid = await CertificateAuthority.createIntermediate(root);
  const key = generateKeySync();
  const issued = mid.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: key.publicKey });
  const svid = Svid.fromCertChain(key.privateKeyPem, issued.certChain);
  t.equal(svid.id.toString(), 'spiffe://cluster.local/ns/a/sa/b');
  t.equal(svid.chain.length, 2);
  t.equal(svid.roots.length, 1);
  t.equal(svid.notAfter, issued.notAfter);
  t.equal(svid.notBefore, issued.notBefore);
  t.equal(svid.leaf.pem, issued.leafPem);
  t.equal(svid.certChainPem, issued.certChain[0]! + issued.certChain[1]!);
  t.equal(svid.trustBundlePem, root.trustBundlePem);
  t.equal(svid.privateKeyPem, key.privateKeyPem);
  t.equal(svid.secureContext(), svid.secureContext(), 'context is cached');
  t.not(svid.secureContext({ tls12: true }), svid.secureContext());
  t.equal(svid.tlsOptions().ciphers, TLS_CIPHERS);
  t.equal(svid.tlsOptions({ tls12: true }).minVersion, 'TLSv1.2');
  t.ok(createSecureContext(svid));
});

t.test('Svid refuses mismatched or malformed material', async (t) => {
  const root = await CertificateAuthority.createRoot();
  const key = generateKeySync();
  const issued = root.issue({ id: 'spiffe://cluster.local/ns/a/sa/b', publicKey: key.publicKey });
  t.throws(() => Svid.fromCertChain(generateKeySync().privateKey, issued.certChain), { code: SpiffeErrorCode.MALFORMED_KEY, message: /does not match/ });
  t.throws(() => Svid.fromCertChain(key.privateKey, [issued.leafPem]), { code: SpiffeErrorCode.MALFORMED_CERT });
  t.throws(() => new Svid({ key: root.privateKey, certChainPem: root.certificate.pem, trustBundlePem: root.trustBundlePem }), { code: SpiffeErrorCode.PEER_NO_ID });
});
