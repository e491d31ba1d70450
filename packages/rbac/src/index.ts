// Public API of @amesh/rbac. Only what is exported here is public (package.json "exports").
export { RbacError, RbacErrorCode } from './errors.js';
export {
  parsePolicy, parsePolicies, loadPolicies, isPolicy, ruleUsesHttp, isL4WhenKey, whenKeyProblem,
  type Action, type Policy, type Rule, type Source, type Operation, type Condition, type TargetRef,
  type ValidationResult, type PolicySetResult, type ParseOptions,
} from './model.js';
export { validateRequest, MODES, type Mode, type AuthzRequest, type JwtInfo } from './request.js';
export {
  Authorizer, createAuthorizer, explain,
  type AuthorizerOptions, type CacheStats, type CustomProvider, type Decision, type DryRunResult, type PolicyTrace, type Reason,
} from './engine.js';
export {
  toWireAuthorization, workloadPolicyNames, wireScope, wireMatches, toWireStringMatch, isEmptyMatch, emptyMatch, WireAuthorizer,
  WireScopeNumber, WireActionNumber,
  type Authorization, type WireGroup, type WireRules, type WireMatch, type WireStringMatch, type WireAddress,
  type WireServiceAccountMatch, type WireScope, type WireAction, type ConvertOptions, type ConvertResult,
  type WireConnection, type WireWorkload, type WireAuthorizerOptions,
} from './wire.js';
export { normalizePath, parseStringMatcher, matchString, parseCidr, parseIp, cidrContains, compilePathTemplate, type StringMatcher, type Cidr } from './match.js';
