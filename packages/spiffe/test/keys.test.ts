import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { generateKey, generateKeySync, keyKind, loadPrivateKey, SpiffeErrorCode } from '../src/index.js';

t.test('P-256 by default, P-384 and RSA on request', async (t) => {
  const ec = await generateKey();
  t.equal(keyKind(ec.privateKey), 'ec-p256');
  t.match(ec.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  t.equal(keyKind(generateKeySync({ type: 'ec-p384' }).publicKey), 'ec-p384');
  const rsa = await generateKey({ type: 'rsa' });
  t.equal(keyKind(rsa.privateKey), 'rsa');
  t.equal(rsa.privateKey.asymmetricKeyDetails?.modulusLength, 2048);
  const again = loadPrivateKey(rsa.privateKeyPem);
  t.equal(again.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'), rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));
  t.equal(loadPrivateKey(ec.privateKey).privateKey, ec.privateKey);
  const sec1 = ec.privateKey.export({ type: 'sec1', format: 'pem' });
  t.equal(keyKind(loadPrivateKey(sec1).privateKey), 'ec-p256');
});

t.test('unsupported keys are refused', async (t) => {
  t.throws(() => generateKeySync({ type: 'dsa' as 'ec' }), { code: SpiffeErrorCode.UNSUPPORTED_KEY });
  t.throws(() => generateKeySync({ type: 'rsa', rsaBits: 1024 }), { code: SpiffeErrorCode.UNSUPPORTED_KEY });
  const ed = generateKeyPairSync('ed25519');
  t.throws(() => keyKind(ed.privateKey), { code: SpiffeErrorCode.UNSUPPORTED_KEY, message: /ed25519/ });
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  t.throws(() => keyKind(k1.privateKey), { code: SpiffeErrorCode.UNSUPPORTED_KEY, message: /secp256k1/ });
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  t.throws(() => keyKind(small.privateKey), { code: SpiffeErrorCode.UNSUPPORTED_KEY, message: /1024 bits/ });
  t.throws(() => loadPrivateKey(ed.privateKey), { code: SpiffeErrorCode.UNSUPPORTED_KEY });
  t.throws(() => loadPrivateKey('not a key'), { code: SpiffeErrorCode.MALFORMED_KEY });
  t.throws(() => loadPrivateKey(generateKeySync().publicKey), { code: SpiffeErrorCode.MALFORMED_KEY });
});

t.test('publicKeyFromSpki: fast JWK import for P-256/P-384/RSA, refusals otherwise', async (t) => {
  const { publicKeyFromSpki } = await import('../src/keys.js');
  for (const type of ['ec', 'ec-p384', 'rsa'] as const) {
    const k = generateKeySync({ type });
    const spki = k.publicKey.export({ type: 'spki', format: 'der' });
    const got = publicKeyFromSpki(spki);
    t.equal(got.kind, type === 'ec' ? 'ec-p256' : type === 'ec-p384' ? 'ec-p384' : 'rsa');
    t.same(got.key.export({ type: 'spki', format: 'der' }), spki, `${type} round-trips`);
  }
  const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
  t.throws(() => publicKeyFromSpki(ed), { code: SpiffeErrorCode.UNSUPPORTED_KEY });
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' });
  t.throws(() => publicKeyFromSpki(small), { code: SpiffeErrorCode.UNSUPPORTED_KEY, message: /1024 bits/ });
  t.throws(() => publicKeyFromSpki(Buffer.from([0x30, 0x00])), { code: SpiffeErrorCode.UNSUPPORTED_KEY });
  // compressed P-256 point: falls back to the DER decoder
  const k = generateKeySync();
  const jwk = k.publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  const compressed = Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), Buffer.from([2 + (y[31]! & 1)]), x]);
  t.equal(publicKeyFromSpki(compressed).kind, 'ec-p256');
});
