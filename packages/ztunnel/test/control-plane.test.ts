// Two ztunnels fed by an in-process control plane: a real delta ADS server from @amesh/xds (its ResourceCache fed
// directly) and certificates from @amesh/spiffe's test CA through the certificate manager.
import t from 'tap';
import { ResourceCache, listenAds, type Address } from '@amesh/xds';
import { createTestCa } from '@amesh/spiffe/testing';
import { SpiffeId } from '@amesh/spiffe';
import { build } from '../src/ztunnel.js';
import { validateConfig } from '../src/config.js';
import { ProxyState } from '../src/state.js';
import { startControlPlane } from '../src/control-plane.js';
import { authz, match, pod, svc } from './fixtures/model.js';
import { echoServer, exchange, recordingLogger, socksConnect, type LogRecord } from './fixtures/harness.js';

const waitFor = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

t.test('xDS + certificates: readiness after sync, tunnel across nodes, live policy push closes connections', async (t) => {
  const ca = await createTestCa();
  const fetched: string[] = [];
  const svidSource = {
    fetchSvid: async (id: SpiffeId) => {
      fetched.push(id.toString());
      return ca.issue(id);
    },
  };
  const app = await echoServer('127.0.0.22');
  t.teardown(() => app.close());
  const cache = new ResourceCache();
  const HOST = 'echo.default.svc.cluster.local';
  const addresses: Address[] = [
    { workload: pod('client', '127.0.0.13', 'node-a') },
    { workload: pod('server', '127.0.0.22', 'node-b', { services: { [`default/${HOST}`]: { ports: [{ servicePort: 80, targetPort: app.port, appProtocol: 'TCP' }] } } }) },
    { service: svc({ namespace: 'default', hostname: HOST, addresses: [{ network: '', address: '10.96.1.1' }], ports: [{ servicePort: 80, targetPort: 0, appProtocol: 'TCP' }] }) },
  ];
  for (const a of addresses) cache.setAddress(a);
  const ads = await listenAds({ cache, debounceMs: 0 });
  t.teardown(() => ads.close());

  const ports = { outbound: 0, inboundPlaintext: 0, hbone: 0, socks5: 0, metrics: 0, readiness: 0, admin: 0 };
  const start = async (node: string, logs: LogRecord[], extra: { hboneDialPort?: number } = {}) => {
    const config = validateConfig({ nodeName: node, xdsAddress: `127.0.0.1:${ads.port}`, ports });
    const logger = recordingLogger(logs);
    const state = new ProxyState({ nodeName: node });
    const cp = startControlPlane({ config, state, logger, svidSource });
    const zt = await build(config, { logger, state, synced: cp.synced, ...(cp.identities ? { identities: cp.identities } : {}), stopControlPlane: () => cp.stop(), configDumpExtra: () => cp.dump(), ...extra });
    t.teardown(() => zt.close({ deadlineMs: 0 }));
    return zt;
  };
  const logsA: LogRecord[] = [];
  const logsB: LogRecord[] = [];
  const b = await start('node-b', logsB);
  const a = await start('node-a', logsA, { hboneDialPort: b.ports.hbone! });
  await Promise.all([a.ready, b.ready]);
  t.ok(a.isReady() && b.isReady(), 'ready after the first sync');
  t.equal(a.state.snapshot().workloads.length, 2);
  t.ok(fetched.includes('spiffe://cluster.local/ns/default/sa/client'), 'node A prefetched its local identity');
  t.ok(fetched.includes('spiffe://cluster.local/ns/default/sa/server'), 'node B prefetched its local identity');
  t.notOk(fetched.filter((f) => f.endsWith('/sa/server')).length > 1, 'one fetch per identity');

  const s = await socksConnect(a.ports.socks5!, '127.0.0.13', '10.96.1.1', 80);
  s.write('ping');
  await new Promise((r) => s.once('data', r));
  await waitFor(() => b.connections === 1);
  // B resets the app side and the HBONE stream; A's client sees the tunnel end (EOF or reset)
  const closed = new Promise((r) => {
    s.once('end', r);
    s.once('close', r);
  });
  cache.setAuthorization(authz({ name: 'deny-all-client', namespace: 'default', action: 'DENY', groups: [{ rules: [{ matches: [match({ principals: [{ suffix: '/sa/client' }] })] }] }] }));
  await closed;
  t.pass('the pushed DENY policy closed the open tunnelled connection');
  await waitFor(() => logsB.some((r) => r.error === 'connection closed due to policy change'));
  const s2 = await socksConnect(a.ports.socks5!, '127.0.0.13', '10.96.1.1', 80);
  t.equal(await exchange(s2, 'x'), '', 'new connections are denied');
  cache.deleteAuthorization('default/deny-all-client');
  await waitFor(() => b.state.policy('default/deny-all-client') === undefined);
  const s3 = await socksConnect(a.ports.socks5!, '127.0.0.13', '10.96.1.1', 80);
  t.equal(await exchange(s3, 'y'), 'echo:y', 'allowed again after the policy is removed');

  // istiod goes away: the last state keeps serving and readiness stays up (it only waits for the first sync)
  await ads.close();
  t.ok(a.isReady() && b.isReady(), 'still ready without the control plane');
  const s4 = await socksConnect(a.ports.socks5!, '127.0.0.13', '10.96.1.1', 80);
  t.equal(await exchange(s4, 'z'), 'echo:z', 'still tunnelling with the last state');
});
