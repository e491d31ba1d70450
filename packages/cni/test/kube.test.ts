import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySource, StateDirectory, MemorySource as KubeMemorySource } from '@amesh/kube';
import { buildAgent } from '../src/agent.js';
import { NodeRedirection } from '../src/dataplane.js';
import { apiAnnotator, directoryAnnotator, kubeClusterSource } from '../src/kube.js';
import type { ClusterEvent } from '../src/source.js';
import type { PodInfo } from '../src/enrollment.js';
import { FakeKernel } from './fixtures/fake-kernel.js';

t.test('kubeClusterSource maps Namespace and Pod events (replaying what the source already has)', async (t) => {
  const src = new KubeMemorySource({ kinds: ['Namespace', 'Pod', 'Service'] });
  src.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { 'istio.io/dataplane-mode': 'ambient' } } });
  await src.start();
  const events: ClusterEvent[] = [];
  const cs = kubeClusterSource(src, { ownsSource: true });
  await cs.start((e) => events.push(e));
  src.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'demo', uid: 'u1' }, spec: { nodeName: 'n1' }, status: { podIPs: [{ ip: '10.0.0.5' }], phase: 'Running' } } as never);
  src.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'demo' } } as never);
  src.delete('Pod', 'web', 'demo');
  t.same(
    events.map((e) => `${e.kind}:${e.type}:${e.object.name}`),
    ['namespace:add:demo', 'pod:add:web', 'pod:delete:web'],
  );
  t.same((events[1]!.object as PodInfo).ips, ['10.0.0.5']);
  await cs.close();
  await cs.close();
});

t.test('directory mode: the agent enrolls pods from a state directory and writes the annotation back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'amt-cni-kube-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new StateDirectory(join(dir, 'cluster'));
  await store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
  await store.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'demo' }, spec: { nodeName: 'node-1' }, status: { podIP: '10.22.0.5', phase: 'Running' } } as never);
  await store.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'far', namespace: 'demo' }, spec: { nodeName: 'node-2' }, status: { podIP: '10.22.1.5' } } as never);
  const source = new DirectorySource({ dir: store.dir, kinds: ['Namespace', 'Pod'], selectors: { Pod: { fieldSelector: 'spec.nodeName=node-1' } }, pollIntervalMs: 0 });
  const kernel = new FakeKernel();
  const agent = await buildAgent({
    source: kubeClusterSource(source, { ownsSource: true }),
    annotator: directoryAnnotator(store, source),
    redirection: new NodeRedirection({ runner: kernel }),
    socketPath: join(dir, 'agent.sock'),
    stateDir: join(dir, 'state'),
  });
  t.teardown(() => agent.close());
  t.same(kernel.members(), []);

  await store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { 'istio.io/dataplane-mode': 'ambient' } } });
  await source.rescan();
  await agent.settled();
  t.same(kernel.members(), ['10.22.0.5'], 'only the pod of this node');
  const podFile = store.pathOf('Pod', 'web', 'demo');
  t.match(readFileSync(podFile, 'utf8'), /ambient\.istio\.io\/redirection: enabled/);
  await source.rescan();
  await agent.settled();
  t.same(kernel.members(), ['10.22.0.5'], 'our own write does not disturb anything');

  await store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
  await source.rescan();
  await agent.settled();
  t.same(kernel.members(), []);
  t.notMatch(readFileSync(podFile, 'utf8'), /redirection/);
});

t.test('API mode: the annotation is a JSON merge patch on the pod', async (t) => {
  const { createServer } = await import('node:http');
  const seen: { method: string; url: string; type: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, type: String(req.headers['content-type']), body });
      res.writeHead(req.url!.includes('gone') ? 404 : req.url!.includes('bad') ? 403 : 200).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const kc = { getCurrentCluster: () => ({ server: `http://127.0.0.1:${port}/` }), applyToFetchOptions: async () => ({ headers: { authorization: 'Bearer x' } }) };
  const a = apiAnnotator(kc);
  const p = { uid: 'u', name: 'web', namespace: 'demo', labels: {}, annotations: {}, ips: [] };
  await a.setRedirection(p, true);
  await a.setRedirection(p, false);
  await a.setRedirection({ ...p, name: 'gone' }, true);
  await t.rejects(a.setRedirection({ ...p, name: 'bad' }, true), { code: 'CNI_ERR_AGENT', message: /HTTP 403/ });
  t.same(seen[0], { method: 'PATCH', url: '/api/v1/namespaces/demo/pods/web', type: 'application/merge-patch+json', body: '{"metadata":{"annotations":{"ambient.istio.io/redirection":"enabled"}}}' });
  t.equal(seen[1]!.body, '{"metadata":{"annotations":{"ambient.istio.io/redirection":null}}}');
  await t.rejects(apiAnnotator({ getCurrentCluster: () => null, applyToFetchOptions: async () => ({}) }).setRedirection(p, true), { code: 'CNI_ERR_CONFIG' });
});
