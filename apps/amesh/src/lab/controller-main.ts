#!/usr/bin/env node
// The lab controller process (started detached by `amesh lab up`; not meant to be run by hand):
//   node controller-main.js --name <lab> --nodes <n>
// It writes <labdir>/status.json, logs to stdout (captured into <labdir>/logs/controller.log), and on SIGTERM stops
// every pod and daemon and removes the lab's namespaces.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabController, type DaemonSpec } from './controller.js';
import { CONTROL_PLANE_IP, nodeIp, type LabNetwork } from './network.js';
import { labPaths, repoRoot } from './paths.js';

function flag(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : def;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const log = (level: string) => (obj: unknown, msg?: string) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...(obj as object) }) + '\n');
const logger = { info: log('info'), warn: log('warn'), error: log('error') };

const name = flag('name', 'lab');
const nodes = Number(flag('nodes', '2'));
const paths = labPaths(name);
const root = repoRoot();
const appMain = (app: string) => join(root, 'apps', app, 'dist', 'main.js');

const meshOn = process.env.AMESH_LAB_MESH !== 'off';
const cniDir = (i: number) => join(paths.dir, 'cni', `node${i}`);
const cniBin = join(paths.dir, 'cni-bin');
const pluginMain = appMain('istio-cni').replace(/main\.js$/, 'plugin-main.js');
const withCni = meshOn && existsSync(pluginMain);

/** Per-node static CA tokens (the lab has no TokenReview): each ztunnel gets its own, bound to its node. */
function caTokens(): Record<string, { identity: string; node: string }> {
  const out: Record<string, { identity: string; node: string }> = {};
  for (let i = 1; i <= nodes; i++) out[`ztunnel-node${i}-${randomBytes(12).toString('hex')}`] = { identity: 'istio-system/ztunnel', node: `node${i}` };
  return out;
}

/** The mesh daemons, each only when its app is built (the lab still runs plain Kubernetes networking without them). */
function daemons(net: LabNetwork): DaemonSpec[] {
  const specs: DaemonSpec[] = [];
  if (!meshOn) return specs;
  const istiod = appMain('istiod');
  const tokens = caTokens();
  mkdirSync(join(paths.dir, 'ca'), { recursive: true });
  writeFileSync(join(paths.dir, 'ca-tokens.json'), JSON.stringify(tokens, null, 2), { mode: 0o600 });
  if (existsSync(istiod)) {
    specs.push({
      name: 'istiod',
      netns: net.underlay,
      argv: [process.execPath, istiod, 'run', '--config-dir', paths.state, '--ca-dir', join(paths.dir, 'ca'), '--ca-tokens-file', join(paths.dir, 'ca-tokens.json'), '--root-cert-out', join(paths.dir, 'root-cert.pem'), '--trusted-node-accounts', 'istio-system/ztunnel'],
      // POD_IP becomes an IP SAN of istiod's serving certificate, so ztunnels can verify 15012 at this address
      env: { POD_IP: CONTROL_PLANE_IP },
    });
  }
  for (let i = 1; i <= net.nodes; i++) {
    const node = `node${i}`;
    if (withCni) {
      mkdirSync(cniDir(i), { recursive: true });
      specs.push({ name: `istio-cni-${node}`, node, netns: net.nodeNs(i), argv: [process.execPath, appMain('istio-cni'), 'run', '--node-name', node, '--kube-state-dir', paths.state, '--cni-event-address', join(cniDir(i), 'pluginevent.sock'), '--agent-dir', cniDir(i), '--ready-address', 'off'], env: {} });
    }
    const zt = appMain('ztunnel');
    const token = Object.entries(tokens).find(([, v]) => v.node === node)![0];
    if (existsSync(zt)) {
      const tokenPath = join(paths.dir, 'tokens', `ztunnel-${node}`);
      mkdirSync(join(paths.dir, 'tokens'), { recursive: true });
      writeFileSync(tokenPath, token, { mode: 0o600 });
      specs.push({
        name: `ztunnel-${node}`,
        node,
        netns: net.nodeNs(i),
        argv: [process.execPath, zt, 'run'],
        env: {
          NODE_NAME: node,
          POD_NAME: `ztunnel-${node}`,
          POD_NAMESPACE: 'istio-system',
          INSTANCE_IP: nodeIp(i),
          XDS_ADDRESS: `${CONTROL_PLANE_IP}:15010`,
          CA_ADDRESS: `${CONTROL_PLANE_IP}:15012`,
          CA_ROOT_CA: join(paths.dir, 'root-cert.pem'),
          // verify istiod's serving certificate by its DNS SAN, as in a cluster (and never send an IP as TLS SNI)
          ALT_CA_HOSTNAME: 'istiod.istio-system.svc',
          ISTIO_TOKEN_PATH: tokenPath,
          CLUSTER_ID: 'Kubernetes',
          TRUST_DOMAIN: 'cluster.local',
          TRANSPARENT_CAPTURE: 'true',
        },
        // the CA's root is written by istiod at start; ztunnel needs it to trust 15012
        waitFor: join(paths.dir, 'root-cert.pem'),
      });
    }
  }
  return specs;
}

/** The istio-cni plugin, chained after ptp, talking to its node's agent. */
function chained(i: number): Array<Record<string, unknown> & { type: string }> {
  if (!withCni) return [];
  return [{ type: 'amesh-cni', cni_event_address: join(cniDir(i), 'pluginevent.sock'), enrollment_cache: join(cniDir(i), 'enrollment.json'), agent_timeout_ms: 5000, log_level: 'info' }];
}

if (withCni) {
  mkdirSync(cniBin, { recursive: true });
  // a CNI runtime execs plugins by file name from CNI_PATH
  writeFileSync(join(cniBin, 'amesh-cni'), `#!/bin/sh\nexec "${process.execPath}" "${pluginMain}" "$@"\n`, { mode: 0o755 });
}

const controller = new LabController({
  name,
  nodes,
  paths,
  logger,
  node: process.execPath,
  imageMain: join(root, 'apps', 'amesh', 'dist', 'lab', 'images', 'main.js'),
  daemons,
  chained,
  cniPath: ['/usr/lib/cni', '/opt/cni/bin', cniBin],
});

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ lab: name }, 'stopping lab');
  await controller.stop().catch((err: Error) => logger.error({ err: err.message }, 'stop failed'));
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

try {
  await controller.start();
} catch (err) {
  logger.error({ err: (err as Error).message }, 'lab failed to start');
  await shutdown(1);
}
