import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySource, StateDirectory, MemorySource as KubeMemorySource } from '@amesh/kube';
import { buildAgent } from '../src/agent.js';
import { NodeRedirection } from '../src/dataplane.js';
import { directoryAnnotator, kubeClusterSource } from '../src/kube.js';
import type { ClusterEvent } from '../src/source.js';
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
  t.same((events[1]!.object as { ips: string[] }).ips, ['10.0.0.5']);
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
