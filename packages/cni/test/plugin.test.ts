import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniError } from '../src/errors.js';
import { parseCniArgs, parsePluginConfig, resultIps, runPlugin, type PluginDeps } from '../src/plugin.js';
import type { PluginEvent, PluginReply } from '../src/protocol.js';

const prevResult = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', sandbox: '/var/run/netns/p' }],
  ips: [{ address: '10.22.0.5/24', interface: 0, gateway: '10.22.0.1' }, { address: 'fd00::5/64', interface: 0 }],
  routes: [{ dst: '0.0.0.0/0' }],
};

function setup(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'amt-cni-plugin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cache = join(dir, 'enrollment.json');
  const conf = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'amesh-cni', cni_event_address: join(dir, 'none.sock'), enrollment_cache: cache, agent_timeout_ms: 300, prevResult, ...extra });
  const env = (command: string, extra: Record<string, string | undefined> = {}) => ({
    CNI_COMMAND: command,
    CNI_CONTAINERID: 'abc',
    CNI_IFNAME: 'eth0',
    CNI_NETNS: '/var/run/netns/p',
    CNI_PATH: '/opt/cni/bin',
    CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=web;K8S_POD_UID=u1',
    ...extra,
  });
  const sent: PluginEvent[] = [];
  const deps = (reply: (ev: PluginEvent) => Promise<PluginReply>): PluginDeps => ({
    exists: (p) => p === '/var/run/netns/p',
    delay: async () => {},
    send: async (_s, ev) => {
      sent.push(ev);
      return reply(ev);
    },
  });
  return { dir, cache, conf, env, deps, sent };
}

const unreachable = async (): Promise<PluginReply> => {
  throw new CniError('CNI_ERR_AGENT_UNREACHABLE', 'connect ENOENT');
};

t.test('VERSION', async (t) => {
  const out = await runPlugin({ env: { CNI_COMMAND: 'VERSION' }, stdin: '{"cniVersion":"0.4.0"}' });
  t.same(JSON.parse(out.stdout), { cniVersion: '0.4.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0'] });
  t.equal(out.exitCode, 0);
  t.equal(JSON.parse((await runPlugin({ env: { CNI_COMMAND: 'VERSION' }, stdin: 'garbage' })).stdout).cniVersion, '1.0.0');
});

t.test('ADD tells the agent and prints prevResult unchanged', async (t) => {
  const { conf, env, deps, sent } = setup(t);
  const out = await runPlugin({ env: env('ADD'), stdin: conf() }, deps(async () => ({ enrolled: true, redirected: true })));
  t.equal(out.exitCode, 0);
  t.equal(out.stdout, `${JSON.stringify(prevResult)}\n`);
  t.same(sent, [{ command: 'ADD', containerId: 'abc', netns: '/var/run/netns/p', ifname: 'eth0', podName: 'web', podNamespace: 'demo', ips: ['10.22.0.5', 'fd00::5'], podUid: 'u1' }]);
  const chk = await runPlugin({ env: env('CHECK'), stdin: conf() }, deps(async () => ({ enrolled: true, redirected: true })));
  t.same(chk, { stdout: '', exitCode: 0 });
});

t.test('errors become CNI error JSON with spec codes', async (t) => {
  const { conf, env, deps } = setup(t);
  const ok = deps(async () => ({ enrolled: false, redirected: false }));
  const cases: [string, Record<string, string | undefined>, string, number, RegExp][] = [
    ['stdin is not JSON', env('ADD'), '{not json', 6, /not valid JSON/],
    ['missing fields', env('ADD'), JSON.stringify({ prevResult: 5, agent_timeout_ms: -1 }), 7, /cniVersion: required.*name: required.*type: required.*agent_timeout_ms.*prevResult: must be an object/],
    ['unsupported version', env('ADD'), conf({ cniVersion: '0.2.0' }), 1, /0\.2\.0 is not supported/],
    ['unknown command', env('FROB'), conf(), 4, /"FROB" is not ADD/],
    ['missing env', env('ADD', { CNI_NETNS: undefined, CNI_IFNAME: '' }), conf(), 4, /missing environment: CNI_IFNAME, CNI_NETNS/],
    ['malformed CNI_ARGS', env('ADD', { CNI_ARGS: 'K8S_POD_NAME' }), conf(), 4, /not KEY=VALUE/],
    ['no prevResult', env('ADD'), conf({ prevResult: undefined }), 7, /must be chained after an interface plugin/],
    ['missing netns', env('ADD', { CNI_NETNS: '/var/run/netns/gone' }), conf(), 3, /gone of pod demo\/web does not exist/],
    ['bad prevResult ips', env('ADD'), conf({ prevResult: { ips: [{}] } }), 7, /prevResult.ips/],
  ];
  for (const [name, e, stdin, code, msg] of cases) {
    const out = await runPlugin({ env: e, stdin }, ok);
    t.equal(out.exitCode, 1, `${name}: exit 1`);
    const body = JSON.parse(out.stdout);
    t.equal(body.code, code, `${name}: code ${code}`);
    t.match(body.msg, msg, name);
  }
  const agentErr = await runPlugin(
    { env: env('ADD'), stdin: conf() },
    deps(async () => {
      throw new CniError('CNI_ERR_REDIRECTION', 'ipset add failed, rolled back');
    }),
  );
  t.same(JSON.parse(agentErr.stdout), { cniVersion: '1.0.0', code: 102, msg: 'ipset add failed, rolled back', details: 'CNI_ERR_REDIRECTION' });
  const thrown = await runPlugin(
    { env: env('ADD'), stdin: conf() },
    deps(async () => {
      throw new Error('boom');
    }),
  );
  t.equal(JSON.parse(thrown.stdout).code, 101);
});

t.test('not a Kubernetes pod: nothing to do', async (t) => {
  const { conf, env, deps, sent } = setup(t);
  const out = await runPlugin({ env: env('ADD', { CNI_ARGS: 'IgnoreUnknown=1' }), stdin: conf() }, deps(unreachable));
  t.same(out, { stdout: `${JSON.stringify(prevResult)}\n`, exitCode: 0 });
  t.same(sent, []);
});

t.test('agent unreachable: the enrollment cache decides; DEL always succeeds', async (t) => {
  const { conf, env, deps, cache, sent } = setup(t);
  const noCache = await runPlugin({ env: env('ADD'), stdin: conf() }, deps(unreachable));
  t.equal(JSON.parse(noCache.stdout).code, 11);
  t.match(JSON.parse(noCache.stdout).msg, /enrollment unknown/);
  t.ok(sent.length >= 2, 'retried before giving up');

  writeFileSync(cache, JSON.stringify({ version: 1, enrolledNamespaces: ['demo'], pods: { 'plain/special': true, 'demo/optout': false } }));
  const enrolled = await runPlugin({ env: env('ADD'), stdin: conf() }, deps(unreachable));
  t.same(JSON.parse(enrolled.stdout).code, 11);
  t.match(JSON.parse(enrolled.stdout).msg, /demo\/web is enrolled in the ambient mesh/);
  const optout = await runPlugin({ env: env('ADD', { CNI_ARGS: 'K8S_POD_NAMESPACE=demo;K8S_POD_NAME=optout' }), stdin: conf() }, deps(unreachable));
  t.equal(optout.exitCode, 0, 'opted-out pod starts');
  const special = await runPlugin({ env: env('ADD', { CNI_ARGS: 'K8S_POD_NAMESPACE=plain;K8S_POD_NAME=special' }), stdin: conf() }, deps(unreachable));
  t.equal(JSON.parse(special.stdout).code, 11, 'pod-label enrollment is in the cache');
  const plain = await runPlugin({ env: env('ADD', { CNI_ARGS: 'K8S_POD_NAMESPACE=plain;K8S_POD_NAME=x' }), stdin: conf() }, deps(unreachable));
  t.same(plain, { stdout: `${JSON.stringify(prevResult)}\n`, exitCode: 0 });
  const del = await runPlugin({ env: env('DEL', { CNI_NETNS: '' }), stdin: conf({ prevResult: undefined }) }, deps(unreachable));
  t.same(del, { stdout: '', exitCode: 0 });

  writeFileSync(cache, '{"version":2}');
  t.match(JSON.parse((await runPlugin({ env: env('ADD'), stdin: conf() }, deps(unreachable))).stdout).msg, /unexpected shape/);
});

t.test('the agent restarting mid-operation: the plugin retries and succeeds', async (t) => {
  const { conf, env, deps } = setup(t);
  let n = 0;
  const out = await runPlugin(
    { env: env('ADD'), stdin: conf({ agent_timeout_ms: 5000 }) },
    deps(async () => {
      if (++n < 3) throw new CniError(n === 1 ? 'CNI_ERR_AGENT_UNREACHABLE' : 'CNI_ERR_CLOSED', 'socket hang up');
      return { enrolled: true, redirected: true };
    }),
  );
  t.equal(out.exitCode, 0);
  t.equal(n, 3);
});

t.test('the real socket client against no agent', async (t) => {
  const { conf, env } = setup(t);
  const out = await runPlugin({ env: env('ADD'), stdin: conf() }, { exists: () => true });
  t.equal(JSON.parse(out.stdout).code, 11);
  t.match(JSON.parse(out.stdout).msg, /ENOENT/);
});

t.test('helpers', async (t) => {
  t.same(parseCniArgs('A=1;B=x=y;;'), { A: '1', B: 'x=y' });
  t.same(parseCniArgs(undefined), {});
  t.same(resultIps({ ips: [{ address: '10.0.0.1/24' }, { address: 'junk' }] }), ['10.0.0.1']);
  t.same(resultIps(undefined), []);
  const c = parsePluginConfig(JSON.stringify({ cniVersion: '0.3.1', name: 'n', type: 'amesh-cni' }));
  t.equal(c.cni_event_address, '/var/run/istio-cni/pluginevent.sock');
  t.equal(c.agent_timeout_ms, 10000);
  t.throws(() => parsePluginConfig('[]'), { code: 'CNI_ERR_CONFIG' });
});
