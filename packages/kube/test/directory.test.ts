import t, { type Test } from 'tap';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySource, StateDirectory, parseObjects } from '../src/directory.js';
import type { ObjectEvent } from '../src/source.js';
import type { KubeObject } from '../src/types.js';

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'amt-kube-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Resolves with the next event matching `pred`. */
function nextEvent(src: DirectorySource, pred: (e: ObjectEvent) => boolean): Promise<ObjectEvent> {
  return new Promise((resolve) => {
    const off = src.subscribe((e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...extra }, spec: { nodeName: 'n1' } });

t.test('parseObjects: multi-document YAML, JSON, Lists, and problems with positions', async (t) => {
  const yaml = `apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\n# empty\n---\napiVersion: v1\nkind: Pod\n`;
  const r = parseObjects(yaml, 'x.yaml');
  t.same(r.objects.map((o) => `${o.kind}/${o.object.metadata.namespace ?? ''}/${o.object.metadata.name}`), ['Namespace//a', 'Pod/default/p']);
  t.same(r.problems, ['document 3: metadata: required']);
  const list = parseObjects(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('a'), { kind: 'Pod' }] }), 'l.json');
  t.equal(list.objects.length, 1);
  t.same(list.problems, ['items[1].apiVersion: required', 'items[1].metadata: required']);
  t.match(parseObjects('{', 'bad.json').problems[0], /invalid JSON/);
  t.match(parseObjects('a: [1,\n', 'bad.yaml').problems[0], /document 0: invalid YAML/);
});

t.test('state directory: writer applies atomically, the source sees add/update/delete', async (t) => {
  const dir = await tempDir(t);
  const writer = new StateDirectory(dir);
  await writer.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'istio.io/dataplane-mode': 'ambient' } } });
  const src = new DirectorySource({ dir, pollIntervalMs: 0 });
  t.teardown(() => src.close());
  const seen: string[] = [];
  src.subscribe((e) => seen.push(`${e.type}:${e.kind}:${e.object.metadata.name}`));
  await src.start();
  t.ok(src.isSynced());
  t.equal(src.list('Namespace').length, 1);
  t.equal(src.get('Namespace', 'default')?.metadata.labels?.['istio.io/dataplane-mode'], 'ambient');

  const added = nextEvent(src, (e) => e.kind === 'Pod');
  const written = await writer.apply(pod('web'));
  t.ok(written.metadata.uid, 'uid assigned by the writer');
  const ev = await added;
  t.equal(ev.type, 'add');
  t.equal(ev.object.metadata.uid, written.metadata.uid);
  const rv1 = ev.object.metadata.resourceVersion;

  const updated = nextEvent(src, (e) => e.kind === 'Pod');
  await writer.apply({ ...written, metadata: { ...written.metadata, labels: { app: 'web' } } });
  const up = await updated;
  t.equal(up.type, 'update');
  t.equal(up.previous?.metadata.resourceVersion, rv1);
  t.ok(Number(up.object.metadata.resourceVersion) > Number(rv1));
  t.equal(src.resourceVersion('Pod'), up.object.metadata.resourceVersion);

  const deleted = nextEvent(src, (e) => e.type === 'delete');
  t.ok(await writer.delete('Pod', 'web', 'default'));
  t.notOk(await writer.delete('Pod', 'web', 'default'));
  t.equal((await deleted).object.metadata.name, 'web');
  t.same(seen, ['add:Namespace:default', 'add:Pod:web', 'update:Pod:web', 'delete:Pod:web']);
  // No temp files are left behind.
  const files = await readdir(join(dir, 'default', 'pods.core'));
  t.same(files, []);
});

t.test('hand-written files: multi-doc, duplicates, broken files keep their last good objects', async (t) => {
  const dir = await tempDir(t);
  const warns: unknown[] = [];
  const logger = { trace() {}, debug() {}, info() {}, warn: (o: unknown) => warns.push(o), error() {}, child() { return logger; } };
  await mkdir(join(dir, 'manifests'));
  await writeFile(join(dir, 'manifests', 'app.yaml'), `apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow, namespace: default}\nspec: {}\n`);
  await writeFile(join(dir, 'manifests', 'notes.txt'), 'ignored');
  await writeFile(join(dir, '.hidden.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: hidden}\n`);
  const src = new DirectorySource({ dir, pollIntervalMs: 0, logger, kinds: ['Service', 'AuthorizationPolicy', 'Pod'] });
  t.teardown(() => src.close());
  await src.start();
  t.equal(src.list('Service').length, 1);
  t.equal(src.list('AuthorizationPolicy').length, 1);
  t.equal(src.list('Pod').length, 0, 'dot-files are ignored');
  const uid = src.get('Service', 'web', 'default')?.metadata.uid;
  t.match(uid, /^[0-9a-f-]{36}$/, 'a stable uid is derived');

  // Break the file: the last good objects keep serving and the problem is reported.
  await writeFile(join(dir, 'manifests', 'app.yaml'), 'apiVersion: v1\nkind: [\n');
  await src.rescan();
  t.equal(src.list('Service').length, 1);
  t.equal(src.problems().length, 1);
  t.equal(src.problems()[0]!.file, 'manifests/app.yaml');
  t.ok(warns.length >= 1);

  // Fix it, minus the policy: the policy is deleted, the service kept with the same version.
  const rv = src.get('Service', 'web', 'default')?.metadata.resourceVersion;
  await writeFile(join(dir, 'manifests', 'app.yaml'), `apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n`);
  await src.rescan();
  t.same(src.problems(), []);
  t.equal(src.list('AuthorizationPolicy').length, 0);
  t.equal(src.get('Service', 'web', 'default')?.metadata.resourceVersion, rv);
  t.equal(src.get('Service', 'web', 'default')?.metadata.uid, uid);

  // Duplicates: the later file wins, with a warning.
  await writeFile(join(dir, 'z.yaml'), `apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 81}]}\n`);
  await src.rescan();
  t.equal((src.get('Service', 'web', 'default')?.spec?.ports?.[0])?.port, 81);
});

t.test('polling picks up changes without fs events; close is idempotent', async (t) => {
  const dir = await tempDir(t);
  const src = new DirectorySource({ dir: join(dir, 'state'), pollIntervalMs: 20, kinds: ['Pod'] });
  await src.start();
  const added = nextEvent(src, () => true);
  await new StateDirectory(join(dir, 'state')).writeFileAtomic(join(dir, 'state', 'p.json'), JSON.stringify(pod('p')));
  t.equal((await added).object.metadata.name, 'p');
  await src.close();
  await src.close();
});

t.test('writer errors', async (t) => {
  const dir = await tempDir(t);
  const w = new StateDirectory(dir);
  await t.rejects(w.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: '' } }), { code: 'KUBE_ERR_INVALID_OBJECT' });
  await t.rejects(w.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }), { code: 'KUBE_ERR_UNKNOWN_KIND' });
  await t.rejects(w.applyText('apiVersion: v1\nkind: Pod\n'), { code: 'KUBE_ERR_INVALID_OBJECT' });
  const objs = await w.applyText(`apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\n`);
  t.equal(objs.length, 2);
  t.equal(w.pathOf('Namespace', 'x'), join(dir, '_cluster', 'namespaces.core', 'x.yaml'));
  t.match(await readFile(w.pathOf('Pod', 'p', 'x'), 'utf8'), /name: p/);
  t.throws(() => w.pathOf('Nope' as never, 'x'), { code: 'KUBE_ERR_UNKNOWN_KIND' });
  // A path that cannot be created fails with WRITE_FAILED.
  await writeFile(join(dir, 'file'), 'x');
  await t.rejects(new StateDirectory(join(dir, 'file')).apply(pod('p')), { code: 'KUBE_ERR_WRITE_FAILED' });
  await t.rejects(new StateDirectory(join(dir, 'file')).delete('Pod', 'p'), { code: 'KUBE_ERR_WRITE_FAILED' });
});
