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
