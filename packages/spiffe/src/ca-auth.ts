// Authentication for the CA service: who is calling? A caller is a SPIFFE identity plus what is known about its
// pod. Verifiers are pluggable; this file has the two the project needs: a Kubernetes TokenReview verifier (what
// istiod does for JWTs, ii `security/pkg/server/ca/authenticate/kubeauth/kube_jwt.go`) and a static token table
// for the lab.
import { SpiffeError, SpiffeErrorCode } from './errors.js';
import { SpiffeId } from './id.js';

/** An authenticated caller. */
export interface Caller {
  /** the caller's own identity */
  identity: SpiffeId;
  /** how it was authenticated, e.g. `kube-token-review`, `static-token` */
  source: string;
  /** what is known about the caller's pod (from TokenReview extra fields) */
  pod?: { name?: string; namespace: string; uid?: string; serviceAccount: string; node?: string };
}

export interface AuthenticationContext {
  /** the bearer token from `authorization: Bearer <token>` */
  token: string;
  /** request metadata (lowercased keys), e.g. `clusterid` */
  metadata: Readonly<Record<string, string>>;
}

/** Verifies a bearer token. Resolve a Caller; reject with a SpiffeError `UNAUTHENTICATED` (reason in the message). */
export interface TokenVerifier {
  readonly name: string;
  verify(ctx: AuthenticationContext): Promise<Caller>;
}

function unauthenticated(msg: string, cause?: unknown): SpiffeError {
  return new SpiffeError(SpiffeErrorCode.UNAUTHENTICATED, msg, cause === undefined ? undefined : { cause });
}

export interface StaticTokenEntry {
  /** SPIFFE ID (or `ns/sa` shorthand together with `trustDomain`) */
  identity: string;
  /** node the caller runs on (used by impersonation decisions) */
  node?: string;
  podName?: string;
  podUid?: string;
}

/**
 * A fixed token table, for the lab and tests: `token → identity`. Tokens are compared in constant time per entry.
 */
export function staticTokenVerifier(opts: { tokens: Readonly<Record<string, StaticTokenEntry>>; trustDomain?: string }): TokenVerifier {
  const td = opts.trustDomain ?? 'cluster.local';
  const table = new Map<string, Caller>();
  const problems: string[] = [];
  for (const [token, e] of Object.entries(opts.tokens)) {
    const raw = e.identity.startsWith('spiffe://') ? e.identity : `spiffe://${td}/ns/${e.identity.split('/')[0]}/sa/${e.identity.split('/')[1]}`;
    const p = SpiffeId.problems(raw, { istio: true, field: `tokens[${token.slice(0, 4)}…].identity` });
    if (token.length < 8) problems.push(`tokens[${token.slice(0, 4)}…]: a token must be at least 8 characters`);
    if (p.length > 0) {
      problems.push(...p);
      continue;
    }
    const identity = SpiffeId.parse(raw, { istio: true });
    table.set(token, {
      identity,
      source: 'static-token',
      pod: {
        namespace: identity.namespace!,
        serviceAccount: identity.serviceAccount!,
        ...(e.node !== undefined ? { node: e.node } : {}),
        ...(e.podName !== undefined ? { name: e.podName } : {}),
        ...(e.podUid !== undefined ? { uid: e.podUid } : {}),
      },
    });
  }
  if (problems.length > 0) {
    throw new SpiffeError(SpiffeErrorCode.INVALID_OPTIONS, `invalid static token table: ${problems.join('; ')}`, { details: problems });
  }
  return {
    name: 'static-token',
    verify: async (ctx) => {
      const caller = table.get(ctx.token);
      if (!caller) throw unauthenticated('static token is not known');
      return caller;
    },
  };
}

/** The part of `fetch` the TokenReview verifier uses (inject one with a custom CA or client certificate). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ status: number; json(): Promise<unknown> }>;

export interface TokenReviewOptions {
  /** the Kubernetes API server base URL, e.g. `https://10.96.0.1:443` */
  apiServer: string;
  /** how istiod authenticates to the API server (its own service-account token); optional */
  apiToken?: string | (() => string | Promise<string>);
  /** audiences the token must be for (default `['istio-ca']`); `[]` skips the audience check */
  audiences?: string[];
  /** trust domain for the resulting identities (default `cluster.local`) */
  trustDomain?: string;
  /** HTTP client (default `globalThis.fetch`) */
  fetch?: FetchLike;
  /** request timeout in ms (default 5000) */
  timeoutMs?: number;
}

const SA_PREFIX = 'system:serviceaccount:';

/**
 * Verifies tokens with a Kubernetes TokenReview (`POST /apis/authentication.k8s.io/v1/tokenreviews`): the token must
 * be authenticated, for one of the audiences, and belong to a service account (`system:serviceaccount:<ns>:<sa>`).
 * Pod name/UID/node come from the `authentication.kubernetes.io/*` extra fields when the API server sets them.
 */
export function kubeTokenReviewVerifier(opts: TokenReviewOptions): TokenVerifier {
  const problems: string[] = [];
  try {
    new URL(opts.apiServer);
  } catch {
    problems.push(`apiServer: ${JSON.stringify(opts.apiServer)} is not a URL`);
  }
  const audiences = opts.audiences ?? ['istio-ca'];
  const td = opts.trustDomain ?? 'cluster.local';
  if (opts.trustDomain !== undefined) problems.push(...SpiffeId.problems(`spiffe://${td}`, { field: 'trustDomain' }));
  const doFetch: FetchLike | undefined = opts.fetch ?? (globalThis.fetch as unknown as FetchLike | undefined);
  if (!doFetch) problems.push('fetch: no fetch implementation available; inject one');
  if (problems.length > 0) {
    throw new SpiffeError(SpiffeErrorCode.INVALID_OPTIONS, `invalid TokenReview options: ${problems.join('; ')}`, { details: problems });
  }
  const url = new URL('/apis/authentication.k8s.io/v1/tokenreviews', opts.apiServer).toString();
  return {
    name: 'kube-token-review',
    verify: async (ctx) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      const apiToken = typeof opts.apiToken === 'function' ? await opts.apiToken() : opts.apiToken;
      if (apiToken) headers.authorization = `Bearer ${apiToken}`;
      const body = JSON.stringify({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token: ctx.token, ...(audiences.length > 0 ? { audiences } : {}) },
      });
      let status: number;
      let review: {
        status?: { authenticated?: boolean; error?: string; audiences?: string[]; user?: { username?: string; extra?: Record<string, string[]> } };
      };
      try {
        const res = await doFetch!(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
        status = res.status;
        review = (await res.json()) as typeof review;
      } catch (cause) {
        throw unauthenticated(`token review request to ${url} failed: ${(cause as Error).message}`, cause);
      }
      if (status !== 200 && status !== 201) throw unauthenticated(`token review returned HTTP ${status}: is istiod allowed to create tokenreviews?`);
      const st = review?.status ?? {};
      if (st.authenticated !== true) throw unauthenticated(`token is not authenticated${st.error ? `: ${st.error}` : ''}`);
      if (audiences.length > 0 && !(st.audiences ?? []).some((a) => audiences.includes(a))) {
        throw unauthenticated(`token is not for audience ${audiences.join(' or ')}`);
      }
      const username = st.user?.username ?? '';
      if (!username.startsWith(SA_PREFIX)) throw unauthenticated(`token user ${JSON.stringify(username)} is not a service account`);
      const [ns, sa, ...rest] = username.slice(SA_PREFIX.length).split(':');
      const id = SpiffeId.tryParse(`spiffe://${td}/ns/${ns}/sa/${sa}`, { istio: true });
      if (!id || rest.length > 0) throw unauthenticated(`token user ${JSON.stringify(username)} is not a valid service account`);
      const extra = st.user?.extra ?? {};
      const one = (k: string): string | undefined => extra[`authentication.kubernetes.io/${k}`]?.[0];
      const pod: NonNullable<Caller['pod']> = { namespace: ns!, serviceAccount: sa! };
      const name = one('pod-name');
      const uid = one('pod-uid');
      const node = one('node-name');
      if (name) pod.name = name;
      if (uid) pod.uid = uid;
      if (node) pod.node = node;
      return { identity: id, source: 'kube-token-review', pod };
    },
  };
}
