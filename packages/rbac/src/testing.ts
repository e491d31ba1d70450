// `@amesh/rbac/testing`: a small API for users' own tests. Framework-agnostic: assertions throw node's
// `AssertionError` with the decision explained, so they work under node:test, tap, jest or mocha.
import { AssertionError } from 'node:assert';
import { createAuthorizer as create, explain, type AuthorizerOptions, type Decision, type Reason } from './engine.js';
import { RbacError, RbacErrorCode } from './errors.js';
import { validateRequest, type AuthzRequest } from './request.js';

export interface TestAuthorizer {
  /** Validates the request (throws RBAC_ERR_INVALID_REQUEST with field paths) and decides, with a trace. */
  check(request: AuthzRequest): Decision;
  /** `explain(check(request))` */
  explain(request: AuthzRequest): string;
}

/**
 * Builds an authorizer for tests from raw AuthorizationPolicy objects (as parsed from YAML/JSON) or validated
 * policies. Default mode `l7`; pass `{ mode: 'l4' }` for ztunnel or `{ mode: 'waypoint' }`.
 */
export function createAuthorizer(policies: readonly unknown[], options: AuthorizerOptions = {}): TestAuthorizer {
  const a = create(policies, options);
  const check = (request: AuthzRequest): Decision => {
    const problems = validateRequest(request, a.mode);
    if (problems.length) throw new RbacError(RbacErrorCode.INVALID_REQUEST, `invalid authorization request: ${problems.join('; ')}`, { details: problems });
    return a.evaluate(request, { trace: true });
  };
  return { check, explain: (request) => explain(check(request)) };
}

export interface Expectation {
  /** `namespace/name` of the deciding policy (null for default decisions). */
  readonly policy?: string | null;
  readonly reason?: Reason;
  readonly ruleIndex?: number | null;
}

function expectDecision(want: 'ALLOW' | 'DENY', authorizer: TestAuthorizer, request: AuthzRequest, expect: Expectation, message?: string): Decision {
  const d = authorizer.check(request);
  const bad: string[] = [];
  if (d.decision !== want) bad.push(`expected ${want}, got ${d.decision}`);
  if (expect.policy !== undefined && d.policy !== expect.policy) bad.push(`expected policy ${String(expect.policy)}, got ${String(d.policy)}`);
  if (expect.reason !== undefined && d.reason !== expect.reason) bad.push(`expected reason ${expect.reason}, got ${d.reason}`);
  if (expect.ruleIndex !== undefined && d.ruleIndex !== expect.ruleIndex) bad.push(`expected rule ${String(expect.ruleIndex)}, got ${String(d.ruleIndex)}`);
  if (bad.length) {
    throw new AssertionError({ message: `${message ? `${message}: ` : ''}${bad.join('; ')}\n${explain(d)}`, actual: d.decision, expected: want, operator: 'authorize' });
  }
  return d;
}

/** Asserts the request is allowed (and optionally by which policy/rule/reason); returns the decision. */
export function assertAllowed(authorizer: TestAuthorizer, request: AuthzRequest, expect: Expectation = {}, message?: string): Decision {
  return expectDecision('ALLOW', authorizer, request, expect, message);
}

/** Asserts the request is denied (and optionally by which policy/rule/reason); returns the decision. */
export function assertDenied(authorizer: TestAuthorizer, request: AuthzRequest, expect: Expectation = {}, message?: string): Decision {
  return expectDecision('DENY', authorizer, request, expect, message);
}

export type { AuthzRequest, Decision, Reason, AuthorizerOptions };
