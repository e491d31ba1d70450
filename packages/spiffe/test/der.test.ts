import t from 'tap';
import * as der from '../src/der.js';

t.test('lengths, integers, OIDs and times round-trip', async (t) => {
  for (const len of [0, 1, 127, 128, 255, 256, 65535, 65536]) {
    const v = der.octets(Buffer.alloc(len, 7));
    const n = der.read(v, 0);
    t.equal(n.end - n.contentStart, len, `length ${len}`);
    t.equal(n.end, v.length);
  }
  t.same(der.uint(Buffer.from([0, 0, 0x7f])), Buffer.from([2, 1, 0x7f]));
  t.same(der.uint(Buffer.from([0x80])), Buffer.from([2, 2, 0, 0x80]));
  for (const o of ['1.2.840.10045.4.3.2', '2.5.29.17', '1.3.6.1.5.5.7.3.1', '1.2.840.113549.1.9.14', '2.999.3']) {
    const b = der.oid(o);
    t.equal(der.oidToString(der.content(b, der.read(b, 0))), o);
  }
  for (const ms of [Date.UTC(2026, 0, 2, 3, 4, 5), Date.UTC(2049, 11, 31, 23, 59, 59), Date.UTC(2050, 0, 1), Date.UTC(1999, 5, 6)]) {
    const b = der.time(ms);
    t.equal(der.readTime(b, der.read(b, 0)), ms);
  }
  t.equal(der.time(Date.UTC(2050, 0, 1))[0], der.Tag.GENERALIZED_TIME);
});

t.test('malformed input is refused', async (t) => {
  t.throws(() => der.read(Buffer.from([0x30]), 0), /truncated/);
  t.throws(() => der.read(Buffer.from([0x30, 0x05, 1]), 0), /overruns/);
  t.throws(() => der.read(Buffer.from([0x30, 0x81, 0x05]), 0), /non-minimal/);
  t.throws(() => der.read(Buffer.from([0x30, 0x80]), 0), /bad length/);
  t.throws(() => der.read(Buffer.from([0x1f, 0x01, 0x00]), 0), /high tag/);
  t.throws(() => der.expect(Buffer.from([0x02, 0x00]), 0, der.Tag.SEQUENCE, 'x'), /expected tag/);
  const utc = der.tlv(der.Tag.UTC_TIME, Buffer.from('2601020304Z'));
  t.throws(() => der.readTime(utc, der.read(utc, 0)), /unsupported time/);
});

t.test('PEM armour', async (t) => {
  const body = Buffer.alloc(100, 1);
  const pem = der.toPem(body, 'CERTIFICATE') + der.toPem(Buffer.from([1]), 'PRIVATE KEY') + der.toPem(body, 'CERTIFICATE');
  t.equal(pem.split('\n')[1]!.length, 64);
  const blocks = der.fromPem(pem, 'CERTIFICATE');
  t.equal(blocks.length, 2);
  t.same(blocks[0], body);
});

t.test('writeHeader writes what header encodes', async (t) => {
  for (const len of [0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffff, 0x1000000]) {
    const expected = der.header(0x30, len);
    t.equal(der.headerLength(len), expected.length, `length of ${len}`);
    const buf = Buffer.alloc(8, 0xee);
    t.equal(der.writeHeader(buf, 1, 0x30, len), 1 + expected.length);
    t.same(buf.subarray(1, 1 + expected.length), expected, `header of ${len}`);
  }
});

t.test('fromPem tolerates CRLF and indentation and reads every block', async (t) => {
  const a = Buffer.alloc(100, 1);
  const b = Buffer.alloc(60, 2);
  const pem = (der.toPem(a, 'CERTIFICATE') + 'junk\n' + der.toPem(b, 'CERTIFICATE')).replace(/\n/g, '\r\n  ');
  const out = der.fromPem(pem, 'CERTIFICATE');
  t.same(out, [a, b]);
  t.same(der.fromPem(pem, 'CERTIFICATE'), [a, b], 'the cached pattern restarts');
  t.same(der.fromPem(pem, 'CERTIFICATE REQUEST'), []);
});
