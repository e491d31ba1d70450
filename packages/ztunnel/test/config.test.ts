import t from 'tap';
import { DEFAULT_PORTS, validateConfig } from '../src/config.js';
import { ZtunnelErrorCode } from '../src/errors.js';

t.test('defaults fill every field but nodeName', async (t) => {
  const c = validateConfig({ nodeName: 'node-a' });
  t.equal(c.trustDomain, 'cluster.local');
  t.equal(c.clusterId, 'Kubernetes');
  t.same(c.ports, DEFAULT_PORTS);
  t.equal(c.transparent, false);
  t.equal(c.drainDeadlineMs, 5000);
  t.equal(c.xdsAddress, undefined);
});

t.test('every problem is reported with its field path', async (t) => {
  try {
    validateConfig({
      trustDomain: 'Bad Domain',
      xdsAddress: 'nope',
      ports: { outbound: 70000, socks5: 15008 },
      captureBindAddress: 'x',
      connectTimeoutMs: -1,
      bogus: 1,
    } as never);
    t.fail('should throw');
  } catch (err) {
    const e = err as { code: string; details: string[] };
    t.equal(e.code, ZtunnelErrorCode.CONFIG);
    const fields = e.details.map((d) => d.split(':')[0]);
    for (const f of ['nodeName', 'trustDomain', 'xdsAddress', 'ports.outbound', 'ports.socks5', 'captureBindAddress', 'connectTimeoutMs', 'bogus']) {
      t.ok(fields.includes(f), `reports ${f}`);
    }
  }
});

t.test('ports: null disables, 0 is ephemeral and may repeat, all disabled is refused', async (t) => {
  const c = validateConfig({ nodeName: 'n', ports: { outbound: null, socks5: 0, admin: 0 } });
  t.equal(c.ports.outbound, null);
  t.equal(c.ports.socks5, 0);
  t.throws(
    () => validateConfig({ nodeName: 'n', ports: { outbound: null, inboundPlaintext: null, hbone: null, socks5: null, metrics: null, readiness: null, admin: null } }),
    { code: ZtunnelErrorCode.CONFIG, message: /every listener is disabled/ },
  );
  t.same(validateConfig({ nodeName: 'n', xdsAddress: 'https://istiod.istio-system.svc:15012' }).xdsAddress, 'https://istiod.istio-system.svc:15012');
});

t.test('poolSpread: {streams, connections} with every problem reported', async (t) => {
  t.equal(validateConfig({ nodeName: 'n' }).poolSpread, undefined);
  t.same(validateConfig({ nodeName: 'n', poolSpread: { streams: 16, connections: 4 } }).poolSpread, { streams: 16, connections: 4 });
  try {
    validateConfig({ nodeName: 'n', poolSpread: { streams: 0, connections: 1.5 } });
    t.fail('should throw');
  } catch (err) {
    t.match((err as { details: string[] }).details, [/poolSpread\.streams/, /poolSpread\.connections/]);
  }
});
