// The error registry of @amesh/rbac: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const RbacErrorCode = {
  INVALID_POLICY: 'RBAC_ERR_INVALID_POLICY',
  INVALID_REQUEST: 'RBAC_ERR_INVALID_REQUEST',
} as const;
export type RbacErrorCode = (typeof RbacErrorCode)[keyof typeof RbacErrorCode];

const DEFAULT_MESSAGES: Record<RbacErrorCode, string> = {
  RBAC_ERR_INVALID_POLICY: 'invalid AuthorizationPolicy',
  RBAC_ERR_INVALID_REQUEST: 'invalid authorization request',
};

const TAG = Symbol.for('amesh.rbac.error');

/** The one error class of @amesh/rbac; `instanceof` works across copies of the package (tagged by Symbol.for). */
export class RbacError extends Error {
  override readonly name = 'RbacError';
  readonly code: RbacErrorCode;
  /** Field-level problems, when the error reports a validation failure. */
  readonly details: readonly string[];

  constructor(code: RbacErrorCode, message?: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message ?? DEFAULT_MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true;
  }
}
Object.defineProperty(RbacError.prototype, TAG, { value: true });
