// The error registry of @amesh/xds: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise or log. Codes are stable: never renamed or reused. */
export const XdsErrorCode = {
  NACK: 'XDS_ERR_NACK',
  INVALID_RESOURCE: 'XDS_ERR_INVALID_RESOURCE',
  RESOURCE_TOO_LARGE: 'XDS_ERR_RESOURCE_TOO_LARGE',
  MALFORMED_REQUEST: 'XDS_ERR_MALFORMED_REQUEST',
  UNKNOWN_TYPE: 'XDS_ERR_UNKNOWN_TYPE',
  UNAUTHENTICATED: 'XDS_ERR_UNAUTHENTICATED',
  CLIENT_NOT_ACKING: 'XDS_ERR_CLIENT_NOT_ACKING',
  STREAM: 'XDS_ERR_STREAM',
  CLOSED: 'XDS_ERR_CLOSED',
  INVALID_OPTIONS: 'XDS_ERR_INVALID_OPTIONS',
} as const;
export type XdsErrorCode = (typeof XdsErrorCode)[keyof typeof XdsErrorCode];

const DEFAULT_MESSAGES: Record<XdsErrorCode, string> = {
  XDS_ERR_NACK: 'the client rejected a resource',
  XDS_ERR_INVALID_RESOURCE: 'a resource failed validation',
  XDS_ERR_RESOURCE_TOO_LARGE: 'a resource is larger than the cache accepts',
  XDS_ERR_MALFORMED_REQUEST: 'a discovery request could not be decoded',
  XDS_ERR_UNKNOWN_TYPE: 'a request named a type url this server does not serve',
  XDS_ERR_UNAUTHENTICATED: 'the stream was rejected by the authentication hook',
  XDS_ERR_CLIENT_NOT_ACKING: 'a client has too many unacknowledged responses; pushes to it are paused',
  XDS_ERR_STREAM: 'the discovery stream failed; the client reconnects with backoff',
  XDS_ERR_CLOSED: 'the xds client or server is closed',
  XDS_ERR_INVALID_OPTIONS: 'invalid xds options',
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
