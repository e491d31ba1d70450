import t from 'tap';
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { encodeRequest, decodeRequest, encodeResponse, decodeResponse, CREATE_CERTIFICATE_PATH } from '../src/index.js';

const root = await protobuf.load(fileURLToPath(new URL('../proto/ca.proto', import.meta.url)));
const Req = root.lookupType('istio.v1.auth.IstioCertificateRequest');
const Res = root.lookupType('istio.v1.auth.IstioCertificateResponse');
const Svc = root.lookupService('istio.v1.auth.IstioCertificateService');

t.test('the .proto has upstream field numbers', async (t) => {
  t.equal(Req.fields.csr!.id, 1);
  t.equal(Req.fields.validityDuration!.id, 3);
  t.equal(Req.fields.validityDuration!.type, 'int64');
  t.equal(Req.fields.metadata!.id, 4);
  t.equal(Req.fields.metadata!.type, 'google.protobuf.Struct');
  t.equal(Res.fields.certChain!.id, 1);
  t.ok(Res.fields.certChain!.repeated);
  t.ok(Svc.methods.CreateCertificate);
  t.equal(CREATE_CERTIFICATE_PATH, '/istio.v1.auth.IstioCertificateService/CreateCertificate');
});

t.test('hand-written codec agrees with protobufjs reflection both ways', async (t) => {
  const metadata = { ImpersonatedIdentity: 'spiffe://cluster.local/ns/a/sa/b', n: 1.5, ok: true, nil: null, list: ['x', 2, false], nested: { a: { b: 'c' } } };
  const mine = encodeRequest({ csr: '-----BEGIN CERTIFICATE REQUEST-----\nabc', validityDuration: 86400, metadata });
  const theirs = Req.toObject(Req.decode(mine), { longs: Number, defaults: true });
  t.equal(theirs.csr, '-----BEGIN CERTIFICATE REQUEST-----\nabc');
  t.equal(theirs.validityDuration, 86400);
  t.equal(theirs.metadata.fields.ImpersonatedIdentity.stringValue, 'spiffe://cluster.local/ns/a/sa/b');
  t.equal(theirs.metadata.fields.nested.structValue.fields.a.structValue.fields.b.stringValue, 'c');
  // and back: protobufjs-encoded → our decoder
  const wire = Req.encode(Req.fromObject(theirs)).finish();
  const back = decodeRequest(Buffer.from(wire));
  t.same(back, { csr: '-----BEGIN CERTIFICATE REQUEST-----\nabc', validityDuration: 86400, metadata });
  t.same(decodeRequest(encodeRequest({})), { csr: '', validityDuration: 0, metadata: {} });
  const res = encodeResponse({ certChain: ['leaf', 'mid', 'root1root2'] });
  t.same((Res.toObject(Res.decode(res)) as { certChain: string[] }).certChain, ['leaf', 'mid', 'root1root2']);
  t.same(decodeResponse(Buffer.from(Res.encode({ certChain: ['a', 'b'] }).finish())).certChain, ['a', 'b']);
  // unknown fields are skipped
  const w = protobuf.Writer.create();
  w.uint32((9 << 3) | 2).string('future').uint32((1 << 3) | 2).string('csr').uint32((7 << 3) | 0).uint64(5);
  t.equal(decodeRequest(Buffer.from(w.finish())).csr, 'csr');
  const w2 = protobuf.Writer.create();
  w2.uint32((2 << 3) | 0).int32(1).uint32((1 << 3) | 2).string('x');
  t.same(decodeResponse(Buffer.from(w2.finish())).certChain, ['x']);
  t.throws(() => decodeRequest(Buffer.from([0x0a, 0x05, 0x41])));
});
