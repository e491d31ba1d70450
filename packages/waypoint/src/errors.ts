// The error registry of @amesh/waypoint: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const WaypointErrorCode = {
  INVALID_CONFIG: 'WP_ERR_INVALID_CONFIG',
} as const;
export type WaypointErrorCode = (typeof WaypointErrorCode)[keyof typeof WaypointErrorCode];

const DEFAULT_MESSAGES: Record<WaypointErrorCode, string> = {
  WP_ERR_INVALID_CONFIG: 'invalid routing configuration',
};

const TAG = Symbol.for('amesh.waypoint.error');

/** The one error class of @amesh/waypoint; `instanceof` works across copies of the package (tagged by Symbol.for). */
export class WaypointError extends Error {
  override readonly name = 'WaypointError';
  readonly code: WaypointErrorCode;
  /** Field-level problems, when the error reports a validation failure. */
  readonly details: readonly string[];

  constructor(code: WaypointErrorCode, message?: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message ?? DEFAULT_MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true;
  }
}
Object.defineProperty(WaypointError.prototype, TAG, { value: true });
