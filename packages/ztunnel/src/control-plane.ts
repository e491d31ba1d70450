// The ztunnel's control-plane clients: a delta ADS client (Address + Authorization) that feeds ProxyState, and a
// certificate manager over the Istio CA that fetches node-local workload identities (impersonation) and prefetches
// them as workloads arrive. istiod unreachable: the last state keeps serving while the client keeps retrying;
// readiness waits only for the first sync. CA failures keep a valid certificate; new identities fail with
// ZT_ERR_IDENTITY.
import * as grpc from '@grpc/grpc-js';
import { CaClient, CertificateManager, type SvidSource } from '@amesh/spiffe';
import { DeltaAdsClient, addressHandler, authorizationHandler, ztunnelNode, type Address, type Authorization } from '@amesh/xds';
import type { ZtunnelConfig } from './config.js';
import { ZtunnelError, ZtunnelErrorCode } from './errors.js';
import type { IdentityProvider, Logger } from './proxy.js';
import { workloadIdentity, type ProxyState } from './state.js';

export interface ControlPlaneOptions {
  config: ZtunnelConfig;
  state: ProxyState;
  logger: Logger;
  /** PEM roots for istiod's xDS TLS; undefined = plaintext (lab, tests). */
  xdsRootCertPem?: string | undefined;
  /** TLS name to verify for xDS instead of the address host. */
  xdsServerName?: string | undefined;
  /** PEM roots for the CA's TLS (the CA always uses TLS). Defaults to xdsRootCertPem. */
  caRootCertPem?: string | undefined;
  caServerName?: string | undefined;
  /** Bearer token for xDS and CA calls (re-read per call). */
  token?: (() => string | Promise<string>) | undefined;
  /** This ztunnel pod (for the xDS node id). */
  podName?: string;
  podNamespace?: string;
  instanceIp?: string | undefined;
  /** Extra node metadata (ISTIO_META_*). */
  metadata?: Record<string, string>;
  /** Certificate source instead of the CA client (tests). */
  svidSource?: SvidSource;
}

export interface ControlPlane {
  /** Resolves after the first sync of both types (never rejects; keeps retrying). */
  readonly synced: Promise<void>;
  /** Certificates of workload identities (undefined when no CA is configured). */
  readonly identities: IdentityProvider | undefined;
  /** For /config_dump. */
  dump(): Record<string, unknown>;
  stop(): Promise<void>;
}

/** Starts the xDS client (when `xdsAddress` is set) and the certificate manager (when `caAddress` or a source is set). */
export function startControlPlane(o: ControlPlaneOptions): ControlPlane {
  const log = o.logger.child({ component: 'control-plane' });
  const { config, state } = o;
  const metadata = async (): Promise<Record<string, string>> => ({
    ...(o.token ? { authorization: `Bearer ${await o.token()}` } : {}),
    clusterid: config.clusterId,
  });

  // certificates
  let manager: CertificateManager | undefined;
  const source: SvidSource | undefined =
    o.svidSource ??
    (config.caAddress
      ? new CaClient({
          address: config.caAddress.replace(/^https?:\/\//, ''),
          rootCertPem: o.caRootCertPem ?? o.xdsRootCertPem ?? '',
          ...(o.caServerName ? { serverName: o.caServerName } : {}),
          ...(o.token ? { token: o.token } : {}),
          clusterId: config.clusterId,
          timeoutMs: config.connectTimeoutMs,
        })
      : undefined);
  if (source) {
    manager = new CertificateManager({ source, fetchOptions: { impersonate: true }, logger: o.logger });
    manager.on('fetchFailed', (e) =>
      log.warn({ identity: e.id.toString(), err: e.error.message, retryInMs: e.retryInMs, keptPrevious: e.keptPrevious }, 'certificate fetch failed'),
    );
  }
  const identities: IdentityProvider | undefined = manager
    ? {
        svid: async (id) => {
          try {
            return await manager!.fetch(id);
          } catch (err) {
            throw new ZtunnelError(ZtunnelErrorCode.IDENTITY, `no certificate for ${id}: ${(err as Error).message}`, { cause: err });
          }
        },
      }
    : undefined;

  // prefetch certificates of node-local HBONE workloads; forget identities no local workload uses any more
  const syncCertificates = () => {
    if (!manager) return;
    const wanted = new Set(
      state.nodeLocalWorkloads().filter((w) => w.tunnelProtocol === 'HBONE' || w.nativeTunnel).map(workloadIdentity),
    );
    for (const id of wanted) manager.prefetch(id);
    for (const id of manager.identities()) if (!wanted.has(id.toString())) manager.forget(id);
  };
  state.on('change', syncCertificates);

  // xDS
  let client: DeltaAdsClient | undefined;
  let synced: Promise<void> = Promise.resolve();
  if (config.xdsAddress) {
    const credentials = o.xdsRootCertPem ? grpc.credentials.createSsl(Buffer.from(o.xdsRootCertPem)) : grpc.credentials.createInsecure();
    client = new DeltaAdsClient({
      target: config.xdsAddress.replace(/^https?:\/\//, ''),
      credentials,
      ...(o.xdsServerName ? { channelOptions: { 'grpc.ssl_target_name_override': o.xdsServerName } } : {}),
      node: ztunnelNode({
        podName: o.podName ?? `ztunnel-${config.nodeName}`,
        podNamespace: o.podNamespace ?? 'istio-system',
        nodeName: config.nodeName,
        clusterId: config.clusterId,
        ...(o.instanceIp ? { ip: o.instanceIp } : {}),
        ...(o.metadata ? { metadata: o.metadata } : {}),
      }),
      handlers: [
        addressHandler((u) => {
          for (const r of u.removed) state.removeAddress(r);
          for (const r of u.updated) {
            const rej = state.upsertAddress(r.value as Address);
            if (rej) log.warn({ resource: rej.name, reason: rej.reason }, 'workload ignored');
          }
        }, {
          validate: (a: Address) => (a.workload?.tunnelProtocol === 'LEGACY_ISTIO_MTLS' ? ['tunnelProtocol: LEGACY_ISTIO_MTLS workloads are not supported'] : []),
        }),
        authorizationHandler((u) => state.updateAuthorizations(u.updated.map((r) => r.value as Authorization), u.removed)),
      ],
      metadata,
      logger: o.logger,
    });
    client.start();
    synced = client.ready.then(() => log.info({ workloads: state.snapshot().workloads.length }, 'xDS synced'));
  }

  return {
    synced,
    identities,
    dump: () => ({
      certificates: manager
        ? manager.identities().map((id) => {
            const svid = manager!.get(id);
            return {
              identity: id.toString(),
              state: manager!.state(id),
              ...(svid ? { notBefore: new Date(svid.notBefore).toISOString(), notAfter: new Date(svid.notAfter).toISOString() } : {}),
            };
          })
        : [],
      xds: client ? client.status() : undefined,
    }),
    async stop() {
      state.off('change', syncCertificates);
      await client?.close();
      manager?.close();
    },
  };
}

