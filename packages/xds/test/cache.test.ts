import t from 'tap';
import { ResourceCache, contentVersion, type CacheChange } from '../src/cache.js';
import { envoy } from '../generated/proto.js';
import { makeWorkload } from '../src/model.js';
import { ADDRESS_TYPE_URL } from '../src/types.js';

t.test('encodes once, content-hash versions, alias index, change keys', async (t) => {
  const cache = new ResourceCache({ clock: () => 42 });
  const changes: CacheChange[] = [];
  const off = cache.onChange((c) => changes.push(c));
  const a = cache.setAddress({ workload: makeWorkload({ uid: 'u1', addresses: ['10.0.0.1'], network: 'n' }) })!;
  t.equal(a.name, 'u1');
  t.same(a.aliases, ['n/10.0.0.1']);
  t.equal(a.changedAt, 42);
  const r = envoy.service.discovery.v3.Resource.decode(a.resourceBytes);
  t.equal(r.name, 'u1');
  t.equal(r.version, a.version);
  t.same(r.aliases, ['n/10.0.0.1']);
  t.equal(r.resource!.type_url, ADDRESS_TYPE_URL);
  t.same(Buffer.from(r.resource!.value), Buffer.from(a.value));
  t.same(a.resourceField.subarray(a.resourceField.length - a.resourceBytes.length), a.resourceBytes, 'resourceBytes is the tail of resourceField');
  t.equal(a.resourceField[0], 0x12, 'framed as field 2');
  const any = envoy.service.discovery.v3.Resource.decode(Buffer.concat([Buffer.from([0x12, a.anyBytes.length]), a.anyBytes]));
  t.equal(any.resource!.type_url, ADDRESS_TYPE_URL, 'anyBytes is a google.protobuf.Any');
  t.equal(cache.get(ADDRESS_TYPE_URL, 'n/10.0.0.1'), a, 'lookup by alias');
  t.equal(cache.get(ADDRESS_TYPE_URL, 'u1'), a);
  // Same content: same entry, no change.
  t.equal(cache.setAddress({ workload: makeWorkload({ uid: 'u1', addresses: ['10.0.0.1'], network: 'n' }) }), a);
  t.equal(changes.length, 1);
  // The IP moves: old alias dropped, new one indexed, both reported.
  const b = cache.setAddress({ workload: makeWorkload({ uid: 'u1', addresses: ['10.0.0.2'], network: 'n' }) })!;
  t.not(b.version, a.version);
  t.same(changes[1]!.keys, ['u1', 'n/10.0.0.1', 'n/10.0.0.2']);
  t.same(changes[1]!.names, ['u1']);
  t.equal(cache.get(ADDRESS_TYPE_URL, 'n/10.0.0.1'), undefined);
  t.equal(cache.size(ADDRESS_TYPE_URL), 1);
  t.ok(cache.deleteAddress('u1'));
  t.notOk(cache.deleteAddress('u1'));
  t.same(changes[2]!.keys, ['u1', 'n/10.0.0.2']);
  t.equal(cache.get(ADDRESS_TYPE_URL, 'n/10.0.0.2'), undefined);
  t.same([...cache.list('type.googleapis.com/none')], []);
  off();
  cache.setAuthorization({ name: 'p', namespace: 'ns', scope: 'GLOBAL', action: 'ALLOW', groups: [], dryRun: false, extensions: [] });
  t.equal(changes.length, 3, 'unsubscribed');
  t.ok(cache.deleteAuthorization('ns/p'));
  t.match(cache.stats(), { sets: 4, unchangedSets: 1, deletes: 2, oversizedRejected: 0 });
});

t.test('oversized resources are refused with a log line; a throwing listener does not break others', async (t) => {
  const logs: unknown[] = [];
  const logger = { trace() {}, debug() {}, info() {}, warn() {}, error: (o: unknown) => void logs.push(o), child: () => logger };
  const cache = new ResourceCache({ maxResourceBytes: 10, logger });
  t.equal(cache.set(ADDRESS_TYPE_URL, 'big', new Uint8Array(11)), undefined);
  t.match(logs[0], { code: 'XDS_ERR_RESOURCE_TOO_LARGE', name: 'big', bytes: 11, limit: 10 });
  t.equal(cache.stats().oversizedRejected, 1);
  const seen: string[] = [];
  cache.onChange(() => { throw new Error('listener bug'); });
  cache.onChange((c) => seen.push(...c.keys));
  t.ok(cache.set(ADDRESS_TYPE_URL, 'ok', new Uint8Array(5)));
  t.same(seen, ['ok']);
  t.equal(logs.length, 2);
  t.match(cache.stats(), { resources: { [ADDRESS_TYPE_URL]: 1 } });
});

t.test('content versions: stable, sensitive to bytes and aliases', async (t) => {
  const v = contentVersion(Uint8Array.of(1, 2, 3), ['/10.0.0.1']);
  t.match(v, /^[0-9a-f]{16}$/);
  t.equal(contentVersion(Uint8Array.of(1, 2, 3), ['/10.0.0.1']), v);
  t.not(contentVersion(Uint8Array.of(1, 2, 4), ['/10.0.0.1']), v);
  t.not(contentVersion(Uint8Array.of(1, 2, 3), ['/10.0.0.2']), v);
  t.not(contentVersion(Uint8Array.of(1, 2, 3), []), v);
  const seen = new Set<string>();
  for (let i = 0; i < 20000; i++) seen.add(contentVersion(Buffer.from(`Kubernetes//Pod/default/p${i}`), []));
  t.equal(seen.size, 20000, 'no collisions over 20k similar inputs');
});
