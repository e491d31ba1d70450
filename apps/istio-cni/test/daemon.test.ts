// The daemon for real (as root): directory mode, a "node" network namespace (NODE_NETNS), install mode into a
// temporary CNI config directory, readiness/metrics, SIGTERM, then `uninstall` restoring everything.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateDirectory } from '@amesh/kube';
import { needsRoot } from '@amesh/test-utils';
import { run } from '../src/cli.js';

const sh = (ns: string, ...argv: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
const snapshot = (ns: string) => ({
  iptables: sh(ns, 'iptables-save').split('\n').filter((l) => !l.startsWith('#')).join('\n'),
  ipset: sh(ns, 'ipset', 'list'),
  rules: sh(ns, 'ip', 'rule', 'show'),
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

/** An output sink that lets a test await a log line. */
function sink() {
  let text = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  return {
    write(s: string) {
      text += s;
      for (const w of [...waiters]) if (w.re.test(text)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
    },
    waitFor(re: RegExp): Promise<void> {
      if (re.test(text)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ re, resolve }));
    },
    text: () => text,
  };
}

t.test('istio-cni run / uninstall in a node namespace', needsRoot(), async (t) => {
  const ns = `amt-cni-${process.pid}-appnode`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => execFileSync('ip', ['netns', 'del', ns]));
  sh(ns, 'iptables', '-t', 'nat', '-A', 'PREROUTING', '-d', '10.96.0.10/32', '-p', 'tcp', '-j', 'DNAT', '--to-destination', '10.99.0.2');
  sh(ns, 'iptables', '-t', 'mangle', '-N', 'KUBE-KUBELET-CANARY');
  const before = snapshot(ns);

  const dir = mkdtempSync(join(tmpdir(), 'amt-cni-app-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const netDir = join(dir, 'net.d');
  mkdirSync(netDir);
  const primary = { cniVersion: '1.0.0', name: 'labnet', plugins: [{ type: 'ptp', ipam: { type: 'host-local', subnet: '10.22.0.0/24' } }] };
  writeFileSync(join(netDir, '10-labnet.conflist'), JSON.stringify(primary));
  const store = new StateDirectory(join(dir, 'cluster'));
  await store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { 'istio.io/dataplane-mode': 'ambient' } } });
  await store.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'demo' }, spec: { nodeName: 'lab-node' }, status: { podIP: '10.22.0.5', phase: 'Running' } } as never);

  const flags = ['--node-name', 'lab-node', '--kube-state-dir', store.dir, '--node-netns', ns, '--agent-dir', join(dir, 'agent'), '--cni-event-address', join(dir, 'agent', 'plugin.sock'), '--install', '--cni-net-dir', netDir, '--cni-bin-dir', join(dir, 'bin'), '--ready-address', '127.0.0.1:0'];
  const out = sink();
  const signals = new EventEmitter();
  let readyPort: number | undefined;
  const ready = new Promise<void>((resolve) => {
    const exit = run(['run', ...flags], { out, err: out, env: {}, signals, onReady: (i) => ((readyPort = i.readyPort), resolve()) });
    t.teardown(async () => {
      signals.emit('SIGTERM');
      await exit;
    });
    void exit.then((code) => out.write(`exit ${code}\n`));
  });
  await ready;
  t.equal((await get(readyPort!, '/readyz')).status, 200);
  await out.waitFor(/Adding pod 'web\/demo' \(.+\) to ipset/);
  t.match(out.text(), /info\tambient\tNamespace demo is enabled in ambient mesh/);
  t.match(out.text(), /CNI config file .*10-labnet\.conflist exists\. Proceeding\./);
  t.match(sh(ns, 'ipset', 'save', 'amesh-pods-v4'), /add amesh-pods-v4 10\.22\.0\.5/);
  t.match((await get(readyPort!, '/metrics')).body, /amesh_cni_enrolled_pods 1/);
  const conf = JSON.parse(readFileSync(join(netDir, '10-labnet.conflist'), 'utf8'));
  t.same(conf.plugins[1], { cni_event_address: join(dir, 'agent', 'plugin.sock'), enrollment_cache: join(dir, 'agent', 'enrollment.json'), log_level: 'info', type: 'amesh-cni' });
  t.match(readFileSync(join(dir, 'bin', 'amesh-cni'), 'utf8'), /exec "\$d\/amesh-cni\.d\/node" "\$d\/amesh-cni\.d\/main\.mjs" "\$@"/);
  t.same(JSON.parse(execFileSync(join(dir, 'bin', 'amesh-cni'), { env: { CNI_COMMAND: 'VERSION' }, input: '{}', encoding: 'utf8' })).cniVersion, '1.0.0', 'the installed plugin runs');
  // The pod was there before the agent started: the start-up reconcile (done before ready) annotated it.
  t.match(readFileSync(store.pathOf('Pod', 'web', 'demo'), 'utf8'), /ambient\.istio\.io\/redirection: enabled/);

  signals.emit('SIGTERM');
  await out.waitFor(/exit 0/);
  t.match(sh(ns, 'ipset', 'save', 'amesh-pods-v4'), /10\.22\.0\.5/, 'the redirection stays in place when the agent stops');

  const u = sink();
  t.equal(await run(['uninstall', ...flags], { out: u, err: u, env: {} }), 0, u.text());
  t.match(u.text(), /uninstall: removed/);
  t.same(snapshot(ns), before, 'iptables-save, ipset list and ip rule are as before');
  t.same(JSON.parse(readFileSync(join(netDir, '10-labnet.conflist'), 'utf8')), primary);
  t.same(readdirSync(join(dir, 'bin')), [], 'plugin and bundle removed');
});
