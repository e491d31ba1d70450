// The error registry of @amesh/hbone: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const HboneErrorCode = {
  CONNECT_STATUS: 'HBONE_ERR_CONNECT_STATUS',
} as const;
export type HboneErrorCode = (typeof HboneErrorCode)[keyof typeof HboneErrorCode];

const DEFAULT_MESSAGES: Record<HboneErrorCode, string> = {
  HBONE_ERR_CONNECT_STATUS: 'the HBONE peer answered CONNECT with a non-200 status',
};

const TAG = Symbol.for('amesh.hbone.error');

/** The one error class of @amesh/hbone; `instanceof` works across copies of the package (tagged by Symbol.for). */
export class HboneError extends Error {
  override readonly name = 'HboneError';
  readonly code: HboneErrorCode;
  /** Field-level problems, when the error reports a validation failure. */
  readonly details: readonly string[];

  constructor(code: HboneErrorCode, message?: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message ?? DEFAULT_MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true;
  }
}
Object.defineProperty(HboneError.prototype, TAG, { value: true });
