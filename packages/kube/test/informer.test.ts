import t, { type Test } from 'tap';
import { once } from 'node:events';
import { KubeApiSource, loadKubeConfig } from '../src/informer.js';
import type { ObjectEvent } from '../src/source.js';
import { FakeApiServer } from '../src/testing.js';
import type { KubeObject } from '../src/types.js';

const pod = (name: string, ns = 'default', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, ...extra },
  spec: { nodeName: 'n1' },
});

function collect(src: KubeApiSource) {
  const events: ObjectEvent[] = [];
  const waiters: { pred: (e: ObjectEvent) => boolean; resolve: (e: ObjectEvent) => void }[] = [];
  src.subscribe((e) => {
    events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  return {
    events,
    next: (pred: (e: ObjectEvent) => boolean) => new Promise<ObjectEvent>((resolve) => waiters.push({ pred, resolve })),
  };
}

async function setup(t: Test, opts: Partial<ConstructorParameters<typeof KubeApiSource>[0]> = {}) {
  const api = await FakeApiServer.start();
  t.teardown(() => api.close());
  const src = new KubeApiSource({ kubeConfig: await api.kubeConfig(), kinds: ['Pod'], backoff: { initialMs: 5, maxMs: 20 }, pageSize: 2, ...opts });
  t.teardown(() => src.close());
  return { api, src };
}

t.test('lists (paged), fills apiVersion/kind, then follows watch events with bookmarks', async (t) => {
  const { api, src } = await setup(t);
  api.upsert('v1/pods', pod('a'));
  api.upsert('v1/pods', pod('b'));
  api.upsert('v1/pods', pod('c', 'other'));
  const c = collect(src);
  await src.start();
  t.ok(src.isSynced());
  t.same(src.list('Pod').map((p) => p.metadata.name).sort(), ['a', 'b', 'c']);
  t.equal(src.get('Pod', 'a', 'default')?.apiVersion, 'v1', 'list items get apiVersion/kind');
  t.equal(src.get('Pod', 'a', 'default')?.kind, 'Pod');
  t.ok(api.requests.some((u) => u.includes('limit=2') && u.includes('continue=2')), 'paged list');
  await api.waitForWatchers(1);
  const watchUrl = api.requests.find((u) => u.includes('watch=true'))!;
  t.match(watchUrl, /allowWatchBookmarks=true/);
  t.match(watchUrl, new RegExp(`resourceVersion=${api.resourceVersion}`));

  const added = c.next((e) => e.object.metadata.name === 'd');
  api.upsert('v1/pods', pod('d'));
  t.equal((await added).type, 'add');
  const updated = c.next((e) => e.type === 'update');
  api.upsert('v1/pods', pod('a', 'default', { labels: { x: 'y' } }));
  const up = await updated;
  t.equal(up.object.metadata.labels?.x, 'y');
  t.equal(up.previous?.metadata.labels, undefined);
  const deleted = c.next((e) => e.type === 'delete');
  api.delete('v1/pods', 'b', 'default');
  t.equal((await deleted).object.metadata.name, 'b');
  t.equal(src.resourceVersion('Pod'), api.resourceVersion);

  // A bookmark advances the resourceVersion without an event; prove it arrived via a later event ordering.
  api.serve('v1/pods');
  const before = c.events.length;
  api.bookmark();
  const marker = c.next((e) => e.object.metadata.name === 'e');
  api.upsert('v1/pods', pod('e'));
  await marker;
  t.equal(c.events.length, before + 1, 'bookmarks produce no object events');
});

for (const mode of ['event', 'status'] as const) {
  t.test(`410 Gone (${mode}) relists and reconciles deletions that happened meanwhile`, async (t) => {
    const { api, src } = await setup(t);
    api.goneMode = mode;
    api.upsert('v1/pods', pod('a'));
    api.upsert('v1/pods', pod('b'));
    const c = collect(src);
    await src.start();
    await api.waitForWatchers(1);
    const lists = () => api.requests.filter((u) => !u.includes('watch=true')).length;
    const listsBefore = lists();
    // Changes the watch will never see as events: the server expires the watch and compacts history.
    const deleted = c.next((e) => e.type === 'delete' && e.object.metadata.name === 'a');
    const added = c.next((e) => e.type === 'add' && e.object.metadata.name === 'z');
    if (mode === 'event') {
      api.expireWatches();
    } else {
      api.compact();
      api.closeWatches();
    }
    // These happen while no watch is open; they are visible only through a relist.
    api.delete('v1/pods', 'a', 'default');
    api.upsert('v1/pods', pod('z'));
    api.compact();
    api.closeWatches();
    await deleted;
    await added;
    t.ok(lists() > listsBefore, 'relisted');
    t.same(src.list('Pod').map((p) => p.metadata.name).sort(), ['b', 'z']);
  });
}

t.test('failures are retried with backoff; the source syncs once the server answers', async (t) => {
  const warns: unknown[] = [];
  const logger = { trace() {}, debug() {}, info() {}, warn: (o: unknown) => warns.push(o), error() {}, child() { return logger; } };
  const { api, src } = await setup(t, { logger });
  api.upsert('v1/pods', pod('a'));
  api.failNext(500, 503);
  await src.start();
  t.equal(src.list('Pod').length, 1);
  t.equal(warns.length, 2, 'two failed attempts logged');
  // A watch failure (not 410) resumes from the last version without relisting.
  await api.waitForWatchers(1);
  const listsBefore = api.requests.filter((u) => !u.includes('watch=true')).length;
  api.failNext(500);
  api.closeWatches();
  const c = collect(src);
  const added = c.next((e) => e.object.metadata.name === 'b');
  await api.waitForWatchers(1);
  api.upsert('v1/pods', pod('b'));
  await added;
  t.equal(api.requests.filter((u) => !u.includes('watch=true')).length, listsBefore, 'no relist after a plain watch failure');
});

t.test('a kind the server does not serve (CRD missing) counts as synced and empty, and appears later', async (t) => {
  const { api, src } = await setup(t, { kinds: ['Pod', 'AuthorizationPolicy'], missingKindRetryMs: 10 });
  api.serve('v1/pods');
  const c = collect(src);
  await src.start();
  t.ok(src.isSynced());
  t.equal(src.list('AuthorizationPolicy').length, 0);
  const added = c.next((e) => e.kind === 'AuthorizationPolicy');
  api.upsert('security.istio.io/v1/authorizationpolicies', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'default' }, spec: {} });
  t.equal((await added).object.metadata.name, 'p');
  t.ok(api.requests.some((u) => u.startsWith('/apis/security.istio.io/v1/authorizationpolicies')));
});

t.test('namespace and selectors are sent to the server', async (t) => {
  const { api, src } = await setup(t, { namespace: 'default', selectors: { Pod: { fieldSelector: 'spec.nodeName=n1', labelSelector: 'app' } } });
  api.upsert('v1/pods', pod('a', 'default', { labels: { app: 'x' } }));
  api.upsert('v1/pods', pod('b', 'default'));
  api.upsert('v1/pods', pod('c', 'other', { labels: { app: 'x' } }));
  await src.start();
  t.same(src.list('Pod').map((p) => p.metadata.name), ['a']);
  t.ok(api.requests[0]!.startsWith('/api/v1/namespaces/default/pods?'));
  t.match(decodeURIComponent(api.requests[0]!), /fieldSelector=spec.nodeName=n1/);
});

t.test('loadKubeConfig reads a kubeconfig file', async (t) => {
  const dir = t.testdir({
    kubeconfig: `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:1', insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
  });
  const kc = await loadKubeConfig({ kubeconfigPath: `${dir}/kubeconfig`, context: 'x' });
  t.equal(kc.getCurrentCluster()?.server, 'http://127.0.0.1:1');
  void once;
});
