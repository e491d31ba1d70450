import t, { type Test } from 'tap';
import * as grpc from '@grpc/grpc-js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySource, type KubeObject, type Pod } from '@amesh/kube';
import { CaClient, CertificateAuthority, SpiffeId, staticTokenVerifier } from '@amesh/spiffe';
import { DeltaAdsClient, addressHandler, authorizationHandler, ztunnelNode, type Address, type Authorization, type TypeUpdate } from '@amesh/xds';
import { build, type Istiod } from '../src/server.js';

const pod = (name: string, node: string, sa: string, ip: string, labels: Record<string, string> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels, annotations: { 'ambient.istio.io/redirection': 'enabled' } },
  spec: { nodeName: node, serviceAccountName: sa },
  status: { podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
});

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

async function start(t: Test, extra: Partial<Parameters<typeof build>[0]> = {}): Promise<{ istiod: Istiod; source: MemorySource }> {
  const source = new MemorySource();
  source.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  source.apply(pod('sleep', 'node-1', 'sleep', '10.0.0.1', { app: 'sleep' }));
  source.apply(pod('web', 'node-2', 'web', '10.0.0.2', { app: 'web' }));
  source.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, clusterIP: '10.96.0.2', ports: [{ port: 80, targetPort: 8080 }] } });
  const istiod = await build({
    source,
    host: '127.0.0.1',
    ports: { xds: 0, secureXds: 0, debug: 0 },
    debounceMs: 0,
    caAuthenticators: [
      staticTokenVerifier({
        tokens: {
          'ztunnel-node-1-token': { identity: 'istio-system/ztunnel', node: 'node-1' },
          'sleep-token-0000': { identity: 'default/sleep' },
          'rogue-node-1-token': { identity: 'default/rogue', node: 'node-1' },
        },
      }),
    ],
    ...extra,
  });
  t.teardown(() => istiod.close());
  await istiod.ready;
  return { istiod, source };
}

/** A ztunnel-like client that records everything and can NACK chosen workloads. */
function client(t: Test, target: string, opts: { credentials?: grpc.ChannelCredentials; channelOptions?: grpc.ChannelOptions; reject?: (a: Address) => string[] } = {}) {
  const addresses = new Map<string, Address>();
  const authz = new Map<string, Authorization>();
  const waiters: { pred: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) if (w.pred()) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const onAddr = (u: TypeUpdate<Address>) => {
    for (const r of u.updated) addresses.set(r.name, r.value);
    for (const n of u.removed) addresses.delete(n);
    check();
  };
  const onAuthz = (u: TypeUpdate<Authorization>) => {
    for (const r of u.updated) authz.set(r.name, r.value);
    for (const n of u.removed) authz.delete(n);
    check();
  };
  const c = new DeltaAdsClient({
    target,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(opts.channelOptions ? { channelOptions: opts.channelOptions } : {}),
    node: ztunnelNode({ podName: 'ztunnel-x', podNamespace: 'istio-system', nodeName: 'node-1', ip: '10.0.0.100' }),
    handlers: [addressHandler(onAddr, opts.reject ? { validate: opts.reject } : {}), authorizationHandler(onAuthz)],
  }).start();
  t.teardown(() => c.close());
  const until = (pred: () => boolean) => (pred() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ pred, resolve })));
  return { c, addresses, authz, until };
}

t.test('a real delta xDS client receives workloads, services and policies, then updates; NACKs show in /debug/syncz', async (t) => {
  const { istiod, source } = await start(t);
  const z = client(t, `127.0.0.1:${istiod.ports.xds}`, { reject: (a) => (a.workload?.name === 'bad' ? ['workload.name: rejected by the test client'] : []) });
  await z.c.ready;
  await z.until(() => z.addresses.size === 3);
  const sleep = z.addresses.get('Kubernetes//Pod/default/sleep')!.workload!;
  t.equal(sleep.tunnelProtocol, 'HBONE');
  t.equal(sleep.serviceAccount, 'sleep');
  t.equal(z.addresses.get('default/web.default.svc.cluster.local')!.service!.addresses[0]!.address, '10.96.0.2');
  t.ok(z.authz.has('istio-system/istio_converted_static_strict'));

  // One change → one push.
  const pushesBefore = istiod.ads.metrics().pushes;
  source.apply({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-sleep', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/default/sa/sleep'] } }] }] } });
  await z.until(() => z.authz.has('default/allow-sleep') && (z.addresses.get('Kubernetes//Pod/default/web')?.workload?.authorizationPolicies.length ?? 0) === 1);
  t.same(z.addresses.get('Kubernetes//Pod/default/web')!.workload!.authorizationPolicies, ['default/allow-sleep']);
  const pushesAfter = istiod.ads.metrics().pushes;
  const delta = (k: string) => (pushesAfter[k] ?? 0) - (pushesBefore[k] ?? 0);
  t.equal(delta('type.googleapis.com/istio.workload.Address'), 1, 'the update arrived in one Address push');
  t.equal(delta('type.googleapis.com/istio.security.Authorization'), 1, 'and one Authorization push');

  // A resource the client NACKs is reported per connection in /debug/syncz.
  const nacked = new Promise((resolve) => z.c.once('nack', resolve));
  source.apply(pod('bad', 'node-1', 'default', '10.0.0.9'));
  await nacked;
  let syncz: { watches: { typeUrl: string; lastNack?: { message: string } }[]; node: { id: string } }[] = [];
  for (let i = 0; i < 100; i++) {
    syncz = JSON.parse((await get(istiod.ports.debug, '/debug/syncz')).body);
    if (syncz[0]?.watches.some((w) => w.lastNack)) break;
    await new Promise((r) => setImmediate(r));
  }
  const w = syncz[0]!.watches.find((x) => x.typeUrl === 'type.googleapis.com/istio.workload.Address')!;
  t.match(w.lastNack?.message, /rejected by the test client/);
  t.match(syncz[0]!.node.id, /^ztunnel~10\.0\.0\.100~ztunnel-x\.istio-system/);

  // Deletion is a removal.
  source.delete('Pod', 'sleep', 'default');
  await z.until(() => !z.addresses.has('Kubernetes//Pod/default/sleep'));
  t.pass('pod deletion removed the workload');

  // Debug endpoints.
  t.equal((await get(istiod.ports.debug, '/ready')).status, 200);
  const metrics = (await get(istiod.ports.debug, '/metrics')).body;
  t.match(metrics, /pilot_xds_connected_clients 1/);
  t.match(metrics, /pilot_xds_nacks_total\{type="type.googleapis.com\/istio.workload.Address"\} [1-9]/);
  const wl = JSON.parse((await get(istiod.ports.debug, '/debug/workloads')).body);
  t.ok(wl.workloads.some((x: { name: string }) => x.name === 'web'));
  const configz = JSON.parse((await get(istiod.ports.debug, '/debug/configz')).body);
  t.equal(configz.kinds.AuthorizationPolicy[0].name, 'allow-sleep');
  t.equal((await get(istiod.ports.debug, '/nope')).status, 404);
});

t.test('invalid configuration is rejected with field paths while the last good version keeps serving', async (t) => {
  const { istiod, source } = await start(t);
  const z = client(t, `127.0.0.1:${istiod.ports.xds}`);
  const policy = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'deny', namespace: 'default' }, spec });
  source.apply(policy({ action: 'DENY', rules: [{ to: [{ operation: { ports: ['9090'] } }] }] }));
  await z.until(() => z.authz.get('default/deny')?.groups[0]?.rules[0]?.matches[0]?.destinationPorts[0] === 9090);
  source.apply(policy({ action: 'DENY', rules: [{ to: [{ operation: { ports: ['not-a-port'] } }] }] }));
  source.apply(policy({ action: 'DENY', rules: [{ to: [{ operation: { ports: ['not-a-port'] } }] }], selector: 'bad' }));
  // Wait until the controller has processed the invalid versions.
  let status: { objects: { name: string; state: string; servingLastGood: boolean; errors: string[] }[] } = { objects: [] };
  for (let i = 0; i < 100; i++) {
    status = JSON.parse((await get(istiod.ports.debug, '/debug/config_status')).body);
    if (status.objects.some((o) => o.state === 'Rejected' && o.errors.length >= 2)) break;
    await new Promise((r) => setImmediate(r));
  }
  const s = status.objects.find((o) => o.name === 'deny')!;
  t.equal(s.state, 'Rejected');
  t.ok(s.servingLastGood);
  t.match(s.errors.join('\n'), /spec\.rules\[0\]\.to\[0\]\.operation\.ports\[0\]/);
  t.match(s.errors.join('\n'), /spec\.selector/);
  t.equal(z.authz.get('default/deny')?.groups[0]?.rules[0]?.matches[0]?.destinationPorts[0], 9090, 'old config still served');
  t.same(istiod.index.authorizations().find((a) => a.name === 'deny')!.groups[0]!.rules[0]!.matches[0]!.destinationPorts, [9090]);
  t.match((await get(istiod.ports.debug, '/metrics')).body, /istiod_config_rejected 1/);
  // Fixing it is accepted again.
  source.apply(policy({ action: 'DENY', rules: [{ to: [{ operation: { ports: ['9091'] } }] }] }));
  await z.until(() => z.authz.get('default/deny')?.groups[0]?.rules[0]?.matches[0]?.destinationPorts[0] === 9091);
  t.equal(istiod.controller.status().find((o) => o.name === 'deny')!.state, 'Accepted');
});

t.test('15012: xDS over TLS and the CA, with impersonation only for pods on the caller\'s node', async (t) => {
  const { istiod } = await start(t);
  const creds = grpc.credentials.createSsl(Buffer.from(istiod.rootCertPem));
  const z = client(t, `127.0.0.1:${istiod.ports.secureXds}`, { credentials: creds, channelOptions: { 'grpc.ssl_target_name_override': 'istiod.istio-system.svc', 'grpc.default_authority': 'istiod.istio-system.svc' } });
  await z.until(() => z.addresses.size === 3);
  t.pass('TLS ADS works');

  const ca = (token: string) => new CaClient({ address: `127.0.0.1:${istiod.ports.secureXds}`, rootCertPem: istiod.rootCertPem, serverName: 'istiod.istio-system.svc', token });
  // A workload gets its own identity.
  const own = await ca('sleep-token-0000').fetchSvid(SpiffeId.parse('spiffe://cluster.local/ns/default/sa/sleep'));
  t.equal(own.id.toString(), 'spiffe://cluster.local/ns/default/sa/sleep');
  // ztunnel on node-1 may impersonate sleep (on node-1) ...
  const zt = ca('ztunnel-node-1-token');
  const imp = await zt.fetchSvid(SpiffeId.parse('spiffe://cluster.local/ns/default/sa/sleep'), { impersonate: true });
  t.equal(imp.id.toString(), 'spiffe://cluster.local/ns/default/sa/sleep');
  // ... but not web (on node-2), nor an identity with no pod.
  await t.rejects(zt.fetchSvid(SpiffeId.parse('spiffe://cluster.local/ns/default/sa/web'), { impersonate: true }), /UNAUTHENTICATED|IMPERSONATION/);
  await t.rejects(zt.fetchSvid(SpiffeId.parse('spiffe://cluster.local/ns/default/sa/ghost'), { impersonate: true }), /IMPERSONATION/);
  // An untrusted account on node-1 may not impersonate at all.
  await t.rejects(ca('rogue-node-1-token').fetchSvid(SpiffeId.parse('spiffe://cluster.local/ns/default/sa/sleep'), { impersonate: true }), /not a trusted node account|IMPERSONATION/);
  await t.rejects(ca('unknown-token-xyz').fetchSvid(SpiffeId.parse('spiffe://cluster.local/ns/default/sa/sleep')), /UNAUTHENTICATED/);
  const metrics = (await get(istiod.ports.debug, '/metrics')).body;
  t.match(metrics, /citadel_server_success_cert_issuance_count 2/);
  t.match(metrics, /citadel_server_impersonation_denied_total 3/);
});

t.test('directory mode: desired waypoints are published to the status directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'amt-istiod-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { istiod, source } = await start(t, { statusDir: join(dir, '.status') });
  source.apply({ apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'Gateway', metadata: { name: 'web-api', namespace: 'default', annotations: { 'istio.io/service-account': 'web-api' } }, spec: { gatewayClassName: 'istio-mesh' } });
  let doc: { waypoints: { name: string; legacyForm?: string; ready: boolean; serviceAccount: string }[] } = { waypoints: [] };
  for (let i = 0; i < 200 && doc.waypoints.length === 0; i++) {
    await new Promise((r) => setImmediate(r));
    doc = JSON.parse(await readFile(join(dir, '.status', 'waypoints.json'), 'utf8').catch(() => '{"waypoints":[]}'));
  }
  t.same(doc.waypoints.map((w) => [w.name, w.legacyForm, w.ready, w.serviceAccount]), [['web-api', 'istio-mesh', false, 'web-api']]);
  t.equal(istiod.waypoints().length, 1);
});

t.test('bad configuration and port conflicts fail at build', async (t) => {
  await t.rejects(build({ source: new MemorySource(), ports: { xds: 70000 } }), { code: 'ISTIOD_ERR_CONFIG' });
  await t.rejects(build({ source: new MemorySource(), trustedNodeAccounts: ['nope'] }), { code: 'ISTIOD_ERR_CONFIG' });
  const { istiod } = await start(t);
  await t.rejects(build({ source: new MemorySource(), host: '127.0.0.1', ports: { xds: 0, secureXds: istiod.ports.secureXds, debug: 0 } }), { code: 'ISTIOD_ERR_BIND' });
});

t.test('a CA with signing workers: they are ready before 15012 serves, and they sign what the CA service issues', async (t) => {
  const ca = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local', signingWorkers: 2 });
  t.teardown(() => ca.close());
  const { istiod } = await start(t, { ca });
  t.same(ca.signingStats.ready, 2, 'both workers loaded the key before build() resolved');
  const client = new CaClient({ address: `127.0.0.1:${istiod.ports.secureXds}`, rootCertPem: istiod.rootCertPem, serverName: 'istiod.istio-system.svc', token: 'sleep-token-0000' });
  const svid = await client.fetchSvid(SpiffeId.parse('spiffe://cluster.local/ns/default/sa/sleep'));
  t.equal(svid.id.toString(), 'spiffe://cluster.local/ns/default/sa/sleep');
  await t.rejects(client.fetchSvid(SpiffeId.parse('spiffe://cluster.local/ns/default/sa/web')), /PERMISSION_DENIED|IDENTITY/, 'refusals are unchanged with workers');
});
