import t from 'tap';
import { KubeError } from '../src/errors.js';
import { MemorySource, normalizeObject, type ObjectEvent } from '../src/source.js';
import type { KubeObject } from '../src/types.js';

const pod = (name: string, labels: Record<string, string> = {}, nodeName = 'n1'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { nodeName },
});

t.test('normalizeObject lists every problem with field paths and defaults the namespace', async (t) => {
  t.same(normalizeObject(null).problems, ['<root>: not an object']);
  t.same(normalizeObject({ metadata: { labels: { a: 1 } } }).problems, ['apiVersion: required', 'kind: required', 'metadata.name: required', 'metadata.labels.a: must be a string']);
  t.same(normalizeObject({ apiVersion: 'v1', kind: 'Pod' }).problems, ['metadata: required']);
  t.match(normalizeObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } }).problems[0], /not a kind amesh watches/);
  t.equal(normalizeObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }).object?.metadata.namespace, 'default');
  t.equal(normalizeObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', namespace: 'y' } }).object?.metadata.namespace, undefined);
});

t.test('memory source: add/update/delete events with previous objects, versions and replay', async (t) => {
  const src = new MemorySource({ kinds: ['Pod', 'Namespace'] });
  t.notOk(src.isSynced());
  await src.start();
  t.ok(src.isSynced());
  await src.synced;
  const events: ObjectEvent[] = [];
  const off = src.subscribe((e) => events.push(e));
  const a = src.apply(pod('a'));
  t.ok(a.metadata.uid);
  t.equal(a.metadata.resourceVersion, '1');
  t.equal(src.resourceVersion('Pod'), '1');
  const a2 = src.apply(pod('a', { v: '2' }));
  t.equal(a2.metadata.uid, a.metadata.uid, 'uid is stable across updates');
  t.equal(a2.metadata.creationTimestamp, a.metadata.creationTimestamp);
  src.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  t.equal(src.get('Pod', 'a', 'default')?.metadata.labels?.v, '2');
  t.equal(src.get('Namespace', 'default')?.metadata.name, 'default');
  t.equal(src.list('Pod', 'default').length, 1);
  t.equal(src.list('Pod', 'other').length, 0);
  t.ok(src.delete('Pod', 'a', 'default'));
  t.notOk(src.delete('Pod', 'a', 'default'));
  t.same(events.map((e) => `${e.type}:${e.kind}`), ['add:Pod', 'update:Pod', 'add:Namespace', 'delete:Pod']);
  t.equal(events[1]!.previous?.metadata.resourceVersion, '1');
  t.equal(events[3]!.object.metadata.resourceVersion, '4');
  off();
  src.apply(pod('b'));
  t.equal(events.length, 4, 'unsubscribed');
  const replayed: string[] = [];
  src.subscribe((e) => replayed.push(`${e.type}:${e.object.metadata.name}`), { replay: true, kinds: ['Pod'] });
  t.same(replayed, ['add:b']);
  await src.close();
  t.throws(() => src.apply(pod('c')), { code: 'KUBE_ERR_CLOSED' });
});

t.test('memory source rejects invalid and unwatched objects', async (t) => {
  const src = new MemorySource({ kinds: ['Pod'] });
  t.throws(() => src.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: '' } }), { code: 'KUBE_ERR_INVALID_OBJECT' });
  t.throws(() => src.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }), { code: 'KUBE_ERR_UNKNOWN_KIND' });
  t.throws(() => src.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 's' } }), { code: 'KUBE_ERR_UNKNOWN_KIND' });
  t.throws(() => new MemorySource({ kinds: ['Bogus' as never] }), KubeError);
});

t.test('selectors and namespace filter objects; an object that stops matching is deleted', async (t) => {
  const src = new MemorySource({ kinds: ['Pod'], namespace: 'default', selectors: { Pod: { fieldSelector: 'spec.nodeName=n1', labelSelector: 'app' } } });
  await src.start();
  const events: string[] = [];
  src.subscribe((e) => events.push(`${e.type}:${e.object.metadata.name}`));
  src.apply(pod('a', { app: 'x' }));
  src.apply(pod('b', { app: 'x' }, 'n2'));
  src.apply(pod('c'));
  src.apply({ ...pod('d', { app: 'x' }), metadata: { name: 'd', namespace: 'other', labels: { app: 'x' } } });
  src.apply(pod('a', { app: 'x' }, 'n2'));
  t.same(events, ['add:a', 'delete:a']);
});

t.test('a throwing handler is logged and does not stop delivery', async (t) => {
  const errors: unknown[] = [];
  const logger = { trace() {}, debug() {}, info() {}, warn() {}, error: (o: unknown) => errors.push(o), child() { return logger; } };
  const src = new MemorySource({ kinds: ['Pod'], logger });
  const seen: string[] = [];
  src.subscribe(() => {
    throw new Error('boom');
  });
  src.subscribe((e) => seen.push(e.object.metadata.name));
  src.apply(pod('a'));
  t.same(seen, ['a']);
  t.equal(errors.length, 1);
});
