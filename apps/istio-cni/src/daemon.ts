// Wires the node agent from a DaemonConfig: the object source (state directory or API), the annotator, the
// node-namespace redirection, the agent, and install mode.
import { join } from 'node:path';
import {
  apiAnnotator,
  buildAgent,
  directoryAnnotator,
  execRunner,
  kubeClusterSource,
  NodeRedirection,
  uninstallCniConfig,
  watchCniConfig,
  type CommandRunner,
  type Logger,
  type NodeAgent,
  type PodAnnotator,
} from '@amesh/cni';
import { DirectorySource, KubeApiSource, loadKubeConfig, StateDirectory, type ObjectSource } from '@amesh/kube';
import type { DaemonConfig } from './config.js';

export interface Daemon {
  agent: NodeAgent;
  close(): Promise<void>;
}

/** The plugin configuration our conflist entry carries. */
export function pluginEntry(cfg: DaemonConfig): Record<string, unknown> {
  return { cni_event_address: cfg.eventSocket, enrollment_cache: join(cfg.agentDir, 'enrollment.json'), log_level: cfg.logLevel };
}

export function runnerFor(cfg: DaemonConfig, logger: Logger): CommandRunner {
  const log = logger.child({ scope: 'iptables' });
  return execRunner({
    ...(cfg.nodeNetns ? { netns: cfg.nodeNetns } : {}),
    onCommand: (argv, r) => log.debug({ argv, code: r.code, stderr: r.stderr }, `${argv.join(' ')} -> ${r.code}`),
  });
}

/** Starts the agent (and install mode); resolves once ready. */
export async function startDaemon(cfg: DaemonConfig, logger: Logger, deps: { runner?: CommandRunner } = {}): Promise<Daemon> {
  logger.info({ config: cfg }, `istio-cni node agent starting on node ${cfg.nodeName}`);
  const selectors = { Pod: { fieldSelector: `spec.nodeName=${cfg.nodeName}` } };
  let objects: ObjectSource;
  let annotator: PodAnnotator;
  if (cfg.kubeStateDir) {
    const dir = new DirectorySource({ dir: cfg.kubeStateDir, kinds: ['Namespace', 'Pod'], selectors, logger: logger.child({ scope: 'kube' }) });
    objects = dir;
    annotator = directoryAnnotator(new StateDirectory(cfg.kubeStateDir), dir);
  } else {
    const kubeConfig = await loadKubeConfig(cfg.kubeconfig ? { kubeconfigPath: cfg.kubeconfig } : { inCluster: cfg.inCluster });
    objects = new KubeApiSource({ kubeConfig, kinds: ['Namespace', 'Pod'], selectors, logger: logger.child({ scope: 'kube' }) });
    annotator = apiAnnotator(kubeConfig);
  }
  const agent = await buildAgent({
    source: kubeClusterSource(objects, { ownsSource: true }),
    annotator,
    redirection: new NodeRedirection({ runner: deps.runner ?? runnerFor(cfg, logger), logger: logger.child({ scope: 'ambient' }) }),
    nodeName: cfg.nodeName,
    socketPath: cfg.eventSocket,
    stateDir: cfg.agentDir,
    ...(cfg.ready ? { admin: cfg.ready } : {}),
    podWaitMs: cfg.podWaitMs,
    reconcileIntervalMs: cfg.reconcileIntervalMs,
    logger,
  });
  let watcher: { close(): void } | undefined;
  if (cfg.install) {
    // After the agent wrote the enrollment cache: the plugin may need it from its first call. The plugin goes to
    // the node as a self-contained bundle (this node binary + the plugin's modules), run by a relative shim.
    watcher = watchCniConfig({
      confDir: cfg.cniNetDir,
      binDir: cfg.cniBinDir,
      bundle: { nodeBinary: process.execPath },
      pluginConfig: pluginEntry(cfg),
      logger,
      onError: (err) => logger.error({ err }, `CNI config install failed: ${err.message}`),
    });
  }
  let closed = false;
  return {
    agent,
    async close() {
      if (closed) return;
      closed = true;
      watcher?.close();
      await agent.close();
    },
  };
}

/** `istio-cni uninstall`: removes the redirection and (in install mode) the plugin and its config entry. */
export async function uninstall(cfg: DaemonConfig, logger: Logger, deps: { runner?: CommandRunner } = {}): Promise<string[]> {
  const removed = await new NodeRedirection({ runner: deps.runner ?? runnerFor(cfg, logger), logger: logger.child({ scope: 'ambient' }) }).uninstall();
  if (cfg.install) removed.push(...uninstallCniConfig({ confDir: cfg.cniNetDir, binDir: cfg.cniBinDir, logger }));
  return removed;
}

