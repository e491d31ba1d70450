// A workload's X.509 SVID: private key, leaf + intermediates, and the trust bundle it verifies peers against.
import { createSecureContext as tlsCreateSecureContext, type SecureContext } from 'node:tls';
import type { KeyObject } from 'node:crypto';
import { SpiffeError, SpiffeErrorCode } from './errors.js';
import { SpiffeId } from './id.js';
import { loadPrivateKey, type KeyPair } from './keys.js';
import { Certificate, pemOf } from './x509.js';

/** TLS 1.3 suites ztunnel offers (zt `src/tls/lib.rs`). */
export const TLS_CIPHERS = 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256';
/** TLS 1.2 suites ztunnel adds when TLS12_ENABLED=true. */
export const TLS12_CIPHERS = 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256';

export interface SvidInit {
  /** private key (PEM or KeyObject) */
  key: string | Buffer | KeyObject;
  /** leaf first, then intermediates (PEM, concatenated) */
  certChainPem: string;
  /** trusted roots (PEM, one or several) */
  trustBundlePem: string;
}

export interface SecureContextOptions {
  /** also allow TLS 1.2 (ztunnel's TLS12_ENABLED); default TLS 1.3 only */
  tls12?: boolean;
}

/** An identity's certificate material. Immutable. */
export class Svid {
  readonly id: SpiffeId;
  readonly key: KeyPair;
  /** leaf first, then intermediates */
  readonly chain: readonly Certificate[];
  readonly roots: readonly Certificate[];
  #ctx: SecureContext | undefined;

  constructor(init: SvidInit) {
    this.key = loadPrivateKey(init.key);
    this.chain = Certificate.fromPem(init.certChainPem);
    this.roots = Certificate.fromPem(init.trustBundlePem);
    const leaf = this.chain[0]!;
    if (!leaf.spki.equals(this.key.publicKey.export({ type: 'spki', format: 'der' }))) {
      throw new SpiffeError(SpiffeErrorCode.MALFORMED_KEY, 'the private key does not match the leaf certificate');
    }
    if (leaf.uris.length !== 1) {
      throw new SpiffeError(SpiffeErrorCode.PEER_NO_ID, `leaf certificate has ${leaf.uris.length} URI SANs, expected exactly one SPIFFE ID`);
    }
    this.id = SpiffeId.parse(leaf.uris[0]!);
  }

  /**
   * From an Istio CA response: `certChain` is `[leaf, ...intermediates, roots]` where the last element holds the
   * trust bundle (possibly several concatenated roots).
   */
  static fromCertChain(key: string | Buffer | KeyObject, certChain: readonly string[]): Svid {
    if (certChain.length < 2) {
      throw new SpiffeError(SpiffeErrorCode.MALFORMED_CERT, `cert_chain has ${certChain.length} element(s): expected [leaf, ...intermediates, roots]`);
    }
    return new Svid({ key, certChainPem: certChain.slice(0, -1).join(''), trustBundlePem: certChain[certChain.length - 1]! });
  }

  get leaf(): Certificate {
    return this.chain[0]!;
  }
  get notBefore(): number {
    return this.leaf.notBefore;
  }
  get notAfter(): number {
    return this.leaf.notAfter;
  }
  /** leaf + intermediates, PEM */
  get certChainPem(): string {
    return pemOf(this.chain);
  }
  /** trusted roots, PEM */
  get trustBundlePem(): string {
    return pemOf(this.roots);
  }
  get privateKeyPem(): string {
    return this.key.privateKeyPem;
  }

  /**
   * The plain `tls.createSecureContext` options for this identity (key, leaf + intermediates, trust bundle,
   * TLS 1.3 with ztunnel's suites). Servers need these: Node's `tls.createServer` / `http2.createSecureServer`
   * ignore a `secureContext` option, so pass these (or `server.setSecureContext(svid.tlsOptions())` to rotate).
   */
  tlsOptions(opts: SecureContextOptions = {}): IdentityTlsOptions {
    return identityTlsOptions(this, opts);
  }

  /** A TLS context presenting this identity and trusting its bundle (TLS 1.3 with ztunnel's suites). Cached. */
  secureContext(opts: SecureContextOptions = {}): SecureContext {
    if (opts.tls12) return createSecureContext(this, opts);
    return (this.#ctx ??= createSecureContext(this));
  }
}

/** `tls.createSecureContext` options for an identity. */
export interface IdentityTlsOptions {
  key: string;
  cert: string;
  ca: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  ciphers: string;
}

function identityTlsOptions(svid: Pick<Svid, 'key' | 'chain' | 'roots'>, opts: SecureContextOptions): IdentityTlsOptions {
  return {
    key: svid.key.privateKeyPem,
    cert: pemOf(svid.chain),
    ca: pemOf(svid.roots),
    minVersion: opts.tls12 ? 'TLSv1.2' : 'TLSv1.3',
    ciphers: opts.tls12 ? `${TLS_CIPHERS}:${TLS12_CIPHERS}` : TLS_CIPHERS,
  };
}

/** Builds a `tls.SecureContext` for an identity: key, leaf + intermediates, trust bundle as CA list. */
export function createSecureContext(svid: Pick<Svid, 'key' | 'chain' | 'roots'>, opts: SecureContextOptions = {}): SecureContext {
  return tlsCreateSecureContext(identityTlsOptions(svid, opts));
}
