// The error registry of @amesh/xds: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const XdsErrorCode = {
  NACK: 'XDS_ERR_NACK',
} as const;
export type XdsErrorCode = (typeof XdsErrorCode)[keyof typeof XdsErrorCode];

const DEFAULT_MESSAGES: Record<XdsErrorCode, string> = {
  XDS_ERR_NACK: 'the client rejected a resource',
};

const TAG = Symbol.for('amesh.xds.error');

/** The one error class of @amesh/xds; `instanceof` works across copies of the package (tagged by Symbol.for). */
export class XdsError extends Error {
  override readonly name = 'XdsError';
  readonly code: XdsErrorCode;
  /** Field-level problems, when the error reports a validation failure. */
  readonly details: readonly string[];

  constructor(code: XdsErrorCode, message?: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message ?? DEFAULT_MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true;
  }
}
Object.defineProperty(XdsError.prototype, TAG, { value: true });
