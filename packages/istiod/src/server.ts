// The istiod daemon core: `build(config)` binds every listener (delta ADS on 15010 plaintext and 15012 TLS, the CA
// service on 15012, debug/admin on 15014), starts the config source and serves. Returns a handle with an
// idempotent close().
import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject, ObjectSource } from '@amesh/kube';
import {
  CertificateAuthority,
  IstioCertificateService,
  createCertificateHandler,
  generateKey,
  grpcStatusFor,
  SpiffeError,
  type Caller,
  type SpiffeId,
  type TokenVerifier,
} from '@amesh/spiffe';
import { AdsServer, ResourceCache, ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL } from '@amesh/xds';
import { AmbientIndex } from './ambient.js';
import { ConfigController } from './controller.js';
import { IstiodError, IstiodErrorCode } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { DEFAULT_MESH, type MeshContext, type Waypoint } from './translate.js';

export interface IstiodConfig {
  /** Where objects come from: a `DirectorySource` (embedded / lab) or a `KubeApiSource` (Kubernetes). */
  source: ObjectSource;
  mesh?: Partial<MeshContext>;
  logger?: Logger;
  /** Bind address for every listener (default `0.0.0.0`). */
  host?: string;
  /** Ports (0 = any free port). Defaults: xds 15010, secureXds 15012, debug 15014. */
  ports?: { xds?: number; secureXds?: number; debug?: number };
  /** The mesh CA. Default: a fresh self-signed root for the trust domain (its bundle is `rootCertPem`). */
  ca?: CertificateAuthority;
  /** Authenticate CA callers (bearer tokens). No authenticator = every CreateCertificate is refused. */
  caAuthenticators?: readonly TokenVerifier[];
  /** `ns/sa` of node agents allowed to impersonate pods on their node (CA_TRUSTED_NODE_ACCOUNTS). Default `istio-system/ztunnel`. */
  trustedNodeAccounts?: readonly string[];
  /** DNS names in istiod's serving certificate (15012). Default: istiod.<root ns>.svc(+.cluster.local), istiod, localhost. */
  servingDnsNames?: readonly string[];
  /** Extra IP SANs for the serving certificate (default 127.0.0.1). */
  servingIps?: readonly string[];
  /** xDS push debounce (ms, default 100). */
  debounceMs?: number;
  /** Directory mode: write `waypoints.json` (desired waypoints) here, atomically. */
  statusDir?: string;
  /** Extra config problems to show on /debug/config_status (e.g. a DirectorySource's file problems). */
  fileProblems?: () => { file: string; problems: string[] }[];
  /** istiod AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY. */
  enableDryRun?: boolean;
  /** PILOT_AUTO_ALLOW_WAYPOINT_POLICY for every waypoint (legacy waypoint forms always get it). */
  autoAllowWaypoints?: boolean;
  /** Kubernetes mode: write validation results into objects' `status` (see ConfigControllerOptions.statusWriter). */
  statusWriter?: (kind: import('@amesh/kube').KindKey, obj: KubeObject, status: Record<string, unknown>) => Promise<void>;
  /** Kubernetes mode: deploy waypoints (e.g. a WaypointReconciler over KubeApiWriter); called on start and on changes. */
  waypointDeployer?: { reconcile(waypoints: readonly Waypoint[]): Promise<void> };
  /** Write files atomically (injected so the core does no path logic of its own); default: temp + rename. */
  writeFileAtomic?: (path: string, data: string) => Promise<void>;
}

export interface Istiod {
  ports: { xds: number; secureXds: number; debug: number };
  ca: CertificateAuthority;
  /** PEM of the mesh trust bundle (what clients of 15012 must trust). */
  rootCertPem: string;
  index: AmbientIndex;
  cache: ResourceCache;
  ads: AdsServer;
  controller: ConfigController;
  /** Resolves once the source synced and the first configuration was published. */
  ready: Promise<void>;
  isReady(): boolean;
  /** Desired waypoints (what directory mode publishes). */
  waypoints(): Waypoint[];
  close(): Promise<void>;
}

interface CaCounters {
  issued: number;
  refused: number;
  impersonationDenied: number;
}

async function defaultWriteAtomic(path: string, data: string): Promise<void> {
  const { mkdir, writeFile, rename } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const { randomBytes } = await import('node:crypto');
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.tmp-${randomBytes(6).toString('hex')}`);
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function bindGrpc(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))));
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Builds and starts istiod; every listener is bound before this resolves. */
export async function build(config: IstiodConfig): Promise<Istiod> {
  const log = config.logger ?? silentLogger;
  const mesh: MeshContext = { ...DEFAULT_MESH, ...(config.mesh ?? {}) };
  const host = config.host ?? '0.0.0.0';
  const problems: string[] = [];
  for (const [k, v] of Object.entries(config.ports ?? {})) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535)) problems.push(`ports.${k}: ${v} must be an integer in 0..65535`);
  }
  for (const [i, a] of (config.trustedNodeAccounts ?? []).entries()) {
    if (!/^[^/]+\/[^/]+$/.test(a)) problems.push(`trustedNodeAccounts[${i}]: "${a}" must be "namespace/serviceaccount"`);
  }
  if (problems.length > 0) throw new IstiodError(IstiodErrorCode.CONFIG, `invalid istiod configuration: ${problems.join('; ')}`, { details: problems });

  const ca = config.ca ?? (await CertificateAuthority.createRoot({ trustDomain: mesh.trustDomain }));
  // a CA with signing workers loads its key into them before 15012 accepts requests (no-op without workers)
  await ca.startSigningWorkers();
  const index = new AmbientIndex(mesh, { enableDryRun: config.enableDryRun ?? false, autoAllowWaypoints: config.autoAllowWaypoints ?? false });
  const cache = new ResourceCache({ logger: log });
  const ads = new AdsServer({ cache, logger: log, types: [ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL], debounceMs: config.debounceMs ?? 100, controlPlaneId: 'amesh-istiod' });
  const writeAtomic = config.writeFileAtomic ?? defaultWriteAtomic;
  let writingWaypoints: Promise<void> = Promise.resolve();
  const publishWaypoints = () => {
    config.waypointDeployer?.reconcile(index.waypoints()).catch((err: unknown) => log.error({ err }, 'waypoint deployment failed'));
    if (!config.statusDir) return;
    const body = JSON.stringify({ waypoints: index.waypoints().map(waypointStatus) }, null, 2) + '\n';
    const path = `${config.statusDir.replace(/\/$/, '')}/waypoints.json`;
    writingWaypoints = writingWaypoints.then(() => writeAtomic(path, body)).catch((err: unknown) => log.error({ err, path }, 'could not write the desired waypoints'));
  };
  const controller = new ConfigController({
    source: config.source,
    index,
    cache,
    logger: log,
    ...(config.statusWriter ? { statusWriter: config.statusWriter } : {}),
    onWaypointsChanged: () => {
      for (const w of index.waypoints()) for (const warning of w.warnings) log.warn({ waypoint: `${w.namespace}/${w.name}` }, warning);
      publishWaypoints();
    },
  });

  // ---- the CA service (15012) with node-scoped impersonation ----
  const trusted = new Set(config.trustedNodeAccounts ?? ['istio-system/ztunnel']);
  const ca$: CaCounters = { issued: 0, refused: 0, impersonationDenied: 0 };
  const canImpersonate = (caller: Caller, wanted: SpiffeId): boolean => {
    const who = `${caller.identity.namespace}/${caller.identity.serviceAccount}`;
    const deny = (reason: string) => {
      ca$.impersonationDenied++;
      log.warn({ caller: caller.identity.toString(), requested: wanted.toString(), reason }, 'CA impersonation refused');
      return false;
    };
    if (!trusted.has(who)) return deny(`caller ${who} is not a trusted node account (${[...trusted].join(', ')})`);
    let node = caller.pod?.node;
    if (!node && caller.pod?.name) node = index.getPod(caller.pod.namespace, caller.pod.name)?.spec?.nodeName;
    if (!node) return deny('the caller\'s node is unknown (no node in its credentials and no pod found)');
    if (wanted.trustDomain !== mesh.trustDomain) return deny(`trust domain ${wanted.trustDomain} is not ${mesh.trustDomain}`);
    if (!index.hasPodOnNode(wanted.namespace ?? '', wanted.serviceAccount ?? '', node)) return deny(`no pod running as ${wanted.namespace}/${wanted.serviceAccount} on node ${node}`);
    return true;
  };
  const handle = createCertificateHandler({ ca, authenticators: config.caAuthenticators ?? [], canImpersonate, logger: log });

  const servingKey = await generateKey();
  const serving = ca.issueServing({
    publicKey: servingKey.publicKey,
    dnsNames: [...(config.servingDnsNames ?? [`istiod.${mesh.rootNamespace}.svc`, `istiod.${mesh.rootNamespace}.svc.${mesh.domainSuffix}`, 'istiod', 'localhost'])],
    ipAddresses: [...(config.servingIps ?? ['127.0.0.1'])],
  });
  const rootCertPem = ca.trustBundlePem;
  const certChainPem = serving.certChain.slice(0, -1).join('');

  const plain = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  const secure = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  ads.addTo(plain);
  ads.addTo(secure);
  secure.addService(IstioCertificateService, {
    CreateCertificate: (call: grpc.ServerUnaryCall<Parameters<typeof handle>[0], unknown>, cb: grpc.sendUnaryData<unknown>) => {
      handle(call.request, call.metadata).then(
        (res) => {
          ca$.issued++;
          cb(null, res);
        },
        (err: unknown) => {
          ca$.refused++;
          const code = grpcStatusFor(err);
          const reason = err instanceof SpiffeError ? `${err.code}: ${err.message}` : `internal error: ${(err as Error).message}`;
          if (code === grpc.status.INTERNAL) log.error({ err }, 'CreateCertificate failed');
          else log.info({ peer: call.getPeer(), reason }, 'CreateCertificate refused');
          cb({ code, details: reason });
        },
      );
    },
  });

  const ports = config.ports ?? {};
  const xdsPort = await bindGrpc(plain, hostPort(host, ports.xds ?? 15010), grpc.ServerCredentials.createInsecure());
  let securePort: number;
  try {
    securePort = await bindGrpc(secure, hostPort(host, ports.secureXds ?? 15012), grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(servingKey.privateKeyPem), cert_chain: Buffer.from(certChainPem) }], false));
  } catch (err) {
    plain.forceShutdown();
    throw new IstiodError(IstiodErrorCode.BIND, `cannot listen on ${hostPort(host, ports.secureXds ?? 15012)}: ${(err as Error).message}`, { cause: err });
  }

  // ---- readiness ----
  let isReady = false;
  const ready = (async () => {
    await config.source.start();
    controller.start();
    controller.flush();
    ads.pushNow();
    isReady = true;
    publishWaypoints();
    log.info({ workloads: index.workloads().length, services: index.services().length, authorizations: index.authorizations().length }, 'istiod ready');
  })();
  ready.catch((err: unknown) => log.error({ err }, 'istiod failed to start its config source'));

  // ---- debug (15014) ----
  const debug = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body, null, 2) + '\n');
    };
    switch (url.pathname) {
      case '/ready':
        res.writeHead(isReady ? 200 : 503, { 'content-type': 'text/plain' }).end(isReady ? 'ready\n' : 'not ready: config source not synced\n');
        return;
      case '/metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsText(ads, cache, controller, index, ca$, isReady));
        return;
      case '/debug/configz':
        json(200, {
          mesh,
          ready: isReady,
          kinds: Object.fromEntries(['AuthorizationPolicy', 'PeerAuthentication', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Gateway', 'HTTPRoute', 'IstioGateway'].map((k) => [k, controller.serving(k as never).map(summary)])),
          waypoints: index.waypoints(),
          policyStatus: index.policyStatus(),
        });
        return;
      case '/debug/config_status':
        json(200, { objects: controller.status(), files: config.fileProblems?.() ?? [] });
        return;
      case '/debug/syncz':
        json(200, ads.connections());
        return;
      case '/debug/workloads':
        json(200, { workloads: index.workloads(), services: index.services(), authorizations: index.authorizations() });
        return;
      case '/debug/waypoints':
        json(200, index.waypoints().map(waypointStatus));
        return;
      default:
        json(404, { error: `unknown path ${url.pathname}`, paths: ['/ready', '/metrics', '/debug/configz', '/debug/config_status', '/debug/syncz', '/debug/workloads', '/debug/waypoints'] });
    }
  });
  debug.listen(ports.debug ?? 15014, host);
  try {
    await Promise.race([once(debug, 'listening'), once(debug, 'error').then(([e]) => Promise.reject(e))]);
  } catch (err) {
    plain.forceShutdown();
    secure.forceShutdown();
    throw new IstiodError(IstiodErrorCode.BIND, `cannot listen on ${hostPort(host, ports.debug ?? 15014)}: ${(err as Error).message}`, { cause: err });
  }
  const debugPort = (debug.address() as AddressInfo).port;
  log.info({ xds: xdsPort, secureXds: securePort, debug: debugPort, trustDomain: mesh.trustDomain, clusterId: mesh.clusterId }, 'istiod listening');

  let closing: Promise<void> | undefined;
  return {
    ports: { xds: xdsPort, secureXds: securePort, debug: debugPort },
    ca,
    rootCertPem,
    index,
    cache,
    ads,
    controller,
    ready,
    isReady: () => isReady,
    waypoints: () => index.waypoints(),
    close: () =>
      (closing ??= (async () => {
        controller.stop();
        ads.close();
        const shut = (s: grpc.Server) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              s.forceShutdown();
              resolve();
            }, 2000);
            t.unref();
            s.tryShutdown(() => {
              clearTimeout(t);
              resolve();
            });
          });
        debug.closeAllConnections();
        await Promise.all([shut(plain), shut(secure), new Promise<void>((resolve) => debug.close(() => resolve())), config.source.close()]);
        await writingWaypoints;
      })()),
  };
}

function summary(o: KubeObject) {
  return { namespace: o.metadata.namespace, name: o.metadata.name, resourceVersion: o.metadata.resourceVersion, spec: o.spec };
}

/** The desired-waypoint record directory mode publishes (and /debug/waypoints shows). */
export function waypointStatus(w: Waypoint) {
  return {
    name: w.name,
    namespace: w.namespace,
    for: w.for,
    serviceName: w.serviceName,
    serviceAccount: w.serviceAccount,
    ...(w.legacyForm ? { legacyForm: w.legacyForm, legacyServiceAccount: w.legacyServiceAccount } : {}),
    ready: w.address !== undefined,
    ...(w.address ? { address: w.address } : {}),
  };
}

function metricsText(ads: AdsServer, cache: ResourceCache, controller: ConfigController, index: AmbientIndex, ca: CaCounters, ready: boolean): string {
  const m = ads.metrics();
  const lines: string[] = [];
  const gauge = (name: string, help: string, v: number, labels = '') => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${labels} ${v}`);
  const counter = (name: string, help: string, values: Record<string, number>, label: string) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const [k, v] of Object.entries(values)) lines.push(`${name}{${label}="${k}"} ${v}`);
  };
  gauge('istiod_ready', '1 once the config source synced and configuration was published', ready ? 1 : 0);
  gauge('pilot_xds_connected_clients', 'connected xDS streams', m.connectedClients);
  counter('pilot_xds_pushes_total', 'xDS responses written, per type', m.pushes, 'type');
  counter('pilot_xds_acks_total', 'ACKs received, per type', m.acks, 'type');
  counter('pilot_xds_nacks_total', 'NACKs received, per type', m.nacks, 'type');
  gauge('pilot_xds_push_latency_p99_ms', 'cache change to ACK, p99 (ms)', m.pushLatency.p99Ms);
  const stats = cache.stats();
  lines.push('# HELP istiod_xds_resources resources in the xDS cache, per type', '# TYPE istiod_xds_resources gauge');
  for (const [k, v] of Object.entries(stats.resources)) lines.push(`istiod_xds_resources{type="${k}"} ${v}`);
  gauge('istiod_workloads', 'workloads translated', index.workloads().length);
  gauge('istiod_services', 'services translated', index.services().length);
  gauge('istiod_waypoints', 'waypoints declared', index.waypoints().length);
  const s = controller.stats();
  gauge('istiod_config_rejected', 'mesh objects currently rejected by validation', s.rejected);
  lines.push('# HELP istiod_config_flushes_total translation flushes', '# TYPE istiod_config_flushes_total counter', `istiod_config_flushes_total ${s.flushes}`);
  lines.push('# HELP citadel_server_success_cert_issuance_count certificates issued', '# TYPE citadel_server_success_cert_issuance_count counter', `citadel_server_success_cert_issuance_count ${ca.issued}`);
  lines.push('# HELP citadel_server_csr_refused_total CreateCertificate calls refused', '# TYPE citadel_server_csr_refused_total counter', `citadel_server_csr_refused_total ${ca.refused}`);
  lines.push('# HELP citadel_server_impersonation_denied_total impersonation requests refused', '# TYPE citadel_server_impersonation_denied_total counter', `citadel_server_impersonation_denied_total ${ca.impersonationDenied}`);
  return lines.join('\n') + '\n';
}
