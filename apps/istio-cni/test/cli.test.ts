import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/cli.js';

function io(extra: Record<string, unknown> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) }, text: () => out.join(''), errText: () => err.join(''), ...extra };
}

t.test('help and version exit 0; an unknown command exits 2 and shows usage', async (t) => {
  const a = io();
  t.equal(await run(['--help'], a), 0);
  t.match(a.text(), /usage: istio-cni/);
  t.match(a.text(), /CNI_EVENT_ADDRESS/);
  const b = io();
  t.equal(await run(['version'], b), 0);
  t.match(b.text(), /^istio-cni \d+\.\d+\.\d+/);
  const c = io();
  t.equal(await run(['frobnicate'], c), 2);
  t.match(c.errText(), /unknown command "frobnicate"/);
});

t.test('configuration problems are all listed, exit 2', async (t) => {
  const a = io({ env: { LOG_LEVEL: 'loud', POD_WAIT_MS: 'soon' } });
  t.equal(await run(['run', '--bogus', 'x', '--ready-address', 'nowhere'], a), 2);
  t.match(a.errText(), /5 configuration problem\(s\)/);
  t.match(a.errText(), /--bogus: unknown flag/);
  t.match(a.errText(), /READY_ADDRESS: "nowhere"/);
  t.match(a.errText(), /LOG_LEVEL: "loud"/);
  t.match(a.errText(), /POD_WAIT_MS: "soon"/);
});

t.test('plugin mode: VERSION, and ADD with no agent fails closed with CNI error JSON', async (t) => {
  const v = io({ env: { CNI_COMMAND: 'VERSION' }, stdin: async () => '{"cniVersion":"1.0.0"}' });
  t.equal(await run(['plugin'], v), 0);
  t.same(JSON.parse(v.text()).supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0']);

  const dir = mkdtempSync(join(tmpdir(), 'amt-cni-app-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const conf = { cniVersion: '1.0.0', name: 'net', type: 'amesh-cni', cni_event_address: join(dir, 'no.sock'), enrollment_cache: join(dir, 'none.json'), agent_timeout_ms: 200, prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.0.0.5/24' }] } };
  const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_IFNAME: 'eth0', CNI_NETNS: dir, CNI_ARGS: 'K8S_POD_NAMESPACE=demo;K8S_POD_NAME=web' };
  const a = io({ env, stdin: async () => JSON.stringify(conf) });
  t.equal(await run(['plugin'], a), 1);
  t.equal(JSON.parse(a.text()).code, 11);
  t.match(a.errText(), /\terror\tcni\tistio-cni ADD failed: .*refusing to start the pod unredirected/);
  const quiet = io({ env, stdin: async () => JSON.stringify({ ...conf, log_level: 'silent' }) });
  t.equal(await run(['plugin'], quiet), 1);
  t.equal(quiet.errText(), '');
});
