// SPIFFE IDs (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md) and Istio's
// `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>` form (ztunnel `Identity::from_str` requires exactly
// that shape). Policies write principals without the scheme (`cluster.local/ns/default/sa/sleep`).
import { SpiffeError, SpiffeErrorCode } from './errors.js';

const SCHEME = 'spiffe://';
const MAX_ID_BYTES = 2048;
const MAX_TRUST_DOMAIN = 255;
const TD_CHARS = /^[a-z0-9._-]+$/;
const SEGMENT_CHARS = /^[A-Za-z0-9._-]+$/;

/** Istio's default trust domain. */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

/** Problems with a trust domain name (empty when valid). `field` prefixes each message. */
export function trustDomainProblems(td: string, field = 'trustDomain'): string[] {
  const out: string[] = [];
  if (typeof td !== 'string' || td.length === 0) return [`${field}: must not be empty`];
  if (td.length > MAX_TRUST_DOMAIN) out.push(`${field}: longer than ${MAX_TRUST_DOMAIN} characters`);
  if (!TD_CHARS.test(td)) {
    out.push(`${field}: ${JSON.stringify(td)} may only contain lowercase letters, digits, '.', '-' and '_'`);
  }
  return out;
}

/** Problems with a path (the part after the trust domain, with its leading '/'; '' is allowed: the trust domain ID). */
function pathProblems(path: string, field: string): string[] {
  if (path === '') return [];
  const out: string[] = [];
  if (!path.startsWith('/')) return [`${field}: must start with '/'`];
  const segments = path.slice(1).split('/');
  segments.forEach((seg, i) => {
    if (seg === '') out.push(`${field}: segment ${i} is empty (no '//' and no trailing '/')`);
    else if (seg === '.' || seg === '..') out.push(`${field}: segment ${i} is a relative segment ${JSON.stringify(seg)}`);
    else if (!SEGMENT_CHARS.test(seg)) {
      out.push(`${field}: segment ${i} ${JSON.stringify(seg)} may only contain letters, digits, '.', '-' and '_'`);
    }
  });
  return out;
}

/** A parsed, validated SPIFFE ID. Immutable; compare with `equals` or by `toString()`. */
export class SpiffeId {
  /** The trust domain (lowercase). */
  readonly trustDomain: string;
  /** The path including its leading '/', or '' for a trust-domain ID. */
  readonly path: string;
  /** The namespace, when the ID has Istio's `/ns/<ns>/sa/<sa>` form. */
  readonly namespace: string | undefined;
  /** The service account, when the ID has Istio's `/ns/<ns>/sa/<sa>` form. */
  readonly serviceAccount: string | undefined;
  readonly #uri: string;

  private constructor(trustDomain: string, path: string) {
    this.trustDomain = trustDomain;
    this.path = path;
    const seg = path.split('/');
    if (seg.length === 5 && seg[1] === 'ns' && seg[3] === 'sa') {
      this.namespace = seg[2];
      this.serviceAccount = seg[4];
    }
    this.#uri = SCHEME + trustDomain + path;
    Object.freeze(this);
  }

  /** Problems with `value` as a SPIFFE ID (empty when valid). With `istio: true` the path must be `/ns/X/sa/Y`. */
  static problems(value: unknown, opts: { istio?: boolean; field?: string } = {}): string[] {
    const field = opts.field ?? 'id';
    if (typeof value !== 'string') return [`${field}: must be a string`];
    if (Buffer.byteLength(value) > MAX_ID_BYTES) return [`${field}: longer than ${MAX_ID_BYTES} bytes`];
    if (!value.startsWith(SCHEME)) return [`${field}: ${JSON.stringify(value)} must start with "spiffe://"`];
    const rest = value.slice(SCHEME.length);
    const slash = rest.indexOf('/');
    const td = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '' : rest.slice(slash);
    const out = [...trustDomainProblems(td, `${field}.trustDomain`), ...pathProblems(path, `${field}.path`)];
    if (opts.istio && out.length === 0) {
      const seg = path.split('/');
      if (!(seg.length === 5 && seg[1] === 'ns' && seg[3] === 'sa')) {
        out.push(`${field}.path: ${JSON.stringify(path)} is not of the form /ns/<namespace>/sa/<serviceaccount>`);
      }
    }
    return out;
  }

  /** Parses `spiffe://<td>/<path>` strictly. With `istio: true` the path must be `/ns/<ns>/sa/<sa>`. */
  static parse(value: string, opts: { istio?: boolean } = {}): SpiffeId {
    const problems = SpiffeId.problems(value, opts);
    if (problems.length > 0) {
      throw new SpiffeError(SpiffeErrorCode.INVALID_ID, `invalid SPIFFE ID ${JSON.stringify(value)}: ${problems.join('; ')}`, {
        details: problems,
      });
    }
    const rest = value.slice(SCHEME.length);
    const slash = rest.indexOf('/');
    return slash < 0 ? new SpiffeId(rest, '') : new SpiffeId(rest.slice(0, slash), rest.slice(slash));
  }

  /** Like `parse`, but returns undefined instead of throwing. */
  static tryParse(value: string, opts: { istio?: boolean } = {}): SpiffeId | undefined {
    return SpiffeId.problems(value, opts).length === 0 ? SpiffeId.parse(value, opts) : undefined;
  }

  /** Parses a principal as policies write it: `<td>/<path>` without the scheme (a leading `spiffe://` is accepted too). */
  static fromPrincipal(principal: string, opts: { istio?: boolean } = {}): SpiffeId {
    return SpiffeId.parse(principal.startsWith(SCHEME) ? principal : SCHEME + principal, opts);
  }

  /** `spiffe://<td>/ns/<namespace>/sa/<serviceAccount>`. */
  static istio(trustDomain: string, namespace: string, serviceAccount: string): SpiffeId {
    return SpiffeId.parse(`${SCHEME}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`, { istio: true });
  }

  /** True when the path is Istio's `/ns/<ns>/sa/<sa>`. */
  get isIstio(): boolean {
    return this.namespace !== undefined;
  }

  /** The ID without the scheme, as AuthorizationPolicy principals are written: `cluster.local/ns/default/sa/sleep`. */
  get principal(): string {
    return this.trustDomain + this.path;
  }

  /** True when both are in the same trust domain. */
  sameTrustDomain(other: SpiffeId | string): boolean {
    return (typeof other === 'string' ? other : other.trustDomain) === this.trustDomain;
  }

  equals(other: SpiffeId | string): boolean {
    return this.#uri === (typeof other === 'string' ? other : other.#uri);
  }

  /** The URI form `spiffe://<td><path>`. */
  toString(): string {
    return this.#uri;
  }

  toJSON(): string {
    return this.#uri;
  }
}
