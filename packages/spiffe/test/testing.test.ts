import t from 'tap';
import { createTestCa, testId } from '../src/testing.js';
import { generateKeySync, verifyPeerChain } from '../src/index.js';

t.test('createTestCa issues ready identities', async (t) => {
  const ca = await createTestCa({ trustDomain: 'example.org' });
  const a = ca.issue('default/sleep');
  t.equal(a.id.toString(), 'spiffe://example.org/ns/default/sa/sleep');
  t.equal(verifyPeerChain(a.chain, { trustBundle: ca.trustBundlePem, trustDomain: 'example.org' }).toString(), a.id.toString());
  const key = generateKeySync();
  const b = ca.issue('spiffe://example.org/ns/x/sa/y', { key: key.privateKey, ttlSeconds: 60 });
  t.equal(b.notAfter - b.notBefore, 60_000);
  t.equal(b.key.privateKey, key.privateKey);
  t.equal(ca.issue('example.org/custom/path').id.path, '/custom/path');
  t.equal(testId(a.id), a.id);
  t.equal(testId('a/b').trustDomain, 'cluster.local');
  const rsa = await createTestCa({ keyType: 'rsa', intermediate: true });
  t.equal(rsa.issue('a/b', { keyType: 'rsa' }).chain.length, 2);
});
