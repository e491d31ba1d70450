// The error registry of @amesh/spiffe: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const SpiffeErrorCode = {
  INVALID_ID: 'SPIFFE_ERR_INVALID_ID',
} as const;
export type SpiffeErrorCode = (typeof SpiffeErrorCode)[keyof typeof SpiffeErrorCode];

const DEFAULT_MESSAGES: Record<SpiffeErrorCode, string> = {
  SPIFFE_ERR_INVALID_ID: 'invalid SPIFFE ID',
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
