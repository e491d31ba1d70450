import t from 'tap';
import { envoy } from '../generated/proto.js';
import { encodeAny, encodeDeltaResponse, encodeResource, encodeSotwResponse, fieldSize, frameResourceField, spliceDeltaResponse } from '../src/grpc.js';

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
