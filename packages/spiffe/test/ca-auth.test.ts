import t from 'tap';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { kubeTokenReviewVerifier, staticTokenVerifier, SpiffeErrorCode } from '../src/index.js';

t.test('static token verifier', async (t) => {
  const v = staticTokenVerifier({
    tokens: {
      'ztunnel-node1-token': { identity: 'istio-system/ztunnel', node: 'node1', podName: 'ztunnel-abc', podUid: 'u1' },
      'sleep-token-123': { identity: 'spiffe://example.org/ns/default/sa/sleep' },
    },
  });
  const c = await v.verify({ token: 'ztunnel-node1-token', metadata: {} });
  t.equal(c.identity.toString(), 'spiffe://cluster.local/ns/istio-system/sa/ztunnel');
  t.same(c.pod, { namespace: 'istio-system', serviceAccount: 'ztunnel', node: 'node1', name: 'ztunnel-abc', uid: 'u1' });
  t.equal((await v.verify({ token: 'sleep-token-123', metadata: {} })).identity.trustDomain, 'example.org');
  await t.rejects(v.verify({ token: 'nope', metadata: {} }), { code: SpiffeErrorCode.UNAUTHENTICATED });
  const err = t.throws(() => staticTokenVerifier({ tokens: { short: { identity: 'a/b' }, 'long-enough': { identity: 'spiffe://td/x' } } })) as unknown as { code: string; details: string[] };
  t.equal(err.code, SpiffeErrorCode.INVALID_OPTIONS);
  t.equal(err.details.length, 2);
});

t.test('TokenReview verifier POSTs to the API server and maps the review', async (t) => {
  const seen: Array<{ url?: string; auth?: string; body: { spec: { token: string; audiences?: string[] } } }> = [];
  const reviews: Record<string, { code?: number; status: object }> = {
    good: {
      status: {
        authenticated: true,
        audiences: ['istio-ca'],
        user: {
          username: 'system:serviceaccount:istio-system:ztunnel',
          extra: {
            'authentication.kubernetes.io/pod-name': ['ztunnel-x'],
            'authentication.kubernetes.io/pod-uid': ['uid-1'],
            'authentication.kubernetes.io/node-name': ['node-a'],
          },
        },
      },
    },
    plain: { status: { authenticated: true, audiences: ['istio-ca'], user: { username: 'system:serviceaccount:default:sleep' } } },
    rejected: { status: { authenticated: false, error: 'token expired' } },
    audience: { status: { authenticated: true, audiences: ['kubernetes'], user: { username: 'system:serviceaccount:a:b' } } },
    human: { status: { authenticated: true, audiences: ['istio-ca'], user: { username: 'alice' } } },
    weird: { status: { authenticated: true, audiences: ['istio-ca'], user: { username: 'system:serviceaccount:a:b:c' } } },
    forbidden: { code: 403, status: {} },
  };
  const srv = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data) as (typeof seen)[number]['body'];
      seen.push({ url: req.url, auth: req.headers.authorization, body });
      const r = reviews[body.spec.token] ?? { status: { authenticated: false } };
      res.writeHead(r.code ?? 201, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'TokenReview', status: r.status }));
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.teardown(() => srv.close());
  const apiServer = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const v = kubeTokenReviewVerifier({ apiServer, apiToken: () => 'istiod-sa-token' });
  const c = await v.verify({ token: 'good', metadata: {} });
  t.equal(c.identity.toString(), 'spiffe://cluster.local/ns/istio-system/sa/ztunnel');
  t.same(c.pod, { namespace: 'istio-system', serviceAccount: 'ztunnel', name: 'ztunnel-x', uid: 'uid-1', node: 'node-a' });
  t.equal(seen[0]!.url, '/apis/authentication.k8s.io/v1/tokenreviews');
  t.equal(seen[0]!.auth, 'Bearer istiod-sa-token');
  t.same(seen[0]!.body.spec, { token: 'good', audiences: ['istio-ca'] });
  t.same((await v.verify({ token: 'plain', metadata: {} })).pod, { namespace: 'default', serviceAccount: 'sleep' });
  await t.rejects(v.verify({ token: 'rejected', metadata: {} }), { code: SpiffeErrorCode.UNAUTHENTICATED, message: /token expired/ });
  await t.rejects(v.verify({ token: 'audience', metadata: {} }), { code: SpiffeErrorCode.UNAUTHENTICATED, message: /audience istio-ca/ });
  await t.rejects(v.verify({ token: 'human', metadata: {} }), { code: SpiffeErrorCode.UNAUTHENTICATED, message: /not a service account/ });
  await t.rejects(v.verify({ token: 'weird', metadata: {} }), { code: SpiffeErrorCode.UNAUTHENTICATED, message: /not a valid service account/ });
  await t.rejects(v.verify({ token: 'forbidden', metadata: {} }), { code: SpiffeErrorCode.UNAUTHENTICATED, message: /HTTP 403/ });
  const noAud = kubeTokenReviewVerifier({ apiServer, audiences: [], apiToken: 'static', trustDomain: 'example.org' });
  t.equal((await noAud.verify({ token: 'audience', metadata: {} })).identity.toString(), 'spiffe://example.org/ns/a/sa/b');
  t.same(seen[seen.length - 1]!.body.spec, { token: 'audience' });
  const down = kubeTokenReviewVerifier({ apiServer: 'http://127.0.0.1:1', timeoutMs: 2000 });
  await t.rejects(down.verify({ token: 'x', metadata: {} }), { code: SpiffeErrorCode.UNAUTHENTICATED, message: /request to .* failed/ });
  t.throws(() => kubeTokenReviewVerifier({ apiServer: 'not a url', trustDomain: 'BAD' }), { code: SpiffeErrorCode.INVALID_OPTIONS });
});
