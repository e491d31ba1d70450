import t from 'tap';
import { envoy } from '../generated/proto.js';
import { encodeAny, encodeDeltaResponse, encodeResource, encodeResourceOnce, encodeSotwResponse, fieldSize, frameResourceField, spliceDeltaResponse } from '../src/grpc.js';

t.test('hand-spliced responses are byte-identical to the generated encoder', async (t) => {
  const value = Uint8Array.of(1, 2, 3);
  const res = encodeResource({ name: 'a', version: 'v1', aliases: ['/10.0.0.1'], typeUrl: 'type.googleapis.com/x.Y', value });
  const mine = encodeDeltaResponse({ systemVersionInfo: '7', resources: [res, res], typeUrl: 'type.googleapis.com/x.Y', nonce: 'n1', removed: ['gone'], controlPlane: 'istiod-1' });
  const theirs = envoy.service.discovery.v3.DeltaDiscoveryResponse.encode({
    systemVersionInfo: '7', typeUrl: 'type.googleapis.com/x.Y', nonce: 'n1', removedResources: ['gone'], controlPlane: { identifier: 'istiod-1' },
    resources: [0, 1].map(() => ({ name: 'a', version: 'v1', aliases: ['/10.0.0.1'], resource: { type_url: 'type.googleapis.com/x.Y', value } })),
  }).finish();
  t.equal(Buffer.from(mine).toString('hex'), Buffer.from(theirs).toString('hex'));
  const field = frameResourceField(res);
  const spliced = spliceDeltaResponse({ systemVersionInfo: '7', fields: [field, field], fieldsBytes: 2 * field.length, typeUrl: 'type.googleapis.com/x.Y', nonce: 'n1', removed: ['gone'], controlPlane: 'istiod-1' });
  t.equal(spliced.toString('hex'), Buffer.from(theirs).toString('hex'), 'spliced from framed fields');
  const any = encodeAny('type.googleapis.com/x.Y', value);
  const sotw = encodeSotwResponse({ versionInfo: '3', resources: [any], typeUrl: 'type.googleapis.com/x.Y', nonce: 'n2', controlPlane: 'c' });
  const sotwGen = envoy.service.discovery.v3.DiscoveryResponse.encode({
    versionInfo: '3', resources: [{ type_url: 'type.googleapis.com/x.Y', value }], typeUrl: 'type.googleapis.com/x.Y', nonce: 'n2', controlPlane: { identifier: 'c' },
  }).finish();
  t.equal(Buffer.from(sotw).toString('hex'), Buffer.from(sotwGen).toString('hex'));
  t.equal(encodeDeltaResponse({ systemVersionInfo: '', resources: [], typeUrl: '', nonce: '', removed: [] }).length, 0);
});

t.test('fieldSize matches the encoded length of a bytes field', async (t) => {
  for (const n of [0, 1, 127, 128, 16383, 16384, 2097151, 2097152]) {
    const b = encodeDeltaResponse({ systemVersionInfo: '', resources: [new Uint8Array(n)], typeUrl: '', nonce: '', removed: [] });
    t.equal(fieldSize(n), b.length, `n=${n}`);
  }
});

t.test('encodeResourceOnce: one buffer, views identical to the generated encoders', async (t) => {
  for (const r of [
    { name: 'Kubernetes//Pod/default/p1', version: '0123456789abcdef', aliases: ['/10.0.0.1', 'net/10.0.0.1'], typeUrl: 'type.googleapis.com/istio.workload.Address', value: new Uint8Array(300).fill(7) },
    { name: 'n', version: '', aliases: [], typeUrl: 't', value: new Uint8Array() },
  ]) {
    const enc = encodeResourceOnce(r);
    const gen = envoy.service.discovery.v3.Resource.encode({ name: r.name, version: r.version, aliases: r.aliases, resource: { type_url: r.typeUrl, value: r.value } }).finish();
    t.equal(enc.resource.toString('hex'), Buffer.from(gen).toString('hex'));
    t.equal(enc.field.toString('hex'), frameResourceField(gen).toString('hex'));
    t.equal(enc.any.toString('hex'), encodeAny(r.typeUrl, r.value).toString('hex'));
    t.ok(enc.any.buffer === enc.field.buffer && enc.any.byteOffset >= enc.field.byteOffset &&
      enc.any.byteOffset + enc.any.length <= enc.field.byteOffset + enc.field.length, 'the Any is a view into the field, not a copy');
  }
});
