// Runs the lab network for real (root): two node namespaces on a private underlay, pods networked by the CNI
// reference plugins (ptp + host-local) called like a runtime, cross-node traffic, Service DNAT and hosts-file names.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsRoot } from '@amesh/test-utils';
import { LabNetwork, servicesRestore } from '../../src/lab/network.js';

t.test('servicesRestore spreads endpoints like kube-proxy and rejects when there are none', async (t) => {
  const text = servicesRestore([
    { vip: '10.96.0.10', port: 8080, endpoints: [{ ip: '10.244.1.2', port: 9090 }, { ip: '10.244.2.2', port: 9090 }] },
    { vip: '10.96.0.11', port: 80, endpoints: [] },
  ]);
  t.match(text, /-d 10\.96\.0\.10\/32 -p tcp -m tcp --dport 8080 -m statistic --mode random --probability 0\.50000000000 -j DNAT --to-destination 10\.244\.1\.2:9090/);
  t.match(text, /--dport 8080 -j DNAT --to-destination 10\.244\.2\.2:9090/);
  t.match(text, /-d 10\.96\.0\.11\/32 .* -j REJECT --reject-with tcp-reset/);
  t.match(text, /^\*nat\n:AMESH-SERVICES - \[0:0\]/);
});

t.test('argument validation names the problem', async (t) => {
  t.throws(() => new LabNetwork({ lab: 'Bad Name', nodes: 2, stateDir: '/tmp/x' }), /lab name "Bad Name"/);
  t.throws(() => new LabNetwork({ lab: 'ok', nodes: 0, stateDir: '/tmp/x' }), /--nodes 0/);
});

function sh(ns: string, cmd: string[]): { code: number; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', timeout: 20000 });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

t.test('two nodes, three pods, cross-node traffic, service VIP and names', needsRoot(), async (t) => {
  const lab = `amt${process.pid}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'amesh-lab-'));
  const net = new LabNetwork({ lab, nodes: 2, stateDir });
  t.teardown(() => net.down());
  await net.up();
  const pods = [
    { namespace: 'demo', name: 'a', uid: 'uid-a', node: 1 },
    { namespace: 'demo', name: 'b', uid: 'uid-b', node: 1 },
    { namespace: 'demo', name: 'c', uid: 'uid-c', node: 2 },
  ];
  const ips: Record<string, string> = {};
  for (const p of pods) ips[p.name] = (await net.addPod(p)).ip;
  t.match(ips.a, /^10\.244\.1\.\d+$/);
  t.match(ips.c, /^10\.244\.2\.\d+$/);

  // a tiny HTTP server in b and c that answers with its own name
  for (const name of ['b', 'c']) {
    const child = spawn('ip', ['netns', 'exec', net.podNs({ namespace: 'demo', name }), process.execPath, '-e',
      `require('http').createServer((q,s)=>s.end('${name}')).listen(8080,()=>console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  }
  const a = net.podNs(pods[0]!);
  t.equal(sh(a, ['curl', '-s', '--max-time', '5', `http://${ips.c}:8080/`]).out, 'c', 'pod on node1 reaches pod on node2');
  t.equal(sh(a, ['curl', '-s', '--max-time', '5', `http://${ips.b}:8080/`]).out, 'b', 'pod reaches pod on the same node');

  await net.syncServices([{ vip: '10.96.0.10', port: 80, endpoints: [{ ip: ips.c!, port: 8080 }] }]);
  await net.writeHosts(pods[0]!, ips.a!, [{ ip: '10.96.0.10', names: ['web', 'web.demo', 'web.demo.svc.cluster.local'] }]);
  t.equal(sh(a, ['curl', '-s', '--max-time', '5', 'http://10.96.0.10/']).out, 'c', 'the Service VIP is DNATed to its endpoint');
  t.equal(sh(a, ['curl', '-s', '--max-time', '5', 'http://web/']).out, 'c', 'the short name resolves through the pod hosts file');
  t.equal(sh(a, ['curl', '-s', '--max-time', '5', 'http://web.demo.svc.cluster.local/']).out, 'c', 'the FQDN resolves too');

  await net.syncServices([{ vip: '10.96.0.10', port: 80, endpoints: [{ ip: ips.b!, port: 8080 }] }]);
  t.equal(sh(a, ['curl', '-s', '--max-time', '5', 'http://web/']).out, 'b', 'a re-sync replaces the endpoints');

  await net.removePod(pods[2]!);
  t.notOk((await net.namespaces()).includes(net.podNs(pods[2]!)), 'removed pod namespace is gone');

  await net.down();
  t.same(await net.namespaces(), [], 'down leaves no namespace behind');
  t.notOk(existsSync(`/etc/netns/${a}`), 'down removes the pod hosts files');
  t.equal(spawnSync('ip', ['netns', 'pids', a]).status === 0 ? 'exists' : 'gone', 'gone');
});
