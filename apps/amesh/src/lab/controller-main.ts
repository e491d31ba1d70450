#!/usr/bin/env node
// The lab controller process (started detached by `amesh lab up`; not meant to be run by hand):
//   node controller-main.js --name <lab> --nodes <n>
// It writes <labdir>/status.json, logs to stdout (captured into <labdir>/logs/controller.log), and on SIGTERM stops
// every pod and daemon and removes the lab's namespaces.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LabController, type DaemonSpec } from './controller.js';
import { CONTROL_PLANE_IP, type LabNetwork } from './network.js';
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

/** The mesh daemons, each only when its app is built (the lab still runs plain Kubernetes networking without them). */
function daemons(net: LabNetwork): DaemonSpec[] {
  const specs: DaemonSpec[] = [];
  const istiod = appMain('istiod');
  if (existsSync(istiod) && process.env.AMESH_LAB_MESH !== 'off') {
    specs.push({ name: 'istiod', netns: net.underlay, argv: [process.execPath, istiod, 'run', '--config-dir', paths.state], env: { LOG_FORMAT: 'json', POD_IP: CONTROL_PLANE_IP } });
    for (let i = 1; i <= net.nodes; i++) {
      const node = `node${i}`;
      const cni = appMain('istio-cni');
      if (existsSync(cni)) specs.push({ name: `istio-cni-${node}`, node, netns: net.nodeNs(i), argv: [process.execPath, cni, 'run', '--config-dir', paths.state], env: { NODE_NAME: node, LOG_FORMAT: 'json' } });
      const zt = appMain('ztunnel');
      if (existsSync(zt)) specs.push({ name: `ztunnel-${node}`, node, netns: net.nodeNs(i), argv: [process.execPath, zt, 'run'], env: { NODE_NAME: node, XDS_ADDRESS: `${CONTROL_PLANE_IP}:15010`, CA_ADDRESS: `${CONTROL_PLANE_IP}:15012`, CLUSTER_ID: 'Kubernetes', TRUST_DOMAIN: 'cluster.local', LOG_FORMAT: 'json' } });
    }
  }
  return specs;
}

const controller = new LabController({
  name,
  nodes,
  paths,
  logger,
  node: process.execPath,
  imageMain: join(root, 'apps', 'amesh', 'dist', 'lab', 'images', 'main.js'),
  daemons,
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
