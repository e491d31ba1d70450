// Wires the config into @amesh/kube + @amesh/istiod: picks the object source, loads (or creates) the CA, builds
// istiod and runs until a signal, then shuts down gracefully.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ALL_KINDS, DirectorySource, KubeApiSource, KubeApiWriter, loadKubeConfig, StateDirectory, type KubeObject, type ObjectSource } from '@amesh/kube';
import { build, WaypointReconciler, type Istiod, type Logger } from '@amesh/istiod';
import { CertificateAuthority, loadPluginCa, PLUGIN_CA_FILES, staticTokenVerifier, type TokenVerifier } from '@amesh/spiffe';
import type { AppConfig } from './config.js';

/** What istiod reads (Node and ServiceAccount objects are not needed for translation). */
export const ISTIOD_KINDS = ALL_KINDS.filter((k) => k !== 'Node' && k !== 'ServiceAccount');

async function writeAtomic(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.tmp-${process.pid}-${Date.now()}`);
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}

/** Loads the plug-in CA from `dir`, or creates a self-signed root there (so restarts keep the same root). */
export async function loadOrCreateCa(dir: string | undefined, trustDomain: string, log: Logger, signingWorkers = 0): Promise<CertificateAuthority> {
  const policy = { trustDomain, signingWorkers, logger: log };
  if (dir && existsSync(join(dir, PLUGIN_CA_FILES.cert))) {
    log.info({ dir }, 'using the plug-in CA');
    return loadPluginCa(dir, policy);
  }
  const ca = await CertificateAuthority.createRoot(policy);
  if (dir) {
    await writeAtomic(join(dir, PLUGIN_CA_FILES.key), ca.privateKeyPem);
    await writeAtomic(join(dir, PLUGIN_CA_FILES.cert), ca.trustBundlePem);
    await writeAtomic(join(dir, PLUGIN_CA_FILES.root), ca.trustBundlePem);
    log.info({ dir }, 'created a self-signed mesh root CA');
  } else {
    log.warn({}, 'no --ca-dir: using an in-memory self-signed root CA (certificates do not survive a restart)');
  }
  return ca;
}

export async function caAuthenticators(cfg: AppConfig): Promise<TokenVerifier[]> {
  const out: TokenVerifier[] = [];
  if (cfg.caTokensFile) {
    const tokens = JSON.parse(await readFile(cfg.caTokensFile, 'utf8')) as Record<string, { identity: string; node?: string; podName?: string }>;
    out.push(staticTokenVerifier({ tokens, trustDomain: cfg.trustDomain }));
  }
  return out;
}

export interface Running {
  istiod: Istiod;
  source: ObjectSource;
  close(): Promise<void>;
}

export async function startDaemon(cfg: AppConfig, log: Logger): Promise<Running> {
  let source: ObjectSource;
  let fileProblems: (() => { file: string; problems: string[] }[]) | undefined;
  let waypointDeployer: WaypointReconciler | undefined;
  let statusWriter: ((kind: string, obj: KubeObject, status: Record<string, unknown>) => Promise<void>) | undefined;
  if (cfg.configDir) {
    const dir = new DirectorySource({ dir: cfg.configDir, kinds: ISTIOD_KINDS, logger: log.child({ component: 'config-dir' }) });
    fileProblems = () => dir.problems();
    source = dir;
    log.info({ dir: cfg.configDir }, 'directory mode');
  } else {
    const kubeConfig = await loadKubeConfig({ ...(cfg.kubeconfig ? { kubeconfigPath: cfg.kubeconfig } : {}), inCluster: cfg.inCluster });
    source = new KubeApiSource({ kubeConfig, kinds: ISTIOD_KINDS, logger: log.child({ component: 'kube' }) });
    const statusApi = new KubeApiWriter({ kubeConfig, fieldManager: 'istiod' });
    statusWriter = (_kind, obj, status) => statusApi.patchStatus(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace, status);
    if (cfg.waypointImage) {
      const istiodAddress = `istiod.${cfg.rootNamespace}.svc:${cfg.secureXdsPort || 15012}`;
      waypointDeployer = new WaypointReconciler({
        writer: new KubeApiWriter({ kubeConfig, fieldManager: 'istiod' }),
        render: { image: cfg.waypointImage, xdsAddress: istiodAddress, caAddress: istiodAddress, clusterId: cfg.clusterId, trustDomain: cfg.trustDomain },
        logger: log,
      });
    }
    log.info({ server: kubeConfig.getCurrentCluster()?.server, inCluster: cfg.inCluster }, 'Kubernetes mode');
  }
  const ca = await loadOrCreateCa(cfg.caDir, cfg.trustDomain, log.child({ component: 'ca' }), cfg.caSigningWorkers);
  const writer = cfg.configDir ? new StateDirectory(cfg.configDir) : undefined;
  const istiod = await build({
    source,
    logger: log,
    host: cfg.host,
    ports: { xds: cfg.xdsPort, secureXds: cfg.secureXdsPort, debug: cfg.debugPort },
    mesh: { trustDomain: cfg.trustDomain, clusterId: cfg.clusterId, domainSuffix: cfg.domainSuffix, rootNamespace: cfg.rootNamespace, network: cfg.network },
    ca,
    caAuthenticators: await caAuthenticators(cfg),
    trustedNodeAccounts: cfg.trustedNodeAccounts,
    debounceMs: cfg.debounceMs,
    enableDryRun: cfg.enableDryRun,
    autoAllowWaypoints: cfg.autoAllowWaypoints,
    servingIps: ['127.0.0.1', ...cfg.servingIps.filter((ip) => ip !== '127.0.0.1')],
    ...(cfg.statusDir ? { statusDir: cfg.statusDir } : {}),
    ...(fileProblems ? { fileProblems } : {}),
    ...(waypointDeployer ? { waypointDeployer } : {}),
    ...(statusWriter ? { statusWriter } : {}),
    ...(writer ? { writeFileAtomic: (p: string, d: string) => writer.writeFileAtomic(p, d) } : {}),
  });
  if (cfg.rootCertOut) await writeAtomic(cfg.rootCertOut, istiod.rootCertPem);
  // the CA's signing workers (if any) stop after the servers that use them
  return { istiod, source, close: () => istiod.close().then(() => ca.close()) };
}
