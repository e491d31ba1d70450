// The error registry of @amesh/cni: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const CniErrorCode = {
  CONFIG: 'CNI_ERR_CONFIG',
} as const;
export type CniErrorCode = (typeof CniErrorCode)[keyof typeof CniErrorCode];

const DEFAULT_MESSAGES: Record<CniErrorCode, string> = {
  CNI_ERR_CONFIG: 'invalid CNI configuration',
};

const TAG = Symbol.for('amesh.cni.error');

/** The one error class of @amesh/cni; `instanceof` works across copies of the package (tagged by Symbol.for). */
export class CniError extends Error {
  override readonly name = 'CniError';
  readonly code: CniErrorCode;
  /** Field-level problems, when the error reports a validation failure. */
  readonly details: readonly string[];

  constructor(code: CniErrorCode, message?: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message ?? DEFAULT_MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true;
  }
}
Object.defineProperty(CniError.prototype, TAG, { value: true });
