// Retry policy translation (istio pilot/pkg/networking/core/route/retry/retry.go ConvertPolicy).
import type { HTTPRetry } from './model.js';
import { KNOWN_HTTP_STATUS } from './validate.js';

export interface RetryPolicy {
  /** Envoy num_retries; the maximum number of requests is 1 + attempts */
  attempts: number;
  retryOn: string;
  retriableStatusCodes: number[];
  /** nanoseconds, or null: the route timeout applies */
  perTryTimeoutNs: number | null;
  /** `previous_hosts` unless consistent-hash load balancing applies or retryIgnorePreviousHosts is false */
  retryHostPredicate: string[];
  hostSelectionRetryMaxAttempts: number;
  /** previous_priorities when retryRemoteLocalities */
  retryPriority?: string;
  /** base interval, ns (Envoy default 25ms) */
  backoffBaseIntervalNs: number;
}

export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/** The policy used when a route has no `retries` (meshConfig defaultHttpRetryPolicy unset). */
export function defaultRetryPolicy(consistentHash = false): RetryPolicy {
  return {
    attempts: 2,
    retryOn: DEFAULT_RETRY_ON,
    retriableStatusCodes: [],
    perTryTimeoutNs: null,
    retryHostPredicate: consistentHash ? [] : ['previous_hosts'],
    hostSelectionRetryMaxAttempts: 5,
    backoffBaseIntervalNs: 25e6,
  };
}

/** Splits retryOn: integers with a known HTTP status text become retriable status codes; `retriable-status-codes` is
 * appended when codes were found and it is not present already. */
export function translateRetryOn(retryOn: string): { retryOn: string; codes: number[] } {
  const policies: string[] = [];
  const codes: number[] = [];
  for (const part of retryOn.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    if (/^\d+$/.test(p)) {
      const n = Number(p);
      if (KNOWN_HTTP_STATUS.has(n)) {
        codes.push(n);
        continue;
      }
    }
    policies.push(p);
  }
  if (codes.length && !policies.includes('retriable-status-codes')) policies.push('retriable-status-codes');
  return { retryOn: policies.join(','), codes };
}

/** `retries` absent: the default policy; attempts <= 0: no policy (undefined); otherwise the translated policy. */
export function convertRetryPolicy(r: HTTPRetry | undefined, consistentHash = false): RetryPolicy | undefined {
  if (!r) return defaultRetryPolicy(consistentHash);
  if (r.attempts <= 0) return undefined;
  const p = defaultRetryPolicy(consistentHash);
  p.attempts = r.attempts;
  if (r.retryOn !== undefined && r.retryOn.trim() !== '') {
    const t = translateRetryOn(r.retryOn);
    p.retryOn = t.retryOn;
    p.retriableStatusCodes = t.codes;
  }
  if (r.perTryTimeoutNs !== undefined && r.perTryTimeoutNs > 0) p.perTryTimeoutNs = r.perTryTimeoutNs;
  if (r.retryRemoteLocalities) p.retryPriority = 'previous_priorities';
  if (r.retryIgnorePreviousHosts !== undefined) p.retryHostPredicate = r.retryIgnorePreviousHosts ? ['previous_hosts'] : [];
  if (r.backoffNs !== undefined) p.backoffBaseIntervalNs = r.backoffNs;
  return p;
}
