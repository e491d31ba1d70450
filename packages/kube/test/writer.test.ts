import t from 'tap';
import { FakeApiServer } from '../src/testing.js';
import { KubeApiWriter, pluralOf, resourcePath } from '../src/writer.js';

t.test('plurals and REST paths', async (t) => {
  t.equal(pluralOf('Deployment'), 'deployments');
  t.equal(pluralOf('Gateway'), 'gateways');
  t.equal(pluralOf('NetworkPolicy'), 'networkpolicies');
  t.equal(pluralOf('Ingress'), 'ingresses');
  t.equal(resourcePath('v1', 'Service', 'wp', 'default'), '/api/v1/namespaces/default/services/wp');
  t.equal(resourcePath('apps/v1', 'Deployment', 'wp', 'default'), '/apis/apps/v1/namespaces/default/deployments/wp');
  t.equal(resourcePath('v1', 'Namespace', 'x', 'ignored'), '/api/v1/namespaces/x');
});

t.test('server-side apply and delete against the fake API server', async (t) => {
  const api = await FakeApiServer.start();
  t.teardown(() => api.close());
  const w = new KubeApiWriter({ kubeConfig: await api.kubeConfig(), fieldManager: 'istiod' });
  const writes: { contentType?: string; url?: string }[] = [];
  api.on('write', (e) => writes.push(e));
  const out = await w.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'wp', namespace: 'default' }, spec: { replicas: 1 } });
  t.equal(out.metadata.resourceVersion, api.resourceVersion);
  t.equal(api.objects('apps/v1/deployments').length, 1);
  t.equal(writes[0]!.contentType, 'application/apply-patch+yaml');
  t.match(writes[0]!.url, /fieldManager=istiod&force=true/);
  await w.patchStatus('apps/v1', 'Deployment', 'wp', 'default', { conditions: [{ type: 'Accepted', status: 'True' }] });
  t.same(api.objects('apps/v1/deployments')[0]!.status, { conditions: [{ type: 'Accepted', status: 'True' }] });
  t.equal(api.objects('apps/v1/deployments')[0]!.spec && (api.objects('apps/v1/deployments')[0]!.spec as { replicas: number }).replicas, 1, 'status patch keeps the spec');
  t.equal(writes[1]!.contentType, 'application/merge-patch+json');
  await t.rejects(w.patchStatus('apps/v1', 'Deployment', 'missing', 'default', {}), { code: 'KUBE_ERR_WRITE_FAILED' });
  t.ok(await w.delete('apps/v1', 'Deployment', 'wp', 'default'));
  t.notOk(await w.delete('apps/v1', 'Deployment', 'wp', 'default'));
  api.failNext(500);
  await t.rejects(w.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' } }), { code: 'KUBE_ERR_WRITE_FAILED' });
  api.failNext(500);
  await t.rejects(w.delete('v1', 'Service', 's', 'default'), { code: 'KUBE_ERR_WRITE_FAILED' });
});
