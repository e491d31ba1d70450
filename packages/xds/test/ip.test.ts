import t from 'tap';
import { bytesToIp, ipToBytes } from '../src/ip.js';

t.test('IPv4 and IPv6 to bytes and back (RFC 5952 text)', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['10.0.0.1', '0a000001', '10.0.0.1'],
    ['::1', '00000000000000000000000000000001', '::1'],
    ['::', '00000000000000000000000000000000', '::'],
    ['2001:db8::1', '20010db8000000000000000000000001', '2001:db8::1'],
    ['2001:DB8:0:0:1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['fe80::', 'fe800000000000000000000000000000', 'fe80::'],
    ['1:0:2:3:4:5:6:7', '00010000000200030004000500060007', '1:0:2:3:4:5:6:7'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304', '::ffff:102:304'],
  ];
  for (const [text, hex, canonical] of cases) {
    const b = ipToBytes(text)!;
    t.equal(Buffer.from(b).toString('hex'), hex, text);
    t.equal(bytesToIp(b), canonical, `${text} formats as ${canonical}`);
  }
  t.equal(ipToBytes('nope'), undefined);
  t.equal(ipToBytes('1.2.3'), undefined);
  t.equal(bytesToIp(Uint8Array.of(1, 2, 3)), undefined);
});
