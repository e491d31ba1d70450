// Public API of @amesh/waypoint/router: the VirtualService / DestinationRule router, a pure module (no I/O).
export { compileRouter, Router, Decision, decisionToJSON, applyHeaderOps } from './router.js';
export type { RouteRequest, RouteTarget, DecideOptions, DecisionAction, RouterOptions } from './router.js';
export { loadConfig, resolveShortName } from './validate.js';
export type { LoadOptions, LoadResult } from './validate.js';
export { validateRequest } from './request.js';
export type { RequestValidation } from './request.js';
export { compileRe2, re2RewriteToJs } from './regex.js';
export type { CompiledRegex, RegexResult } from './regex.js';
export { parseDuration, formatDuration } from './duration.js';
export { convertRetryPolicy, defaultRetryPolicy, translateRetryOn, DEFAULT_RETRY_ON } from './retry.js';
export type { RetryPolicy } from './retry.js';
export { createRng, pickWeighted, roundRobin, random, leastRequest, consistentHash, hash32, Balancer } from './lb.js';
export type { Rng, LbPolicy } from './lb.js';
export { Catalog, visibleTo, hostMatches, effectiveTrafficPolicy, endpointPort } from './catalog.js';
export type { Endpoint } from './catalog.js';
export type * from './model.js';
