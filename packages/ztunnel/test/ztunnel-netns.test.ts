// Capture in network namespaces (root): a "node" namespace runs ztunnel with transparent listeners and the TPROXY
// recipe; a client pod's connection to a Service VIP is captured on 15001, sent through the same-node fast path
// with the inbound policy, and reaches the server pod in its own namespace; inbound plaintext on 15006 is captured
// too and STRICT-style policy refuses it.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { needsRoot } from '@amesh/test-utils';
import { DEFAULT_ADDON_PATH } from '../src/sockopt.js';
import { authz, match, pod, svc } from './fixtures/model.js';

const skip = needsRoot().skip || (existsSync(DEFAULT_ADDON_PATH) ? false : 'native helper not built (npm run build)');

t.test('TPROXY capture → fast path → pod in another namespace; plaintext inbound refused by policy', { skip }, async (t) => {
  const id = `${process.pid}`;
  const NODE = `amt-ztunnel-${id}-node`;
  const CLIENT = `amt-ztunnel-${id}-cli`;
  const SERVER = `amt-ztunnel-${id}-srv`;
  const OUTSIDE = `amt-ztunnel-${id}-out`;
  const sh = (...a: string[]) => execFileSync(a[0]!, a.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const ns = (n: string, ...a: string[]) => sh('ip', 'netns', 'exec', n, ...a);
  t.teardown(() => {
    for (const n of [CLIENT, SERVER, OUTSIDE, NODE]) {
      try {
        sh('ip', 'netns', 'del', n);
      } catch {
        /* gone */
      }
    }
  });
  for (const n of [NODE, CLIENT, SERVER, OUTSIDE]) {
    sh('ip', 'netns', 'add', n);
    ns(n, 'ip', 'link', 'set', 'lo', 'up');
  }
  const link = (podNs: string, nodeIf: string, net: number) => {
    sh('ip', 'link', 'add', nodeIf, 'netns', NODE, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', podNs);
    ns(NODE, 'ip', 'addr', 'add', `10.200.${net}.1/24`, 'dev', nodeIf);
    ns(NODE, 'ip', 'link', 'set', nodeIf, 'up');
    ns(podNs, 'ip', 'addr', 'add', `10.200.${net}.2/24`, 'dev', 'eth0');
    ns(podNs, 'ip', 'link', 'set', 'eth0', 'up');
    ns(podNs, 'ip', 'route', 'add', 'default', 'via', `10.200.${net}.1`);
  };
  link(CLIENT, 'vcli', 1);
  link(SERVER, 'vsrv', 2);
  link(OUTSIDE, 'vout', 3);
  ns(NODE, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  // pod outbound → 15001; inbound plaintext to the enrolled server pod (from outside the mesh) → 15006
  ns(NODE, 'iptables', '-t', 'mangle', '-A', 'PREROUTING', '-i', 'vcli', '-p', 'tcp', '-j', 'TPROXY', '--on-port', '15001', '--tproxy-mark', '0x1/0x1');
  ns(NODE, 'iptables', '-t', 'mangle', '-A', 'PREROUTING', '-i', 'vout', '-p', 'tcp', '-d', '10.200.2.2', '-j', 'TPROXY', '--on-port', '15006', '--tproxy-mark', '0x1/0x1');
  ns(NODE, 'ip', 'rule', 'add', 'fwmark', '0x1/0x1', 'lookup', '100');
  ns(NODE, 'ip', 'route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100');

  const app = spawn('ip', ['netns', 'exec', SERVER, process.execPath, '-e',
    "require('net').createServer({allowHalfOpen:true},s=>{s.on('data',d=>s.write('echo:'+d));s.on('end',()=>s.end())}).listen(8080,()=>console.log('up'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => app.kill());
  await new Promise((r) => app.stdout.once('data', r));

  const HOST = 'echo.default.svc.cluster.local';
  const state = {
    nodeName: 'node-a',
    addresses: [
      { workload: pod('client', '10.200.1.2', 'node-a') },
      { workload: pod('server', '10.200.2.2', 'node-a', { services: { [`default/${HOST}`]: { ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'TCP' }] } }, authorizationPolicies: ['default/strict'] }) },
      { service: svc({ namespace: 'default', hostname: HOST, addresses: [{ network: '', address: '10.96.0.10' }], ports: [{ servicePort: 80, targetPort: 0, appProtocol: 'TCP' }] }) },
    ],
    // PeerAuthentication STRICT as istiod sends it: DENY when there is no principal
    authorizations: [authz({ name: 'strict', namespace: 'default', scope: 'WORKLOAD_SELECTOR', action: 'DENY', groups: [{ rules: [{ matches: [match({ notPrincipals: [{ presence: {} }] })] }] }] })],
  };
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a.startsWith('--conditions'));
  const zt = spawn('ip', ['netns', 'exec', NODE, process.execPath, ...loader, new URL('./fixtures/netns-ztunnel.ts', import.meta.url).pathname], {
    stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ZT_STATE: JSON.stringify(state) },
  });
  t.teardown(() => {
    zt.stdin.end();
    zt.kill();
  });
  const logs: Record<string, unknown>[] = [];
  let onLog: () => void = () => {};
  createInterface({ input: zt.stdout }).on('line', (l) => {
    logs.push(JSON.parse(l));
    onLog();
  });
  const until = (cond: () => boolean) => new Promise<void>((resolve) => {
    if (cond()) return resolve();
    onLog = () => cond() && resolve();
  });
  await until(() => logs.some((r) => r.ready === true));

  const connect = (from: string, host: string, port: number) =>
    ns(from, process.execPath, '-e', `const s=require('net').connect({host:'${host}',port:${port},allowHalfOpen:true});let d='';s.on('data',c=>d+=c);s.on('error',()=>{});s.on('close',()=>process.stdout.write(d));s.end('hello')`);
  t.equal(connect(CLIENT, '10.96.0.10', 80), 'echo:hello', 'the client pod reached the Service VIP through ztunnel');
  await until(() => logs.filter((r) => r.msg === 'connection complete').length >= 2);
  t.match(logs.find((r) => r.msg === 'connection complete' && r.direction === 'inbound'), {
    'src.addr': /^10\.200\.1\.2:/, 'src.identity': 'spiffe://cluster.local/ns/default/sa/client', 'dst.workload': 'server', 'dst.identity': 'spiffe://cluster.local/ns/default/sa/server', bytes_recv: 5, bytes_sent: 10,
  });
  t.match(logs.find((r) => r.msg === 'connection complete' && r.direction === 'outbound'), { 'dst.service': HOST, 'dst.hbone_addr': '10.200.2.2:8080' });

  t.equal(connect(OUTSIDE, '10.200.2.2', 8080), '', 'plaintext from outside the mesh is captured on 15006 and refused (STRICT)');
  await until(() => logs.some((r) => r.direction === 'inbound' && typeof r.error === 'string' && /denied by policy/.test(r.error as string)));
  t.pass('the refusal is in the inbound access log');
});

// Two nodes: client pod on node A, server pod on node B, nodes linked by an "underlay" veth. Node A captures the
// pod's connection (TPROXY 15001) and dials HBONE to serverPodIP:15008; node B's TPROXY rule sends it to its
// transparent 15008 listener, whose local address (the pod IP) picks the server's certificate.
t.test('two nodes in namespaces, 2 worker threads each: capture → HBONE on the real port 15008 → capture on node B → pod', { skip }, async (t) => {
  const { createTestCa } = await import('@amesh/spiffe/testing');
  const id = `${process.pid}`;
  const [NA, NB, CLI, SRV] = ['na', 'nb', 'c2', 's2'].map((s) => `amt-ztunnel-${id}-${s}`) as [string, string, string, string];
  const sh = (...a: string[]) => execFileSync(a[0]!, a.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const ns = (n: string, ...a: string[]) => sh('ip', 'netns', 'exec', n, ...a);
  t.teardown(() => {
    for (const n of [CLI, SRV, NA, NB]) {
      try {
        sh('ip', 'netns', 'del', n);
      } catch {
        /* gone */
      }
    }
  });
  for (const n of [NA, NB, CLI, SRV]) {
    sh('ip', 'netns', 'add', n);
    ns(n, 'ip', 'link', 'set', 'lo', 'up');
  }
  const link = (node: string, podNs: string, nodeIf: string, net: number) => {
    sh('ip', 'link', 'add', nodeIf, 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', podNs);
    ns(node, 'ip', 'addr', 'add', `10.210.${net}.1/24`, 'dev', nodeIf);
    ns(node, 'ip', 'link', 'set', nodeIf, 'up');
    ns(podNs, 'ip', 'addr', 'add', `10.210.${net}.2/24`, 'dev', 'eth0');
    ns(podNs, 'ip', 'link', 'set', 'eth0', 'up');
    ns(podNs, 'ip', 'route', 'add', 'default', 'via', `10.210.${net}.1`);
  };
  link(NA, CLI, 'vcli', 1);
  link(NB, SRV, 'vsrv', 2);
  sh('ip', 'link', 'add', 'ula', 'netns', NA, 'type', 'veth', 'peer', 'name', 'ulb', 'netns', NB);
  ns(NA, 'ip', 'addr', 'add', '10.211.0.1/24', 'dev', 'ula');
  ns(NB, 'ip', 'addr', 'add', '10.211.0.2/24', 'dev', 'ulb');
  ns(NA, 'ip', 'link', 'set', 'ula', 'up');
  ns(NB, 'ip', 'link', 'set', 'ulb', 'up');
  ns(NA, 'ip', 'route', 'add', '10.210.2.0/24', 'via', '10.211.0.2');
  ns(NB, 'ip', 'route', 'add', '10.210.1.0/24', 'via', '10.211.0.1');
  for (const n of [NA, NB]) {
    ns(n, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    ns(n, 'ip', 'rule', 'add', 'fwmark', '0x1/0x1', 'lookup', '100');
    ns(n, 'ip', 'route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100');
  }
  ns(NA, 'iptables', '-t', 'mangle', '-A', 'PREROUTING', '-i', 'vcli', '-p', 'tcp', '-j', 'TPROXY', '--on-port', '15001', '--tproxy-mark', '0x1/0x1');
  ns(NB, 'iptables', '-t', 'mangle', '-A', 'PREROUTING', '-i', 'ulb', '-p', 'tcp', '-d', '10.210.2.2', '--dport', '15008', '-j', 'TPROXY', '--on-port', '15008', '--tproxy-mark', '0x1/0x1');

  const app = spawn('ip', ['netns', 'exec', SRV, process.execPath, '-e',
    "require('net').createServer({allowHalfOpen:true},s=>{s.on('data',d=>s.write('echo:'+d));s.on('end',()=>s.end())}).listen(8080,()=>console.log('up'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => app.kill());
  await new Promise((r) => app.stdout.once('data', r));

  const ca = await createTestCa();
  const svids: Record<string, { key: string; chain: string; roots: string }> = {};
  for (const sa of ['client', 'server']) {
    const s = ca.issue(`default/${sa}`);
    svids[`spiffe://cluster.local/ns/default/sa/${sa}`] = { key: s.privateKeyPem, chain: s.certChainPem, roots: s.trustBundlePem };
  }
  const HOST = 'echo.default.svc.cluster.local';
  const addresses = [
    { workload: pod('client', '10.210.1.2', 'node-a') },
    { workload: pod('server', '10.210.2.2', 'node-b', { services: { [`default/${HOST}`]: { ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'TCP' }] } } }) },
    { service: svc({ namespace: 'default', hostname: HOST, addresses: [{ network: '', address: '10.96.0.10' }], ports: [{ servicePort: 80, targetPort: 0, appProtocol: 'TCP' }] }) },
  ];
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a.startsWith('--conditions'));
  const startZt = async (node: string, nodeName: string) => {
    const child = spawn('ip', ['netns', 'exec', node, process.execPath, ...loader, new URL('./fixtures/netns-ztunnel.ts', import.meta.url).pathname], {
      stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ZT_STATE: JSON.stringify({ nodeName, addresses, svids, workers: 2 }) },
    });
    t.teardown(() => {
      child.stdin.end();
      child.kill();
    });
    const logs: Record<string, unknown>[] = [];
    const waiters = new Set<() => void>();
    createInterface({ input: child.stdout }).on('line', (l) => {
      logs.push(JSON.parse(l));
      for (const w of waiters) w();
    });
    const until = (cond: () => boolean) => new Promise<void>((resolve) => {
      if (cond()) return resolve();
      const w = () => {
        if (cond()) {
          waiters.delete(w);
          resolve();
        }
      };
      waiters.add(w);
    });
    await until(() => logs.some((r) => r.ready === true));
    return { logs, until };
  };
  const [a, b] = await Promise.all([startZt(NA, 'node-a'), startZt(NB, 'node-b')]);
  t.equal(a.logs.find((r) => r.ready === true)?.workers, 2, 'the multi-worker mode with transparent SO_REUSEPORT listeners');
  const out = ns(CLI, process.execPath, '-e', "const s=require('net').connect({host:'10.96.0.10',port:80,allowHalfOpen:true});let d='';s.on('data',c=>d+=c);s.on('error',()=>{});s.on('close',()=>process.stdout.write(d));s.end('across')");
  t.equal(out, 'echo:across');
  await b.until(() => b.logs.some((r) => r.msg === 'connection complete'));
  t.match(b.logs.find((r) => r.msg === 'connection complete'), {
    direction: 'inbound', 'src.identity': 'spiffe://cluster.local/ns/default/sa/client', 'dst.identity': 'spiffe://cluster.local/ns/default/sa/server',
    'dst.addr': '10.210.2.2:15008', 'dst.hbone_addr': '10.210.2.2:8080',
  });
  await a.until(() => a.logs.some((r) => r.msg === 'connection complete'));
  t.match(a.logs.find((r) => r.msg === 'connection complete'), { direction: 'outbound', 'src.addr': /^10\.210\.1\.2:/, 'dst.addr': '10.210.2.2:15008', 'dst.hbone_addr': '10.210.2.2:8080' });
  // more connections: the kernel spreads them over both of A's capture workers
  const many = ns(CLI, process.execPath, '-e', "const net=require('net');(async()=>{let out='';for(let i=0;i<16;i++){out+=await new Promise(r=>{const s=net.connect({host:'10.96.0.10',port:80,allowHalfOpen:true});let d='';s.on('data',c=>d+=c);s.on('error',()=>{});s.on('close',()=>r(d));s.end('n')})}process.stdout.write(out)})()");
  t.equal(many, 'echo:n'.repeat(16));
  await a.until(() => a.logs.filter((r) => r.msg === 'connection complete').length === 17);
  t.same([...new Set(a.logs.filter((r) => r.msg === 'connection complete').map((r) => r.worker))].sort(), [0, 1], 'both capture workers served');
});
