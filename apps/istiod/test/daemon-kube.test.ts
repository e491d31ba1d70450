// Kubernetes mode end to end: the daemon against @amesh/kube's fake API server (list/watch + server-side apply).
import t from 'tap';
import { once } from 'node:events';
import { FakeApiServer } from '@amesh/kube/testing';
import { silentLogger } from '@amesh/istiod';
import { parseConfig } from '../src/config.js';
import { startDaemon } from '../src/daemon.js';

t.test('istiod --kubeconfig: informers feed the translation and waypoints are deployed with server-side apply', async (t) => {
  const api = await FakeApiServer.start();
  t.teardown(() => api.close());
  api.upsert('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'istio.io/use-waypoint': 'wp' } } });
  api.upsert('v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { nodeName: 'n1' }, status: { podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] } });
  api.upsert('v1/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, clusterIP: '10.96.0.1', ports: [{ port: 80 }] } });
  api.upsert('gateway.networking.k8s.io/v1/gateways', { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'wp', namespace: 'default', uid: 'gw-uid' }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } });
  const dir = t.testdir({
    kubeconfig: `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: '${api.url}', insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
  });
  const deployed = once(api, 'write', { signal: AbortSignal.timeout(60_000) });
  const cfg = parseConfig({}, ['--kubeconfig', `${dir}/kubeconfig`, '--host', '127.0.0.1', '--xds-port', '0', '--secure-xds-port', '0', '--debug-port', '0']);
  const running = await startDaemon(cfg, silentLogger);
  t.teardown(() => running.close());
  await running.istiod.ready;
  t.same(running.istiod.index.workloads().map((w) => w.name), ['web']);
  await deployed;
  // Every rendered object arrives; the Service makes the waypoint addressable and binds the 'web' service to it.
  while (api.objects('v1/services').length < 2) await once(api, 'write');
  t.same(api.objects('apps/v1/deployments').map((d) => d.metadata.name), ['wp']);
  t.equal(api.objects('apps/v1/deployments')[0]!.metadata.ownerReferences?.[0]?.uid, 'gw-uid');
  while (!running.istiod.index.services().find((s) => s.name === 'web')?.waypoint) await new Promise((r) => setImmediate(r));
  // The waypoint Gateway got its validation status through the status subresource.
  while (!(api.objects('gateway.networking.k8s.io/v1/gateways')[0]!.status as { conditions?: unknown[] } | undefined)?.conditions) await once(api, 'write');
  t.match((api.objects('gateway.networking.k8s.io/v1/gateways')[0]!.status as { conditions: unknown[] }).conditions, [{ type: 'Accepted', status: 'True' }]);
  t.same(running.istiod.index.services().find((s) => s.name === 'web')!.waypoint, { hostname: { namespace: 'default', hostname: 'wp.default.svc.cluster.local' }, hboneMtlsPort: 15008 });
});
