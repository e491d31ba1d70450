// `amesh lab` as a user runs it (the built CLI, as root): up, apply seed 000's sample, call the chain from sleep,
// kubectl-like verbs, exec exit codes, and down leaving no namespace, process or file behind.
// The mesh daemons are switched off here (AMESH_LAB_MESH=off): this suite covers the lab's own Kubernetes-like layer.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { needsRoot } from '@amesh/test-utils';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'apps/amesh/dist/main.js');
const lab = `amt${process.pid % 100000}`;

function amesh(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cli, 'lab', args[0]!, '--name', lab, ...args.slice(1)], { encoding: 'utf8', input, env: { ...process.env, AMESH_LAB_MESH: 'off' }, timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

t.test('the lab runs seed 000 sample apps and cleans up after itself', needsRoot(), async (t) => {
  t.teardown(() => void amesh(['down']));
  const up = amesh(['up', '--nodes', '2']);
  t.equal(up.code, 0, up.err);
  t.match(up.out, /is up: 2 node\(s\)/);
  t.equal(amesh(['up']).code, 1, 'a second up of the same lab is refused');

  const ns = amesh(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n');
  t.match(ns.out, /namespace\/demo created/);
  const applied = amesh(['apply', '-n', 'demo', '-f', join(root, 'apps/amesh/samples/ambient-demo')]);
  t.equal(applied.code, 0, applied.err);
  t.match(applied.out, /deployment\.apps\/web-api created/);
  t.match(amesh(['apply', '-n', 'demo', '-f', join(root, 'apps/amesh/samples/ambient-demo/sleep.yaml')]).out, /deployment\.apps\/sleep unchanged/);

  // wait for the five pods (the controller reports Running once each program listens)
  let pods = '';
  for (let i = 0; i < 100; i++) {
    pods = amesh(['get', 'pods', '-n', 'demo']).out;
    if ((pods.match(/Running/g) ?? []).length === 5) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  t.equal((pods.match(/1\/1\s+Running/g) ?? []).length, 5, pods);
  const wide = amesh(['get', 'pods', '-n', 'demo', '-o', 'wide']).out;
  t.match(wide, /node1/);
  t.match(wide, /node2/, 'anti-affinity spreads the pods over both nodes');

  const call = amesh(['exec', '-n', 'demo', 'deploy/sleep', '--', 'curl', '-s', '--max-time', '10', 'http://web-api:8080/']);
  t.equal(call.code, 0, call.err);
  const body = JSON.parse(call.out);
  t.equal(body.name, 'web-api');
  t.equal(body.code, 200);
  t.equal(body.upstream_calls[0].name, 'recommendation');
  t.equal(body.upstream_calls[0].upstream_calls[0].name, 'purchase-history-v1');
  t.equal(JSON.parse(amesh(['exec', '-n', 'demo', 'deploy/sleep', '--', 'curl', '-s', 'http://web-api.demo.svc.cluster.local:8080/']).out).code, 200, 'FQDN');

  t.equal(amesh(['exec', '-n', 'demo', 'deploy/sleep', '--', 'sh', '-c', 'exit 7']).code, 7, 'exec returns the command exit code');
  const missing = amesh(['exec', '-n', 'demo', 'deploy/nope', '--', 'true']);
  t.equal(missing.code, 1);
  t.match(missing.err, /deployment "nope" in namespace "demo" has no running pod/);

  t.match(amesh(['get', 'svc', '-n', 'demo']).out, /web-api\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+8080\/TCP/);
  t.match(amesh(['get', 'deploy', '-n', 'demo']).out, /web-api\s+1\/1/);
  t.match(amesh(['label', 'ns', 'demo', 'istio.io/dataplane-mode=ambient']).out, /namespace\/demo labeled/);
  t.match(amesh(['get', 'ns', '-o', 'wide']).out, /demo\s+Active\s+\S+\s+.*istio\.io\/dataplane-mode=ambient/);
  const bad = amesh(['get', 'frobs']);
  t.equal(bad.code, 2);
  t.match(bad.err, /doesn't have a resource type "frobs"/);
  t.match(amesh(['logs', 'controller', '--tail', '50']).out, /pod running/);

  // scale down by deleting: the pod goes, its namespace goes
  t.match(amesh(['delete', '-n', 'demo', '-f', join(root, 'apps/amesh/samples/ambient-demo/notsleep.yaml')]).out, /deployment\.apps\/notsleep deleted/);
  for (let i = 0; i < 100 && /notsleep/.test(amesh(['get', 'pods', '-n', 'demo']).out); i++) await new Promise((r) => setTimeout(r, 200));
  t.notMatch(amesh(['get', 'pods', '-n', 'demo']).out, /notsleep/);

  t.equal(amesh(['down']).code, 0);
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`amesh-${lab}-`));
  t.same(left, [], 'no network namespace left');
  t.notOk(existsSync(`/var/run/amesh/labs/${lab}`), 'no lab directory left');
  t.same(existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((d) => d.startsWith(`amesh-${lab}-`)) : [], [], 'no hosts files left');
  const procs = spawnSync('sh', ['-c', `ps -eo args | grep -c "[-]-name ${lab} "`], { encoding: 'utf8' }).stdout.trim();
  t.equal(procs, '0', 'no controller process left');
});
