// The Workload API wire form: `istio.security.Authorization` (ambient-protocols §4.4) as plain objects whose field
// names mirror the proto (protobufjs camelCase), istiod's conversion of an AuthorizationPolicy into it
// (`ambient/authorization.go convertAuthorizationPolicy` / `handleRule`, A5.1), and ztunnel's evaluation of it
// (`rbac.rs Authorization::matches`, `state.rs assert_rbac`).
import { cidrContains, matchString, parseCidr, parseIp, parsePort, parseStringMatcher, type StringMatcher } from './match.js';
import { isL4WhenKey, ruleUsesHttp, type Condition, type Operation, type Policy, type Source } from './model.js';
import { IdentityCache, keyPart, parseIdentity, type Identity } from './request.js';
import type { CacheStats, Decision, DryRunResult } from './engine.js';

/** `istio.security.StringMatch` (oneof match_type). `presence` is `google.protobuf.Empty`. */
export type WireStringMatch = { exact: string } | { prefix: string } | { suffix: string } | { presence: Record<string, never> };
/** `istio.security.Address`: `address` is 4 or 16 bytes, `length` the prefix length. */
export interface WireAddress {
  address: Uint8Array;
  length: number;
}
/** `istio.security.ServiceAccountMatch` */
export interface WireServiceAccountMatch {
  namespace: string;
  serviceAccount: string;
}
/** `istio.security.Match` (ztunnel: RbacMatch). Every field is a repeated field; empty lists are "unset". */
export interface WireMatch {
  namespaces: WireStringMatch[];
  notNamespaces: WireStringMatch[];
  serviceAccounts: WireServiceAccountMatch[];
  notServiceAccounts: WireServiceAccountMatch[];
  principals: WireStringMatch[];
  notPrincipals: WireStringMatch[];
  sourceIps: WireAddress[];
  notSourceIps: WireAddress[];
  destinationIps: WireAddress[];
  notDestinationIps: WireAddress[];
  destinationPorts: number[];
  notDestinationPorts: number[];
}
/** `istio.security.Rules` (ztunnel: Clause): its matches are OR'd. */
export interface WireRules {
  matches: WireMatch[];
}
/** `istio.security.Group` (ztunnel: Rule): its rules (clauses) are AND'd. */
export interface WireGroup {
  rules: WireRules[];
}
export type WireScope = 'GLOBAL' | 'NAMESPACE' | 'WORKLOAD_SELECTOR';
export type WireAction = 'ALLOW' | 'DENY';
/** Proto enum numbers, for encoders that want numbers. */
export const WireScopeNumber: Readonly<Record<WireScope, number>> = { GLOBAL: 0, NAMESPACE: 1, WORKLOAD_SELECTOR: 2 };
export const WireActionNumber: Readonly<Record<WireAction, number>> = { ALLOW: 0, DENY: 1 };

/** `istio.security.Authorization`. The xDS resource name is `namespace/name`. */
export interface Authorization {
  name: string;
  namespace: string;
  scope: WireScope;
  action: WireAction;
  /** Groups are OR'd; an empty list never matches. */
  groups: WireGroup[];
  dryRun: boolean;
}

export interface ConvertOptions {
  /** meshConfig rootNamespace (GLOBAL scope). Default `istio-system`. */
  readonly rootNamespace?: string;
  /** istiod AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY. Default false: dry-run policies are not sent. */
  readonly enableDryRun?: boolean;
}

/** The converted policy (null when istiod sends nothing to ztunnel) and the status messages istiod would set. */
export interface ConvertResult {
  readonly authorization: Authorization | null;
  readonly status: readonly string[];
}

export const emptyMatch = (): WireMatch => ({
  namespaces: [], notNamespaces: [], serviceAccounts: [], notServiceAccounts: [], principals: [], notPrincipals: [],
  sourceIps: [], notSourceIps: [], destinationIps: [], notDestinationIps: [], destinationPorts: [], notDestinationPorts: [],
});

/** Policy value → StringMatch (`*` presence, `*x` suffix, `x*` prefix, exact). */
export function toWireStringMatch(v: string): WireStringMatch {
  const m = parseStringMatcher(v);
  switch (m.kind) {
    case 'presence':
      return { presence: {} };
    case 'prefix':
      return { prefix: m.value };
    case 'suffix':
      return { suffix: m.value };
    default:
      return { exact: m.value };
  }
}

function addresses(values: readonly string[]): WireAddress[] {
  const out: WireAddress[] = [];
  for (const v of values) {
    const c = parseCidr(v);
    if (c) out.push({ address: c.bytes, length: c.length }); // unparsable values are silently dropped
  }
  return out;
}
function ports(values: readonly string[]): number[] {
  return values.map(parsePort).filter((p): p is number => p !== null);
}
function serviceAccounts(values: readonly string[], ns: string): WireServiceAccountMatch[] {
  return values.map((v) => {
    const i = v.indexOf('/');
    return i < 0 ? { namespace: ns, serviceAccount: v } : { namespace: v.slice(0, i), serviceAccount: v.slice(i + 1) };
  });
}

function sourceMatch(s: Source, ns: string): WireMatch {
  const m = emptyMatch();
  m.sourceIps = addresses(s.ipBlocks);
  m.notSourceIps = addresses(s.notIpBlocks);
  m.namespaces = s.namespaces.map(toWireStringMatch);
  m.notNamespaces = s.notNamespaces.map(toWireStringMatch);
  m.serviceAccounts = serviceAccounts(s.serviceAccounts, ns);
  m.notServiceAccounts = serviceAccounts(s.notServiceAccounts, ns);
  m.principals = s.principals.map(toWireStringMatch);
  m.notPrincipals = s.notPrincipals.map(toWireStringMatch);
  return m;
}
function operationMatch(o: Operation): WireMatch {
  const m = emptyMatch();
  m.destinationPorts = ports(o.ports);
  m.notDestinationPorts = ports(o.notPorts);
  return m;
}
function conditionMatch(w: Condition): WireMatch {
  const m = emptyMatch();
  if (!isL4WhenKey(w.key)) return m; // an L7 key gives an empty Match
  switch (w.key) {
    case 'source.ip':
      m.sourceIps = addresses(w.values);
      m.notSourceIps = addresses(w.notValues);
      break;
    case 'source.namespace':
      m.namespaces = w.values.map(toWireStringMatch);
      m.notNamespaces = w.notValues.map(toWireStringMatch);
      break;
    case 'source.principal':
      m.principals = w.values.map(toWireStringMatch);
      m.notPrincipals = w.notValues.map(toWireStringMatch);
      break;
    case 'destination.ip':
      m.destinationIps = addresses(w.values);
      m.notDestinationIps = addresses(w.notValues);
      break;
    case 'destination.port':
      m.destinationPorts = ports(w.values);
      m.notDestinationPorts = ports(w.notValues);
      break;
  }
  return m;
}

/** True when every field of a Match is empty (ztunnel skips such a Match: it matches nothing). */
export function isEmptyMatch(m: WireMatch): boolean {
  return (
    m.namespaces.length === 0 && m.notNamespaces.length === 0 && m.serviceAccounts.length === 0 && m.notServiceAccounts.length === 0 &&
    m.principals.length === 0 && m.notPrincipals.length === 0 && m.sourceIps.length === 0 && m.notSourceIps.length === 0 &&
    m.destinationIps.length === 0 && m.notDestinationIps.length === 0 && m.destinationPorts.length === 0 && m.notDestinationPorts.length === 0
  );
}

/** The scope istiod gives a policy (A4): selector → WORKLOAD_SELECTOR; root namespace → GLOBAL; else NAMESPACE. */
export function wireScope(p: Policy, rootNamespace = 'istio-system'): WireScope {
  if (p.selector !== null) return 'WORKLOAD_SELECTOR';
  return p.namespace === rootNamespace ? 'GLOBAL' : 'NAMESPACE';
}

/**
 * Converts a policy into what istiod sends to ztunnel, or null (targetRefs, CUSTOM, AUDIT, dry-run without the flag),
 * with the status messages istiod would set.
 */
export function toWireAuthorization(p: Policy, options: ConvertOptions = {}): ConvertResult {
  const root = options.rootNamespace ?? 'istio-system';
  if (p.targetRefs.length > 0) return { authorization: null, status: [] }; // "TargetRef is not intended for ztunnel"
  if (p.action === 'CUSTOM' || p.action === 'AUDIT') return { authorization: null, status: [`ztunnel does not support the ${p.action} action`] };
  if (p.dryRun && options.enableDryRun !== true) return { authorization: null, status: ["ztunnel does not support dry-run authorization policies: support for ambient dry-run authorizationPolicies isn't enabled"] };
  const status = new Set<string>();
  const groups: WireGroup[] = [];
  let enforceable = 0;
  for (const rule of p.rules) {
    const http = ruleUsesHttp(rule);
    if (p.action === 'ALLOW' && http) {
      status.add('Within an ALLOW policy, rules matching HTTP attributes are omitted. This will be more restrictive than requested.');
      continue;
    }
    const clauses: WireRules[] = [];
    if (rule.to) clauses.push({ matches: rule.to.map(operationMatch) });
    if (rule.from) clauses.push({ matches: rule.from.map((s) => sourceMatch(s, p.namespace)) });
    if (rule.when) for (const w of rule.when) clauses.push({ matches: [conditionMatch(w)] });
    const canMatch = clauses.every((c) => c.matches.length === 0 || c.matches.some((m) => !isEmptyMatch(m)));
    if (canMatch) enforceable++;
    if (p.action === 'DENY' && http && canMatch) status.add('DENY policy with HTTP attributes is enforced without the HTTP rules. This will be more restrictive than requested.');
    groups.push({ rules: clauses });
  }
  if (p.action === 'DENY' && enforceable === 0) status.add('After omitting unsupported HTTP attributes, this DENY policy has no enforceable rules at ztunnel and will have no effect.');
  return {
    authorization: { name: p.name, namespace: p.namespace, scope: wireScope(p, root), action: p.action === 'DENY' ? 'DENY' : 'ALLOW', groups, dryRun: p.dryRun },
    status: [...status],
  };
}

/**
 * The names (`namespace/name`) istiod lists in `Workload.authorization_policies` for a workload: the converted
 * WORKLOAD_SELECTOR policies of its namespace or the root namespace whose matchLabels are a subset of its labels.
 */
export function workloadPolicyNames(policies: readonly Policy[], workload: { namespace: string; labels?: Readonly<Record<string, string>> }, options: ConvertOptions = {}): string[] {
  const root = options.rootNamespace ?? 'istio-system';
  const labels = workload.labels ?? {};
  const out: string[] = [];
  for (const p of policies) {
    if (p.selector === null || p.targetRefs.length > 0 || p.action === 'CUSTOM' || p.action === 'AUDIT') continue;
    if (p.dryRun && options.enableDryRun !== true) continue;
    if (p.namespace !== workload.namespace && p.namespace !== root) continue;
    if (Object.entries(p.selector).every(([k, v]) => labels[k] === v)) out.push(p.key);
  }
  return out;
}

// ---- ztunnel's evaluation -----------------------------------------------------------------------------------

/** What ztunnel knows about an inbound connection (`rbac::Connection`). */
export interface WireConnection {
  /** Peer identity without `spiffe://`, null for plaintext. */
  readonly srcIdentity: string | null;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly dstPort: number;
}
/** The destination workload: its namespace and `authorization_policies` names. */
export interface WireWorkload {
  readonly namespace: string;
  readonly authorizationPolicies: readonly string[];
}

interface ConnCtx {
  id: Identity | null;
  src: Uint8Array | null;
  dst: Uint8Array | null;
  port: number;
}

interface CMatch {
  ns: StringMatcher[];
  notNs: StringMatcher[];
  sa: WireServiceAccountMatch[];
  notSa: WireServiceAccountMatch[];
  pr: StringMatcher[];
  notPr: StringMatcher[];
  sip: WireAddress[];
  notSip: WireAddress[];
  dip: WireAddress[];
  notDip: WireAddress[];
  dp: number[];
  notDp: number[];
  empty: boolean;
}
type CGroup = CMatch[][]; // clauses of matches
interface CAuth {
  readonly auth: Authorization;
  readonly key: string;
  readonly groups: CGroup[];
}

function fromWireStringMatch(m: WireStringMatch): StringMatcher {
  if ('exact' in m) return { kind: 'exact', value: m.exact };
  if ('prefix' in m) return { kind: 'prefix', value: m.prefix };
  if ('suffix' in m) return { kind: 'suffix', value: m.suffix };
  return { kind: 'presence' };
}
function compileMatch(m: WireMatch): CMatch {
  return {
    ns: m.namespaces.map(fromWireStringMatch), notNs: m.notNamespaces.map(fromWireStringMatch), sa: m.serviceAccounts, notSa: m.notServiceAccounts,
    pr: m.principals.map(fromWireStringMatch), notPr: m.notPrincipals.map(fromWireStringMatch), sip: m.sourceIps, notSip: m.notSourceIps,
    dip: m.destinationIps, notDip: m.notDestinationIps, dp: m.destinationPorts, notDp: m.notDestinationPorts, empty: isEmptyMatch(m),
  };
}

const principalOk = (ms: StringMatcher[], c: ConnCtx) => c.id !== null && ms.some((m) => matchString(m, c.id!.principal));
const namespaceOk = (ms: StringMatcher[], c: ConnCtx) => ms.some((m) => matchString(m, c.id?.namespace ?? ''));
const saOk = (ss: WireServiceAccountMatch[], c: ConnCtx) => c.id !== null && ss.some((s) => s.namespace === c.id!.namespace && s.serviceAccount === c.id!.serviceAccount);
const ipOk = (as: WireAddress[], ip: Uint8Array | null) => ip !== null && as.some((a) => cidrContains({ bytes: a.address, length: a.length }, ip));

/** ztunnel `matches_internal`: every populated field holds; positive lists need a hit, negative lists none. */
function matchOk(m: CMatch, c: ConnCtx): boolean {
  if (m.ns.length && !namespaceOk(m.ns, c)) return false;
  if (m.notNs.length && namespaceOk(m.notNs, c)) return false;
  if (m.sa.length && !saOk(m.sa, c)) return false;
  if (m.notSa.length && saOk(m.notSa, c)) return false;
  if (m.pr.length && !principalOk(m.pr, c)) return false;
  if (m.notPr.length && principalOk(m.notPr, c)) return false;
  if (m.sip.length && !ipOk(m.sip, c.src)) return false;
  if (m.notSip.length && ipOk(m.notSip, c.src)) return false;
  if (m.dip.length && !ipOk(m.dip, c.dst)) return false;
  if (m.notDip.length && ipOk(m.notDip, c.dst)) return false;
  if (m.dp.length && !m.dp.includes(c.port)) return false;
  if (m.notDp.length && m.notDp.includes(c.port)) return false;
  return true;
}

/** ztunnel `Authorization::matches`: `[]` false; a group with no clauses true; a clause with no matches true; empty Matches skipped. Returns the group index or -1. */
function authMatches(groups: CGroup[], c: ConnCtx): number {
  for (let g = 0; g < groups.length; g++) {
    let all = true;
    for (const clause of groups[g]!) {
      if (clause.length === 0) continue;
      let any = false;
      for (const m of clause) {
        if (m.empty) continue;
        if (matchOk(m, c)) {
          any = true;
          break;
        }
      }
      if (!any) {
        all = false;
        break;
      }
    }
    if (all) return g;
  }
  return -1;
}

/** Raw ztunnel algebra on one Authorization (for tests and tools): true when it matches the connection. */
export function wireMatches(auth: Authorization, conn: WireConnection): boolean {
  return authMatches(auth.groups.map((g) => g.rules.map((r) => r.matches.map(compileMatch))), connCtx(conn)) >= 0;
}

function connCtx(conn: WireConnection): ConnCtx {
  const p = conn.srcIdentity;
  return { id: p ? parseIdentity(p.startsWith('spiffe://') ? p.slice(9) : p) : null, src: parseIp(conn.srcIp), dst: parseIp(conn.dstIp), port: conn.dstPort };
}

/**
 * ztunnel's policy store and `assert_rbac`: holds Authorizations indexed as ztunnel does (GLOBAL under "",
 * NAMESPACE under their namespace, all by `namespace/name`) and decides for a connection to a workload.
 */
interface Unit {
  readonly groups: CGroup[];
  readonly members: CAuth[];
  readonly dryRun: boolean;
  readonly action: WireAction;
  /** No group can match a connection without a peer identity. */
  readonly needsId: boolean;
}

const mNeedsId = (m: CMatch) => m.sa.length > 0 || m.pr.length > 0 || (m.ns.length > 0 && m.ns.every((x) => !matchString(x, '')));
/** True when no group of an Authorization can match a plaintext connection. */
function groupsNeedId(groups: CGroup[]): boolean {
  return groups.every((g) => g.some((clause) => clause.length > 0 && clause.every((m) => m.empty || mNeedsId(m))));
}

interface UnitLists {
  readonly deny: Unit[];
  /** DENY units that can match without a peer identity (plaintext connections scan only these). */
  readonly denyAnon: Unit[];
  readonly allow: Unit[];
  readonly dry: Unit[];
}

/** `WireAuthorizer` options. */
export interface WireAuthorizerOptions {
  /**
   * Most decisions the decision cache holds; 0 (the default) turns it off. Keyed on (workload namespace, its
   * `authorizationPolicies` names, source identity, source IP, destination IP, destination port) — everything
   * `check` reads; cleared at once when full. The authorizer is immutable: a policy update is a new authorizer with
   * an empty cache.
   */
  readonly decisionCacheSize?: number;
}

export class WireAuthorizer {
  private readonly byKey = new Map<string, CAuth>();
  /** NAMESPACE policies by namespace, GLOBAL under ""; policies with identical bodies share one unit. */
  private readonly byNs = new Map<string, UnitLists>();
  private readonly ids = new IdentityCache();
  private readonly cacheMax: number;
  /** Frozen decisions by key (see WireAuthorizerOptions, `keyPart`). */
  private cache = new Map<string, Decision>();
  private entries = 0;
  private hits = 0;
  private misses = 0;
  private uncached = 0;
  private clears = 0;

  constructor(authorizations: readonly Authorization[], options: WireAuthorizerOptions = {}) {
    const size = options.decisionCacheSize ?? 0;
    this.cacheMax = Number.isFinite(size) && size > 0 ? Math.floor(size) : 0;
    const cache = new Map<string, CGroup[]>();
    const units = new Map<string, Unit>();
    for (const a of authorizations) {
      const body = JSON.stringify(a.groups, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v));
      let groups = cache.get(body);
      if (!groups) {
        groups = a.groups.map((g) => g.rules.map((r) => r.matches.map(compileMatch)));
        cache.set(body, groups);
      }
      const c: CAuth = { auth: a, key: `${a.namespace}/${a.name}`, groups };
      this.byKey.set(c.key, c);
      if (a.scope === 'WORKLOAD_SELECTOR') continue;
      const ns = a.scope === 'GLOBAL' ? '' : a.namespace;
      const uk = `${ns}\u0000${a.action}\u0000${a.dryRun}\u0000${body}`;
      const u = units.get(uk);
      if (u) {
        u.members.push(c);
        continue;
      }
      const nu: Unit = { groups, members: [c], dryRun: a.dryRun, action: a.action, needsId: groupsNeedId(groups) };
      units.set(uk, nu);
      let l = this.byNs.get(ns);
      if (!l) {
        l = { deny: [], denyAnon: [], allow: [], dry: [] };
        this.byNs.set(ns, l);
      }
      if (nu.dryRun) l.dry.push(nu);
      else if (nu.action === 'DENY') {
        l.deny.push(nu);
        if (!nu.needsId) l.denyAnon.push(nu);
      } else l.allow.push(nu);
    }
  }

  /** Counters of the decision cache (`destinations` is always 0 here: the key holds the workload). */
  cacheStats(): CacheStats {
    return { hits: this.hits, misses: this.misses, uncached: this.uncached, entries: this.entries, clears: this.clears, destinations: 0 };
  }

  /**
   * ztunnel `assert_rbac`: dry-run matches logged (reported), DENY match denies, no ALLOW allows, ALLOW match
   * allows, else deny. Answers from the decision cache when it can (same decision, as a frozen shared value).
   */
  check(conn: WireConnection, workload: WireWorkload): Decision {
    if (this.cacheMax === 0) {
      this.uncached++;
      return this.evaluate(conn, workload);
    }
    // The key: namespace, the number of policy names and each name, then the connection (see `keyPart`).
    const names = workload.authorizationPolicies;
    let k = keyPart(keyPart('', workload.namespace) ?? '', names.length);
    for (let i = 0; i < names.length && k !== null; i++) k = keyPart(k, names[i]);
    if (k !== null) k = keyPart(k, conn.srcIdentity);
    if (k !== null) k = keyPart(k, conn.srcIp);
    if (k !== null) k = keyPart(k, conn.dstIp);
    if (k !== null) k = keyPart(k, conn.dstPort);
    if (k === null || typeof workload.namespace !== 'string') {
      this.uncached++;
      return this.evaluate(conn, workload);
    }
    const hit = this.cache.get(k);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const d = this.evaluate(conn, workload);
    Object.freeze(d.dryRun);
    Object.freeze(d.audit);
    Object.freeze(d);
    if (this.entries >= this.cacheMax) {
      this.cache = new Map();
      this.entries = 0;
      this.clears++;
    }
    this.cache.set(k, d);
    this.entries++;
    return d;
  }

  private evaluate(conn: WireConnection, workload: WireWorkload): Decision {
    const p = conn.srcIdentity;
    const c: ConnCtx = { id: p ? this.ids.get(p.startsWith('spiffe://') ? p.slice(9) : p) : null, src: this.ids.ip(conn.srcIp), dst: this.ids.ip(conn.dstIp), port: conn.dstPort };
    const anon = c.id === null;
    // Applicable (ztunnel state.rs): NAMESPACE policies of the workload namespace, every GLOBAL, and the listed names.
    const own = this.byNs.get(workload.namespace);
    const global = workload.namespace === '' ? undefined : this.byNs.get('');
    const listed: Unit[] = [];
    for (const n of workload.authorizationPolicies) {
      const a = this.byKey.get(n);
      if (a && a.auth.scope === 'WORKLOAD_SELECTOR') listed.push({ groups: a.groups, members: [a], dryRun: a.auth.dryRun, action: a.auth.action, needsId: false });
    }
    const lists = [own, global];
    const dryRun: DryRunResult[] = [];
    const mk = (decision: 'ALLOW' | 'DENY', policy: string | null, action: 'ALLOW' | 'DENY' | null, ruleIndex: number | null, reason: Decision['reason'], message: string): Decision =>
      ({ decision, policy, action, ruleIndex, reason, message, mode: 'l4', dryRun, audit: [] });
    const dry = (u: Unit) => {
      const r = authMatches(u.groups, c);
      for (const m of u.members) dryRun.push({ policy: m.key, action: u.action, matched: r >= 0, ruleIndex: r >= 0 ? r : null });
    };
    for (const l of lists) if (l) for (const u of l.dry) dry(u);
    for (const u of listed) if (u.dryRun) dry(u);
    const deny = (u: Unit): Decision | null => {
      const r = authMatches(u.groups, c);
      const key = u.members[0]!.key;
      return r >= 0 ? mk('DENY', key, 'DENY', r, 'explicitly-denied', `denied by DENY policy ${key} group ${r}`) : null;
    };
    for (const l of lists) {
      if (!l) continue;
      for (const u of anon ? l.denyAnon : l.deny) {
        const d = deny(u);
        if (d) return d;
      }
    }
    for (const u of listed) {
      if (u.dryRun || u.action !== 'DENY') continue;
      const d = deny(u);
      if (d) return d;
    }
    let allows = 0;
    const allow = (u: Unit): Decision | null => {
      allows++;
      if (anon && u.needsId) return null;
      const r = authMatches(u.groups, c);
      const key = u.members[0]!.key;
      return r >= 0 ? mk('ALLOW', key, 'ALLOW', r, 'allowed', `allowed by ALLOW policy ${key} group ${r}`) : null;
    };
    for (const l of lists) {
      if (!l) continue;
      for (const u of l.allow) {
        const d = allow(u);
        if (d) return d;
      }
    }
    for (const u of listed) {
      if (u.dryRun || u.action !== 'ALLOW') continue;
      const d = allow(u);
      if (d) return d;
    }
    if (allows === 0) return mk('ALLOW', null, null, null, 'no-allow-policies', 'allowed: no ALLOW policy applies');
    return mk('DENY', null, null, null, 'not-allowed', 'denied: allow policies exist, but none allowed');
  }
}
