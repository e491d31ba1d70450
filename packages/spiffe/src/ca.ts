// The certificate authority: a self-signed root, an intermediate under a given CA, or a loaded signing key and
// chain; it issues workload certificates (empty subject, one critical URI SAN, serverAuth+clientAuth).
//
// The issuance path builds the TBSCertificate from precomputed DER pieces (issuer name, algorithm identifier and
// the constant extensions are encoded once per CA) with only the serial, validity, SubjectPublicKeyInfo and SAN
// spliced in per certificate, then signs with node:crypto. No generic ASN.1 object model on the hot path.
import { createPublicKey, randomFillSync, sign, type KeyObject } from 'node:crypto';
import * as der from './der.js';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { verifyCsrFor, type ParsedCsr } from './csr.js';
import { SpiffeError, SpiffeErrorCode } from './errors.js';
import { SpiffeId, trustDomainProblems } from './id.js';
import { generateKey, keyKind, loadPrivateKey, publicKeyFromSpki, signatureAlgorithm, type KeyOptions, type KeyPair, type SignatureAlgorithm } from './keys.js';
import { silentLogger, type Logger } from './log.js';
import { SigningPool, type PoolResult } from './signing-pool.js';
import { Certificate, EKU, EXT, buildCertificate, extension, keyIdentifier, name, pemOf, verifyChain } from './x509.js';

/** Istio's default workload certificate lifetime: 24 h. */
export const DEFAULT_TTL_SECONDS = 24 * 3600;
/** Istio's default maximum workload certificate lifetime: 90 days. */
export const DEFAULT_MAX_TTL_SECONDS = 90 * 24 * 3600;
/** Default lifetime of a self-signed root: 10 years (Istio's default). */
export const DEFAULT_ROOT_TTL_SECONDS = 10 * 365 * 24 * 3600;

export interface CaPolicy {
  /** The trust domain this CA issues for (default: taken from the CA certificate's O, else `cluster.local`). */
  trustDomain?: string;
  /** Lifetime when a request names none (default 24 h). */
  defaultTtlSeconds?: number;
  /** Longest lifetime the CA grants (default 90 days). Longer requests are refused with TTL_TOO_LONG. */
  maxTtlSeconds?: number;
  /** notBefore is set this far in the past to absorb clock skew (default 0). */
  backdateSeconds?: number;
  /** Clock in ms since the epoch (default Date.now); inject a fake one in tests. */
  now?: () => number;
  /**
   * Worker threads that sign for `signCsrAsync` (and so for the CA gRPC service), 0..64. Default 0: sign on the
   * calling thread. Each worker imports the signing key once; they start on the first `signCsrAsync`; `close()`
   * stops them. Set it to the number of cores for an RSA CA or for rates above one core's (see README).
   */
  signingWorkers?: number;
  /**
   * What the workers do: `request` — the whole CSR (parse, verify, identity and TTL policy, issue); `issue` — the
   * calling thread verifies the CSR and applies the policy, the worker only issues and signs. Default: `issue` for
   * an RSA CA key, `request` for an EC one.
   */
  signingOffload?: 'request' | 'issue';
  /** A signing worker holding requests this long without answering is replaced (default 10 000 ms). */
  signingTimeoutMs?: number;
  /** Logger for the signing pool (worker crashes and restarts, at error level). */
  logger?: Logger;
}

export interface CreateRootOptions extends CaPolicy, KeyOptions {
  trustDomain?: string;
  /** Lifetime of the root certificate (default 10 years). */
  rootTtlSeconds?: number;
  /** Subject O of the root (default: the trust domain). */
  organization?: string;
}

export interface CreateIntermediateOptions extends CaPolicy, KeyOptions {
  /** Lifetime of the intermediate (default 1 year, never past the parent's notAfter). */
  caTtlSeconds?: number;
  organization?: string;
}

export interface FromPemOptions extends CaPolicy {
  /** The CA's signing certificate (`ca-cert.pem`). */
  certPem: string;
  /** Its private key (`ca-key.pem`). */
  keyPem: string | KeyObject;
  /** `cert-chain.pem`: the signing certificate's chain (intermediates, optionally the root too). Optional. */
  certChainPem?: string;
  /** `root-cert.pem`: the trust bundle, one or more roots (several during root rotation). */
  rootCertPem: string;
}

/** What `snapshot()` returns and a signing worker rebuilds the CA from. @internal */
export interface CaSnapshot {
  keyPem: string;
  certDer: Uint8Array;
  chainDer: Uint8Array[];
  rootsDer: Uint8Array[];
  trustDomain: string;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  backdateSeconds: number;
}

export interface IssueOptions {
  /** The identity to put in the URI SAN. */
  id: SpiffeId | string;
  /** The subject's public key (a KeyObject, or DER SubjectPublicKeyInfo). */
  publicKey: KeyObject | Buffer;
  /** Requested lifetime (default: the CA's default TTL). */
  ttlSeconds?: number;
}

/** A signed workload certificate in Istio's `cert_chain` shape. */
export interface IssuedCertificate {
  /** `[leaf, ...intermediates, roots]`: the last element holds every trusted root, concatenated (upstream shape). */
  certChain: string[];
  /** the leaf alone, PEM */
  leafPem: string;
  /** the leaf's DER */
  leafDer: Buffer;
  notBefore: number;
  notAfter: number;
}

function policyProblems(p: CaPolicy): string[] {
  const out: string[] = [];
  const pos = (v: unknown, f: string): void => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)) out.push(`${f}: must be a positive integer`);
  };
  pos(p.defaultTtlSeconds, 'defaultTtlSeconds');
  pos(p.maxTtlSeconds, 'maxTtlSeconds');
  if (p.backdateSeconds !== undefined && (!Number.isInteger(p.backdateSeconds) || p.backdateSeconds < 0)) {
    out.push('backdateSeconds: must be a non-negative integer');
  }
  if ((p.defaultTtlSeconds ?? DEFAULT_TTL_SECONDS) > (p.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS)) {
    out.push('defaultTtlSeconds: must not exceed maxTtlSeconds');
  }
  if (p.trustDomain !== undefined) out.push(...trustDomainProblems(p.trustDomain));
  if (p.signingWorkers !== undefined && !(Number.isInteger(p.signingWorkers) && p.signingWorkers >= 0 && p.signingWorkers <= 64)) {
    out.push('signingWorkers: must be an integer from 0 to 64');
  }
  if (p.signingOffload !== undefined && p.signingOffload !== 'request' && p.signingOffload !== 'issue') {
    out.push('signingOffload: must be "request" or "issue"');
  }
  pos(p.signingTimeoutMs, 'signingTimeoutMs');
  return out;
}

function fail(problems: string[], what: string): void {
  if (problems.length > 0) {
    throw new SpiffeError(SpiffeErrorCode.INVALID_OPTIONS, `invalid ${what}: ${problems.join('; ')}`, { details: problems });
  }
}

function caExtensions(spki: Buffer, authorityKeyId: Buffer | undefined): Buffer[] {
  const exts = [
    extension(EXT.basicConstraints, true, der.seq(der.TRUE)),
    // digitalSignature, keyCertSign, cRLSign
    extension(EXT.keyUsage, true, der.bitString(Buffer.from([0x86]), 1)),
    extension(EXT.subjectKeyIdentifier, false, der.octets(keyIdentifier(spki))),
  ];
  if (authorityKeyId) exts.push(extension(EXT.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, authorityKeyId))));
  return exts;
}

/** Reads the first O attribute of a DER Name, if any. */
function organizationOf(nameDer: Buffer): string | undefined {
  for (const rdn of der.children(nameDer, der.read(nameDer, 0))) {
    for (const atv of der.children(nameDer, rdn)) {
      const [t, v] = der.children(nameDer, atv);
      if (t && v && der.oidToString(der.content(nameDer, t)) === '2.5.4.10') return der.content(nameDer, v).toString('utf8');
    }
  }
  return undefined;
}

/** A signing CA. Create with `createRoot`, `createIntermediate` or `fromPem`. */
export class CertificateAuthority {
  readonly trustDomain: string;
  /** The signing certificate. */
  readonly certificate: Certificate;
  /** Certificates between the signing certificate and a root, in order (excluding roots; includes the signing cert unless it is a root). */
  readonly chain: readonly Certificate[];
  /** Every trusted root (the trust bundle). */
  readonly roots: readonly Certificate[];
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly backdateSeconds: number;
  readonly now: () => number;
  readonly #key: KeyObject;
  readonly #keyPem: string;
  readonly #alg: SignatureAlgorithm;
  /** precomputed DER pieces for issuance */
  readonly #algDer: Buffer;
  readonly #version = der.explicit(0, der.smallInt(2));
  readonly #extsEc: Buffer;
  readonly #extsRsa: Buffer;
  #validityCache: { notBefore: number; notAfter: number; der: Buffer } | undefined;
  /** `cert_chain` elements after the leaf */
  readonly #tail: string[];
  /** worker threads for signCsrAsync (0: in-thread) */
  readonly signingWorkers: number;
  readonly #offload: 'request' | 'issue';
  readonly #signingTimeoutMs: number;
  readonly #logger: Logger;
  #pool: SigningPool | undefined;
  #closed = false;

  private constructor(key: KeyPair, certificate: Certificate, chain: Certificate[], roots: Certificate[], policy: CaPolicy) {
    fail(policyProblems(policy), 'CA policy');
    this.#key = key.privateKey;
    this.#keyPem = key.privateKeyPem;
    this.#alg = signatureAlgorithm(key.privateKey);
    this.#algDer = this.#alg.der;
    this.certificate = certificate;
    this.chain = chain;
    this.roots = roots;
    this.trustDomain = policy.trustDomain ?? organizationOf(certificate.subject) ?? 'cluster.local';
    fail(trustDomainProblems(this.trustDomain), 'CA trust domain (set trustDomain)');
    this.defaultTtlSeconds = policy.defaultTtlSeconds ?? DEFAULT_TTL_SECONDS;
    this.maxTtlSeconds = policy.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS;
    this.backdateSeconds = policy.backdateSeconds ?? 0;
    this.now = policy.now ?? Date.now;
    const aki = certificate.subjectKeyId ?? keyIdentifier(certificate.spki);
    const common = [
      extension(EXT.basicConstraints, true, der.seq()),
      extension(EXT.extKeyUsage, false, der.seq(der.oid(EKU.serverAuth), der.oid(EKU.clientAuth))),
      extension(EXT.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, aki))),
    ];
    // digitalSignature for EC keys; digitalSignature + keyEncipherment for RSA keys
    this.#extsEc = Buffer.concat([extension(EXT.keyUsage, true, der.bitString(Buffer.from([0x80]), 7)), ...common]);
    this.#extsRsa = Buffer.concat([extension(EXT.keyUsage, true, der.bitString(Buffer.from([0xa0]), 5)), ...common]);
    this.#tail = [...chain.map((c) => c.pem), pemOf(roots)];
    this.signingWorkers = policy.signingWorkers ?? 0;
    // RSA signing (~1 ms) dwarfs the CSR check, so the calling thread verifying while workers sign measured more
    // efficient; with an EC key the calling thread would become the bottleneck, so the workers do everything
    this.#offload = policy.signingOffload ?? (keyKind(key.privateKey) === 'rsa' ? 'issue' : 'request');
    this.#signingTimeoutMs = policy.signingTimeoutMs ?? 10_000;
    this.#logger = (policy.logger ?? silentLogger).child({ component: 'ca' });
  }

  /**
   * Everything a signing worker needs to rebuild this CA (includes the private key as PKCS#8 PEM). The clock,
   * logger and pool settings stay behind. @internal
   */
  snapshot(): CaSnapshot {
    return {
      keyPem: this.#keyPem,
      certDer: this.certificate.der,
      chainDer: this.chain.map((c) => c.der),
      rootsDer: this.roots.map((c) => c.der),
      trustDomain: this.trustDomain,
      defaultTtlSeconds: this.defaultTtlSeconds,
      maxTtlSeconds: this.maxTtlSeconds,
      backdateSeconds: this.backdateSeconds,
    };
  }

  /** Rebuilds a CA from `snapshot()` without re-checking its material (it was checked when first built). @internal */
  static fromSnapshot(s: CaSnapshot, now: () => number): CertificateAuthority {
    const der = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    return new CertificateAuthority(loadPrivateKey(s.keyPem), Certificate.fromDer(der(s.certDer)), s.chainDer.map((c) => Certificate.fromDer(der(c))), s.rootsDer.map((c) => Certificate.fromDer(der(c))), {
      trustDomain: s.trustDomain,
      defaultTtlSeconds: s.defaultTtlSeconds,
      maxTtlSeconds: s.maxTtlSeconds,
      backdateSeconds: s.backdateSeconds,
      now,
    });
  }

  /**
   * `signCsr` for servers: on the signing workers when `signingWorkers` > 0 (the calling thread stays free), else
   * in-thread. Same refusals as `signCsr`, plus SIGNING_WORKER_FAILED (the worker holding the request crashed or
   * hung: nothing was issued, retry) and CA_CLOSED (after `close()`).
   */
  async signCsrAsync(csr: string | Buffer, opts: { identity?: SpiffeId | string; ttlSeconds?: number } = {}): Promise<IssuedCertificate> {
    if (this.#closed) throw new SpiffeError(SpiffeErrorCode.CA_CLOSED, 'the certificate authority is closed');
    if (this.signingWorkers === 0) return this.signCsr(csr, opts);
    const pool = this.#startPool();
    let r: PoolResult;
    if (this.#offload === 'request') {
      r = await pool.run({
        kind: 'sign',
        csr,
        ...(opts.identity !== undefined ? { identity: String(opts.identity) } : {}),
        ...(opts.ttlSeconds !== undefined ? { ttlSeconds: opts.ttlSeconds } : {}),
      });
    } else {
      const v = this.#verifyRequest(csr, opts);
      r = await pool.run({ kind: 'issue', uri: v.uri, spki: v.spki, rsa: v.rsa, ttlSeconds: v.ttl });
    }
    return { certChain: [r.leafPem, ...this.#tail], leafPem: r.leafPem, leafDer: Buffer.from(r.leafDer.buffer, r.leafDer.byteOffset, r.leafDer.byteLength), notBefore: r.notBefore, notAfter: r.notAfter };
  }

  /**
   * Starts the signing workers now (rather than on the first `signCsrAsync`) and resolves once each has loaded the
   * key: call it at server start-up. No-op when `signingWorkers` is 0.
   */
  async startSigningWorkers(): Promise<void> {
    if (this.#closed) throw new SpiffeError(SpiffeErrorCode.CA_CLOSED, 'the certificate authority is closed');
    if (this.signingWorkers > 0) await this.#startPool().whenReady();
  }

  #startPool(): SigningPool {
    return (this.#pool ??= new SigningPool({
      size: this.signingWorkers,
      snapshot: this.snapshot(),
      now: this.now,
      timeoutMs: this.#signingTimeoutMs,
      logger: this.#logger,
    }));
  }

  /** Stops the signing workers (pending `signCsrAsync` calls fail with CA_CLOSED); later `signCsrAsync` calls fail too. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool?.close();
  }

  /** Gauges for a daemon's metrics: configured and ready workers, requests queued or in flight, workers replaced. */
  get signingStats(): { workers: number; ready: number; pending: number; restarts: number } {
    const p = this.#pool;
    return { workers: this.signingWorkers, ready: p?.readyWorkers ?? 0, pending: p?.pending ?? 0, restarts: p?.restarts ?? 0 };
  }

  /** The signing pool, once started (tests inject faults through it). @internal */
  get signingPool(): SigningPool | undefined {
    return this.#pool;
  }

  /** Creates a CA with a fresh key and a self-signed root certificate (subject O=<trust domain>). */
  static async createRoot(opts: CreateRootOptions = {}): Promise<CertificateAuthority> {
    const problems = policyProblems(opts);
    if (opts.rootTtlSeconds !== undefined && !(Number.isInteger(opts.rootTtlSeconds) && opts.rootTtlSeconds > 0)) {
      problems.push('rootTtlSeconds: must be a positive integer');
    }
    fail(problems, 'root CA options');
    const trustDomain = opts.trustDomain ?? 'cluster.local';
    const key = await generateKey(opts);
    const now = (opts.now ?? Date.now)();
    const spki = key.publicKey.export({ type: 'spki', format: 'der' });
    const subject = name({ O: opts.organization ?? trustDomain });
    const certDer = buildCertificate({
      issuer: subject,
      subject,
      notBefore: now - 60_000,
      notAfter: now + (opts.rootTtlSeconds ?? DEFAULT_ROOT_TTL_SECONDS) * 1000,
      spki,
      extensions: caExtensions(spki, undefined),
      signingKey: key.privateKey,
    });
    const cert = Certificate.fromDer(certDer);
    return new CertificateAuthority(key, cert, [], [cert], { ...opts, trustDomain });
  }

  /** Creates an intermediate CA signed by `parent`; it trusts the parent's roots and issues in the same trust domain. */
  static async createIntermediate(parent: CertificateAuthority, opts: CreateIntermediateOptions = {}): Promise<CertificateAuthority> {
    const problems = policyProblems(opts);
    if (opts.caTtlSeconds !== undefined && !(Number.isInteger(opts.caTtlSeconds) && opts.caTtlSeconds > 0)) {
      problems.push('caTtlSeconds: must be a positive integer');
    }
    fail(problems, 'intermediate CA options');
    const trustDomain = opts.trustDomain ?? parent.trustDomain;
    const key = await generateKey(opts);
    const now = (opts.now ?? parent.now)();
    const spki = key.publicKey.export({ type: 'spki', format: 'der' });
    const certDer = buildCertificate({
      issuer: parent.certificate.subject,
      subject: name({ O: opts.organization ?? trustDomain, CN: 'intermediate' }),
      notBefore: now - 60_000,
      notAfter: Math.min(parent.certificate.notAfter, now + (opts.caTtlSeconds ?? 365 * 24 * 3600) * 1000),
      spki,
      extensions: caExtensions(spki, parent.certificate.subjectKeyId ?? keyIdentifier(parent.certificate.spki)),
      signingKey: parent.#key,
    });
    const cert = Certificate.fromDer(certDer);
    return new CertificateAuthority(key, cert, [cert, ...parent.chain], [...parent.roots], {
      now: parent.now,
      defaultTtlSeconds: parent.defaultTtlSeconds,
      maxTtlSeconds: parent.maxTtlSeconds,
      backdateSeconds: parent.backdateSeconds,
      ...opts,
      trustDomain,
    });
  }

  /**
   * A CA from PEM material (Istio's plug-in CA files). The signing certificate must be a CA whose key matches
   * `keyPem` and whose chain verifies to one of the roots now.
   */
  static fromPem(opts: FromPemOptions): CertificateAuthority {
    const key = loadPrivateKey(opts.keyPem);
    const [cert] = Certificate.fromPem(opts.certPem);
    const roots = Certificate.fromPem(opts.rootCertPem);
    const chainCerts = opts.certChainPem ? Certificate.fromPem(opts.certChainPem) : [];
    const problems: string[] = [];
    if (!cert!.isCa) problems.push('certPem: the signing certificate is not a CA (basicConstraints cA is false)');
    if (!cert!.spki.equals(key.publicKey.export({ type: 'spki', format: 'der' }))) {
      problems.push('keyPem: the private key does not match the signing certificate');
    }
    roots.forEach((r, i) => {
      if (!r.isCa) problems.push(`rootCertPem[${i}]: not a CA certificate`);
    });
    fail(problems, 'CA material');
    const now = (opts.now ?? Date.now)();
    const path = verifyChain([cert!, ...chainCerts], roots, now);
    const rootSet = new Set(roots.map((r) => r.der.toString('base64')));
    const chain = path.filter((c) => !rootSet.has(c.der.toString('base64')));
    return new CertificateAuthority(key, cert!, chain, roots, opts);
  }

  /** The trust bundle as one PEM string (every root). */
  get trustBundlePem(): string {
    return pemOf(this.roots);
  }

  /** The signing key as PKCS#8 PEM (for writing `ca-key.pem`). */
  get privateKeyPem(): string {
    return this.#keyPem;
  }

  /** The signing key (to create an intermediate elsewhere, or for tests). */
  get privateKey(): KeyObject {
    return this.#key;
  }

  /** Checks a requested identity and TTL against this CA's policy; returns the TTL to use. Throws on refusal. */
  checkRequest(id: SpiffeId, ttlSeconds: number | undefined): number {
    if (!id.sameTrustDomain(this.trustDomain)) {
      throw new SpiffeError(
        SpiffeErrorCode.TRUST_DOMAIN_MISMATCH,
        `identity ${id.toString()} is in trust domain ${JSON.stringify(id.trustDomain)}, but this CA issues for ${JSON.stringify(this.trustDomain)}`,
      );
    }
    const ttl = ttlSeconds === undefined || ttlSeconds === 0 ? this.defaultTtlSeconds : ttlSeconds;
    if (!Number.isInteger(ttl) || ttl < 0) {
      throw new SpiffeError(SpiffeErrorCode.INVALID_OPTIONS, `ttlSeconds ${ttl} must be a positive integer`, { details: ['ttlSeconds: must be a positive integer'] });
    }
    if (ttl > this.maxTtlSeconds) {
      throw new SpiffeError(
        SpiffeErrorCode.TTL_TOO_LONG,
        `requested lifetime ${ttl}s is above the maximum ${this.maxTtlSeconds}s: request at most ${this.maxTtlSeconds}s`,
      );
    }
    return ttl;
  }

  /** Issues a workload certificate for `id` over `publicKey`. Refusals: TRUST_DOMAIN_MISMATCH, TTL_TOO_LONG, UNSUPPORTED_KEY. */
  issue(opts: IssueOptions): IssuedCertificate {
    const id = typeof opts.id === 'string' ? SpiffeId.parse(opts.id) : opts.id;
    const ttl = this.checkRequest(id, opts.ttlSeconds);
    let spki: Buffer;
    let rsa: boolean;
    if (Buffer.isBuffer(opts.publicKey)) {
      spki = opts.publicKey;
      rsa = checkSpki(spki);
    } else {
      const pub = opts.publicKey.type === 'private' ? createPublicKey(opts.publicKey) : opts.publicKey;
      rsa = keyKind(pub) === 'rsa';
      spki = pub.export({ type: 'spki', format: 'der' });
    }
    return this.issueUnchecked(id.toString(), spki, rsa, ttl);
  }

  /**
   * A TLS serving certificate (e.g. istiod's, for the CA/xDS port): DNS and IP SANs (and optional URI SANs),
   * serverAuth+clientAuth. Not the hot path.
   */
  issueServing(opts: { publicKey: KeyObject; dnsNames?: string[]; ipAddresses?: string[]; uris?: string[]; ttlSeconds?: number }): IssuedCertificate {
    const problems: string[] = [];
    const names: Buffer[] = [];
    for (const [i, d] of (opts.dnsNames ?? []).entries()) {
      if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(d)) problems.push(`dnsNames[${i}]: ${JSON.stringify(d)} is not a DNS name`);
      else names.push(der.tlv(0x82, Buffer.from(d, 'latin1')));
    }
    for (const [i, ip] of (opts.ipAddresses ?? []).entries()) {
      const b = ipBytes(ip);
      if (!b) problems.push(`ipAddresses[${i}]: ${JSON.stringify(ip)} is not an IP address`);
      else names.push(der.tlv(0x87, b));
    }
    for (const [i, u] of (opts.uris ?? []).entries()) {
      problems.push(...SpiffeId.problems(u, { field: `uris[${i}]` }));
      names.push(der.tlv(0x86, Buffer.from(u, 'latin1')));
    }
    if (names.length === 0) problems.push('dnsNames/ipAddresses/uris: at least one name is required');
    fail(problems, 'serving certificate request');
    const ttl = opts.ttlSeconds ?? this.defaultTtlSeconds;
    if (ttl > this.maxTtlSeconds) throw new SpiffeError(SpiffeErrorCode.TTL_TOO_LONG, `requested lifetime ${ttl}s is above the maximum ${this.maxTtlSeconds}s`);
    const pub = opts.publicKey.type === 'private' ? createPublicKey(opts.publicKey) : opts.publicKey;
    const rsa = keyKind(pub) === 'rsa';
    const now = Math.floor(this.now() / 1000) * 1000;
    const notBefore = now - this.backdateSeconds * 1000;
    const notAfter = Math.min(now + ttl * 1000, this.certificate.notAfter);
    const leafDer = buildCertificate({
      issuer: this.certificate.subject,
      subject: der.seq(),
      notBefore,
      notAfter,
      spki: pub.export({ type: 'spki', format: 'der' }),
      extensions: [
        extension(EXT.keyUsage, true, rsa ? der.bitString(Buffer.from([0xa0]), 5) : der.bitString(Buffer.from([0x80]), 7)),
        extension(EXT.basicConstraints, true, der.seq()),
        extension(EXT.extKeyUsage, false, der.seq(der.oid(EKU.serverAuth), der.oid(EKU.clientAuth))),
        extension(EXT.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, this.certificate.subjectKeyId ?? keyIdentifier(this.certificate.spki)))),
        extension(EXT.subjectAltName, true, der.seq(...names)),
      ],
      signingKey: this.#key,
    });
    const leafPem = der.toPem(leafDer, 'CERTIFICATE');
    return { certChain: [leafPem, ...this.#tail], leafPem, leafDer, notBefore, notAfter };
  }

  /**
   * Verifies a CSR and signs it: the CSR's one URI SAN must be `opts.identity` when given (the authenticated
   * caller, or the identity it may impersonate). Refusals: MALFORMED_CSR, CSR_SIGNATURE, CSR_SAN,
   * CSR_IDENTITY_MISMATCH, UNSUPPORTED_KEY, TRUST_DOMAIN_MISMATCH, TTL_TOO_LONG. Nothing is signed on refusal.
   */
  signCsr(csr: string | Buffer | ParsedCsr, opts: { identity?: SpiffeId | string; ttlSeconds?: number } = {}): IssuedCertificate {
    const v = this.#verifyRequest(csr, opts);
    return this.issueUnchecked(v.uri, v.spki, v.rsa, v.ttl);
  }

  /** CSR verification plus the identity and TTL policy: everything `signCsr` checks before signing. */
  #verifyRequest(csr: string | Buffer | ParsedCsr, opts: { identity?: SpiffeId | string; ttlSeconds?: number }): { uri: string; spki: Buffer; rsa: boolean; ttl: number } {
    const v = verifyCsrFor(csr, opts.identity instanceof SpiffeId ? opts.identity : undefined);
    if (opts.identity !== undefined && !v.id.equals(String(opts.identity))) {
      throw new SpiffeError(
        SpiffeErrorCode.CSR_IDENTITY_MISMATCH,
        `CSR asks for ${v.id.toString()}, but the caller may only get ${String(opts.identity)}`,
      );
    }
    const ttl = this.checkRequest(v.id, opts.ttlSeconds);
    return { uri: v.id.toString(), spki: v.csr.spki, rsa: v.rsa, ttl };
  }

  /**
   * The hot path: DER pieces spliced together and signed. `spki` must already be validated (a supported key).
   * @internal
   */
  issueUnchecked(uri: string, spki: Buffer, rsa: boolean, ttlSeconds: number): IssuedCertificate {
    const now = Math.floor(this.now() / 1000) * 1000;
    const notBefore = now - this.backdateSeconds * 1000;
    const notAfter = Math.min(now + ttlSeconds * 1000, this.certificate.notAfter);
    const exts = rsa ? this.#extsRsa : this.#extsEc;
    // TBSCertificate written in one buffer: the constant pieces are precomputed, the rest spliced in.
    const validity = this.#validity(notBefore, notAfter);
    const uriLen = uri.length; // latin1: SpiffeId allows ASCII only
    const gnLen = der.headerLength(uriLen) + uriLen; // [6] uri
    const namesLen = der.headerLength(gnLen) + gnLen; // GeneralNames
    const octLen = der.headerLength(namesLen) + namesLen; // OCTET STRING
    const sanBody = SAN_PREFIX.length + octLen; // extnID, critical TRUE, extnValue
    const sanLen = der.headerLength(sanBody) + sanBody;
    const extsBody = exts.length + sanLen;
    const extsSeqLen = der.headerLength(extsBody) + extsBody;
    const extsLen = der.headerLength(extsSeqLen) + extsSeqLen; // [3]
    const head = this.#version; // the serial follows
    const tbsBody = head.length + SERIAL_LEN + this.#algDer.length + this.certificate.subject.length + validity.length + EMPTY_NAME.length + spki.length + extsLen;
    const tbs = Buffer.allocUnsafe(der.headerLength(tbsBody) + tbsBody);
    let o = der.writeHeader(tbs, 0, der.Tag.SEQUENCE, tbsBody);
    o += head.copy(tbs, o);
    o = writeSerial(tbs, o);
    o += this.#algDer.copy(tbs, o);
    o += this.certificate.subject.copy(tbs, o);
    o += validity.copy(tbs, o);
    o += EMPTY_NAME.copy(tbs, o);
    o += spki.copy(tbs, o);
    o = der.writeHeader(tbs, o, 0xa3, extsSeqLen);
    o = der.writeHeader(tbs, o, der.Tag.SEQUENCE, extsBody);
    o += exts.copy(tbs, o);
    o = der.writeHeader(tbs, o, der.Tag.SEQUENCE, sanBody);
    o += SAN_PREFIX.copy(tbs, o);
    o = der.writeHeader(tbs, o, der.Tag.OCTET_STRING, namesLen);
    o = der.writeHeader(tbs, o, der.Tag.SEQUENCE, gnLen);
    o = der.writeHeader(tbs, o, 0x86, uriLen);
    o += tbs.write(uri, o, 'latin1');
    if (o !== tbs.length) throw new Error(`internal: TBSCertificate length ${o} != ${tbs.length}`);
    const sig = sign(this.#alg.hash, tbs, this.#key);
    const bitsLen = sig.length + 1;
    const certBody = tbs.length + this.#algDer.length + der.headerLength(bitsLen) + bitsLen;
    const leafDer = Buffer.allocUnsafe(der.headerLength(certBody) + certBody);
    o = der.writeHeader(leafDer, 0, der.Tag.SEQUENCE, certBody);
    o += tbs.copy(leafDer, o);
    o += this.#algDer.copy(leafDer, o);
    o = der.writeHeader(leafDer, o, der.Tag.BIT_STRING, bitsLen);
    leafDer[o++] = 0;
    sig.copy(leafDer, o);
    const leafPem = der.toPem(leafDer, 'CERTIFICATE');
    return { certChain: [leafPem, ...this.#tail], leafPem, leafDer, notBefore, notAfter };
  }

  /** The encoded Validity, cached for the last (notBefore, notAfter) pair: within one second every request shares it. */
  #validity(notBefore: number, notAfter: number): Buffer {
    const c = this.#validityCache;
    if (c && c.notBefore === notBefore && c.notAfter === notAfter) return c.der;
    const encoded = der.seq(der.time(notBefore), der.time(notAfter));
    this.#validityCache = { notBefore, notAfter, der: encoded };
    return encoded;
  }
}

/** extnID subjectAltName, critical TRUE */
const SAN_PREFIX = Buffer.concat([der.oid(EXT.subjectAltName), der.TRUE]);

/** Serial numbers: 16 random bytes, top bits 01 (positive, never a leading zero byte), so always `02 10 <16 bytes>`. */
const SERIAL_LEN = 18;
const serialPool = Buffer.alloc(16 * 256);
let serialAt = serialPool.length;

/** Writes a fresh random serial INTEGER at `off` (bytes from a CSPRNG pool refilled 256 serials at a time). */
function writeSerial(buf: Buffer, off: number): number {
  if (serialAt >= serialPool.length) {
    randomFillSync(serialPool);
    serialAt = 0;
  }
  buf[off] = der.Tag.INTEGER;
  buf[off + 1] = 16;
  serialPool.copy(buf, off + 2, serialAt, serialAt + 16);
  buf[off + 2] = (buf[off + 2]! & 0x3f) | 0x40;
  serialAt += 16;
  return off + SERIAL_LEN;
}

const EMPTY_NAME = Buffer.from([0x30, 0x00]);

/** 4 or 16 address bytes, or undefined when `ip` is not an IP literal. */
function ipBytes(ip: string): Buffer | undefined {
  const v = isIP(ip);
  if (v === 4) return Buffer.from(ip.split('.').map(Number));
  if (v !== 6) return undefined;
  let s = ip;
  const tail: number[] = [];
  const dot = s.lastIndexOf(':');
  if (s.includes('.')) {
    tail.push(...s.slice(dot + 1).split('.').map(Number));
    s = s.slice(0, dot) + ':0:0';
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

/** Validates a DER SubjectPublicKeyInfo as a supported key; returns whether it is RSA. Throws UNSUPPORTED_KEY. */
export function checkSpki(spki: Buffer): boolean {
  return publicKeyFromSpki(spki).kind === 'rsa';
}

/** Istio's plug-in CA file names (`cacerts` secret). */
export const PLUGIN_CA_FILES = {
  cert: 'ca-cert.pem',
  key: 'ca-key.pem',
  root: 'root-cert.pem',
  chain: 'cert-chain.pem',
} as const;

/**
 * Loads Istio's plug-in CA layout from a directory: `ca-cert.pem`, `ca-key.pem`, `root-cert.pem` and (optional)
 * `cert-chain.pem`. Missing required files are reported together (INVALID_OPTIONS); then as `fromPem`.
 */
export async function loadPluginCa(dir: string, policy: CaPolicy = {}): Promise<CertificateAuthority> {
  const read = async (name: string): Promise<string | undefined> => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const [cert, key, root, chain] = await Promise.all([
    read(PLUGIN_CA_FILES.cert),
    read(PLUGIN_CA_FILES.key),
    read(PLUGIN_CA_FILES.root),
    read(PLUGIN_CA_FILES.chain),
  ]);
  const missing: string[] = [];
  if (cert === undefined) missing.push(`${PLUGIN_CA_FILES.cert}: missing in ${dir}`);
  if (key === undefined) missing.push(`${PLUGIN_CA_FILES.key}: missing in ${dir}`);
  if (root === undefined) missing.push(`${PLUGIN_CA_FILES.root}: missing in ${dir}`);
  fail(missing, 'plug-in CA directory');
  return CertificateAuthority.fromPem({
    ...policy,
    certPem: cert!,
    keyPem: key!,
    rootCertPem: root!,
    ...(chain !== undefined && chain.trim() !== '' ? { certChainPem: chain } : {}),
  });
}
