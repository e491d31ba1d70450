// Peer verification the way ztunnel does it (zt `src/tls/workload.rs`): the chain must lead to a trusted root and be
// valid now; the leaf's one URI SAN is the peer's SPIFFE ID; a client checks it against the expected identities, a
// server checks it is in its own trust domain. Hostnames are never checked.
import type { PeerCertificate, TLSSocket, ConnectionOptions, TlsOptions } from 'node:tls';
import { SpiffeError, SpiffeErrorCode } from './errors.js';
import { SpiffeId } from './id.js';
import type { Svid } from './svid.js';
import { Certificate, verifyChain } from './x509.js';

export interface VerifyPeerOptions {
  /** trusted roots: certificates or PEM */
  trustBundle: readonly Certificate[] | string;
  /** if set, the peer's ID must equal one of these (client side: destination identities + service SANs) */
  expected?: Iterable<SpiffeId | string>;
  /** if set, the peer's ID must be in this trust domain (server side: the trust domain of its own certificate) */
  trustDomain?: string;
  /** clock, ms since the epoch (default Date.now()) */
  now?: number;
}

/** The SPIFFE ID of a certificate's single URI SAN. Throws PEER_NO_ID if there is not exactly one valid one. */
export function spiffeIdOf(cert: Certificate): SpiffeId {
  if (cert.uris.length !== 1) {
    throw new SpiffeError(SpiffeErrorCode.PEER_NO_ID, `peer certificate has ${cert.uris.length} URI SANs: expected exactly one SPIFFE ID`);
  }
  const problems = SpiffeId.problems(cert.uris[0], { field: 'uriSan' });
  if (problems.length > 0) {
    throw new SpiffeError(SpiffeErrorCode.PEER_NO_ID, `peer URI SAN is not a valid SPIFFE ID: ${problems.join('; ')}`, { details: problems });
  }
  return SpiffeId.parse(cert.uris[0]!);
}

/**
 * Verifies a peer chain (leaf first; DER buffers or parsed certificates) and returns the peer's SPIFFE ID.
 * Errors: PEER_NO_CERT, MALFORMED_CERT, CERT_EXPIRED, PEER_UNTRUSTED, PEER_NO_ID, PEER_TRUST_DOMAIN, PEER_ID_MISMATCH.
 */
export function verifyPeerChain(chain: readonly (Certificate | Buffer)[], opts: VerifyPeerOptions): SpiffeId {
  if (chain.length === 0) throw new SpiffeError(SpiffeErrorCode.PEER_NO_CERT);
  const certs = chain.map((c) => (c instanceof Certificate ? c : Certificate.fromDer(c)));
  const roots = typeof opts.trustBundle === 'string' ? Certificate.fromPem(opts.trustBundle) : opts.trustBundle;
  verifyChain(certs, roots, opts.now ?? Date.now());
  const id = spiffeIdOf(certs[0]!);
  if (opts.trustDomain !== undefined && !id.sameTrustDomain(opts.trustDomain)) {
    throw new SpiffeError(
      SpiffeErrorCode.PEER_TRUST_DOMAIN,
      `peer identity ${id.toString()} is in trust domain ${JSON.stringify(id.trustDomain)}, expected ${JSON.stringify(opts.trustDomain)}`,
    );
  }
  if (opts.expected !== undefined) {
    const want = [...opts.expected].map(String);
    if (!want.includes(id.toString())) {
      throw new SpiffeError(
        SpiffeErrorCode.PEER_ID_MISMATCH,
        `peer identity ${id.toString()} is not one of the expected identities [${want.join(', ')}]`,
      );
    }
  }
  return id;
}

/** The chain a TLS peer presented (leaf first), as DER buffers; empty if none. */
export function peerChainOf(socket: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  let c = socket.getPeerCertificate(true) as PeerCertificate & { issuerCertificate?: PeerCertificate };
  const seen = new Set<string>();
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(c.raw);
    c = c.issuerCertificate as PeerCertificate & { issuerCertificate?: PeerCertificate };
  }
  return out;
}

/** `verifyPeerChain` on a connected TLS socket's peer chain. */
export function verifyPeer(socket: TLSSocket, opts: VerifyPeerOptions): SpiffeId {
  return verifyPeerChain(peerChainOf(socket), opts);
}

/**
 * Server-side TLS options for an identity (ztunnel inbound), for `tls.createServer` / `http2.createSecureServer`
 * (they ignore `secureContext`, so this spreads key/cert/ca): TLS 1.3, ALPN `h2`, client certificate required and
 * verified against the trust bundle by OpenSSL. Call `verifyPeer(socket, { trustBundle, trustDomain: svid.id.trustDomain })`
 * on `secureConnection` to get (and check) the client's identity.
 */
export function serverTlsOptions(svid: Svid, extra: { alpn?: string[] } = {}): TlsOptions {
  return {
    ...svid.tlsOptions(),
    ALPNProtocols: extra.alpn ?? ['h2'],
    requestCert: true,
    rejectUnauthorized: true,
  };
}

/**
 * Client-side TLS options for an identity (ztunnel outbound): TLS 1.3, ALPN `h2`, no SNI, no session resumption,
 * the server chain verified against the trust bundle, and the server's URI SAN checked against `expected`
 * (instead of a hostname). The check failure surfaces as the socket error (a SpiffeError).
 */
export function clientTlsOptions(svid: Svid, expected: Iterable<SpiffeId | string>, extra: { alpn?: string[] } = {}): ConnectionOptions {
  const want = [...expected].map(String);
  return {
    secureContext: svid.secureContext(),
    ALPNProtocols: extra.alpn ?? ['h2'],
    rejectUnauthorized: true,
    // no SNI: ztunnel sets enable_sni=false and a dummy server name
    servername: '',
    checkServerIdentity: (_host, cert) => {
      try {
        const id = spiffeIdOf(Certificate.fromDer(cert.raw));
        if (!want.includes(id.toString())) {
          return new SpiffeError(
            SpiffeErrorCode.PEER_ID_MISMATCH,
            `server identity ${id.toString()} is not one of the expected identities [${want.join(', ')}]`,
          );
        }
        return undefined;
      } catch (err) {
        return err as Error;
      }
    },
  };
}
