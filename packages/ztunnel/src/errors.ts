// The error registry of @amesh/ztunnel: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const ZtunnelErrorCode = {
  CONFIG: 'ZT_ERR_CONFIG',
} as const;
export type ZtunnelErrorCode = (typeof ZtunnelErrorCode)[keyof typeof ZtunnelErrorCode];

const DEFAULT_MESSAGES: Record<ZtunnelErrorCode, string> = {
  ZT_ERR_CONFIG: 'invalid ztunnel configuration',
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
