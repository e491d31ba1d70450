import t from 'tap';
import { needsRoot } from '@amesh/test-utils';
import { NodeRedirection, resolveRedirectionConfig } from '../src/dataplane.js';
import { CniError } from '../src/errors.js';
import { execRunner, type CommandRunner, type CommandResult } from '../src/runner.js';
import { Lab } from './fixtures/netns.js';

t.test('config defaults and validation lists every problem', async (t) => {
  const c = resolveRedirectionConfig();
  t.same(c, { ipset: 'amesh-pods-v4', chain: 'AMESH_PRERT', mark: 0x400, routeTable: 100, rulePriority: 100, ports: { outbound: 15001, inboundPlaintext: 15006, hbone: 15008 } });
  const err = t.throws(() => resolveRedirectionConfig({ ipset: 'bad name!', mark: 0, routeTable: 300, ports: { outbound: 70000 } })) as CniError;
  t.equal(err.code, 'CNI_ERR_CONFIG');
  t.same(err.details.map((d) => d.split(':')[0]), ['redirection.ipset', 'redirection.mark', 'redirection.routeTable', 'redirection.ports.outbound']);
});

t.test('desired rules: outbound to 15001, inbound HBONE to 15008, other inbound to 15006, nat ACCEPT', async (t) => {
  const r = new NodeRedirection({ runner: { run: async () => ({ code: 0, stdout: '', stderr: '' }) } });
  const d = r.desiredRules();
  t.equal(d.mangle[2], '-A AMESH_PRERT -p tcp -m socket --nowildcard -j RETURN', 'replies to ztunnel sockets are never captured');
  t.match(d.mangle[3], /--match-set amesh-pods-v4 src -m tcp ! --dport 15008 -j TPROXY --on-port 15001/);
  t.match(d.mangle[4], /--match-set amesh-pods-v4 dst -m tcp --dport 15008 -j TPROXY --on-port 15008/);
  t.match(d.mangle[5], /--match-set amesh-pods-v4 dst -j TPROXY --on-port 15006/);
  t.same(d.nat, ['-A AMESH_PRERT -m mark --mark 0x400/0x400 -j ACCEPT']);
});

/** A runner that runs for real but fails the n-th mutating command. */
function failingRunner(inner: CommandRunner, failOn: (argv: readonly string[]) => boolean): CommandRunner & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    async run(argv, options): Promise<CommandResult> {
      log.push(argv.join(' '));
      if (failOn(argv)) return { code: 1, stdout: '', stderr: 'injected failure' };
      return inner.run(argv, options);
    },
  };
}

t.test('real iptables/ipset/ip in a node namespace', needsRoot(), async (t) => {
  const lab = new Lab(t);
  const node = await lab.netns('dpnode');
  // What a node has before we come: kube-proxy's chains and a Service DNAT.
  await lab.must(node, ['iptables', '-t', 'nat', '-A', 'PREROUTING', '-d', '10.96.0.10/32', '-p', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', '10.99.0.2:8080']);
  await lab.must(node, ['iptables', '-t', 'mangle', '-N', 'KUBE-KUBELET-CANARY']);
  const before = await lab.snapshot(node);
  const runner = execRunner({ netns: node });
  const dp = new NodeRedirection({ runner });

  t.test('ensureBase programs everything once; a second run changes nothing', async (t) => {
    const first = await dp.ensureBase();
    t.ok(first.length >= 6, `first run made changes: ${first.join(', ')}`);
    t.same(await dp.ensureBase(), [], 'second run changes nothing');
    const s = await lab.snapshot(node);
    t.match(s.iptables, /\*mangle[\s\S]*:PREROUTING ACCEPT[\s\S]*-A PREROUTING -j AMESH_PRERT/);
    t.match(s.iptables, /\*nat[\s\S]*-A PREROUTING -j AMESH_PRERT\n-A PREROUTING -d 10\.96\.0\.10/, 'nat ACCEPT jump comes before kube-proxy DNAT');
    t.match(s.rules, /100:\s+from all fwmark 0x400\/0x400 lookup 100/);
    t.match(s.routes, /local default dev lo table 100/);
  });

  t.test('a jump pushed down by someone else is moved back to the top; a tampered chain is rewritten', async (t) => {
    await lab.must(node, ['iptables', '-t', 'nat', '-I', 'PREROUTING', '1', '-j', 'RETURN', '-p', 'udp']);
    await lab.must(node, ['iptables', '-t', 'mangle', '-A', 'AMESH_PRERT', '-j', 'RETURN']);
    const changes = await dp.ensureBase();
    t.same(changes.sort(), ['moved jump nat/PREROUTING -> AMESH_PRERT to position 1', 'rewrote chain mangle/AMESH_PRERT']);
    t.same(await dp.ensureBase(), []);
    await lab.must(node, ['iptables', '-t', 'nat', '-D', 'PREROUTING', '-j', 'RETURN', '-p', 'udp']);
  });

  t.test('ipset membership', async (t) => {
    await dp.addIps(['10.22.0.5', '10.22.0.6']);
    await dp.addIps(['10.22.0.5']);
    t.same([...(await dp.members())].sort(), ['10.22.0.5', '10.22.0.6']);
    await dp.removeIps(['10.22.0.5', '10.22.0.9']);
    t.same([...(await dp.members())], ['10.22.0.6']);
    await t.rejects(dp.addIps(['10.22.0.7', 'fe80::1']), { code: 'CNI_ERR_NO_POD_IP' });
    t.same([...(await dp.members())], ['10.22.0.6'], 'a failing add rolls back the IPs it added');
  });

  t.test('uninstall restores exactly the state before, and is idempotent', async (t) => {
    const removed = await dp.uninstall();
    t.ok(removed.length >= 6, removed.join(', '));
    t.same(await lab.snapshot(node), before);
    t.same(await dp.uninstall(), []);
    t.same([...(await dp.members())], []);
  });

  t.test('a failure half-way through ensureBase rolls back what it created', async (t) => {
    const r = failingRunner(runner, (argv) => argv[0] === 'ip' && argv.includes('route') && argv.includes('replace'));
    const dp2 = new NodeRedirection({ runner: r });
    await t.rejects(dp2.ensureBase(), { code: 'CNI_ERR_REDIRECTION', message: /injected failure/ });
    t.same(await lab.snapshot(node), before, 'nothing left behind');
  });
});
