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
