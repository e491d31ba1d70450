// End to end on one "node": a real CNI chain (ptp + host-local, then ours) invoked as a runtime would, the node
// agent programming the node namespace, and a transparent python listener standing in for ztunnel.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needsRoot } from '@amesh/test-utils';
import { buildAgent, type NodeAgent } from '../src/agent.js';
import { NodeRedirection } from '../src/dataplane.js';
import { execRunner } from '../src/runner.js';
import { MemorySource } from '../src/source.js';
import type { PodInfo } from '../src/enrollment.js';
import { CniRuntime, transpiledPluginModules, type Conflist, type PodRef } from './fixtures/cni-runtime.js';
import { installCniConfig } from '../src/install.js';
import { Lab } from './fixtures/netns.js';
import { captureLogger } from './fixtures/logger.js';

t.test('a real CNI chain with the node agent', needsRoot(), async (t) => {
  const lab = new Lab(t);
  const dir = lab.tmpdir();
  const node = await lab.netns('node');
  const remote = await lab.netns('remote');
  await lab.link(node, '10.99.0.1/24', remote, '10.99.0.2/24', `${process.pid % 10000}r`);
  await lab.must(remote, ['ip', 'route', 'add', '10.22.0.0/24', 'via', '10.99.0.1']);
  // What the node already has: kube-proxy's Service DNAT and its canary chain.
  await lab.must(node, ['iptables', '-t', 'nat', '-A', 'PREROUTING', '-d', '10.96.0.10/32', '-p', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', '10.99.0.2:8080']);
  await lab.must(node, ['iptables', '-t', 'mangle', '-N', 'KUBE-KUBELET-CANARY']);
  const before = await lab.snapshot(node);

  const socketPath = join(dir, 'run', 'pluginevent.sock');
  const stateDir = join(dir, 'state');
  // Install mode puts our plugin (the self-contained bundle) into the CNI bin dir and chains it into the primary
  // conflist; the runtime then uses exactly that conflist and finds amesh-cni through CNI_PATH.
  const binDir = lab.tmpdir();
  const confDir = lab.tmpdir();
  const primary = {
    cniVersion: '1.0.0',
    name: 'amtnet',
    plugins: [{ type: 'ptp', ipMasq: false, ipam: { type: 'host-local', subnet: '10.22.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'ipam') } }],
  };
  writeFileSync(join(confDir, '10-amtnet.conflist'), JSON.stringify(primary));
  const installed = installCniConfig({
    confDir,
    binDir,
    bundle: { nodeBinary: process.execPath, modules: await transpiledPluginModules() },
    pluginConfig: { cni_event_address: socketPath, enrollment_cache: join(stateDir, 'enrollment.json'), agent_timeout_ms: 15_000 },
  });
  t.equal(installed.status, 'installed');
  const conflist = JSON.parse(readFileSync(join(confDir, '10-amtnet.conflist'), 'utf8')) as Conflist;
  t.same(conflist.plugins.map((p) => p.type), ['ptp', 'amesh-cni']);
  // Generous while the agent is up (a loaded machine can be slow); short where the agent is down on purpose.
  const runtime = new CniRuntime(node, ['/usr/lib/cni', binDir], conflist);
  const downRuntime = new CniRuntime(node, ['/usr/lib/cni', binDir], { ...conflist, plugins: [conflist.plugins[0]!, { ...conflist.plugins[1]!, agent_timeout_ms: 1500 }] });

  const source = new MemorySource();
  source.setNamespace('demo', { 'istio.io/dataplane-mode': 'ambient' });
  source.setNamespace('plain');
  const podInfo = (name: string, namespace: string): PodInfo => ({ uid: `uid-${name}`, name, namespace, labels: {}, annotations: {}, ips: [], nodeName: 'node-1', phase: 'Running' });
  const podRef = async (name: string, namespace: string): Promise<PodRef> => {
    const ns = await lab.netns(name);
    return { containerId: `ctr-${name}`, netns: `/var/run/netns/${ns}`, name, namespace, uid: `uid-${name}` };
  };
  const nsOf = (p: PodRef) => p.netns.split('/').pop()!;

  const logger = captureLogger();
  const startAgent = () =>
    buildAgent({
      source,
      annotator: source,
      redirection: new NodeRedirection({ runner: execRunner({ netns: node }) }),
      nodeName: 'node-1',
      socketPath,
      stateDir,
      podWaitMs: 2000,
      logger,
    });
  let agent: NodeAgent = await startAgent();
  t.teardown(() => agent.close());

  const ztunnel = await lab.listen(node, [15001, 15006, 15008], true);
  const server = await lab.listen(remote, [8080], false);

  const web = await podRef('web', 'demo');
  const sleep = await podRef('sleep', 'plain');
  source.setPod(podInfo('web', 'demo'));
  source.setPod(podInfo('sleep', 'plain'));
  const podServer = await lab.listen(nsOf(web), [8080], false);

  const addWeb = await runtime.run('ADD', web);
  t.ok(addWeb.ok, `ADD web: ${JSON.stringify(addWeb.error)} ${addWeb.runs.map((r) => r.stderr).join('\n')}`);
  t.equal(addWeb.runs[1]!.stdout.trim(), addWeb.runs[0]!.stdout.trim() === '' ? '' : JSON.stringify(JSON.parse(addWeb.runs[0]!.stdout)), 'our plugin prints prevResult unchanged');
  const webIp = String((addWeb.result!.ips as { address: string }[])[0]!.address).split('/')[0]!;
  const addSleep = await runtime.run('ADD', sleep);
  t.ok(addSleep.ok, 'ADD of a pod outside the mesh succeeds');
  const sleepIp = String((addSleep.result!.ips as { address: string }[])[0]!.address).split('/')[0]!;
  t.same([...agent.redirected().values()], [[webIp]]);
  t.equal(source.pods.get('uid-web')!.annotations['ambient.istio.io/redirection'], 'enabled');
  t.ok(logger.messages().includes(`Adding pod 'web/demo' (uid-web) to ipset`));
  t.ok((await runtime.run('CHECK', web)).ok, 'CHECK of the redirected pod passes');

  t.test('an enrolled pod\'s outbound and inbound reach the ztunnel stand-in with the original addresses', async (t) => {
    const out = await lab.connect(nsOf(web), '10.99.0.2', 8080);
    t.equal(out.data, 'hello');
    t.same(await ztunnel.next((a) => a.remote === out.local), { port: 15001, local: '10.99.0.2:8080', remote: out.local });
    const vip = await lab.connect(nsOf(web), '10.96.0.10', 80);
    t.same(await ztunnel.next((a) => a.remote === vip.local), { port: 15001, local: '10.96.0.10:80', remote: vip.local }, 'the Service VIP, not the DNAT endpoint');
    const inb = await lab.connect(remote, webIp, 8080);
    t.same(await ztunnel.next((a) => a.remote === inb.local), { port: 15006, local: `${webIp}:8080`, remote: inb.local });
    const hbone = await lab.connect(remote, webIp, 15008);
    t.same(await ztunnel.next((a) => a.remote === hbone.local), { port: 15008, local: `${webIp}:15008`, remote: hbone.local });
    // A pod outside the mesh goes direct.
    const direct = await lab.connect(nsOf(sleep), '10.99.0.2', 8080);
    t.same(await server.next((a) => a.remote === direct.local), { port: 8080, local: '10.99.0.2:8080', remote: `${sleepIp}:${direct.local!.split(':')[1]}` });
    t.notOk(ztunnel.accepted.some((a) => a.remote === direct.local));
  });

  t.test('un-enrolling restores direct traffic; re-enrolling captures again without restarting the pod', async (t) => {
    source.setNamespace('demo', {});
    await agent.settled();
    t.equal(source.pods.get('uid-web')!.annotations['ambient.istio.io/redirection'], undefined);
    const out = await lab.connect(nsOf(web), '10.99.0.2', 8080);
    t.same(await server.next((a) => a.remote === out.local), { port: 8080, local: '10.99.0.2:8080', remote: out.local });
    const inb = await lab.connect(remote, webIp, 8080);
    t.same(await podServer.next((a) => a.remote === inb.local), { port: 8080, local: `${webIp}:8080`, remote: inb.local });
    source.setNamespace('demo', { 'istio.io/dataplane-mode': 'ambient' });
    await agent.settled();
    t.ok(logger.messages().filter((m) => m === 'Namespace demo is enabled in ambient mesh').length >= 2);
    const again = await lab.connect(nsOf(web), '10.99.0.2', 8080);
    t.same(await ztunnel.next((a) => a.remote === again.local), { port: 15001, local: '10.99.0.2:8080', remote: again.local });
  });

  t.test('agent down: an enrolled pod cannot start, a pod outside the mesh can; restart reconciles', async (t) => {
    await agent.close();
    await lab.must(node, ['ipset', 'add', 'amesh-pods-v4', '10.22.0.250']);
    const api = await podRef('api', 'demo');
    source.setPod(podInfo('api', 'demo'));
    const failed = await downRuntime.run('ADD', api);
    t.notOk(failed.ok);
    t.equal(failed.error!.code, 11, 'try again later');
    t.match(failed.error!.msg, /enrolled in the ambient mesh/);
    t.ok((await downRuntime.run('DEL', api)).ok, 'the runtime cleans the failed sandbox up; DEL succeeds without the agent');
    const other = await podRef('other', 'plain');
    source.setPod(podInfo('other', 'plain'));
    const ok = await downRuntime.run('ADD', other);
    t.ok(ok.ok, `non-enrolled ADD with the agent down: ${JSON.stringify(ok.error)}`);

    agent = await startAgent();
    t.ok(logger.messages().includes('Removing stale IP 10.22.0.250 from ipset'));
    t.same((await lab.must(node, ['ipset', 'save', 'amesh-pods-v4'])).trim().split('\n').filter((l) => l.startsWith('add')), [`add amesh-pods-v4 ${webIp}`]);
    const s1 = await lab.snapshot(node);
    t.equal(await agent.reconcile(), 0);
    t.same(await lab.snapshot(node), s1, 'a second reconcile changes nothing');
    const out = await lab.connect(nsOf(web), '10.99.0.2', 8080);
    t.same(await ztunnel.next((a) => a.remote === out.local), { port: 15001, local: '10.99.0.2:8080', remote: out.local });
    t.ok((await downRuntime.run('DEL', other)).ok);
  });

  t.test('DEL removes the pods; uninstall leaves iptables-save, ipset list and ip rule as before', async (t) => {
    t.ok((await runtime.run('DEL', web)).ok);
    t.ok((await runtime.run('DEL', sleep)).ok);
    t.same(agent.redirected().size, 0);
    t.same((await lab.must(node, ['ipset', 'save', 'amesh-pods-v4'])).split('\n').filter((l) => l.startsWith('add')), []);
    await agent.close();
    await new NodeRedirection({ runner: execRunner({ netns: node }) }).uninstall();
    const after = await lab.snapshot(node);
    t.equal(after.iptables, before.iptables);
    t.equal(after.ipset, before.ipset);
    t.equal(after.rules, before.rules);
    t.notMatch(after.routes, /table 100/);
  });
});
