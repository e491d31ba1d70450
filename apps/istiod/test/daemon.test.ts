import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@amesh/istiod';
import { caAuthenticators, loadOrCreateCa } from '../src/daemon.js';
import { parseConfig } from '../src/config.js';

t.test('a CA directory is created once and reused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'amt-istiod-ca-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const a = await loadOrCreateCa(join(dir, 'ca'), 'cluster.local', silentLogger);
  const b = await loadOrCreateCa(join(dir, 'ca'), 'cluster.local', silentLogger);
  t.equal(a.trustBundlePem, b.trustBundlePem);
  const c = await loadOrCreateCa(undefined, 'cluster.local', silentLogger);
  t.not(c.trustBundlePem, a.trustBundlePem);
  await writeFile(join(dir, 'tokens.json'), JSON.stringify({ 'lab-token-ztunnel-1': { identity: 'istio-system/ztunnel', node: 'n1' } }));
  const v = await caAuthenticators(parseConfig({}, ['--ca-tokens-file', join(dir, 'tokens.json')]));
  t.equal(v.length, 1);
  const caller = await v[0]!.verify({ token: 'lab-token-ztunnel-1', metadata: {} });
  t.equal(caller.identity.toString(), 'spiffe://cluster.local/ns/istio-system/sa/ztunnel');
  t.equal((await caAuthenticators(parseConfig({}, []))).length, 0);
});

t.test('--ca-signing-workers gives the CA worker threads; bad values are refused with the flag named', async (t) => {
  t.equal(parseConfig({}, []).caSigningWorkers, 0);
  t.equal(parseConfig({ CA_SIGNING_WORKERS: '2' }, []).caSigningWorkers, 2);
  t.equal(parseConfig({}, ['--ca-signing-workers=3']).caSigningWorkers, 3);
  t.throws(() => parseConfig({}, ['--ca-signing-workers', 'two']), /--ca-signing-workers: "two" must be an integer from 0 to 64/);
  const ca = await loadOrCreateCa(undefined, 'cluster.local', silentLogger, 2);
  t.teardown(() => ca.close());
  t.equal(ca.signingWorkers, 2);
});
