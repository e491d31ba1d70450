import t from 'tap';
import net from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { Proxy, baggage, kill, splice } from '../src/proxy.js';
import { ProxyState } from '../src/state.js';
import { Metrics } from '../src/metrics.js';
import { validateConfig } from '../src/config.js';
import { pod, wl } from './fixtures/model.js';
import { recordingLogger } from './fixtures/harness.js';

t.test('baggage: upstream keys, empty items omitted', async (t) => {
  t.equal(baggage(pod('a', '10.0.0.1', 'n1'), 'c1'), 'k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.pod.name=a,service.name=a,service.version=v1');
  t.equal(baggage(wl({ uid: 'x', namespace: 'ns', clusterId: '', workloadType: 'DEPLOYMENT', workloadName: 'd', locality: { region: 'r', zone: 'z', subzone: '' } }), 'c1'), 'k8s.cluster.name=c1,k8s.namespace.name=ns,k8s.deployment.name=d,cloud.region=r,cloud.availability_zone=z');
});

t.test('splice: both directions with half-close; a reset on one side takes the other down', async (t) => {
  // duplexes whose two sides are independent (a PassThrough would echo back into the splice forever)
  const sink = () => new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
  const a = sink();
  const b = sink();
  let doneErr: Error | undefined | null = null;
  const done = new Promise<void>((r) => splice(a, b, (e) => {
    doneErr = e;
    r();
  }));
  const fromA: Buffer[] = [];
  b.on('data', (d: Buffer) => fromA.push(d));
  a.write('x');
  a.destroy(new Error('reset'));
  await done;
  t.equal(doneErr && (doneErr as Error).message, 'reset');
  t.ok(b.destroyed);

  const server = net.createServer({ allowHalfOpen: true }, (s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const reset = new Promise<string | undefined>((r) => c.once('error', (e: NodeJS.ErrnoException) => r(e.code)));
  await new Promise((r) => c.once('connect', r));
  kill(await accepted);
  t.equal(await reset, 'ECONNRESET', 'kill() resets a TCP socket');
  const p = new PassThrough();
  kill(p);
  t.ok(p.destroyed);
  kill(p);
});

t.test('trustedSource: forwarded for= only when the identity matches and the TCP peer is the workload or its node', async (t) => {
  const state = new ProxyState({ nodeName: 'n2' });
  const client = pod('client', '10.0.1.5', 'n1');
  state.upsertAddress({ workload: client });
  state.upsertAddress({ workload: wl({ uid: 'zt-n1', addresses: ['192.168.0.1'], node: 'n1', networkMode: 'HOST_NETWORK' }) });
  state.upsertAddress({ workload: wl({ uid: 'zt-n3', addresses: ['192.168.0.3'], node: 'n3', networkMode: 'HOST_NETWORK' }) });
  const proxy = new Proxy({ config: validateConfig({ nodeName: 'n2' }), state, metrics: new Metrics(), logger: recordingLogger() });
  const id = 'spiffe://cluster.local/ns/default/sa/client';
  t.match(proxy.trustedSource('for="10.0.1.5:4242"', id, '192.168.0.1'), { ip: '10.0.1.5', addr: '10.0.1.5:4242' }, 'peer is the node of the workload');
  t.match(proxy.trustedSource('for="10.0.1.5:4242";host=x.y', id, '10.0.1.5'), { ip: '10.0.1.5' }, 'peer is the workload itself');
  t.equal(proxy.trustedSource('for="10.0.1.5:4242"', id, '192.168.0.3'), undefined, 'peer is another node');
  t.equal(proxy.trustedSource('for="10.0.1.5:4242"', 'spiffe://cluster.local/ns/default/sa/other', '192.168.0.1'), undefined, 'identity mismatch');
  t.equal(proxy.trustedSource('for="10.9.9.9:1"', id, '192.168.0.1'), undefined, 'unknown workload');
  t.equal(proxy.trustedSource(undefined, id, '192.168.0.1'), undefined);
});
