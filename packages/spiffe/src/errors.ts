// The error registry of @amesh/spiffe: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const SpiffeErrorCode = {
  INVALID_ID: 'SPIFFE_ERR_INVALID_ID',
  INVALID_OPTIONS: 'SPIFFE_ERR_INVALID_OPTIONS',
  UNSUPPORTED_KEY: 'SPIFFE_ERR_UNSUPPORTED_KEY',
  MALFORMED_KEY: 'SPIFFE_ERR_MALFORMED_KEY',
  MALFORMED_CERT: 'SPIFFE_ERR_MALFORMED_CERT',
  TRUST_DOMAIN_MISMATCH: 'SPIFFE_ERR_TRUST_DOMAIN_MISMATCH',
  TTL_TOO_LONG: 'SPIFFE_ERR_TTL_TOO_LONG',
  CERT_EXPIRED: 'SPIFFE_ERR_CERT_EXPIRED',
  PEER_NO_CERT: 'SPIFFE_ERR_PEER_NO_CERT',
  PEER_UNTRUSTED: 'SPIFFE_ERR_PEER_UNTRUSTED',
  PEER_NO_ID: 'SPIFFE_ERR_PEER_NO_ID',
  PEER_ID_MISMATCH: 'SPIFFE_ERR_PEER_ID_MISMATCH',
  PEER_TRUST_DOMAIN: 'SPIFFE_ERR_PEER_TRUST_DOMAIN',
  MALFORMED_CSR: 'SPIFFE_ERR_MALFORMED_CSR',
  CSR_SIGNATURE: 'SPIFFE_ERR_CSR_SIGNATURE',
  CSR_SAN: 'SPIFFE_ERR_CSR_SAN',
  CSR_IDENTITY_MISMATCH: 'SPIFFE_ERR_CSR_IDENTITY_MISMATCH',
  UNAUTHENTICATED: 'SPIFFE_ERR_UNAUTHENTICATED',
  IMPERSONATION_DENIED: 'SPIFFE_ERR_IMPERSONATION_DENIED',
  CA_REQUEST_FAILED: 'SPIFFE_ERR_CA_REQUEST_FAILED',
  CA_BAD_RESPONSE: 'SPIFFE_ERR_CA_BAD_RESPONSE',
  MANAGER_CLOSED: 'SPIFFE_ERR_MANAGER_CLOSED',
  SIGNING_WORKER_FAILED: 'SPIFFE_ERR_SIGNING_WORKER_FAILED',
  CA_CLOSED: 'SPIFFE_ERR_CA_CLOSED',
} as const;
export type SpiffeErrorCode = (typeof SpiffeErrorCode)[keyof typeof SpiffeErrorCode];

const DEFAULT_MESSAGES: Record<SpiffeErrorCode, string> = {
  SPIFFE_ERR_INVALID_ID: 'invalid SPIFFE ID',
  SPIFFE_ERR_INVALID_OPTIONS: 'invalid options',
  SPIFFE_ERR_UNSUPPORTED_KEY: 'unsupported key type: use ECDSA P-256/P-384 or RSA 2048-4096',
  SPIFFE_ERR_MALFORMED_KEY: 'malformed private key: expected PKCS#8, SEC1 or PKCS#1 PEM',
  SPIFFE_ERR_MALFORMED_CERT: 'malformed certificate',
  SPIFFE_ERR_TRUST_DOMAIN_MISMATCH: 'identity is not in the trust domain of this CA',
  SPIFFE_ERR_TTL_TOO_LONG: 'requested certificate lifetime is above the maximum',
  SPIFFE_ERR_CERT_EXPIRED: 'certificate is expired or not yet valid',
  SPIFFE_ERR_PEER_NO_CERT: 'peer presented no certificate',
  SPIFFE_ERR_PEER_UNTRUSTED: 'peer certificate chain does not lead to a trusted root',
  SPIFFE_ERR_PEER_NO_ID: 'peer certificate carries no single valid SPIFFE URI SAN',
  SPIFFE_ERR_PEER_ID_MISMATCH: 'peer identity is not one of the expected identities',
  SPIFFE_ERR_PEER_TRUST_DOMAIN: 'peer identity is in a different trust domain',
  SPIFFE_ERR_MALFORMED_CSR: 'malformed CSR: expected a PEM CERTIFICATE REQUEST (PKCS#10)',
  SPIFFE_ERR_CSR_SIGNATURE: 'CSR signature does not verify',
  SPIFFE_ERR_CSR_SAN: 'CSR must carry exactly one URI SAN (the SPIFFE ID)',
  SPIFFE_ERR_CSR_IDENTITY_MISMATCH: "CSR identity is not the caller's identity",
  SPIFFE_ERR_UNAUTHENTICATED: 'caller could not be authenticated',
  SPIFFE_ERR_IMPERSONATION_DENIED: 'caller may not obtain a certificate for another identity',
  SPIFFE_ERR_CA_REQUEST_FAILED: 'certificate request to the CA failed',
  SPIFFE_ERR_CA_BAD_RESPONSE: 'CA returned an unusable or wrong certificate',
  SPIFFE_ERR_MANAGER_CLOSED: 'certificate manager is closed',
  SPIFFE_ERR_SIGNING_WORKER_FAILED: 'the signing worker handling this request failed; nothing was issued, retry',
  SPIFFE_ERR_CA_CLOSED: 'the certificate authority is closed',
};

const TAG = Symbol.for('amesh.spiffe.error');

/** The one error class of @amesh/spiffe; `instanceof` works across copies of the package (tagged by Symbol.for). */
export class SpiffeError extends Error {
  override readonly name = 'SpiffeError';
  readonly code: SpiffeErrorCode;
  /** Field-level problems, when the error reports a validation failure. */
  readonly details: readonly string[];

  constructor(code: SpiffeErrorCode, message?: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message ?? DEFAULT_MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true;
  }
}
Object.defineProperty(SpiffeError.prototype, TAG, { value: true });
