// The CA client (ztunnel `src/identity/caclient.rs`): key + CSR → CreateCertificate over TLS with a bearer token →
// an Svid whose identity is checked against the request.
import * as grpc from '@grpc/grpc-js';
import { IMPERSONATED_IDENTITY, IstioCertificateService } from './ca-server.js';
import type { IstioCertificateRequest, IstioCertificateResponse, StructValue } from './ca-proto.js';
import { createCsr } from './csr.js';
import { SpiffeError, SpiffeErrorCode } from './errors.js';
import { SpiffeId } from './id.js';
import { generateKey, type KeyType } from './keys.js';
import { Svid } from './svid.js';

export interface CaClientOptions {
  /** `host:port` of the CA (istiod: `istiod.istio-system.svc:15012`) */
  address: string;
  /** roots to verify the CA's serving certificate (`root-cert.pem`) */
  rootCertPem: string;
  /** TLS name to verify instead of the address host (e.g. `istiod.istio-system.svc`) */
  serverName?: string;
  /** bearer token (or a function returning a fresh one per call, e.g. re-reading a projected token file) */
  token?: string | (() => string | Promise<string>);
  /** sent as `clusterid` metadata, as ztunnel does */
  clusterId?: string;
  /** per-call deadline (default 10 s) */
  timeoutMs?: number;
}

export interface CreateCertificateRequest {
  csrPem: string;
  ttlSeconds?: number;
  /** ask for this identity as a trusted node agent (metadata `ImpersonatedIdentity`) */
  impersonate?: SpiffeId | string;
}

export interface FetchSvidOptions {
  ttlSeconds?: number;
  keyType?: KeyType;
  /** request the identity as a node agent on behalf of a workload (default false) */
  impersonate?: boolean;
}

/** Something that can produce a certificate for an identity (the certificate manager's input). */
export interface SvidSource {
  fetchSvid(id: SpiffeId, opts?: FetchSvidOptions): Promise<Svid>;
}

type Unary = (
  req: IstioCertificateRequest,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: IstioCertificateResponse) => void,
) => grpc.ClientUnaryCall;

const Client = grpc.makeGenericClientConstructor(IstioCertificateService, 'IstioCertificateService');

/** A client of `istio.v1.auth.IstioCertificateService`. */
export class CaClient implements SvidSource {
  readonly #client: grpc.Client;
  readonly #opts: CaClientOptions;

  constructor(opts: CaClientOptions) {
    this.#opts = opts;
    const creds = grpc.credentials.createSsl(Buffer.from(opts.rootCertPem));
    const channelOpts: grpc.ChannelOptions = opts.serverName
      ? { 'grpc.ssl_target_name_override': opts.serverName, 'grpc.default_authority': opts.serverName }
      : {};
    this.#client = new Client(opts.address, creds, channelOpts);
  }

  /** One CreateCertificate call; resolves `cert_chain`. Errors: CA_REQUEST_FAILED (status and reason in the message). */
  async createCertificate(req: CreateCertificateRequest): Promise<string[]> {
    const md = new grpc.Metadata();
    const token = typeof this.#opts.token === 'function' ? await this.#opts.token() : this.#opts.token;
    if (token) md.set('authorization', `Bearer ${token}`);
    if (this.#opts.clusterId) md.set('clusterid', this.#opts.clusterId);
    const metadata: Record<string, StructValue> = {};
    if (req.impersonate !== undefined) metadata[IMPERSONATED_IDENTITY] = String(req.impersonate);
    const message: IstioCertificateRequest = { csr: req.csrPem, validityDuration: req.ttlSeconds ?? 0, metadata };
    const call = (this.#client as unknown as { CreateCertificate: Unary }).CreateCertificate.bind(this.#client);
    const res = await new Promise<IstioCertificateResponse>((resolve, reject) => {
      call(message, md, { deadline: Date.now() + (this.#opts.timeoutMs ?? 10_000) }, (err, r) => {
        if (err) {
          reject(
            new SpiffeError(SpiffeErrorCode.CA_REQUEST_FAILED, `CreateCertificate to ${this.#opts.address} failed: ${grpc.status[err.code] ?? err.code}: ${err.details}`, {
              cause: err,
            }),
          );
        } else resolve(r!);
      });
    });
    return res.certChain;
  }

  /**
   * Generates a key (P-256 by default), sends a CSR for `id`, and checks that the returned leaf carries exactly
   * `id` (CA_BAD_RESPONSE otherwise).
   */
  async fetchSvid(id: SpiffeId, opts: FetchSvidOptions = {}): Promise<Svid> {
    const key = await generateKey({ type: opts.keyType ?? 'ec' });
    const csr = createCsr({ key, id });
    const chain = await this.createCertificate({
      csrPem: csr.pem,
      ...(opts.ttlSeconds !== undefined ? { ttlSeconds: opts.ttlSeconds } : {}),
      ...(opts.impersonate ? { impersonate: id } : {}),
    });
    let svid: Svid;
    try {
      svid = Svid.fromCertChain(key.privateKey, chain);
    } catch (cause) {
      throw new SpiffeError(SpiffeErrorCode.CA_BAD_RESPONSE, `CA returned an unusable cert_chain: ${(cause as Error).message}`, { cause });
    }
    if (!svid.id.equals(id)) {
      throw new SpiffeError(SpiffeErrorCode.CA_BAD_RESPONSE, `CA returned a certificate for ${svid.id.toString()}, expected ${id.toString()}`);
    }
    return svid;
  }

  close(): void {
    this.#client.close();
  }
}
