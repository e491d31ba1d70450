// The error registry of @amesh/kube: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const KubeErrorCode = {
  INVALID_OBJECT: 'KUBE_ERR_INVALID_OBJECT',
  UNKNOWN_KIND: 'KUBE_ERR_UNKNOWN_KIND',
  INVALID_SELECTOR: 'KUBE_ERR_INVALID_SELECTOR',
  WRITE_FAILED: 'KUBE_ERR_WRITE_FAILED',
  LIST_FAILED: 'KUBE_ERR_LIST_FAILED',
  CLOSED: 'KUBE_ERR_CLOSED',
} as const;
export type KubeErrorCode = (typeof KubeErrorCode)[keyof typeof KubeErrorCode];

const DEFAULT_MESSAGES: Record<KubeErrorCode, string> = {
  KUBE_ERR_INVALID_OBJECT: 'invalid Kubernetes object',
  KUBE_ERR_UNKNOWN_KIND: 'unknown kind: amesh does not watch this apiVersion/kind',
  KUBE_ERR_INVALID_SELECTOR: 'invalid label or field selector',
  KUBE_ERR_WRITE_FAILED: 'could not write the object to the state directory',
  KUBE_ERR_LIST_FAILED: 'listing objects from the API server failed',
  KUBE_ERR_CLOSED: 'the object source is closed',
};

const TAG = Symbol.for('amesh.kube.error');

/** The one error class of @amesh/kube; `instanceof` works across copies of the package (tagged by Symbol.for). */
export class KubeError extends Error {
  override readonly name = 'KubeError';
  readonly code: KubeErrorCode;
  /** Field-level problems, when the error reports a validation failure. */
  readonly details: readonly string[];

  constructor(code: KubeErrorCode, message?: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message ?? DEFAULT_MESSAGES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true;
  }
}
Object.defineProperty(KubeError.prototype, TAG, { value: true });
