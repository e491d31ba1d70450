// The error registry of @amesh/cni: one stable `code` per failure, documented in README.md "Errors" (checked by
// test/errors.test.ts). Users match on `error.code`; messages are lowercase and say what to fix.

/** Every error code this package can raise. Codes are stable: never renamed or reused. */
export const CniErrorCode = {
  CONFIG: 'CNI_ERR_CONFIG',
  INPUT: 'CNI_ERR_INPUT',
  UNSUPPORTED_VERSION: 'CNI_ERR_UNSUPPORTED_VERSION',
  NETNS: 'CNI_ERR_NETNS',
  AGENT_UNREACHABLE: 'CNI_ERR_AGENT_UNREACHABLE',
  AGENT: 'CNI_ERR_AGENT',
  POD_UNKNOWN: 'CNI_ERR_POD_UNKNOWN',
  NO_POD_IP: 'CNI_ERR_NO_POD_IP',
  COMMAND: 'CNI_ERR_COMMAND',
  REDIRECTION: 'CNI_ERR_REDIRECTION',
  NOT_REDIRECTED: 'CNI_ERR_NOT_REDIRECTED',
  INSTALL: 'CNI_ERR_INSTALL',
  CLOSED: 'CNI_ERR_CLOSED',
} as const;
export type CniErrorCode = (typeof CniErrorCode)[keyof typeof CniErrorCode];

const DEFAULT_MESSAGES: Record<CniErrorCode, string> = {
  CNI_ERR_CONFIG: 'invalid CNI configuration',
  CNI_ERR_INPUT: 'invalid CNI plugin input (environment or stdin)',
  CNI_ERR_UNSUPPORTED_VERSION: 'unsupported CNI version',
  CNI_ERR_NETNS: 'the pod network namespace does not exist',
  CNI_ERR_AGENT_UNREACHABLE: 'the istio-cni node agent is unreachable',
  CNI_ERR_AGENT: 'the istio-cni node agent reported an error',
  CNI_ERR_POD_UNKNOWN: 'the pod is not (yet) known to the node agent',
  CNI_ERR_NO_POD_IP: 'the enrolled pod has no IPv4 address',
  CNI_ERR_COMMAND: 'a system command failed',
  CNI_ERR_REDIRECTION: 'traffic redirection failed and was rolled back',
  CNI_ERR_NOT_REDIRECTED: 'the enrolled pod is not redirected',
  CNI_ERR_INSTALL: 'installing the CNI plugin or configuration failed',
  CNI_ERR_CLOSED: 'the node agent is closed',
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

/**
 * The CNI spec error code (https://www.cni.dev/docs/spec/#error) a CniError is reported with by the plugin:
 * 1 incompatible version, 3 container unknown, 4 invalid environment, 6 undecodable content, 7 invalid network
 * config, 11 try again later; 100+ are ours.
 */
export function cniSpecCode(code: CniErrorCode): number {
  switch (code) {
    case 'CNI_ERR_UNSUPPORTED_VERSION':
      return 1;
    case 'CNI_ERR_NETNS':
      return 3;
    case 'CNI_ERR_INPUT':
      return 4;
    case 'CNI_ERR_CONFIG':
      return 7;
    case 'CNI_ERR_AGENT_UNREACHABLE':
    case 'CNI_ERR_POD_UNKNOWN':
    case 'CNI_ERR_CLOSED':
      return 11;
    case 'CNI_ERR_AGENT':
      return 101;
    case 'CNI_ERR_REDIRECTION':
      return 102;
    case 'CNI_ERR_NO_POD_IP':
      return 103;
    case 'CNI_ERR_NOT_REDIRECTED':
      return 104;
    case 'CNI_ERR_COMMAND':
      return 105;
    case 'CNI_ERR_INSTALL':
      return 106;
  }
}
