// The error registry of @amesh/hbone: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const HboneErrorCode = {
  CONNECT_STATUS: 'HBONE_ERR_CONNECT_STATUS',
  CONNECT_TIMEOUT: 'HBONE_ERR_CONNECT_TIMEOUT',
  CONNECT_FAILED: 'HBONE_ERR_CONNECT_FAILED',
  TLS_ALPN: 'HBONE_ERR_TLS_ALPN',
  PEER_IDENTITY: 'HBONE_ERR_PEER_IDENTITY',
  PEER_REJECTED: 'HBONE_ERR_PEER_REJECTED',
  INVALID_AUTHORITY: 'HBONE_ERR_INVALID_AUTHORITY',
  INVALID_OPTIONS: 'HBONE_ERR_INVALID_OPTIONS',
  STREAM_RESET: 'HBONE_ERR_STREAM_RESET',
  CONNECTION_CLOSED: 'HBONE_ERR_CONNECTION_CLOSED',
  PING_TIMEOUT: 'HBONE_ERR_PING_TIMEOUT',
  HANDSHAKE_TIMEOUT: 'HBONE_ERR_HANDSHAKE_TIMEOUT',
  CLOSED: 'HBONE_ERR_CLOSED',
} as const;
export type HboneErrorCode = (typeof HboneErrorCode)[keyof typeof HboneErrorCode];

const DEFAULT_MESSAGES: Record<HboneErrorCode, string> = {
  HBONE_ERR_CONNECT_STATUS: 'the HBONE peer answered CONNECT with a non-200 status',
  HBONE_ERR_CONNECT_TIMEOUT: 'connecting to the HBONE peer timed out (maybe a NetworkPolicy is blocking HBONE port 15008)',
  HBONE_ERR_CONNECT_FAILED: 'could not open the TCP/TLS connection to the HBONE peer',
  HBONE_ERR_TLS_ALPN: 'the peer did not negotiate ALPN h2',
  HBONE_ERR_PEER_IDENTITY: 'the HBONE server identity is not one of the expected identities',
  HBONE_ERR_PEER_REJECTED: 'the HBONE client certificate was refused',
  HBONE_ERR_INVALID_AUTHORITY: 'the CONNECT authority is not ip:port or host:port',
  HBONE_ERR_INVALID_OPTIONS: 'invalid HBONE options',
  HBONE_ERR_STREAM_RESET: 'the HBONE stream was reset by the peer with an error code',
  HBONE_ERR_CONNECTION_CLOSED: 'the HBONE connection closed before the tunnel was established',
  HBONE_ERR_PING_TIMEOUT: 'the HBONE peer did not answer a keepalive PING in time',
  HBONE_ERR_HANDSHAKE_TIMEOUT: 'the TLS handshake did not finish in time',
  HBONE_ERR_CLOSED: 'the HBONE client or server is closed',
};

const TAG = Symbol.for('amesh.hbone.error');

/** The one error class of @amesh/hbone; `instanceof` works across copies of the package (tagged by Symbol.for). */
export class HboneError extends Error {
  override readonly name = 'HboneError';
  readonly code: HboneErrorCode;
  /** Field-level problems, when the error reports a validation failure. */
  readonly details: readonly string[];
  /** The HTTP status the peer answered (HBONE_ERR_CONNECT_STATUS) */
  readonly status: number | undefined;
  /** The HTTP/2 error code of a reset (HBONE_ERR_STREAM_RESET) */
  readonly h2Code: number | undefined;

  constructor(
    code: HboneErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: readonly string[]; status?: number; h2Code?: number },
  ) {
    super(message ?? DEFAULT_MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
    this.status = options?.status;
    this.h2Code = options?.h2Code;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true;
  }
}
Object.defineProperty(HboneError.prototype, TAG, { value: true });
