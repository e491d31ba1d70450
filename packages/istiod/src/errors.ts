// The error registry of @amesh/istiod: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const IstiodErrorCode = {
  CONFIG: 'ISTIOD_ERR_CONFIG',
  BIND: 'ISTIOD_ERR_BIND',
} as const;
export type IstiodErrorCode = (typeof IstiodErrorCode)[keyof typeof IstiodErrorCode];

const DEFAULT_MESSAGES: Record<IstiodErrorCode, string> = {
  ISTIOD_ERR_CONFIG: 'invalid istiod configuration',
  ISTIOD_ERR_BIND: 'istiod could not bind a listener',
};

const TAG = Symbol.for('amesh.istiod.error');

/** The one error class of @amesh/istiod; `instanceof` works across copies of the package (tagged by Symbol.for). */
export class IstiodError extends Error {
  override readonly name = 'IstiodError';
  readonly code: IstiodErrorCode;
  /** Field-level problems, when the error reports a validation failure. */
  readonly details: readonly string[];

  constructor(code: IstiodErrorCode, message?: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message ?? DEFAULT_MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true;
  }
}
Object.defineProperty(IstiodError.prototype, TAG, { value: true });
