import t from 'tap';
import { once } from 'node:events';
import { CertificateManager, SpiffeErrorCode, SpiffeId, type FetchSvidOptions, type Svid } from '../src/index.js';
import { FakeClock, createTestCa } from '../src/testing.js';

const ID = SpiffeId.parse('spiffe://cluster.local/ns/default/sa/sleep');
const HOUR = 3600_000;

/** A source backed by a test CA on the fake clock; `failures` > 0 makes the next calls fail. */
async function fixture(opts: { ttlSeconds?: number; jitter?: number; random?: () => number; maxBackoffMs?: number } = {}) {
  const clock = new FakeClock();
  const ca = await createTestCa({ now: clock.now });
  const state = { calls: 0, failures: 0, lastOpts: undefined as FetchSvidOptions | undefined, gate: undefined as Promise<void> | undefined };
  const source = {
    fetchSvid: async (id: SpiffeId, o?: FetchSvidOptions): Promise<Svid> => {
      state.calls++;
      state.lastOpts = o;
      if (state.gate) await state.gate;
      if (state.failures > 0) {
        state.failures--;
        throw new Error('ca unavailable');
      }
      return ca.issue(id, { ttlSeconds: opts.ttlSeconds ?? 3600 });
    },
  };
  const manager = new CertificateManager({
    source,
    clock,
    jitter: opts.jitter ?? 0,
    random: opts.random ?? (() => 0.5),
    initialBackoffMs: 1000,
    maxBackoffMs: opts.maxBackoffMs ?? 8000,
    fetchOptions: { ttlSeconds: opts.ttlSeconds ?? 3600 },
  });
  return { clock, ca, state, manager };
}

t.test('fetch on demand, dedupe concurrent requests, cache', async (t) => {
  const { manager, state } = await fixture();
  t.teardown(() => manager.close());
  t.equal(manager.state(ID), undefined);
  const [a, b] = await Promise.all([manager.fetch(ID), manager.fetch(ID.toString())]);
  t.equal(state.calls, 1, 'one request for two concurrent callers');
  t.equal(a, b);
  t.equal(await manager.fetch(ID), a, 'cached');
  t.equal(state.calls, 1);
  t.equal(manager.get(ID), a);
  t.equal(manager.state(ID), 'available');
  t.same(manager.identities().map(String), [ID.toString()]);
  t.same(state.lastOpts, { ttlSeconds: 3600 });
});

t.test('rotates at 50% of the lifetime; jitter moves it earlier', async (t) => {
  const { manager, clock, state } = await fixture();
  t.teardown(() => manager.close());
  const first = await manager.fetch(ID);
  clock.advance(HOUR / 2 - 1000);
  t.equal(state.calls, 1, 'not yet');
  const renewed = once(manager, 'certificate');
  clock.advance(1000);
  t.equal(state.calls, 2, 'renewal started at exactly 50%');
  const [ev] = (await renewed) as [{ svid: Svid; renewed: boolean; refreshAt: number }];
  t.ok(ev.renewed);
  t.not(ev.svid, first);
  t.equal(manager.get(ID), ev.svid);
  t.equal(ev.refreshAt, ev.svid.notBefore + HOUR / 2);

  const j = await fixture({ jitter: 0.1, random: () => 1 });
  t.teardown(() => j.manager.close());
  await j.manager.fetch(ID);
  j.clock.advance(HOUR * 0.4 - 1000);
  t.equal(j.state.calls, 1);
  j.clock.advance(1000);
  t.equal(j.state.calls, 2, 'with jitter 0.1 and random 1: at 40%');
});

t.test('failures: the caller gets the error, retries back off exponentially up to the cap', async (t) => {
  const { manager, clock, state } = await fixture({ maxBackoffMs: 3000 });
  t.teardown(() => manager.close());
  state.failures = 5;
  const delays: number[] = [];
  manager.on('fetchFailed', (e) => delays.push(e.retryInMs));
  await t.rejects(manager.fetch(ID), { message: 'ca unavailable' });
  t.equal(manager.state(ID), 'unavailable');
  for (const step of [1000, 2000, 3000, 3000]) {
    const failed = once(manager, 'fetchFailed');
    clock.advance(step);
    await failed;
  }
  t.same(delays, [1000, 2000, 3000, 3000, 3000], 'doubling, capped at maxBackoffMs');
  const ok = once(manager, 'certificate');
  clock.advance(3000);
  await ok;
  t.equal(state.calls, 6);
  t.equal(manager.state(ID), 'available');
});

t.test('keeps the old certificate while renewals fail, until it expires', async (t) => {
  const { manager, clock, state } = await fixture({ maxBackoffMs: 600_000 });
  t.teardown(() => manager.close());
  const first = await manager.fetch(ID);
  state.failures = 1000;
  const failed = once(manager, 'fetchFailed');
  clock.advance(HOUR / 2);
  const [f] = (await failed) as [{ keptPrevious: boolean; attempt: number }];
  t.ok(f.keptPrevious);
  t.equal(manager.get(ID), first, 'old certificate still served');
  t.equal(await manager.fetch(ID), first, 'fetch returns the still-valid certificate without waiting');
  // keep failing until after expiry
  const expired = once(manager, 'expired');
  for (let i = 0; i < 12 && manager.get(ID); i++) {
    const next = once(manager, 'fetchFailed');
    clock.advance(Math.min(600_000, 1000 * 2 ** i));
    await next;
  }
  clock.advance(HOUR);
  await expired;
  t.equal(manager.get(ID), undefined);
  t.equal(manager.state(ID), 'unavailable');
  state.failures = 0;
  const back = once(manager, 'certificate');
  clock.advance(600_000);
  const [ev] = (await back) as [{ renewed: boolean }];
  t.notOk(ev.renewed, 'a fresh certificate after the old one expired');
  t.ok(manager.get(ID));
});

t.test('forget drops the identity, ignores in-flight results and clears timers; close refuses', async (t) => {
  const { manager, clock, state } = await fixture();
  await manager.fetch(ID);
  t.ok(clock.pending > 0);
  const forgotten = once(manager, 'forgotten');
  t.ok(manager.forget(ID));
  await forgotten;
  t.equal(clock.pending, 0, 'no timers left');
  t.notOk(manager.forget(ID));
  t.equal(manager.get(ID), undefined);
  t.same(manager.identities(), []);
  // forget while a request is in flight
  let release!: () => void;
  state.gate = new Promise<void>((r) => (release = r));
  const p = manager.fetch(ID);
  t.equal(manager.state(ID), 'initializing');
  manager.forget(ID);
  release();
  await p;
  t.equal(manager.get(ID), undefined, 'late result not cached');
  t.equal(clock.pending, 0);
  // a failing in-flight request after forget schedules nothing
  state.gate = new Promise<void>((r) => (release = r));
  state.failures = 1;
  const q = manager.fetch(ID);
  manager.forget(ID);
  release();
  await t.rejects(q);
  t.equal(clock.pending, 0);
  // prefetch warms without waiting
  state.gate = undefined;
  const warm = once(manager, 'certificate');
  manager.prefetch(ID);
  manager.prefetch(ID);
  await warm;
  t.ok(manager.get(ID));
  manager.close();
  manager.close();
  manager.prefetch(ID);
  await t.rejects(manager.fetch(ID), { code: SpiffeErrorCode.MANAGER_CLOSED });
  t.equal(clock.pending, 0);
});

t.test('lifetimes beyond the 32-bit timer limit are chained', async (t) => {
  const { manager, clock, state } = await fixture({ ttlSeconds: 60 * 24 * 3600 });
  t.teardown(() => manager.close());
  await manager.fetch(ID);
  clock.advance(29 * 24 * HOUR);
  t.equal(state.calls, 1);
  const renewed = once(manager, 'certificate');
  clock.advance(24 * HOUR);
  await renewed;
  t.equal(state.calls, 2, 'renewed at day 30');
});

t.test('options are validated', async (t) => {
  const err = t.throws(() => new CertificateManager({ source: {} as never, jitter: 2, initialBackoffMs: -1, maxBackoffMs: 0 })) as unknown as { code: string; details: string[] };
  t.equal(err.code, SpiffeErrorCode.INVALID_OPTIONS);
  t.equal(err.details.length, 3);
  t.throws(() => new CertificateManager({ source: { fetchSvid: async () => Promise.reject(new Error('x')) }, maxBackoffMs: 10 }), { message: /maxBackoffMs/ });
  const m = new CertificateManager({ source: { fetchSvid: async () => Promise.reject('plain string') } });
  t.teardown(() => m.close());
  await t.rejects(m.fetch(ID), { message: 'plain string' });
});

t.test('end to end: the manager over a real CaClient and CA server (gRPC + TLS)', async (t) => {
  const { CertificateAuthority, CaClient, startCaServer, staticTokenVerifier, generateKeySync } = await import('../src/index.js');
  const ca = await CertificateAuthority.createRoot();
  const key = generateKeySync();
  const serving = ca.issueServing({ publicKey: key.publicKey, ipAddresses: ['127.0.0.1'] });
  const server = await startCaServer({
    ca,
    address: '127.0.0.1:0',
    tls: { keyPem: key.privateKeyPem, certChainPem: serving.leafPem },
    authenticators: [staticTokenVerifier({ tokens: { 'node-agent-token': { identity: 'istio-system/ztunnel', node: 'n1' } } })],
    canImpersonate: (caller) => caller.pod?.node === 'n1',
  });
  t.teardown(() => server.close());
  const client = new CaClient({ address: `127.0.0.1:${server.port}`, rootCertPem: ca.trustBundlePem, token: 'node-agent-token' });
  t.teardown(() => client.close());
  const manager = new CertificateManager({ source: client, fetchOptions: { impersonate: true, ttlSeconds: 3600 } });
  t.teardown(() => manager.close());
  const [a, b] = await Promise.all([manager.fetch(ID), manager.fetch(ID)]);
  t.equal(a, b);
  t.equal(a.id.toString(), ID.toString());
  t.equal(a.notAfter - a.notBefore, HOUR);
  t.equal(manager.state(ID), 'available');
});
