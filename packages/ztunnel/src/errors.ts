// The error registry of @amesh/ztunnel: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const ZtunnelErrorCode = {
  CONFIG: 'ZT_ERR_CONFIG',
  NATIVE_UNAVAILABLE: 'ZT_ERR_NATIVE_UNAVAILABLE',
  SOCKOPT: 'ZT_ERR_SOCKOPT',
  LISTEN: 'ZT_ERR_LISTEN',
  UNKNOWN_SOURCE: 'ZT_ERR_UNKNOWN_SOURCE',
  NO_HEALTHY_UPSTREAM: 'ZT_ERR_NO_HEALTHY_UPSTREAM',
  RECURSIVE: 'ZT_ERR_RECURSIVE',
  IDENTITY: 'ZT_ERR_IDENTITY',
  UPSTREAM_CONNECT: 'ZT_ERR_UPSTREAM_CONNECT',
  SOCKS5: 'ZT_ERR_SOCKS5',
  CLOSED: 'ZT_ERR_CLOSED',
} as const;
export type ZtunnelErrorCode = (typeof ZtunnelErrorCode)[keyof typeof ZtunnelErrorCode];

const DEFAULT_MESSAGES: Record<ZtunnelErrorCode, string> = {
  ZT_ERR_CONFIG: 'invalid ztunnel configuration',
  ZT_ERR_NATIVE_UNAVAILABLE: 'the native socket helper is not built (run npm run build)',
  ZT_ERR_SOCKOPT: 'setting a socket option failed',
  ZT_ERR_LISTEN: 'a listener could not be bound',
  ZT_ERR_UNKNOWN_SOURCE: 'the source address is not a node-local enrolled workload',
  ZT_ERR_NO_HEALTHY_UPSTREAM: 'the destination service has no healthy endpoint',
  ZT_ERR_RECURSIVE: 'the destination is one of ztunnel\'s own ports',
  ZT_ERR_IDENTITY: 'no certificate is available for the workload identity',
  ZT_ERR_UPSTREAM_CONNECT: 'connecting to the upstream failed',
  ZT_ERR_SOCKS5: 'malformed or unsupported SOCKS5 request',
  ZT_ERR_CLOSED: 'ztunnel is closed',
};

const TAG = Symbol.for('amesh.ztunnel.error');

/** The one error class of @amesh/ztunnel; `instanceof` works across copies of the package (tagged by Symbol.for). */
export class ZtunnelError extends Error {
  override readonly name = 'ZtunnelError';
  readonly code: ZtunnelErrorCode;
  /** Field-level problems, when the error reports a validation failure. */
  readonly details: readonly string[];

  constructor(code: ZtunnelErrorCode, message?: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message ?? DEFAULT_MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true;
  }
}
Object.defineProperty(ZtunnelError.prototype, TAG, { value: true });
