// The seed demo and the lab's mesh behaviour, end to end as a user runs them (root): istiod, istio-cni and ztunnel
// really started in the lab; every demo step asserted; same-node and cross-node calls; STRICT PeerAuthentication
// refusing a non-mesh client; a ztunnel killed and restarted; un-enrolling a namespace; nothing left behind.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { needsRoot } from '@amesh/test-utils';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'apps/amesh/dist/main.js');
const lab = `amm${process.pid % 100000}`;
const ns = 'anz-ambient-demo';

function amesh(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cli, 'lab', args[0]!, '--name', lab, ...args.slice(1)], { encoding: 'utf8', input, timeout: 180_000 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}
const curl = (client: string, url = 'http://web-api:8080/', namespace = ns) => amesh(['exec', '-n', namespace, `deploy/${client}`, '--', 'curl', '-s', '--max-time', '5', url]);
const chainOk = (r: { code: number; out: string }) => r.code === 0 && /"name": "purchase-history-v1"/.test(r.out) && /"code": 200\n}\s*$/.test(r.out);

async function eventually<T>(probe: () => T, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = probe();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    v = probe();
  }
  return v;
}

t.test('seed 000 demo and mesh behaviour in the lab', needsRoot(), async (t) => {
  t.teardown(() => void amesh(['down']));

  const demo = spawnSync(process.execPath, [cli, 'lab', 'demo', '--keep', '--name', lab], { encoding: 'utf8', timeout: 300_000 });
  t.equal(demo.status, 0, demo.stdout + demo.stderr);
  for (let i = 1; i <= 9; i++) t.match(demo.stdout, new RegExp(`✔ +${i}\\. `), `demo step ${i} passed`);
  t.match(demo.stdout, /ztunnel access logs show the mTLS identities[\s\S]*spiffe:\/\/cluster\.local\/ns\/anz-ambient-demo\/sa\/sleep\) -> .*spiffe:\/\/cluster\.local\/ns\/anz-ambient-demo\/sa\/web-api/);
  t.match(demo.stdout, /seed 000 \(L4\) passed/);

  // where everything runs: sleep and web-api on different nodes (cross-node), notsleep beside web-api (same node)
  const wide = amesh(['get', 'pods', '-n', ns, '-o', 'wide']).out;
  const nodeOf = (app: string) => wide.match(new RegExp(`^${app}-\\S+\\s.*\\s(node\\d)\\s*$`, 'm'))?.[1];
  t.not(nodeOf('sleep'), nodeOf('web-api'), 'sleep -> web-api crosses nodes');
  t.ok(chainOk(curl('sleep')), 'the allowed cross-node chain works');

  // allow notsleep too: a same-node or cross-node path through ztunnel still enforces identities per policy
  amesh(['apply', '-f', '-'], `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: web-api-notsleep
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      app: web-api
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/${ns}/sa/notsleep"]
`);
  t.ok(chainOk(await eventually(() => curl('notsleep'), chainOk)), `notsleep (${nodeOf('notsleep')}) reaches web-api (${nodeOf('web-api')}) once allowed`);

  // a client outside the mesh: plaintext to an enrolled pod is refused under STRICT PeerAuthentication
  amesh(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: outside\n');
  t.equal(amesh(['apply', '-n', 'outside', '-f', join(root, 'apps/amesh/samples/ambient-demo/sleep.yaml')]).code, 0);
  amesh(['apply', '-f', '-'], `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: web-api-outside
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      app: web-api
  action: ALLOW
  rules:
  - from:
    - source:
        ipBlocks: ["10.244.0.0/16"]
`);
  const fqdn = `http://web-api.${ns}.svc.cluster.local:8080/`;
  const plain = await eventually(() => curl('sleep', fqdn, 'outside'), (r) => r.code === 0 && /"name": "web-api"/.test(r.out), 60_000);
  t.match(plain.out, /"name": "web-api"/, 'without STRICT, a plaintext client allowed by ipBlocks gets in');
  amesh(['apply', '-f', '-'], `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: ${ns}
spec:
  mtls:
    mode: STRICT
`);
  const strict = await eventually(() => curl('sleep', fqdn, 'outside'), (r) => !/"name": "web-api"/.test(r.out));
  t.notMatch(strict.out, /"name": "web-api"/, 'STRICT refuses the plaintext client');
  t.ok(chainOk(curl('sleep')), 'mesh clients are unaffected by STRICT');

  // kill one ztunnel: the lab restarts it (like a DaemonSet) and traffic recovers
  const status = JSON.parse(readFileSync(`/var/run/amesh/labs/${lab}/status.json`, 'utf8')) as { components: Array<{ name: string; pid?: number }> };
  const zt = status.components.find((c) => c.name === 'ztunnel-node1')!;
  process.kill(zt.pid!, 'SIGKILL');
  const back = await eventually(() => curl('sleep'), chainOk, 60_000);
  t.ok(chainOk(back), 'traffic recovers after ztunnel-node1 was killed');
  t.match(amesh(['status']).out, /ztunnel-node1\s+running.*restarts 1/);

  // un-enroll the namespace: pods keep running and traffic goes direct again (no ztunnel in the path)
  t.match(amesh(['label', 'ns', ns, 'istio.io/dataplane-mode-']).out, /labeled/);
  const cni = await eventually(() => amesh(['logs', 'istio-cni']).out, (o) => /Removing pod/.test(o));
  t.match(cni, /Removing pod/);
  t.ok(chainOk(await eventually(() => curl('sleep'), chainOk)), 'direct traffic works after un-enrolling');

  t.equal(amesh(['down']).code, 0);
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`amesh-${lab}-`));
  t.same(left, [], 'no network namespace left');
  const procs = spawnSync('pgrep', ['-f', `/var/run/amesh/labs/${lab}/`], { encoding: 'utf8' });
  t.equal(procs.stdout.trim(), '', 'no daemon of the lab left');
});
