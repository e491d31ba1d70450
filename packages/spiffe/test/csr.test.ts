import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { createCsr, parseCsr, verifyCsr, generateKeySync, CertificateAuthority, Certificate, SpiffeErrorCode } from '../src/index.js';
import * as der from '../src/der.js';

const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ID = 'spiffe://cluster.local/ns/default/sa/sleep';

t.test('createCsr: openssl req -verify accepts it; empty subject, one critical URI SAN', async (t) => {
  for (const type of ['ec', 'ec-p384', 'rsa'] as const) {
    const key = generateKeySync({ type });
    const csr = createCsr({ key, id: ID });
    const dir = t.testdir({ 'csr.pem': csr.pem });
    const text = execFileSync('openssl', ['req', '-in', join(dir, 'csr.pem'), '-verify', '-noout', '-text'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    t.match(text, /Subject: *\n/, `${type}: empty subject`);
    t.match(text, /X509v3 Subject Alternative Name: critical\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/sleep/);
    const err = execFileSync('sh', ['-c', `openssl req -in ${join(dir, 'csr.pem')} -verify -noout 2>&1`], { encoding: 'utf8' });
    t.match(err, /verify OK|Certificate request self-signature verify OK/, `${type}: openssl verifies the self-signature`);
    const v = verifyCsr(csr.pem);
    t.equal(v.id.toString(), ID);
    t.equal(v.rsa, type === 'rsa');
    t.same(parseCsr(csr.der).subject, Buffer.from([0x30, 0x00]));
  }
  t.throws(() => createCsr({ key: generateKeySync().publicKey, id: ID }), { code: SpiffeErrorCode.MALFORMED_KEY });
  t.throws(() => createCsr({ key: generateKeySync(), id: 'nope' }), { code: SpiffeErrorCode.INVALID_ID });
});

t.test('CSRs made by openssl are accepted and signed; the result verifies with openssl', async (t) => {
  const dir = t.testdir({});
  const keyFile = join(dir, 'key.pem');
  writeFileSync(keyFile, generateKeySync().privateKeyPem);
  openssl('req', '-new', '-key', keyFile, '-subj', '/', '-addext', `subjectAltName=critical,URI:${ID}`, '-out', join(dir, 'csr.pem'));
  const ca = await CertificateAuthority.createRoot({ type: 'rsa' });
  const pem = execFileSync('cat', [join(dir, 'csr.pem')], { encoding: 'utf8' });
  const issued = ca.signCsr(pem, { identity: ID, ttlSeconds: 600 });
  writeFileSync(join(dir, 'root.pem'), ca.trustBundlePem);
  writeFileSync(join(dir, 'leaf.pem'), issued.leafPem);
  t.match(openssl('verify', '-CAfile', join(dir, 'root.pem'), join(dir, 'leaf.pem')), /OK/);
  t.same(Certificate.fromPem(issued.leafPem)[0]!.uris, [ID]);
  // a DNS SAN on top is refused
  openssl('req', '-new', '-key', keyFile, '-subj', '/', '-addext', `subjectAltName=URI:${ID},DNS:example.com`, '-out', join(dir, 'dns.pem'));
  t.throws(() => verifyCsr(execFileSync('cat', [join(dir, 'dns.pem')], { encoding: 'utf8' })), { code: SpiffeErrorCode.CSR_SAN, message: /1 other/ });
  // no SAN at all
  openssl('req', '-new', '-key', keyFile, '-subj', '/CN=x', '-out', join(dir, 'none.pem'));
  t.throws(() => verifyCsr(execFileSync('cat', [join(dir, 'none.pem')], { encoding: 'utf8' })), { code: SpiffeErrorCode.CSR_SAN, message: /found 0 URI/ });
});

t.test('every bad CSR is refused with its own code and nothing is signed', async (t) => {
  const ca = await CertificateAuthority.createRoot({ maxTtlSeconds: 3600, defaultTtlSeconds: 600 });
  const key = generateKeySync();
  const good = createCsr({ key, id: ID });
  t.throws(() => ca.signCsr('garbage'), { code: SpiffeErrorCode.MALFORMED_CSR });
  t.throws(() => ca.signCsr(good.pem + good.pem), { code: SpiffeErrorCode.MALFORMED_CSR, message: /found 2/ });
  t.throws(() => ca.signCsr(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])), { code: SpiffeErrorCode.MALFORMED_CSR });
  t.throws(() => ca.signCsr(Buffer.concat([good.der, Buffer.from([0])])), { code: SpiffeErrorCode.MALFORMED_CSR, message: /trailing/ });
  const truncated = der.toPem(good.der.subarray(0, good.der.length - 5), 'CERTIFICATE REQUEST');
  t.throws(() => ca.signCsr(truncated), { code: SpiffeErrorCode.MALFORMED_CSR });
  // tamper with the signed info: flip a byte inside the SAN
  const tampered = Buffer.from(good.der);
  const at = tampered.indexOf(Buffer.from('sleep'));
  tampered[at] = 'x'.charCodeAt(0);
  t.throws(() => ca.signCsr(tampered), { code: SpiffeErrorCode.CSR_SIGNATURE });
  t.throws(() => ca.signCsr(good.pem, { identity: 'spiffe://cluster.local/ns/default/sa/other' }), { code: SpiffeErrorCode.CSR_IDENTITY_MISMATCH, message: /may only get/ });
  t.throws(() => ca.signCsr(createCsr({ key, id: 'spiffe://other.td/ns/a/sa/b' }).pem), { code: SpiffeErrorCode.TRUST_DOMAIN_MISMATCH });
  t.throws(() => ca.signCsr(good.pem, { ttlSeconds: 3601 }), { code: SpiffeErrorCode.TTL_TOO_LONG });
  t.throws(() => ca.signCsr(createCsr({ key, id: 'spiffe://cluster.local/a/b' }).der, { identity: 'spiffe://cluster.local/ns/a/sa/b' }), { code: SpiffeErrorCode.CSR_IDENTITY_MISMATCH });
  // wrong key type: an Ed25519 CSR made by openssl
  const dir = t.testdir({});
  writeFileSync(join(dir, 'ed.pem'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  openssl('req', '-new', '-key', join(dir, 'ed.pem'), '-subj', '/', '-addext', `subjectAltName=URI:${ID}`, '-out', join(dir, 'csr.pem'));
  t.throws(() => ca.signCsr(execFileSync('cat', [join(dir, 'csr.pem')], { encoding: 'utf8' })), { code: SpiffeErrorCode.UNSUPPORTED_KEY });
  // a SAN that is not a SPIFFE ID
  writeFileSync(join(dir, 'k.pem'), key.privateKeyPem);
  openssl('req', '-new', '-key', join(dir, 'k.pem'), '-subj', '/', '-addext', 'subjectAltName=URI:https://example.com/x', '-out', join(dir, 'https.pem'));
  t.throws(() => ca.signCsr(execFileSync('cat', [join(dir, 'https.pem')], { encoding: 'utf8' })), { code: SpiffeErrorCode.CSR_SAN, message: /not a valid SPIFFE ID/ });
  // an RSA-keyed CSR claiming an ECDSA signature algorithm
  const rsaKey = generateKeySync({ type: 'rsa' });
  const rsaCsr = createCsr({ key: rsaKey, id: ID }).der;
  const p = parseCsr(rsaCsr);
  t.throws(() => verifyCsr({ ...p, signatureOid: '1.2.840.10045.4.3.2' }), { code: SpiffeErrorCode.CSR_SIGNATURE, message: /does not fit/ });
  t.throws(() => verifyCsr({ ...p, spki: Buffer.from([0x30, 0x00]) }), { code: SpiffeErrorCode.UNSUPPORTED_KEY });
});
