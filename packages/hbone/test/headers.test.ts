import t from 'tap';
import {
  authorityProblems,
  baggageHeader,
  formatAuthority,
  forwardedHeader,
  forwardedHost,
  newTraceparent,
  parseAuthority,
  parseBaggage,
} from '../src/headers.js';
import { HboneErrorCode } from '../src/errors.js';

t.test('authority forms', async (t) => {
  const ok: [string, string, number, number][] = [
    ['127.0.0.2:8080', '127.0.0.2', 8080, 4],
    ['[ff06::c3]:80', 'ff06::c3', 80, 6],
    ['example.com:80', 'example.com', 80, 0],
    ['echo.default.svc.cluster.local:65535', 'echo.default.svc.cluster.local', 65535, 0],
    ['svc.:1', 'svc.', 1, 0],
  ];
  for (const [raw, host, port, family] of ok) {
    const a = parseAuthority(raw);
    t.same([a.host, a.port, a.family], [host, port, family], raw);
    t.equal(a.text, raw);
  }
  const bad = ['', 'host', ':80', '1.2.3.4:0', '1.2.3.4:65536', '1.2.3.4:-1', '::1:80', '[::1]80', '[1.2.3.4]:80', '[zz]:80', 'a b:80', 'a_b:80', '-a:80', '1.2.3:80', 'h:1x', 'x'.repeat(64) + '.com:80'];
  for (const raw of bad) t.equal(authorityProblems(raw).length, 1, `refused ${JSON.stringify(raw)}`);
  t.same(authorityProblems(undefined, 'x.authority'), ['x.authority: required (ip:port or host:port)']);
  t.throws(() => parseAuthority('nope'), { code: HboneErrorCode.INVALID_AUTHORITY });
  t.equal(formatAuthority('::1', 80), '[::1]:80');
  t.equal(formatAuthority('10.0.0.1', 80), '10.0.0.1:80');
});

t.test('forwarded, as ztunnel builds and reads it', async (t) => {
  t.equal(forwardedHeader('127.0.0.1', 80), 'for="127.0.0.1:80"');
  t.equal(forwardedHeader('::1', 80, 'example.com'), 'for="[::1]:80";host=example.com');
  t.equal(forwardedHost('for="[::1]:80";host=example.com'), 'example.com');
  t.equal(forwardedHost('for="1.2.3.4:5"; host="a.b"'), 'a.b');
  t.equal(forwardedHost('for="1.2.3.4:5"'), undefined);
  t.equal(forwardedHost(undefined), undefined);
});

t.test('traceparent is random and well-formed', async (t) => {
  const a = newTraceparent();
  t.match(a, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  t.not(a, newTraceparent());
  t.equal(newTraceparent((n) => Buffer.alloc(n, 0xab)), `00-${'ab'.repeat(16)}-${'ab'.repeat(8)}-00`);
  // drawn from a pooled random buffer: unique across several refills of the pool
  const seen = new Set(Array.from({ length: 1000 }, () => newTraceparent()));
  t.equal(seen.size, 1000, 'no repeats across pool refills');
});

t.test('baggage round trip; empty items omitted', async (t) => {
  const f = { clusterId: 'Kubernetes', namespace: 'default', workloadType: 'deployment', workloadName: 'sleep', service: 'sleep', revision: 'v1', region: '', zone: 'z1' };
  const v = baggageHeader(f);
  t.equal(v, 'k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=v1,cloud.availability_zone=z1');
  t.same(parseBaggage(v), { clusterId: 'Kubernetes', namespace: 'default', workloadType: 'deployment', workloadName: 'sleep', service: 'sleep', revision: 'v1', zone: 'z1' });
  t.same(parseBaggage('k8s.job.name=j;prop,junk,=x'), { workloadType: 'job', workloadName: 'j' });
  t.same(parseBaggage(undefined), {});
  t.equal(baggageHeader({ workloadName: 'p', workloadType: 'pod' }), 'k8s.pod.name=p');
});
