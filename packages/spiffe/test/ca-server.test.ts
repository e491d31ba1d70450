import t, { type Test } from 'tap';
import * as grpc from '@grpc/grpc-js';
import {
  CaClient,
  CertificateAuthority,
  SpiffeError,
  SpiffeErrorCode,
  SpiffeId,
  createCsr,
  parseCsr,
  generateKeySync,
  grpcStatusFor,
  startCaServer,
  staticTokenVerifier,
  type Caller,
  CA_ISSUED_CHANNEL,
  CA_REFUSED_CHANNEL,
} from '../src/index.js';
import { toPem } from '../src/der.js';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

const TD = 'cluster.local';
const id = (ns: string, sa: string): SpiffeId => SpiffeId.istio(TD, ns, sa);

async function setup(t: Test, signingWorkers = 0, signingOffload: 'request' | 'issue' = 'request') {
  const ca = await CertificateAuthority.createRoot({ trustDomain: TD, maxTtlSeconds: 48 * 3600, signingWorkers, signingOffload });
  t.teardown(() => ca.close());
  const servingKey = generateKeySync();
  const serving = ca.issueServing({ publicKey: servingKey.publicKey, dnsNames: ['istiod.istio-system.svc'], ipAddresses: ['127.0.0.1', '::1'] });
  const decisions: Array<{ caller: string; identity: string }> = [];
  const handle = await startCaServer({
    ca,
    address: '127.0.0.1:0',
    tls: { keyPem: servingKey.privateKeyPem, certChainPem: serving.certChain.slice(0, -1).join('') },
    authenticators: [
      staticTokenVerifier({
        tokens: {
          'sleep-token-1': { identity: 'default/sleep', node: 'node1' },
          'ztunnel-node1': { identity: 'istio-system/ztunnel', node: 'node1' },
          'other-token-1': { identity: 'default/other', node: 'node1' },
        },
      }),
    ],
    canImpersonate: (caller: Caller, identity: SpiffeId) => {
      decisions.push({ caller: caller.identity.toString(), identity: identity.toString() });
      // trusted node agent, and only identities "running on its node" (here: namespace default)
      return caller.identity.equals(id('istio-system', 'ztunnel')) && caller.pod?.node === 'node1' && identity.namespace === 'default';
    },
  });
  t.teardown(() => handle.close());
  const client = (token?: string, extra: { serverName?: string; rootCertPem?: string } = {}) => {
    const c = new CaClient({
      address: `127.0.0.1:${handle.port}`,
      rootCertPem: extra.rootCertPem ?? ca.trustBundlePem,
      ...(extra.serverName ? { serverName: extra.serverName } : {}),
      ...(token ? { token } : {}),
      clusterId: 'Kubernetes',
      timeoutMs: 5000,
    });
    t.teardown(() => c.close());
    return c;
  };
  return { ca, handle, client, decisions };
}

/** in-thread, and a real 2-worker signing pool in both offload modes: every behaviour must be the same */
const POOL_MODES: Array<[number, 'request' | 'issue']> = [
  [0, 'request'],
  [2, 'request'],
  [2, 'issue'],
];
const label = (workers: number, offload: string): string => (workers === 0 ? 'in-thread signing' : `${workers} signing workers, offload ${offload}`);

const refused = (err: unknown): { status: string; reason: string } => {
  const e = err as SpiffeError & { cause: grpc.ServiceError };
  return { status: grpc.status[e.cause.code], reason: e.cause.details };
};

for (const [workers, offload] of POOL_MODES) {
  t.test(`a workload gets its own certificate over real gRPC + TLS (${label(workers, offload)})`, async (t) => {
    const { client, ca } = await setup(t, workers, offload);
    const c = client('sleep-token-1');
    const svid = await c.fetchSvid(id('default', 'sleep'), { ttlSeconds: 3600 });
    t.equal(svid.id.toString(), 'spiffe://cluster.local/ns/default/sa/sleep');
    t.equal(svid.notAfter - svid.notBefore, 3600_000);
    t.equal(svid.trustBundlePem, ca.trustBundlePem);
    const def = await client('sleep-token-1', { serverName: 'istiod.istio-system.svc' }).fetchSvid(id('default', 'sleep'));
    t.equal(def.notAfter - def.notBefore, 24 * 3600_000, 'validity_duration 0 → the CA default (24 h); DNS SAN verified');
    const rsa = await c.fetchSvid(id('default', 'sleep'), { keyType: 'rsa' });
    t.equal(rsa.key.privateKey.asymmetricKeyType, 'rsa');
  });
}

for (const [workers, offload] of POOL_MODES) {
  t.test(`every refusal is a gRPC status with a reason, and nothing is signed (${label(workers, offload)})`, async (t) => {
    const { client } = await setup(t, workers, offload);
    const sleep = client('sleep-token-1');
    const key = generateKeySync();
    const cases: Array<[string, () => Promise<unknown>, string, RegExp]> = [
      ['no token', () => client().fetchSvid(id('default', 'sleep')), 'UNAUTHENTICATED', /SPIFFE_ERR_UNAUTHENTICATED: no bearer token/],
      ['unknown token', () => client('wrong-token-xyz').fetchSvid(id('default', 'sleep')), 'UNAUTHENTICATED', /static-token: static token is not known/],
      ['someone else\'s identity', () => sleep.fetchSvid(id('default', 'other')), 'PERMISSION_DENIED', /SPIFFE_ERR_CSR_IDENTITY_MISMATCH/],
      ['malformed CSR', () => sleep.createCertificate({ csrPem: 'garbage' }), 'INVALID_ARGUMENT', /SPIFFE_ERR_MALFORMED_CSR/],
      ['TTL above max', () => sleep.fetchSvid(id('default', 'sleep'), { ttlSeconds: 49 * 3600 }), 'INVALID_ARGUMENT', /SPIFFE_ERR_TTL_TOO_LONG/],
      [
        'tampered CSR',
        () => {
          const d = Buffer.from(createCsr({ key, id: id('default', 'sleep') }).der);
          d[d.length - 8] ^= 0x01;
          return sleep.createCertificate({ csrPem: toPem(d, 'CERTIFICATE REQUEST') });
        },
        'INVALID_ARGUMENT',
        /SPIFFE_ERR_(CSR_SIGNATURE|MALFORMED_CSR)/,
      ],
      ['non-node-agent impersonating', () => client('other-token-1').fetchSvid(id('default', 'sleep'), { impersonate: true }), 'UNAUTHENTICATED', /SPIFFE_ERR_IMPERSONATION_DENIED: caller .*default\/sa\/other may not/],
      ['node agent, pod not on its node', () => client('ztunnel-node1').fetchSvid(id('kube-system', 'dns'), { impersonate: true }), 'UNAUTHENTICATED', /SPIFFE_ERR_IMPERSONATION_DENIED/],
      ['other trust domain', () => client('ztunnel-node1').createCertificate({ csrPem: createCsr({ key, id: 'spiffe://evil.org/ns/default/sa/x' }).pem, impersonate: 'spiffe://evil.org/ns/default/sa/x' }), 'PERMISSION_DENIED', /SPIFFE_ERR_TRUST_DOMAIN_MISMATCH: .*evil\.org/],
      ['bad ImpersonatedIdentity', () => client('ztunnel-node1').createCertificate({ csrPem: createCsr({ key, id: id('default', 'x') }).pem, impersonate: 'not a spiffe id' }), 'INVALID_ARGUMENT', /SPIFFE_ERR_INVALID_ID/],
    ];
    for (const [name, p, status, reason] of cases) {
      const err = await p().then(
        () => undefined,
        (e: unknown) => e,
      );
      t.match(err, { code: SpiffeErrorCode.CA_REQUEST_FAILED }, `${name}: CA_REQUEST_FAILED`);
      const r = refused(err);
      t.equal(r.status, status, `${name}: ${status}`);
      t.match(r.reason, reason, `${name}: reason`);
      t.match((err as SpiffeError).message, reason);
    }
  });
}

for (const [workers, offload] of POOL_MODES) {
  t.test(`a trusted node agent impersonates workloads on its node (${label(workers, offload)})`, async (t) => {
    const { client, decisions } = await setup(t, workers, offload);
    const seen: Array<{ ch: string; msg: unknown }> = [];
    const onIssued = (msg: unknown): void => void seen.push({ ch: 'issued', msg });
    const onRefused = (msg: unknown): void => void seen.push({ ch: 'refused', msg });
    subscribe(CA_ISSUED_CHANNEL, onIssued);
    subscribe(CA_REFUSED_CHANNEL, onRefused);
    t.teardown(() => {
      unsubscribe(CA_ISSUED_CHANNEL, onIssued);
      unsubscribe(CA_REFUSED_CHANNEL, onRefused);
    });
    const zt = client('ztunnel-node1');
    const svid = await zt.fetchSvid(id('default', 'sleep'), { impersonate: true });
    t.equal(svid.id.toString(), 'spiffe://cluster.local/ns/default/sa/sleep');
    t.same(decisions[0], { caller: 'spiffe://cluster.local/ns/istio-system/sa/ztunnel', identity: 'spiffe://cluster.local/ns/default/sa/sleep' });
    const own = await zt.fetchSvid(id('istio-system', 'ztunnel'), { impersonate: true });
    t.equal(own.id.toString(), 'spiffe://cluster.local/ns/istio-system/sa/ztunnel', 'impersonating oneself needs no permission');
    t.equal(decisions.length, 1);
    await t.rejects(zt.fetchSvid(id('kube-system', 'x'), { impersonate: true }));
    await t.rejects(client().fetchSvid(id('kube-system', 'x')));
    t.match(seen, [
      { ch: 'issued', msg: { identity: 'spiffe://cluster.local/ns/default/sa/sleep', caller: 'spiffe://cluster.local/ns/istio-system/sa/ztunnel' } },
      { ch: 'issued', msg: { identity: 'spiffe://cluster.local/ns/istio-system/sa/ztunnel' } },
      { ch: 'refused', msg: { code: SpiffeErrorCode.IMPERSONATION_DENIED, caller: 'spiffe://cluster.local/ns/istio-system/sa/ztunnel' } },
      { ch: 'refused', msg: { code: SpiffeErrorCode.UNAUTHENTICATED } },
    ]);
    t.notOk((seen[3]!.msg as { caller?: string }).caller, 'no caller before authentication');
  });
}

t.test('transport failures and wrong answers fail closed on the client', async (t) => {
  const { client } = await setup(t);
  const other = await CertificateAuthority.createRoot();
  const err = await client('sleep-token-1', { rootCertPem: other.trustBundlePem }).fetchSvid(id('default', 'sleep')).catch((e: unknown) => e);
  t.match(err, { code: SpiffeErrorCode.CA_REQUEST_FAILED, message: /UNAVAILABLE/ });
  // a CA that answers with someone else's certificate
  const ca = await CertificateAuthority.createRoot();
  const servingKey = generateKeySync();
  const serving = ca.issueServing({ publicKey: servingKey.publicKey, ipAddresses: ['127.0.0.1'] });
  const { IstioCertificateService } = await import('../src/index.js');
  const server = new grpc.Server();
  let mode: 'wrong-id' | 'short' = 'wrong-id';
  server.addService(IstioCertificateService, {
    CreateCertificate: (call: { request: { csr: string } }, cb: grpc.sendUnaryData<{ certChain: string[] }>) => {
      const issued = ca.issue({ id: id('default', 'evil'), publicKey: parseCsr(call.request.csr).spki });
      cb(null, { certChain: mode === 'short' ? [issued.leafPem] : issued.certChain });
    },
  });
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync(
      '127.0.0.1:0',
      grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(servingKey.privateKeyPem), cert_chain: Buffer.from(serving.leafPem) }], false),
      (e, p) => (e ? rej(e) : res(p)),
    ),
  );
  t.teardown(() => server.forceShutdown());
  const c = new CaClient({ address: `127.0.0.1:${port}`, rootCertPem: ca.trustBundlePem, token: () => 'x' });
  t.teardown(() => c.close());
  await t.rejects(c.fetchSvid(id('default', 'sleep')), { code: SpiffeErrorCode.CA_BAD_RESPONSE, message: /for spiffe:\/\/cluster\.local\/ns\/default\/sa\/evil, expected/ });
  mode = 'short';
  await t.rejects(c.fetchSvid(id('default', 'sleep')), { code: SpiffeErrorCode.CA_BAD_RESPONSE, message: /unusable/ });
});

t.test('status mapping and close() idempotence', async (t) => {
  t.equal(grpcStatusFor(new Error('x')), grpc.status.INTERNAL);
  t.equal(grpcStatusFor(new SpiffeError(SpiffeErrorCode.PEER_UNTRUSTED)), grpc.status.INTERNAL);
  t.equal(grpcStatusFor(new SpiffeError(SpiffeErrorCode.TRUST_DOMAIN_MISMATCH)), grpc.status.PERMISSION_DENIED);
  t.equal(grpcStatusFor(new SpiffeError(SpiffeErrorCode.SIGNING_WORKER_FAILED)), grpc.status.UNAVAILABLE);
  t.equal(grpcStatusFor(new SpiffeError(SpiffeErrorCode.CA_CLOSED)), grpc.status.UNAVAILABLE);
  const { handle } = await setup(t);
  const a = handle.close();
  t.equal(handle.close(), a);
  await a;
});

t.test('issueServing validates names', async (t) => {
  const ca = await CertificateAuthority.createRoot();
  const k = generateKeySync({ type: 'rsa' });
  const ok = ca.issueServing({ publicKey: k.privateKey, dnsNames: ['*.example.com'], ipAddresses: ['10.0.0.1', '::ffff:1.2.3.4', 'fe80::1'], uris: ['spiffe://cluster.local/ns/a/sa/b'] });
  const { X509Certificate } = await import('node:crypto');
  t.equal(new X509Certificate(ok.leafPem).subjectAltName, 'DNS:*.example.com, IP Address:10.0.0.1, IP Address:0:0:0:0:0:FFFF:102:304, IP Address:FE80:0:0:0:0:0:0:1, URI:spiffe://cluster.local/ns/a/sa/b');
  const err = t.throws(() => ca.issueServing({ publicKey: k.publicKey, dnsNames: ['bad name'], ipAddresses: ['1.2.3'], uris: ['x'] })) as SpiffeError;
  t.equal(err.code, SpiffeErrorCode.INVALID_OPTIONS);
  t.equal(err.details.length, 3);
  t.throws(() => ca.issueServing({ publicKey: k.publicKey }), { code: SpiffeErrorCode.INVALID_OPTIONS, message: /at least one name/ });
  t.throws(() => ca.issueServing({ publicKey: k.publicKey, dnsNames: ['a.b'], ttlSeconds: 1e9 }), { code: SpiffeErrorCode.TTL_TOO_LONG });
});
