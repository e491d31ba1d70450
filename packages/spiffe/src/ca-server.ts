// The CA gRPC service `istio.v1.auth.IstioCertificateService/CreateCertificate` on @grpc/grpc-js over TLS
// (ii `security/pkg/server/ca/server.go`): authenticate the bearer token, decide which identity the caller may get
// (its own, or — for a trusted node agent using metadata `ImpersonatedIdentity` — one the injected callback allows),
// then verify and sign the CSR. Every refusal is a gRPC status whose message starts with the SpiffeError code.
import { channel } from 'node:diagnostics_channel';
import * as grpc from '@grpc/grpc-js';
import type { CertificateAuthority } from './ca.js';
import {
  CREATE_CERTIFICATE_PATH,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type IstioCertificateRequest,
  type IstioCertificateResponse,
} from './ca-proto.js';
import type { Caller, TokenVerifier } from './ca-auth.js';
import { SpiffeError, SpiffeErrorCode } from './errors.js';
import { SpiffeId } from './id.js';
import { silentLogger, type Logger } from './log.js';


/** The grpc-js service definition (usable with any grpc-js Server / makeGenericClientConstructor). */
export const IstioCertificateService: grpc.ServiceDefinition<grpc.UntypedServiceImplementation> = {
  CreateCertificate: {
    path: CREATE_CERTIFICATE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: IstioCertificateRequest) => encodeRequest(m),
    requestDeserialize: (b: Buffer) => decodeRequest(b),
    responseSerialize: (m: IstioCertificateResponse) => encodeResponse(m),
    responseDeserialize: (b: Buffer) => decodeResponse(b),
    originalName: 'createCertificate',
  },
};

/** `diagnostics_channel` names: `{identity, caller, notAfter}` on issue, `{code, reason, caller?}` on refusal. */
export const CA_ISSUED_CHANNEL = 'amesh:spiffe:ca:issued';
export const CA_REFUSED_CHANNEL = 'amesh:spiffe:ca:refused';
const issuedChannel = channel(CA_ISSUED_CHANNEL);
const refusedChannel = channel(CA_REFUSED_CHANNEL);

/** Metadata key ztunnel uses to ask for another workload's certificate. */
export const IMPERSONATED_IDENTITY = 'ImpersonatedIdentity';

export interface CaServiceOptions {
  ca: CertificateAuthority;
  /** tried in order; the first that resolves authenticates the caller */
  authenticators: readonly TokenVerifier[];
  /**
   * Whether `caller` (a node agent such as ztunnel) may obtain a certificate for `identity` (which is not its own).
   * Istio allows it when the caller's ns/sa is in CA_TRUSTED_NODE_ACCOUNTS and a pod with that identity runs on
   * the caller's node. Absent: impersonation is always refused.
   */
  canImpersonate?: (caller: Caller, identity: SpiffeId) => boolean | Promise<boolean>;
  logger?: Logger;
}

/** Maps a refusal to its gRPC status code. */
export function grpcStatusFor(err: unknown): grpc.status {
  if (!(err instanceof SpiffeError)) return grpc.status.INTERNAL;
  switch (err.code) {
    case SpiffeErrorCode.UNAUTHENTICATED:
    case SpiffeErrorCode.IMPERSONATION_DENIED:
      return grpc.status.UNAUTHENTICATED;
    case SpiffeErrorCode.CSR_IDENTITY_MISMATCH:
    case SpiffeErrorCode.TRUST_DOMAIN_MISMATCH:
      return grpc.status.PERMISSION_DENIED;
    case SpiffeErrorCode.MALFORMED_CSR:
    case SpiffeErrorCode.CSR_SIGNATURE:
    case SpiffeErrorCode.CSR_SAN:
    case SpiffeErrorCode.UNSUPPORTED_KEY:
    case SpiffeErrorCode.TTL_TOO_LONG:
    case SpiffeErrorCode.INVALID_ID:
    case SpiffeErrorCode.INVALID_OPTIONS:
      return grpc.status.INVALID_ARGUMENT;
    case SpiffeErrorCode.SIGNING_WORKER_FAILED:
    case SpiffeErrorCode.CA_CLOSED:
      return grpc.status.UNAVAILABLE;
    default:
      return grpc.status.INTERNAL;
  }
}

/**
 * The handler for CreateCertificate: returns `cert_chain` or throws a SpiffeError. Transport-independent, so the
 * same decision logic can be tested and reused.
 */
export function createCertificateHandler(opts: CaServiceOptions): (req: IstioCertificateRequest, metadata: grpc.Metadata) => Promise<IstioCertificateResponse> {
  const log = (opts.logger ?? silentLogger).child({ component: 'ca-server' });
  const run = async (req: IstioCertificateRequest, md: grpc.Metadata, who: { caller?: string }): Promise<IstioCertificateResponse> => {
    const auth = md.get('authorization')[0];
    const m = /^Bearer\s+(\S+)$/i.exec(typeof auth === 'string' ? auth : '');
    if (!m) throw new SpiffeError(SpiffeErrorCode.UNAUTHENTICATED, 'no bearer token: send "authorization: Bearer <token>"');
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(md.getMap())) if (typeof v === 'string') flat[k] = v;
    const reasons: string[] = [];
    let caller: Caller | undefined;
    for (const a of opts.authenticators) {
      try {
        caller = await a.verify({ token: m[1]!, metadata: flat });
        break;
      } catch (err) {
        reasons.push(`${a.name}: ${(err as Error).message}`);
      }
    }
    if (!caller) {
      throw new SpiffeError(SpiffeErrorCode.UNAUTHENTICATED, `authentication failed: ${reasons.join('; ') || 'no authenticator configured'}`);
    }
    who.caller = caller.identity.toString();
    let identity = caller.identity;
    const imp = req.metadata[IMPERSONATED_IDENTITY];
    if (imp !== undefined && imp !== null && imp !== '' && imp !== caller.identity.toString()) {
      if (typeof imp !== 'string') throw new SpiffeError(SpiffeErrorCode.INVALID_ID, `${IMPERSONATED_IDENTITY} must be a string`);
      const wanted = SpiffeId.parse(imp);
      const allowed = opts.canImpersonate ? await opts.canImpersonate(caller, wanted) : false;
      if (!allowed) {
        throw new SpiffeError(
          SpiffeErrorCode.IMPERSONATION_DENIED,
          `caller ${caller.identity.toString()} may not obtain a certificate for ${wanted.toString()}${opts.canImpersonate ? '' : ' (impersonation is disabled)'}`,
        );
      }
      identity = wanted;
    }
    const issued = await opts.ca.signCsrAsync(req.csr, { identity, ...(req.validityDuration > 0 ? { ttlSeconds: req.validityDuration } : {}) });
    log.debug({ identity: identity.toString(), caller: caller.identity.toString(), notAfter: new Date(issued.notAfter).toISOString() }, 'issued certificate');
    if (issuedChannel.hasSubscribers) issuedChannel.publish({ identity: identity.toString(), caller: caller.identity.toString(), notAfter: issued.notAfter });
    return { certChain: issued.certChain };
  };
  return async (req, md) => {
    const who: { caller?: string } = {};
    try {
      return await run(req, md, who);
    } catch (err) {
      if (refusedChannel.hasSubscribers) {
        refusedChannel.publish({
          code: err instanceof SpiffeError ? err.code : 'internal',
          reason: (err as Error).message,
          ...(who.caller ? { caller: who.caller } : {}),
        });
      }
      throw err;
    }
  };
}

export interface CaServerOptions extends CaServiceOptions {
  /** address to bind, e.g. `127.0.0.1:0` or `0.0.0.0:15012` */
  address: string;
  /** the server's TLS identity (PEM): key and certificate chain (leaf first) */
  tls: { keyPem: string; certChainPem: string };
}

export interface CaServerHandle {
  /** the bound port */
  port: number;
  server: grpc.Server;
  /** stops accepting and waits for in-flight calls (forces after `graceMs`, default 5 s); idempotent */
  close(graceMs?: number): Promise<void>;
}

/** Starts the CA service over TLS; resolves once bound. */
export async function startCaServer(opts: CaServerOptions): Promise<CaServerHandle> {
  const log = (opts.logger ?? silentLogger).child({ component: 'ca-server' });
  // start the CA's signing workers (if it has any) before accepting calls, so the first requests do not wait for them
  await opts.ca.startSigningWorkers();
  const handle = createCertificateHandler(opts);
  const server = new grpc.Server();
  server.addService(IstioCertificateService, {
    CreateCertificate: (call: grpc.ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>, cb: grpc.sendUnaryData<IstioCertificateResponse>) => {
      handle(call.request, call.metadata).then(
        (res) => cb(null, res),
        (err: unknown) => {
          const code = grpcStatusFor(err);
          const reason = err instanceof SpiffeError ? `${err.code}: ${err.message}` : `internal error: ${(err as Error).message}`;
          if (code === grpc.status.INTERNAL) log.error({ err }, 'CreateCertificate failed');
          else log.info({ peer: call.getPeer(), reason }, 'CreateCertificate refused');
          const trailer = new grpc.Metadata();
          if (err instanceof SpiffeError) trailer.set('amesh-error-code', err.code);
          cb({ code, details: reason, metadata: trailer });
        },
      );
    },
  });
  const creds = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(opts.tls.keyPem), cert_chain: Buffer.from(opts.tls.certChainPem) }], false);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(opts.address, creds, (err, p) => (err ? reject(err) : resolve(p)));
  });
  log.info({ address: opts.address, port }, 'CA service listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    server,
    close(graceMs = 5000) {
      return (closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }));
    },
  };
}
