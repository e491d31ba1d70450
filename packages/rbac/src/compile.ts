// Compiles a policy's rules into predicate trees for one engine: `l4` (ztunnel's view, A5.1) or `l7` (Envoy's view,
// A2 field table, A5.3). A rule is clauses AND'd; a clause is alternatives OR'd; an alternative is predicates AND'd.
// Every predicate carries its field path so a failed match can be explained.
import {
  cidrContains, compilePathTemplate, escapeRegExp, isPathTemplate, lowerMatcher, matchString, parseCidr, parsePort,
  parseStringMatcher, type Cidr, type StringMatcher,
} from './match.js';
import { isL4WhenKey, parseClaimPath, parseHeaderKey, ruleKey, ruleUsesHttp, type Action, type Condition, type Operation, type Policy, type Rule, type Source } from './model.js';
import type { RequestContext } from './request.js';

export type Engine = 'l4' | 'l7';

/**
 * Request attributes a predicate reads (bit set). The decision cache keys a decision on exactly the attributes the
 * applicable policies read, so every predicate must declare what its test looks at.
 */
export const READ_ID = 1; // source.principal (identity, its namespace, service account, trust domain)
export const READ_SRC_IP = 2; // source.ip
export const READ_REMOTE_IP = 4; // source.remoteIp (defaults to source.ip, so both)
export const READ_DST_IP = 8; // destination.ip
export const READ_PORT = 16; // destination.port
export const READ_METHOD = 32; // http.method
export const READ_PATH = 64; // http.path (normalised)
export const READ_HOST = 128; // http.host (lower-cased)
export const READ_HEADER = 256; // one header, named by Pred.header
export const READ_JWT = 512; // http.jwt (not cacheable: claims are arbitrary values)
export const READ_SNI = 1024; // connection.sni

export interface Pred {
  readonly path: string;
  readonly test: (ctx: RequestContext) => boolean;
  /** True when the predicate is false for every request without a peer identity (used to skip groups for plaintext). */
  readonly needsId: boolean;
  /** The request attributes `test` reads (READ_* bits). */
  readonly reads: number;
  /** The lower-case header name `test` reads when `reads` has READ_HEADER, else null. */
  readonly header: string | null;
}
export interface Clause {
  readonly path: string;
  readonly alts: readonly (readonly Pred[])[];
}
export interface CompiledRule {
  readonly index: number;
  readonly clauses: readonly Clause[];
  /** Why this rule can never match in this engine, or null. */
  readonly never: string | null;
  /** Index of an earlier identical rule (same result, so it is not evaluated again), or -1. */
  readonly dupOf: number;
}

export interface CompileOptions {
  readonly engine: Engine;
  /** The mesh trust domain; policy principals written with `cluster.local` also match it (alias). */
  readonly trustDomain: string;
}

type ValueTest = (ctx: RequestContext) => boolean;

/**
 * One function testing a string against a list of matchers (OR): presence, a Set for exact values, then prefix and
 * suffix lists. Same result as `matchers.some((m) => matchString(m, s))`, without a dispatch per value.
 */
export function anyStringMatcher(ms: readonly StringMatcher[]): (s: string) => boolean {
  let presence = false;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  for (const m of ms) {
    if (m.kind === 'presence') presence = true;
    else if (m.kind === 'exact') exact.add(m.value);
    else if (m.kind === 'prefix') prefixes.push(m.value);
    else suffixes.push(m.value);
  }
  if (prefixes.length === 0 && suffixes.length === 0) {
    if (presence) return exact.has('') ? () => true : (s) => s.length > 0;
    if (exact.size === 1) {
      const only = exact.values().next().value as string;
      return (s) => s === only;
    }
    if (exact.size <= SMALL) {
      const list = [...exact];
      return (s) => list.includes(s);
    }
    return (s) => exact.has(s);
  }
  // A few exact values: compared in a list (no hash lookup; most policies list one to three).
  const list = exact.size <= SMALL ? [...exact] : null;
  return (s) => {
    if (presence && s.length > 0) return true;
    if (list !== null ? list.includes(s) : exact.has(s)) return true;
    for (let i = 0; i < prefixes.length; i++) if (s.startsWith(prefixes[i]!)) return true;
    for (let i = 0; i < suffixes.length; i++) if (s.endsWith(suffixes[i]!)) return true;
    return false;
  };
}
const FALSE: ValueTest = () => false;
const SMALL = 4;

function anyOf(tests: ValueTest[]): ValueTest {
  if (tests.length === 1) return tests[0]!;
  return (ctx) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(ctx)) return true;
    return false;
  };
}

function principalTests(values: readonly string[], td: string): ValueTest[] {
  const ms: StringMatcher[] = [];
  for (const v of values) {
    ms.push(parseStringMatcher(v));
    if (td !== 'cluster.local' && v.startsWith('cluster.local/')) ms.push(parseStringMatcher(td + v.slice('cluster.local'.length)));
  }
  const any = anyStringMatcher(ms);
  return [
    (ctx) => {
      const id = ctx.identity;
      return id !== null && any(id.principal);
    },
  ];
}

/** L4 namespaces: Istio string syntax on the identity's namespace ('' for plaintext). */
function namespaceTestsL4(values: readonly string[]): ValueTest[] {
  const any = anyStringMatcher(values.map(parseStringMatcher));
  return [(ctx) => any(ctx.identity?.namespace ?? '')];
}

/** L7 namespaces: regex `.*\/ns\/<value, * → .*>\/.*` on the principal (a glob). */
function namespaceTestsL7(values: readonly string[]): ValueTest[] {
  const re = new RegExp(`^(?:${values.map((v) => `.*/ns/${v.split('*').map(escapeRegExp).join('.*')}/.*`).join('|')})$`);
  if (values.some((v) => v.includes('*'))) return [(ctx) => ctx.identity !== null && re.test(ctx.identity.principal)];
  // Without globs the regex holds exactly when the principal contains `/ns/<value>/` and no line terminator (which
  // `.` does not match); only principals with one need the regex.
  const needles = values.map((v) => `/ns/${v}/`);
  return [
    (ctx) => {
      const id = ctx.identity;
      if (id === null) return false;
      const p = id.principal;
      for (let i = 0; i < needles.length; i++) {
        if (p.includes(needles[i]!)) return LINE_TERMINATOR.test(p) ? re.test(p) : true;
      }
      return false;
    },
  ];
}
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

function serviceAccountTests(values: readonly string[], policyNs: string, engine: Engine): ValueTest[] {
  const sas = values.map((v) => {
    const i = v.indexOf('/');
    return i < 0 ? { ns: policyNs, sa: v } : { ns: v.slice(0, i), sa: v.slice(i + 1) };
  });
  if (engine === 'l4') {
    return [
      (ctx) => {
        const id = ctx.identity;
        if (id === null) return false;
        for (const s of sas) if (id.namespace === s.ns && id.serviceAccount === s.sa) return true;
        return false;
      },
    ];
  }
  const re = new RegExp(`^(?:${sas.map((s) => `.+/ns/${escapeRegExp(s.ns)}/(?:.+/|)sa/${escapeRegExp(s.sa)}(?:/.+)?`).join('|')})$`);
  return [(ctx) => ctx.identity !== null && re.test(ctx.identity.principal)];
}

function trustDomainTests(values: readonly string[]): ValueTest[] {
  const ms = values.map(parseStringMatcher);
  return [
    (ctx) => {
      const id = ctx.identity;
      if (id === null) return false;
      for (const m of ms) if (matchString(m, id.trustDomain)) return true;
      return false;
    },
  ];
}

function cidrTests(values: readonly string[], get: (ctx: RequestContext) => Uint8Array | null): ValueTest[] {
  const cidrs = values.map(parseCidr).filter((c): c is Cidr => c !== null);
  if (cidrs.length === 0) return [FALSE];
  return [
    (ctx) => {
      const ip = get(ctx);
      if (ip === null) return false;
      for (let i = 0; i < cidrs.length; i++) if (cidrContains(cidrs[i]!, ip)) return true;
      return false;
    },
  ];
}

function portTests(values: readonly string[]): ValueTest[] {
  const ports = values.map(parsePort).filter((p): p is number => p !== null);
  if (ports.length === 0) return [FALSE];
  if (ports.length === 1) {
    const only = ports[0]!;
    return [(ctx) => ctx.dstPort === only];
  }
  return [
    (ctx) => {
      const p = ctx.dstPort;
      return p !== null && ports.includes(p);
    },
  ];
}

function stringTests(values: readonly string[], get: (ctx: RequestContext) => string | null, lower = false): ValueTest[] {
  const any = anyStringMatcher(values.map((v) => (lower ? lowerMatcher(parseStringMatcher(v)) : parseStringMatcher(v))));
  return [
    (ctx) => {
      const s = get(ctx);
      return s !== null && any(s);
    },
  ];
}

function requestPrincipalTests(values: readonly string[]): ValueTest[] {
  return values.map((v): ValueTest => {
    const m = parseStringMatcher(v);
    if (m.kind === 'exact') {
      const i = v.lastIndexOf('/');
      if (i < 0) return FALSE;
      const iss = v.slice(0, i);
      const sub = v.slice(i + 1);
      return (ctx) => {
        const j = ctx.jwt;
        return j !== null && j.issuer === iss && j.subject === sub;
      };
    }
    return (ctx) => {
      const j = ctx.jwt;
      return j !== null && matchString(m, `${j.issuer}/${j.subject}`);
    };
  });
}

function pathTests(values: readonly string[]): ValueTest[] {
  return values.map((v): ValueTest => {
    if (isPathTemplate(v)) {
      const re = compilePathTemplate(v);
      return (ctx) => {
        const p = ctx.path;
        return p.ok && re.test(p.path);
      };
    }
    const m = parseStringMatcher(v);
    return (ctx) => {
      const p = ctx.path;
      return p.ok && matchString(m, p.path);
    };
  });
}

function headerTests(name: string, values: readonly string[]): ValueTest[] {
  const lname = name.toLowerCase();
  return values.map((v): ValueTest => {
    if (v === '*') return (ctx) => ctx.header(lname) !== null;
    const m = parseStringMatcher(v);
    return (ctx) => {
      const h = ctx.header(lname);
      return h !== null && matchString(m, h);
    };
  });
}

function claimTests(path: string[], values: readonly string[]): ValueTest[] {
  const ms = values.map(parseStringMatcher);
  return [
    (ctx) => {
      const j = ctx.jwt;
      if (j === null || !j.claims) return false;
      let cur: unknown = j.claims;
      for (const p of path) {
        if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return false;
        cur = (cur as Record<string, unknown>)[p];
      }
      const list = typeof cur === 'string' ? [cur] : Array.isArray(cur) ? cur.filter((x): x is string => typeof x === 'string') : [];
      for (const s of list) for (const m of ms) if (matchString(m, s)) return true;
      return false;
    },
  ];
}

/** Value tests for one `when` key (L7 engine: every supported key). */
function whenTestsL7(key: string, values: readonly string[], policy: Policy, opts: CompileOptions): ValueTest[] {
  switch (key) {
    case 'source.ip':
      return cidrTests(values, (c) => c.srcIp);
    case 'remote.ip':
      return cidrTests(values, (c) => c.remoteIp);
    case 'destination.ip':
      return cidrTests(values, (c) => c.dstIp);
    case 'destination.port':
      return portTests(values);
    case 'source.namespace':
      return namespaceTestsL7(values);
    case 'source.principal':
      return principalTests(values, opts.trustDomain);
    case 'source.serviceAccount':
      return serviceAccountTests(values, policy.namespace, 'l7');
    case 'source.trustDomain':
      return trustDomainTests(values);
    case 'request.auth.principal':
      return requestPrincipalTests(values);
    case 'request.auth.presenter':
      return stringTests(values, (c) => c.jwt?.presenter ?? null);
    case 'request.auth.audiences': {
      const ms = values.map(parseStringMatcher);
      return [(c) => (c.jwt?.audiences ?? []).some((a) => ms.some((m) => matchString(m, a)))];
    }
    case 'connection.sni':
      return stringTests(values, (c) => c.sni);
  }
  if (key.startsWith('request.headers')) return headerTests(parseHeaderKey(key) ?? '', values);
  if (key.startsWith('request.auth.claims')) return claimTests(parseClaimPath(key) ?? [], values);
  // experimental.envoy.filters.*: dynamic metadata this engine never has, so a value never matches.
  return [FALSE];
}

function whenTestsL4(key: string, values: readonly string[], opts: CompileOptions): ValueTest[] {
  switch (key) {
    case 'source.ip':
      return cidrTests(values, (c) => c.srcIp);
    case 'destination.ip':
      return cidrTests(values, (c) => c.dstIp);
    case 'destination.port':
      return portTests(values);
    case 'source.namespace':
      return namespaceTestsL4(values);
    default:
      return principalTests(values, opts.trustDomain);
  }
}

function field(path: string, tests: ValueTest[], negate: boolean, needsId: boolean, reads: number, header: string | null = null): Pred {
  const t = anyOf(tests);
  return { path, test: negate ? (ctx) => !t(ctx) : t, needsId: needsId && !negate, reads, header };
}

/** What the value tests of a `when` key read (mirrors whenTestsL4 / whenTestsL7). */
function whenReads(key: string, engine: Engine): { reads: number; header: string | null } {
  const r = (reads: number, header: string | null = null) => ({ reads, header });
  switch (key) {
    case 'source.ip':
      return r(READ_SRC_IP);
    case 'destination.ip':
      return r(READ_DST_IP);
    case 'destination.port':
      return r(READ_PORT);
  }
  if (engine === 'l4') return r(READ_ID); // source.namespace, or a principal key
  switch (key) {
    case 'remote.ip':
      return r(READ_REMOTE_IP);
    case 'source.namespace':
    case 'source.principal':
    case 'source.serviceAccount':
    case 'source.trustDomain':
      return r(READ_ID);
    case 'connection.sni':
      return r(READ_SNI);
  }
  if (key.startsWith('request.auth.')) return r(READ_JWT);
  if (key.startsWith('request.headers')) return r(READ_HEADER, (parseHeaderKey(key) ?? '').toLowerCase());
  return r(0); // experimental.envoy.filters.*: constant
}

/** True when none of the values can match the empty string (so a plaintext request, namespace '', never matches). */
const noneMatchEmpty = (values: readonly string[]) => values.every((v) => !matchString(parseStringMatcher(v), ''));

function sourcePreds(s: Source, path: string, policy: Policy, opts: CompileOptions): Pred[] {
  const out: Pred[] = [];
  const l4 = opts.engine === 'l4';
  const td = opts.trustDomain;
  const at = (f: string) => `${path}.${f}`;
  // Positive fields first, then negative ones (the order explain() reports the first failure in).
  if (s.principals.length) out.push(field(at('principals'), principalTests(s.principals, td), false, true, READ_ID));
  if (s.namespaces.length) out.push(field(at('namespaces'), l4 ? namespaceTestsL4(s.namespaces) : namespaceTestsL7(s.namespaces), false, !l4 || noneMatchEmpty(s.namespaces), READ_ID));
  if (s.serviceAccounts.length) out.push(field(at('serviceAccounts'), serviceAccountTests(s.serviceAccounts, policy.namespace, opts.engine), false, true, READ_ID));
  if (s.ipBlocks.length) out.push(field(at('ipBlocks'), cidrTests(s.ipBlocks, (c) => c.srcIp), false, false, READ_SRC_IP));
  if (!l4) {
    // HTTP-only and trust-domain fields are removed at L4 (A5.1).
    if (s.remoteIpBlocks.length) out.push(field(at('remoteIpBlocks'), cidrTests(s.remoteIpBlocks, (c) => c.remoteIp), false, false, READ_REMOTE_IP));
    if (s.requestPrincipals.length) out.push(field(at('requestPrincipals'), requestPrincipalTests(s.requestPrincipals), false, false, READ_JWT));
    if (s.trustDomains.length) out.push(field(at('trustDomains'), trustDomainTests(s.trustDomains), false, true, READ_ID));
  }
  if (s.notPrincipals.length) out.push(field(at('notPrincipals'), principalTests(s.notPrincipals, td), true, false, READ_ID));
  if (s.notNamespaces.length) out.push(field(at('notNamespaces'), l4 ? namespaceTestsL4(s.notNamespaces) : namespaceTestsL7(s.notNamespaces), true, false, READ_ID));
  if (s.notServiceAccounts.length) out.push(field(at('notServiceAccounts'), serviceAccountTests(s.notServiceAccounts, policy.namespace, opts.engine), true, false, READ_ID));
  if (s.notIpBlocks.length) out.push(field(at('notIpBlocks'), cidrTests(s.notIpBlocks, (c) => c.srcIp), true, false, READ_SRC_IP));
  if (!l4) {
    if (s.notRemoteIpBlocks.length) out.push(field(at('notRemoteIpBlocks'), cidrTests(s.notRemoteIpBlocks, (c) => c.remoteIp), true, false, READ_REMOTE_IP));
    if (s.notRequestPrincipals.length) out.push(field(at('notRequestPrincipals'), requestPrincipalTests(s.notRequestPrincipals), true, false, READ_JWT));
    if (s.notTrustDomains.length) out.push(field(at('notTrustDomains'), trustDomainTests(s.notTrustDomains), true, false, READ_ID));
  }
  return out;
}

function operationPreds(o: Operation, path: string, opts: CompileOptions): Pred[] {
  const out: Pred[] = [];
  const l4 = opts.engine === 'l4';
  const add = (f: keyof Operation, tests: () => ValueTest[], neg: boolean, reads: number) => {
    if (o[f].length === 0) return;
    if (l4 && f !== 'ports' && f !== 'notPorts') return; // removed at L4 (A5.1)
    out.push(field(`${path}.${f}`, tests(), neg, false, reads));
  };
  add('ports', () => portTests(o.ports), false, READ_PORT);
  add('notPorts', () => portTests(o.notPorts), true, READ_PORT);
  add('hosts', () => stringTests(o.hosts, (c) => c.host, true), false, READ_HOST);
  add('notHosts', () => stringTests(o.notHosts, (c) => c.host, true), true, READ_HOST);
  add('methods', () => stringTests(o.methods, (c) => c.method), false, READ_METHOD);
  add('notMethods', () => stringTests(o.notMethods, (c) => c.method), true, READ_METHOD);
  add('paths', () => pathTests(o.paths), false, READ_PATH);
  add('notPaths', () => pathTests(o.notPaths), true, READ_PATH);
  return out;
}

function conditionPreds(w: Condition, path: string, policy: Policy, opts: CompileOptions): Pred[] {
  if (opts.engine === 'l4' && !isL4WhenKey(w.key)) return []; // an L7 key gives an empty Match at L4
  const get = (vs: readonly string[]) => (opts.engine === 'l4' ? whenTestsL4(w.key, vs, opts) : whenTestsL7(w.key, vs, policy, opts));
  const out: Pred[] = [];
  const needsId = ['source.principal', 'source.serviceAccount', 'source.trustDomain'].includes(w.key) || (w.key === 'source.namespace' && (opts.engine === 'l7' || noneMatchEmpty(w.values)));
  const { reads, header } = whenReads(w.key, opts.engine);
  if (w.values.length) out.push(field(`${path}.values`, get(w.values), false, needsId, reads, header));
  if (w.notValues.length) out.push(field(`${path}.notValues`, get(w.notValues), true, false, reads, header));
  return out;
}

const CUSTOM_UNSUPPORTED_SOURCE: readonly (keyof Source)[] = [
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces',
  'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains',
];
function customUnsupported(rule: Rule): string | null {
  for (const [i, s] of (rule.from ?? []).entries()) for (const f of CUSTOM_UNSUPPORTED_SOURCE) if (s[f].length) return `from[${i}].source.${f}`;
  for (const [i, w] of (rule.when ?? []).entries()) {
    if (['source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal'].includes(w.key) || w.key.startsWith('request.auth.')) return `when[${i}] (${w.key})`;
  }
  return null;
}

/** Compiles one rule for an engine. `action` decides the L4 treatment of HTTP attributes (A5.1). */
export function compileRule(rule: Rule, index: number, policy: Policy, action: Action, opts: CompileOptions): CompiledRule {
  const base = `rules[${index}]`;
  if (action === 'CUSTOM') {
    const bad = customUnsupported(rule);
    if (bad) return { index, clauses: [], never: `${base}.${bad} is not supported with the CUSTOM action, so the rule is skipped`, dupOf: -1 };
  }
  if (opts.engine === 'l4' && action === 'ALLOW' && ruleUsesHttp(rule)) {
    return { index, clauses: [], never: `${base} uses HTTP attributes; at L4 (ztunnel) such rules are dropped from ALLOW policies`, dupOf: -1 };
  }
  const clauses: Clause[] = [];
  let never: string | null = null;
  const addClause = (path: string, entries: Pred[][]) => {
    const alts = entries.filter((e) => e.length > 0);
    if (alts.length === 0 && never === null) never = `${base}.${path} has only HTTP attributes, which ztunnel removes; the clause can never match at L4`;
    clauses.push({ path: `${base}.${path}`, alts });
  };
  if (rule.from) addClause('from', rule.from.map((s, i) => sourcePreds(s, `${base}.from[${i}].source`, policy, opts)));
  if (rule.to) addClause('to', rule.to.map((o, i) => operationPreds(o, `${base}.to[${i}].operation`, opts)));
  if (rule.when) rule.when.forEach((w, i) => addClause(`when[${i}]`, [conditionPreds(w, `${base}.when[${i}]`, policy, opts)]));
  return { index, clauses, never, dupOf: -1 };
}

/** The READ_* bits and header names the rules of a list read. */
export function rulesReads(rules: readonly CompiledRule[], headers: Set<string>): number {
  let reads = 0;
  for (const r of rules) {
    if (r.never !== null || r.dupOf >= 0) continue;
    for (const c of r.clauses) {
      for (const alt of c.alts) {
        for (const p of alt) {
          reads |= p.reads;
          if (p.header !== null) headers.add(p.header);
        }
      }
    }
  }
  return reads;
}

/** True when no rule of the list can match a request without a peer identity. */
export function rulesNeedIdentity(rules: readonly CompiledRule[]): boolean {
  return rules.every((r) => r.never !== null || r.dupOf >= 0 || r.clauses.some((c) => c.alts.length > 0 && c.alts.every((alt) => alt.some((p) => p.needsId))));
}

/** Compiles every rule of a policy; identical rules point at the first one (`dupOf`). */
export function compileRules(policy: Policy, opts: CompileOptions): CompiledRule[] {
  if (policy.rules.length === 1) return [compileRule(policy.rules[0]!, 0, policy, policy.action, opts)];
  const seen = new Map<string, number>();
  return policy.rules.map((r, i) => {
    const key = ruleKey(r);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return compileRule(r, i, policy, policy.action, opts);
    }
    return { index: i, clauses: [], never: null, dupOf: first };
  });
}

/** First failing predicate path of an alternative, or null when it passes. */
function failingPred(alt: readonly Pred[], ctx: RequestContext): string | null {
  for (let i = 0; i < alt.length; i++) if (!alt[i]!.test(ctx)) return alt[i]!.path;
  return null;
}

/** Evaluates a compiled rule. Hot path: no allocation. */
export function ruleMatches(r: CompiledRule, ctx: RequestContext): boolean {
  if (r.never !== null) return false;
  const cs = r.clauses;
  for (let c = 0; c < cs.length; c++) {
    const alts = cs[c]!.alts;
    let ok = false;
    for (let a = 0; a < alts.length && !ok; a++) {
      const alt = alts[a]!;
      let all = true;
      for (let p = 0; p < alt.length; p++) {
        if (!alt[p]!.test(ctx)) {
          all = false;
          break;
        }
      }
      ok = all;
    }
    if (!ok) return false;
  }
  return true;
}

/** Why a rule did not match (for explain), or null when it matches. */
export function ruleFailure(r: CompiledRule, ctx: RequestContext): string | null {
  if (r.never !== null) return r.never;
  for (const c of r.clauses) {
    const fails: string[] = [];
    let ok = false;
    for (const alt of c.alts) {
      const f = failingPred(alt, ctx);
      if (f === null) {
        ok = true;
        break;
      }
      fails.push(f);
    }
    if (!ok) return fails.length === 1 ? `${fails[0]} did not match` : `none of ${c.path} matched (${fails.join('; ')})`;
  }
  return null;
}

/** Index of the first matching rule, or -1. Rules marked `dupOf` are skipped (an identical earlier rule failed). */
export function firstMatchingRule(rules: readonly CompiledRule[], ctx: RequestContext): number {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.dupOf >= 0) continue;
    if (ruleMatches(r, ctx)) return r.index;
  }
  return -1;
}
