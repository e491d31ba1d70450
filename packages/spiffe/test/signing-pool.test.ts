import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SigningPool } from '../src/signing-pool.js';
import { CertificateAuthority, SpiffeError, SpiffeErrorCode, createCsr, generateKeySync, type IssuedCertificate } from '../src/index.js';

const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ID = (n: number): string => `spiffe://cluster.local/ns/default/sa/sa-${n}`;
const csrs = Array.from({ length: 24 }, (_, i) => createCsr({ key: generateKeySync(), id: ID(i) }).pem);

async function pool(t: Test, opts: { type?: 'ec' | 'rsa'; signingWorkers: number; signingOffload?: 'request' | 'issue'; signingTimeoutMs?: number }) {
  const errors: unknown[] = [];
  const logger = { trace() {}, debug() {}, info() {}, warn() {}, error: (o: object) => void errors.push(o), child: () => logger };
  const ca = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local', ...opts, logger });
  t.teardown(() => ca.close());
  await ca.startSigningWorkers();
  return { ca, p: ca.signingPool!, errors };
}

/** Settles every promise: [certificate | error code]. */
const settle = (ps: Promise<IssuedCertificate>[]): Promise<Array<IssuedCertificate | string>> =>
  Promise.all(ps.map((p) => p.then((v) => v, (e: unknown) => (e instanceof SpiffeError ? e.code : String(e)))));

t.test('a real worker pool issues certificates that openssl verifies', async (t) => {
  for (const type of ['ec', 'rsa'] as const) {
    for (const signingOffload of ['request', 'issue'] as const) {
      const { ca, p } = await pool(t, { type, signingWorkers: 2, signingOffload });
      t.equal(p.size, 2);
      t.equal(p.readyWorkers, 2, 'both workers started');
      const out = await Promise.all(csrs.map((c, i) => ca.signCsrAsync(c, { identity: ID(i), ttlSeconds: 3600 })));
      const dir = t.testdir({ 'root.pem': ca.trustBundlePem });
      for (const [i, issued] of out.entries()) {
        t.equal(issued.certChain.length, 2);
        t.equal(issued.certChain[1], ca.trustBundlePem);
        t.equal(issued.leafPem, issued.certChain[0]);
        t.equal(issued.notAfter - issued.notBefore, 3600_000);
        if (i % 8 === 0) {
          writeFileSync(join(dir, 'leaf.pem'), issued.leafPem);
          t.match(openssl('verify', '-CAfile', join(dir, 'root.pem'), join(dir, 'leaf.pem')), /OK/, `${type} CA, offload ${signingOffload}: leaf ${i} verifies`);
          t.match(openssl('x509', '-in', join(dir, 'leaf.pem'), '-noout', '-ext', 'subjectAltName'), new RegExp(`URI:${ID(i)}\\n`));
          t.same(Buffer.from(issued.leafDer), Buffer.from(issued.leafPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), 'leafDer is the PEM leaf');
        }
      }
      // refusals come back with their codes, nothing is issued
      await t.rejects(ca.signCsrAsync(csrs[1]!, { identity: ID(2) }), { code: SpiffeErrorCode.CSR_IDENTITY_MISMATCH });
      await t.rejects(ca.signCsrAsync(csrs[1]!, { identity: ID(1), ttlSeconds: 365 * 86400 }), { code: SpiffeErrorCode.TTL_TOO_LONG });
      await t.rejects(ca.signCsrAsync('garbage'), { code: SpiffeErrorCode.MALFORMED_CSR });
      await ca.close();
    }
  }
});

t.test('the injected clock decides the validity in the workers too', async (t) => {
  let now = Date.UTC(2030, 0, 1);
  const ca = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local', signingWorkers: 1, now: () => now });
  t.teardown(() => ca.close());
  const a = await ca.signCsrAsync(csrs[3]!, { identity: ID(3) });
  t.equal(a.notBefore, Date.UTC(2030, 0, 1));
  now += 3_600_000;
  const b = await ca.signCsrAsync(csrs[3]!, { identity: ID(3) });
  t.equal(b.notBefore, Date.UTC(2030, 0, 1, 1));
});

t.test('a crashed worker fails its in-flight requests with SIGNING_WORKER_FAILED and is replaced', async (t) => {
  const { ca, p, errors } = await pool(t, { signingWorkers: 1 });
  p.injectFault(0, 'crash');
  const out = await settle(csrs.slice(0, 5).map((c, i) => ca.signCsrAsync(c, { identity: ID(i) })));
  t.same(out, Array(5).fill(SpiffeErrorCode.SIGNING_WORKER_FAILED), 'every in-flight request fails, none hangs');
  t.equal(p.restarts, 1);
  t.match(ca.signingStats, { workers: 1, pending: 0, restarts: 1 });
  t.match(errors[0], { worker: 0, failedRequests: 5 }, 'the crash is logged');
  const again = await ca.signCsrAsync(csrs[5]!, { identity: ID(5) });
  t.equal(again.certChain.length, 2, 'the replacement worker signs');
});

t.test('a hung worker is terminated after signingTimeoutMs; the other worker keeps serving', async (t) => {
  const { ca, p } = await pool(t, { signingWorkers: 2, signingTimeoutMs: 300 });
  p.injectFault(1, 'hang');
  const out = await settle(csrs.slice(0, 8).map((c, i) => ca.signCsrAsync(c, { identity: ID(i) })));
  const failed = out.filter((o) => o === SpiffeErrorCode.SIGNING_WORKER_FAILED).length;
  const issued = out.filter((o) => typeof o !== 'string').length;
  t.ok(failed > 0, `requests held by the hung worker fail (${failed})`);
  t.ok(issued > 0, `requests on the healthy worker are issued (${issued})`);
  t.equal(failed + issued, 8, 'nothing else happens to them');
  t.equal(p.restarts, 1);
  await p.whenReady();
  const later = await settle(csrs.slice(8, 16).map((c, i) => ca.signCsrAsync(c, { identity: ID(i + 8) })));
  t.equal(later.filter((o) => typeof o !== 'string').length, 8, 'after the replacement every request is issued');
});

t.test('close() terminates the workers and fails pending requests with CA_CLOSED', async (t) => {
  const { ca, p } = await pool(t, { type: 'rsa', signingWorkers: 2 });
  const pending = settle(csrs.map((c, i) => ca.signCsrAsync(c, { identity: ID(i) })));
  await ca.close();
  const out = await pending;
  t.ok(out.every((o) => typeof o !== 'string' || o === SpiffeErrorCode.CA_CLOSED), 'each request was either issued or failed with CA_CLOSED');
  t.equal(p.readyWorkers, 0);
  t.equal(p.pending, 0);
  await t.rejects(ca.signCsrAsync(csrs[0]!, { identity: ID(0) }), { code: SpiffeErrorCode.CA_CLOSED });
  await ca.close(); // idempotent
  const inThread = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local' });
  await inThread.close();
  await t.rejects(inThread.signCsrAsync(csrs[0]!, { identity: ID(0) }), { code: SpiffeErrorCode.CA_CLOSED }, 'in-thread CAs refuse after close too');
});

t.test('a worker that cannot start: whenReady rejects, requests fail after the timeout, nothing hangs', async (t) => {
  const errors: unknown[] = [];
  const logger = { trace() {}, debug() {}, info() {}, warn() {}, error: (o: object) => void errors.push(o), child: () => logger };
  const p = new SigningPool({ size: 1, snapshot: { keyPem: 'not a key' }, now: Date.now, timeoutMs: 400, logger });
  t.teardown(() => p.close());
  await t.rejects(p.whenReady(), { code: SpiffeErrorCode.SIGNING_WORKER_FAILED, message: /while starting/ });
  await t.rejects(p.run({ kind: 'sign', csr: csrs[0]! }), { code: SpiffeErrorCode.SIGNING_WORKER_FAILED, message: /no signing worker was available within 400 ms/ });
  t.ok(p.restarts >= 1, 'it keeps being replaced (with backoff)');
  t.ok(errors.length >= 1, 'each failure is logged');
  await p.close();
  t.equal(p.readyWorkers, 0);
});

t.test('pool options are validated', async (t) => {
  const err = await CertificateAuthority.createRoot({ signingWorkers: -1, signingOffload: 'x' as 'issue', signingTimeoutMs: 0 }).catch((e: unknown) => e);
  t.match(err, { code: SpiffeErrorCode.INVALID_OPTIONS });
  t.match((err as SpiffeError).details, [/signingWorkers/, /signingOffload/, /signingTimeoutMs/]);
});

