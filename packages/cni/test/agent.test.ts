import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgent, type AgentConfig, type NodeAgent } from '../src/agent.js';
import { NodeRedirection } from '../src/dataplane.js';
import { REDIRECTION_ANNOTATION, type PodInfo } from '../src/enrollment.js';
import { sendPluginEvent, type PluginEvent } from '../src/protocol.js';
import { MemorySource } from '../src/source.js';
import { FakeKernel } from './fixtures/fake-kernel.js';
import { captureLogger } from './fixtures/logger.js';

const pod = (name: string, ip: string, extra: Partial<PodInfo> = {}): PodInfo => ({
  uid: `uid-${name}`,
  name,
  namespace: 'demo',
  labels: {},
  annotations: {},
  ips: [ip],
  nodeName: 'node-1',
  phase: 'Running',
  ...extra,
});

async function setup(t: Test, opts: { source?: MemorySource; kernel?: FakeKernel; dir?: string; config?: Partial<AgentConfig> } = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'amt-cni-agent-'));
  if (!opts.dir) t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const source = opts.source ?? new MemorySource();
  const kernel = opts.kernel ?? new FakeKernel();
  const logger = captureLogger();
  const agent = await buildAgent({
    source,
    annotator: source,
    redirection: new NodeRedirection({ runner: kernel }),
    nodeName: 'node-1',
    socketPath: join(dir, 'plugin.sock'),
    stateDir: join(dir, 'state'),
    admin: { host: '127.0.0.1', port: 0 },
    podWaitMs: 200,
    logger,
    ...opts.config,
  });
  t.teardown(() => agent.close());
  return { dir, source, kernel, logger, agent };
}

const event = (p: PodInfo, command: PluginEvent['command'], ips = p.ips): PluginEvent => ({
  command,
  containerId: `c-${p.name}`,
  netns: `/var/run/netns/${p.name}`,
  ifname: 'eth0',
  podName: p.name,
  podNamespace: p.namespace,
  podUid: p.uid,
  ips: [...ips],
});

function get(agent: NodeAgent, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: agent.adminAddress!.port, path }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end();
  });
}

t.test('labelling a namespace enrolls its running pods; unlabelling removes them', async (t) => {
  const source = new MemorySource();
  source.setNamespace('demo');
  source.setPod(pod('web', '10.22.0.5'));
  source.setPod(pod('db', '10.22.0.6'));
  source.setPod(pod('optout', '10.22.0.7', { labels: { 'istio.io/dataplane-mode': 'none' } }));
  source.setPod(pod('sidecar', '10.22.0.8', { annotations: { 'sidecar.istio.io/status': '{}' } }));
  source.setPod(pod('elsewhere', '10.22.1.9', { nodeName: 'node-2' }));
  const { kernel, logger, agent } = await setup(t, { source });
  t.ok(agent.isReady());
  t.same(kernel.members(), []);

  source.setNamespace('demo', { 'istio.io/dataplane-mode': 'ambient' });
  await agent.settled();
  t.same(kernel.members(), ['10.22.0.5', '10.22.0.6']);
  t.equal(source.pods.get('uid-web')!.annotations[REDIRECTION_ANNOTATION], 'enabled');
  t.equal(source.pods.get('uid-optout')!.annotations[REDIRECTION_ANNOTATION], undefined);
  t.ok(logger.messages().includes('Namespace demo is enabled in ambient mesh'));
  t.ok(logger.messages().includes("Adding pod 'web/demo' (uid-web) to ipset"));
  t.same([...agent.redirected().keys()].sort(), ['uid-db', 'uid-web']);

  const m = await get(agent, '/metrics');
  t.match(m.body, /^amesh_cni_enrolled_pods 2$/m);
  t.equal((await get(agent, '/readyz')).status, 200);
  t.equal((await get(agent, '/healthz')).status, 200);
  t.equal((await get(agent, '/nope')).status, 404);

  // A pod-level opt-out takes one pod out.
  source.setPod({ ...source.pods.get('uid-db')!, labels: { 'istio.io/dataplane-mode': 'none' } });
  await agent.settled();
  t.same(kernel.members(), ['10.22.0.5']);
  t.equal(source.pods.get('uid-db')!.annotations[REDIRECTION_ANNOTATION], undefined, 'annotation removed');
  t.ok(logger.messages().includes("Removing pod 'db/demo' (uid-db) from ipset"));

  source.setNamespace('demo', {});
  await agent.settled();
  t.same(kernel.members(), []);
  t.ok(logger.messages().includes('Namespace demo is disabled from ambient mesh'));
  t.same(agent.redirected().size, 0);

  // A pod label alone enrolls; deleting the pod removes it.
  source.setPod({ ...source.pods.get('uid-web')!, labels: { 'istio.io/dataplane-mode': 'ambient' } });
  await agent.settled();
  t.same(kernel.members(), ['10.22.0.5']);
  source.deletePod('uid-web');
  await agent.settled();
  t.same(kernel.members(), []);

  // Deleting an enrolled namespace removes its pods too.
  source.setNamespace('demo', { 'istio.io/dataplane-mode': 'ambient' });
  await agent.settled();
  t.same(kernel.members(), ['10.22.0.6'].filter(() => false), 'db opted out, web deleted');
  source.setPod(pod('api', '10.22.0.10'));
  await agent.settled();
  t.same(kernel.members(), ['10.22.0.10']);
  source.deleteNamespace('demo');
  await agent.settled();
  t.same(kernel.members(), []);
});

t.test('plugin events: ADD redirects an enrolled pod, CHECK confirms, DEL removes; others pass', async (t) => {
  const source = new MemorySource();
  source.setNamespace('demo', { 'istio.io/dataplane-mode': 'ambient' });
  source.setNamespace('plain');
  const web = pod('web', '', { ips: [] });
  source.setPod(web);
  const other = pod('other', '10.22.0.9', { namespace: 'plain' });
  source.setPod(other);
  const { kernel, agent, dir } = await setup(t, { source });
  t.same(kernel.members(), [], 'no IP yet, nothing redirected');

  const add = await sendPluginEvent(agent.socketPath, event(web, 'ADD', ['10.22.0.5']), 2000);
  t.same(add, { enrolled: true, redirected: true, reason: 'namespace-label', ips: ['10.22.0.5'] });
  t.same(kernel.members(), ['10.22.0.5']);
  t.same(await sendPluginEvent(agent.socketPath, event(web, 'CHECK', ['10.22.0.5']), 2000), add);
  const cache = JSON.parse(readFileSync(join(dir, 'state', 'enrollment.json'), 'utf8'));
  t.same(cache, { version: 1, enrolledNamespaces: ['demo'], pods: {} });

  const addOther = await sendPluginEvent(agent.socketPath, event(other, 'ADD'), 2000);
  t.same(addOther, { enrolled: false, redirected: false, reason: 'not-labelled' });
  t.same(kernel.members(), ['10.22.0.5']);

  // The pod status then reports the IP: nothing changes.
  source.setPod({ ...source.pods.get('uid-web')!, ips: ['10.22.0.5'] });
  await agent.settled();
  t.same(kernel.members(), ['10.22.0.5']);

  t.same(await sendPluginEvent(agent.socketPath, event(web, 'DEL', []), 2000), { enrolled: true, redirected: false });
  t.same(kernel.members(), [], 'DEL removes the IP even though the pod object still lists it');
  source.setPod({ ...source.pods.get('uid-web')!, phase: 'Running' });
  source.setPod({ ...source.pods.get('uid-web')!, labels: { x: 'y' } });
  await agent.settled();
  t.same(kernel.members(), [], 'stale status IPs are never redirected again');
  await t.rejects(sendPluginEvent(agent.socketPath, event(web, 'CHECK', ['10.22.0.5']), 2000), { code: 'CNI_ERR_NOT_REDIRECTED' });

  // DEL of a pod the agent never saw is fine.
  t.same(await sendPluginEvent(agent.socketPath, { ...event(pod('ghost', '1.1.1.1'), 'DEL'), podUid: undefined } as PluginEvent, 2000), {
    enrolled: false,
    redirected: false,
    reason: 'unknown-pod',
  });
  t.match((await get(agent, '/metrics')).body, /amesh_cni_plugin_events_total\{command="ADD",result="ok"\} 2/);
});

t.test('bad input: unknown pod, pod appearing while ADD waits, no IPv4, malformed body', async (t) => {
  const source = new MemorySource();
  source.setNamespace('demo', { 'istio.io/dataplane-mode': 'ambient' });
  const { kernel, agent } = await setup(t, { source });
  const late = pod('late', '10.22.0.20');
  await t.rejects(sendPluginEvent(agent.socketPath, event(late, 'ADD'), 2000), { code: 'CNI_ERR_POD_UNKNOWN', message: /not known to the node agent/ });
  const pending = sendPluginEvent(agent.socketPath, event(late, 'ADD'), 2000);
  setImmediate(() => source.setPod(late));
  t.same((await pending).redirected, true);
  t.same(kernel.members(), ['10.22.0.20']);

  const v6 = pod('v6', 'fd00::5');
  source.setPod(v6);
  await t.rejects(sendPluginEvent(agent.socketPath, event(v6, 'ADD'), 2000), { code: 'CNI_ERR_NO_POD_IP' });
  await t.rejects(sendPluginEvent(agent.socketPath, { command: 'FROB' } as unknown as PluginEvent, 2000), { code: 'CNI_ERR_INPUT', message: /command: must be ADD/ });
});

t.test('a failing step rolls that pod back and is counted', async (t) => {
  const source = new MemorySource();
  source.setNamespace('demo', { 'istio.io/dataplane-mode': 'ambient' });
  const { kernel, agent, logger } = await setup(t, { source });
  source.failAnnotations = new Error('api server says no');
  const web = pod('web', '10.22.0.5');
  source.setPod(web);
  await t.rejects(sendPluginEvent(agent.socketPath, event(web, 'ADD'), 2000), { code: 'CNI_ERR_REDIRECTION', message: /rolled back: api server says no/ });
  t.same(kernel.members(), [], 'ipset entry rolled back');
  t.same(agent.redirected().size, 0);
  t.ok(agent.metrics.reconcileErrors >= 1);
  t.ok(logger.lines.some((l) => l.level === 'error'));

  source.failAnnotations = undefined;
  kernel.fail = (argv) => argv[1] === 'add' && argv[3] === '10.22.0.31';
  const two = pod('two', '10.22.0.30', { ips: ['10.22.0.30', '10.22.0.31'] });
  source.setPod(two);
  await t.rejects(sendPluginEvent(agent.socketPath, event(two, 'ADD'), 2000), { code: 'CNI_ERR_COMMAND' });
  t.same(kernel.members(), ['10.22.0.5'].filter(() => false), 'the first IP of the failed pod was removed again');
  kernel.fail = undefined;
  t.equal(await agent.reconcile(), 0);
  t.same(kernel.members(), ['10.22.0.30', '10.22.0.31', '10.22.0.5']);
});

t.test('restart: reconcile removes stale entries, adopts existing ones, and a second run changes nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'amt-cni-agent-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const source = new MemorySource();
  source.setNamespace('demo', { 'istio.io/dataplane-mode': 'ambient' });
  const web = pod('web', '', { ips: [] });
  source.setPod(web);
  const kernel = new FakeKernel();
  const first = await setup(t, { source, kernel, dir });
  await sendPluginEvent(first.agent.socketPath, event(web, 'ADD', ['10.22.0.5']), 2000);
  await first.agent.close();
  await first.agent.close();

  // While the agent is down: a pod leaves, a stale entry is left behind, a namespace gets enrolled.
  kernel.sets.get('amesh-pods-v4')!.add('10.22.0.99');
  source.setNamespace('more', { 'istio.io/dataplane-mode': 'ambient' });
  source.setPod(pod('api', '10.22.0.7', { namespace: 'more', annotations: { [REDIRECTION_ANNOTATION]: 'enabled' } }));

  const second = await setup(t, { source, kernel, dir });
  t.same(kernel.members(), ['10.22.0.5', '10.22.0.7'], 'the CNI-learned IP of web survives the restart (pods.json)');
  t.ok(second.logger.messages().includes('Removing stale IP 10.22.0.99 from ipset'));
  t.notOk(second.logger.messages().includes("Adding pod 'web/demo' (uid-web) to ipset"), 'existing entries are adopted silently');
  const n = kernel.log.length;
  t.equal(await second.agent.reconcile(), 0);
  t.same(kernel.log.slice(n).filter((l) => l.startsWith('ipset ') && / (add|del|create|destroy) /.test(l)), [], 'no ipset change on a second reconcile');
});

t.test('start-up failure of the base rules closes everything', async (t) => {
  const kernel = new FakeKernel();
  kernel.fail = (argv) => argv[0] === 'iptables-restore';
  await t.rejects(setup(t, { kernel }), { code: 'CNI_ERR_REDIRECTION' });
});

t.test('periodic reconcile repairs drift', async (t) => {
  const source = new MemorySource();
  source.setNamespace('demo', { 'istio.io/dataplane-mode': 'ambient' });
  source.setPod(pod('web', '10.22.0.5'));
  const kernel = new FakeKernel();
  const { agent } = await setup(t, { source, kernel, config: { reconcileIntervalMs: 5 } });
  t.same(kernel.members(), ['10.22.0.5']);
  // Someone removes our entry by hand: the next periodic reconcile puts it back.
  const repaired = new Promise<void>((resolve) => {
    const orig = kernel.run.bind(kernel);
    kernel.run = async (argv) => {
      const r = await orig(argv);
      if (argv[0] === 'ipset' && argv[1] === 'add') resolve();
      return r;
    };
  });
  kernel.sets.get('amesh-pods-v4')!.delete('10.22.0.5');
  await repaired;
  await agent.settled();
  t.same(kernel.members(), ['10.22.0.5']);
});
