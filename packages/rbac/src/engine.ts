// The authorization engine: attachment (A4), the decision algorithm CUSTOM → DENY → ALLOW (+AUDIT) (A3), dry-run
// (A6), in three modes: `l4` (ztunnel, A5.1), `l7` (sidecar/Envoy on an HTTP port) and `waypoint` (L7 semantics,
// targetRefs-only attachment). Policies are compiled once into matchers indexed by namespace; policies with the same
// body and attachment share one matcher group, so a large set of identical policies costs one evaluation.
import { compileRules, firstMatchingRule, ruleFailure, rulesNeedIdentity, type CompiledRule, type Engine } from './compile.js';
import { loadPolicies, isPolicy, ruleKey, type Action, type Policy, type TargetRef } from './model.js';
import { IdentityCache, RequestContext, type AuthzRequest, type Mode } from './request.js';

/** A CUSTOM (ext_authz) provider: answers ALLOW or DENY for a request that matched a CUSTOM policy. */
export type CustomProvider = (request: AuthzRequest, policy: Policy) => 'ALLOW' | 'DENY' | Promise<'ALLOW' | 'DENY'>;

export interface AuthorizerOptions {
  /** `l4` (ztunnel), `l7` (sidecar-style HTTP proxy) or `waypoint`. Default `l7`. */
  readonly mode?: Mode;
  /** meshConfig rootNamespace. Default `istio-system`. */
  readonly rootNamespace?: string;
  /** Mesh trust domain; policy principals in `cluster.local` also match it. Default `cluster.local`. */
  readonly trustDomain?: string;
  /** meshConfig extensionProviders for CUSTOM policies, by name. A name not here fails closed. */
  readonly providers?: Readonly<Record<string, CustomProvider>>;
  /** PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS. Default false: 2+ providers on a workload turn CUSTOM into DENY. */
  readonly multipleCustomProviders?: boolean;
}

export type Reason =
  | 'allowed'
  | 'no-allow-policies'
  | 'explicitly-denied'
  | 'not-allowed'
  | 'denied-by-custom'
  | 'custom-provider-unknown'
  | 'custom-multiple-providers'
  | 'custom-provider-error'
  | 'bad-request';

/** The shadow (dry-run) result of one applicable dry-run policy; never enforced. */
export interface DryRunResult {
  readonly policy: string;
  readonly action: Action;
  readonly matched: boolean;
  readonly ruleIndex: number | null;
}

/** Why each applicable policy matched or not (only with `{ trace: true }`). */
export interface PolicyTrace {
  readonly policy: string;
  readonly action: Action;
  readonly dryRun: boolean;
  readonly attachedBy: string;
  readonly matchedRule: number | null;
  /** One line per rule: why it failed (empty when a rule matched). */
  readonly failures: readonly string[];
}

/** An authorization decision: a value, never an exception. */
export interface Decision {
  readonly decision: 'ALLOW' | 'DENY';
  /** `namespace/name` of the deciding policy, or null (default allow, no match, bad request). */
  readonly policy: string | null;
  readonly action: Action | null;
  readonly ruleIndex: number | null;
  readonly reason: Reason;
  /** One sentence saying why. */
  readonly message: string;
  readonly mode: Mode;
  readonly dryRun: readonly DryRunResult[];
  /** AUDIT policies that matched (the request is marked for auditing; the decision is unchanged). */
  readonly audit: readonly string[];
  readonly trace?: readonly PolicyTrace[];
}

type Attach =
  | { readonly kind: 'all'; readonly why: string }
  | { readonly kind: 'selector'; readonly labels: readonly (readonly [string, string])[]; readonly why: string }
  | { readonly kind: 'targetRefs'; readonly refs: readonly TargetRef[]; readonly namespace: string; readonly root: boolean };

interface Group {
  readonly members: readonly Policy[];
  readonly action: Action;
  readonly dryRun: boolean;
  readonly provider: string | null;
  readonly rules: readonly CompiledRule[];
  readonly attach: Attach;
  /** No rule can match a plaintext request (no peer identity). */
  readonly needsId: boolean;
  /** Position in evaluation order (namespace, then name); lower wins when several match. */
  ord: number;
  /** Decision messages per rule index, built on first use (the hot path does not concatenate strings). */
  msgs?: string[];
}

function groupMessage(g: Group, rule: number): string {
  const msgs = (g.msgs ??= []);
  let m = msgs[rule];
  if (m === undefined) {
    const key = g.members[0]!.key;
    m = g.action === 'DENY' ? `denied by DENY policy ${key} rule ${rule}` : `allowed by ALLOW policy ${key} rule ${rule}`;
    msgs[rule] = m;
  }
  return m;
}

/**
 * Groups of one action in one namespace, indexed for the hot path: namespace-wide groups in order, and selector
 * groups by their first `key=value` label (a destination only needs the lists its own labels name).
 */
interface SelectorIndex {
  readonly all: Group[];
  readonly keys: string[];
  readonly byKey: Map<string, Map<string, Group[]>>;
}

function buildIndex(groups: readonly Group[]): SelectorIndex {
  const idx: SelectorIndex = { all: [], keys: [], byKey: new Map() };
  for (const g of groups) {
    if (g.attach.kind !== 'selector') {
      idx.all.push(g);
      continue;
    }
    const [k, v] = g.attach.labels[0]!;
    let m = idx.byKey.get(k);
    if (!m) {
      m = new Map();
      idx.byKey.set(k, m);
      idx.keys.push(k);
    }
    const list = m.get(v);
    if (list) list.push(g);
    else m.set(v, [g]);
  }
  return idx;
}

interface Bucket {
  readonly custom: Group[];
  readonly deny: Group[];
  readonly allow: Group[];
  readonly audit: Group[];
  readonly shadow: Group[];
  /** The DENY/ALLOW groups that can match without a peer identity, in order (plaintext requests scan only these). */
  readonly denyAnon: Group[];
  readonly allowAnon: Group[];
  idx?: { deny: SelectorIndex; denyAnon: SelectorIndex; allow: SelectorIndex; allowAnon: SelectorIndex };
}

const EMPTY: readonly Group[] = [];
const NONE: readonly never[] = Object.freeze([]);

function attachKey(a: Attach): string {
  return a.kind === 'targetRefs' ? `t:${JSON.stringify(a.refs)}` : a.kind === 'selector' ? `s:${JSON.stringify(a.labels)}` : 'a';
}

/** Compiled policies for one mode. Create with `createAuthorizer`. */
export class Authorizer {
  readonly mode: Mode;
  readonly rootNamespace: string;
  readonly trustDomain: string;
  /** The policies this authorizer was built from (validated). */
  readonly policies: readonly Policy[];
  private readonly buckets = new Map<string, Bucket>();
  private readonly providers: Readonly<Record<string, CustomProvider>>;
  private readonly multipleCustomProviders: boolean;
  private readonly ids = new IdentityCache();
  /** True when some CUSTOM policy can attach in this mode (then the general path runs). */
  private hasCustom = false;

  constructor(policies: readonly Policy[], options: AuthorizerOptions = {}) {
    this.mode = options.mode ?? 'l7';
    this.rootNamespace = options.rootNamespace ?? 'istio-system';
    this.trustDomain = options.trustDomain ?? 'cluster.local';
    this.providers = options.providers ?? {};
    this.multipleCustomProviders = options.multipleCustomProviders ?? false;
    this.policies = policies;
    const engine: Engine = this.mode === 'l4' ? 'l4' : 'l7';
    const bodyCache = new Map<string, { id: number; rules: CompiledRule[] }>();
    const groups = new Map<string, { ns: string; g: Group & { members: Policy[] } }>();
    const sorted = [...policies].sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1));
    for (const p of sorted) {
      const attach = this.attachmentOf(p);
      if (attach === null) continue;
      let bodyKey = `${p.namespace}\u0000${p.action}\u0000${p.rules.length}`;
      for (const r of p.rules) bodyKey += '\u0000' + ruleKey(r);
      let body = bodyCache.get(bodyKey);
      if (!body) {
        body = { id: bodyCache.size, rules: compileRules(p, { engine, trustDomain: this.trustDomain }) };
        bodyCache.set(bodyKey, body);
      }
      const rules = body.rules;
      const gk = `${p.namespace}\u0000${p.dryRun}\u0000${p.provider ?? ''}\u0000${attachKey(attach)}\u0000${body.id}`;
      const existing = groups.get(gk);
      if (existing) existing.g.members.push(p);
      else groups.set(gk, { ns: p.namespace, g: { members: [p], action: p.action, dryRun: p.dryRun, provider: p.provider, rules, attach, needsId: rulesNeedIdentity(rules), ord: groups.size } });
    }
    for (const { ns, g } of groups.values()) {
      let b = this.buckets.get(ns);
      if (!b) {
        b = { custom: [], deny: [], allow: [], audit: [], shadow: [], denyAnon: [], allowAnon: [] };
        this.buckets.set(ns, b);
      }
      if (g.dryRun) b.shadow.push(g);
      else if (g.action === 'CUSTOM') {
        b.custom.push(g);
        this.hasCustom = true;
      }
      else if (g.action === 'DENY') {
        b.deny.push(g);
        if (!g.needsId) b.denyAnon.push(g);
      } else if (g.action === 'ALLOW') {
        b.allow.push(g);
        if (!g.needsId) b.allowAnon.push(g);
      }
      else b.audit.push(g);
    }
    for (const b of this.buckets.values()) b.idx = { deny: buildIndex(b.deny), denyAnon: buildIndex(b.denyAnon), allow: buildIndex(b.allow), allowAnon: buildIndex(b.allowAnon) };
  }

  /** The first matching group of an index (lowest `ord`), or null; `rule` receives the matching rule index. */
  private firstMatch(idx: SelectorIndex, req: AuthzRequest, ctx: RequestContext, out: { rule: number }): Group | null {
    let best: Group | null = null;
    for (let i = 0; i < idx.all.length; i++) {
      const g = idx.all[i]!;
      const rule = firstMatchingRule(g.rules, ctx);
      if (rule >= 0) {
        best = g;
        out.rule = rule;
        break;
      }
    }
    const labels = req.destination.labels;
    if (!labels || idx.keys.length === 0) return best;
    for (let k = 0; k < idx.keys.length; k++) {
      const key = idx.keys[k]!;
      const v = labels[key];
      if (v === undefined) continue;
      const list = idx.byKey.get(key)!.get(v);
      if (list === undefined) continue;
      for (let i = 0; i < list.length; i++) {
        const g = list[i]!;
        if (best !== null && g.ord > best.ord) break;
        if (!this.attaches(g, req)) continue;
        const rule = firstMatchingRule(g.rules, ctx);
        if (rule >= 0) {
          best = g;
          out.rule = rule;
          break;
        }
      }
    }
    return best;
  }

  /** How many groups of an index attach to the destination. */
  private countAttached(idx: SelectorIndex, req: AuthzRequest): number {
    let n = idx.all.length;
    const labels = req.destination.labels;
    if (!labels) return n;
    for (let k = 0; k < idx.keys.length; k++) {
      const key = idx.keys[k]!;
      const v = labels[key];
      if (v === undefined) continue;
      const list = idx.byKey.get(key)!.get(v);
      if (list === undefined) continue;
      for (let i = 0; i < list.length; i++) if (this.attaches(list[i]!, req)) n++;
    }
    return n;
  }

  /** How a policy can attach in this mode, or null when it never takes effect here (A4). */
  private attachmentOf(p: Policy): Attach | null {
    const root = p.namespace === this.rootNamespace;
    if (this.mode === 'waypoint') {
      if (p.targetRefs.length === 0) return null; // waypoints never use selector or namespace-wide policies
      return { kind: 'targetRefs', refs: p.targetRefs, namespace: p.namespace, root };
    }
    if (p.targetRefs.length > 0) return null; // targetRefs are for gateways/waypoints; never sent to ztunnel
    if (this.mode === 'l4' && (p.action === 'CUSTOM' || p.action === 'AUDIT')) return null; // unsupported at ztunnel
    if (p.selector === null) return { kind: 'all', why: root ? `root namespace ${p.namespace}, no selector (mesh-wide)` : `namespace ${p.namespace}, no selector (namespace-wide)` };
    const labels = Object.entries(p.selector);
    return { kind: 'selector', labels, why: `selector ${labels.map(([k, v]) => `${k}=${v}`).join(',')}${root ? ' (root namespace: any namespace)' : ''}` };
  }

  /** Whether a group attaches to this request's destination; returns a description or null. Hot path for 'all'. */
  private attaches(g: Group, req: AuthzRequest): boolean {
    const a = g.attach;
    if (a.kind === 'all') return true;
    if (a.kind === 'selector') {
      const labels = req.destination.labels;
      if (!labels) return false;
      for (let i = 0; i < a.labels.length; i++) if (labels[a.labels[i]![0]] !== a.labels[i]![1]) return false;
      return true;
    }
    return this.targetRefMatch(a, req) !== null;
  }

  private targetRefMatch(a: Extract<Attach, { kind: 'targetRefs' }>, req: AuthzRequest): string | null {
    const wp = req.destination.waypoint;
    const svc = req.destination.service;
    for (const r of a.refs) {
      if (r.kind === 'GatewayClass' && r.name === 'istio-waypoint' && a.root) return 'targetRef GatewayClass istio-waypoint (root namespace: every waypoint)';
      if (r.kind === 'Gateway' && wp && wp.name === r.name && wp.namespace === a.namespace) return `targetRef Gateway ${r.name}`;
      if ((r.kind === 'Service' || r.kind === 'ServiceEntry') && svc && (svc.kind ?? 'Service') === r.kind && svc.name === r.name && svc.namespace === a.namespace) return `targetRef ${r.kind} ${r.name}`;
    }
    return null;
  }

  private describeAttach(g: Group, req: AuthzRequest): string {
    const a = g.attach;
    return a.kind === 'targetRefs' ? (this.targetRefMatch(a, req) ?? '') : a.why;
  }

  /** The buckets (namespaces) searched for a request (A4 ListAuthorizationPolicies). */
  private bucketsFor(req: AuthzRequest): Bucket[] {
    const out: Bucket[] = [];
    const add = (ns: string | undefined) => {
      if (ns === undefined) return;
      const b = this.buckets.get(ns);
      if (b && !out.includes(b)) out.push(b);
    };
    add(this.rootNamespace);
    add(req.destination.namespace);
    if (this.mode === 'waypoint') {
      add(req.destination.service?.namespace);
      add(req.destination.waypoint?.namespace);
    }
    return out;
  }

  /** Decides synchronously. CUSTOM providers must answer synchronously here (use `evaluateAsync` otherwise). */
  evaluate(request: AuthzRequest, opts?: { trace?: boolean }): Decision {
    if (opts?.trace !== true && !this.hasCustom && this.mode !== 'waypoint') {
      const fast = this.fast(request);
      if (fast !== null) return fast;
    }
    return this.decide(request, opts?.trace === true, (name, policy) => {
      const fn = this.providers[name];
      if (!fn) return 'unknown';
      try {
        const v = fn(request, policy);
        if (typeof v === 'object' && v !== null && typeof (v as Promise<unknown>).then === 'function') {
          (v as Promise<unknown>).catch(() => undefined);
          return new Error(`provider "${name}" answered asynchronously; use evaluateAsync()`);
        }
        return v as 'ALLOW' | 'DENY';
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
    });
  }

  /** Decides, awaiting asynchronous CUSTOM providers (each provider is called at most once per request). */
  async evaluateAsync(request: AuthzRequest, opts: { trace?: boolean } = {}): Promise<Decision> {
    const needed = new Map<string, Policy>();
    this.decide(request, false, (name, policy) => {
      if (!needed.has(name)) needed.set(name, policy);
      return 'ALLOW';
    });
    const answers = new Map<string, ProviderAnswer>();
    for (const [name, policy] of needed) {
      const fn = this.providers[name];
      if (!fn) {
        answers.set(name, 'unknown');
        continue;
      }
      try {
        answers.set(name, await fn(request, policy));
      } catch (e) {
        answers.set(name, e instanceof Error ? e : new Error(String(e)));
      }
    }
    return this.decide(request, opts.trace === true, (name) => answers.get(name) ?? 'unknown');
  }

  /** `evaluate(request, {trace: true})` rendered by `explain()`. */
  explain(request: AuthzRequest): string {
    return explain(this.evaluate(request, { trace: true }));
  }

  /**
   * The hot path (no trace, no CUSTOM, l4/l7): the same algorithm as `decide`, without closures or spread, and
   * without allocating when nothing is dry-run or audited. Returns null to fall back to `decide` (bad requests).
   * Tests check it against `decide` on every table row.
   */
  private fast(req: AuthzRequest): Decision | null {
    const mode = this.mode;
    const ctx = new RequestContext(req, this.ids);
    if (mode !== 'l4' && badRequest(req, ctx) !== null) return null;
    const ns = req.destination.namespace;
    const b0 = this.buckets.get(this.rootNamespace);
    const b1 = ns === this.rootNamespace ? undefined : this.buckets.get(ns);
    let dryRun: DryRunResult[] | readonly never[] = NONE;
    let audit: string[] | readonly never[] = NONE;
    for (let k = 0; k < 2; k++) {
      const b = k === 0 ? b0 : b1;
      if (b === undefined) continue;
      for (let i = 0; i < b.shadow.length; i++) {
        const g = b.shadow[i]!;
        if (!this.attaches(g, req)) continue;
        const rule = firstMatchingRule(g.rules, ctx);
        if (dryRun === NONE) dryRun = [];
        for (const m of g.members) (dryRun as DryRunResult[]).push({ policy: m.key, action: m.action, matched: rule >= 0, ruleIndex: rule >= 0 ? rule : null });
      }
      if (mode !== 'l4') {
        for (let i = 0; i < b.audit.length; i++) {
          const g = b.audit[i]!;
          if (!this.attaches(g, req) || firstMatchingRule(g.rules, ctx) < 0) continue;
          if (audit === NONE) audit = [];
          for (const m of g.members) (audit as string[]).push(m.key);
        }
      }
    }
    const anon = ctx.identity === null;
    const hit = { rule: -1 };
    // DENY: the first matching group, root namespace bucket first (the order `decide` scans in).
    let best: Group | null = null;
    let bestRule = -1;
    for (let k = 0; k < 2; k++) {
      const b = k === 0 ? b0 : b1;
      if (b === undefined) continue;
      const g = this.firstMatch(anon ? b.idx!.denyAnon : b.idx!.deny, req, ctx, hit);
      if (g !== null) {
        best = g;
        bestRule = hit.rule;
        break;
      }
    }
    if (best !== null) {
      const key = best.members[0]!.key;
      return { decision: 'DENY', policy: key, action: 'DENY', ruleIndex: bestRule, reason: 'explicitly-denied', message: groupMessage(best, bestRule), mode, dryRun, audit };
    }
    for (let k = 0; k < 2; k++) {
      const b = k === 0 ? b0 : b1;
      if (b === undefined) continue;
      const g = this.firstMatch(anon ? b.idx!.allowAnon : b.idx!.allow, req, ctx, hit);
      if (g !== null) {
        best = g;
        bestRule = hit.rule;
        break;
      }
    }
    if (best !== null) {
      const key = best.members[0]!.key;
      return { decision: 'ALLOW', policy: key, action: 'ALLOW', ruleIndex: bestRule, reason: 'allowed', message: groupMessage(best, bestRule), mode, dryRun, audit };
    }
    const applies = (b0 ? this.countAttached(b0.idx!.allow, req) : 0) + (b1 ? this.countAttached(b1.idx!.allow, req) : 0);
    if (applies === 0) return { decision: 'ALLOW', policy: null, action: null, ruleIndex: null, reason: 'no-allow-policies', message: MSG_NO_ALLOW, mode, dryRun, audit };
    return { decision: 'DENY', policy: null, action: null, ruleIndex: null, reason: 'not-allowed', message: notAllowedMessage(applies), mode, dryRun, audit };
  }

  private decide(req: AuthzRequest, trace: boolean, call: (name: string, policy: Policy) => ProviderAnswer): Decision {
    const mode = this.mode;
    const ctx = new RequestContext(req, this.ids);
    const traces: PolicyTrace[] | undefined = trace ? [] : undefined;
    // Built field by field: object spread is slow on the hot path.
    const done = (d: Omit<Decision, 'mode' | 'dryRun' | 'audit' | 'trace'>, dryRun: DryRunResult[], audit: string[]): Decision => {
      const out: { -readonly [K in keyof Decision]: Decision[K] } = { decision: d.decision, policy: d.policy, action: d.action, ruleIndex: d.ruleIndex, reason: d.reason, message: d.message, mode, dryRun, audit };
      if (traces) out.trace = traces;
      return out;
    };

    if (mode !== 'l4') {
      const bad = badRequest(req, ctx);
      if (bad) return done({ decision: 'DENY', policy: null, action: null, ruleIndex: null, reason: 'bad-request', message: `rejected with HTTP 400 before authorization: ${bad}` }, [], []);
    }
    const buckets = this.bucketsFor(req);

    // Evaluate one list of groups: returns the first match, recording traces for every applying policy if asked.
    const scan = (list: 'custom' | 'deny' | 'allow' | 'audit' | 'shadow', onMatch?: (g: Group, rule: number) => boolean): { applies: number; hit: { g: Group; rule: number } | null } => {
      let applies = 0;
      let hit: { g: Group; rule: number } | null = null;
      for (let b = 0; b < buckets.length; b++) {
        const groups = buckets[b]![list] ?? EMPTY;
        for (let i = 0; i < groups.length; i++) {
          const g = groups[i]!;
          if (!this.attaches(g, req)) continue;
          applies++;
          if (hit !== null && !traces) continue;
          const rule = firstMatchingRule(g.rules, ctx);
          if (traces) this.record(traces, g, rule, ctx, req);
          if (rule >= 0 && hit === null && (onMatch === undefined || onMatch(g, rule))) hit = { g, rule };
        }
      }
      return { applies, hit };
    };

    // Dry-run: every applicable shadow policy, evaluated and reported, never enforced (A6).
    const dryRun: DryRunResult[] = [];
    for (const b of buckets) {
      for (const g of b.shadow) {
        if (!this.attaches(g, req)) continue;
        const rule = firstMatchingRule(g.rules, ctx);
        if (traces) this.record(traces, g, rule, ctx, req);
        for (const m of g.members) dryRun.push({ policy: m.key, action: m.action, matched: rule >= 0, ruleIndex: rule >= 0 ? rule : null });
      }
    }
    // AUDIT: marks only (Envoy RBAC LOG); never changes the decision.
    const audit: string[] = [];
    if (mode !== 'l4') {
      for (const b of buckets) {
        for (const g of b.audit) {
          if (!this.attaches(g, req)) continue;
          const rule = firstMatchingRule(g.rules, ctx);
          if (traces) this.record(traces, g, rule, ctx, req);
          if (rule >= 0) for (const m of g.members) audit.push(m.key);
        }
      }
    }

    // 1. CUSTOM
    if (mode !== 'l4') {
      const providers = new Set<string>();
      for (const b of buckets) for (const g of b.custom) if (g.provider !== null && this.attaches(g, req)) providers.add(g.provider);
      if (providers.size > 0) {
        const multiple = providers.size > 1 && !this.multipleCustomProviders;
        let verdict: Decision | null = null;
        const asked = new Map<string, ProviderAnswer>();
        scan('custom', (g, rule) => {
          if (verdict !== null) return false;
          const p = g.members[0]!;
          const base = { decision: 'DENY' as const, policy: p.key, action: 'CUSTOM' as const, ruleIndex: rule };
          if (multiple) {
            verdict = done({ ...base, reason: 'custom-multiple-providers', message: `denied: ${providers.size} CUSTOM providers (${[...providers].join(', ')}) apply to this workload and multiple providers are not enabled, so CUSTOM rules act as DENY (matched ${p.key} rule ${rule})` }, dryRun, audit);
            return true;
          }
          const name = g.provider!;
          let answer = asked.get(name);
          if (answer === undefined) {
            answer = call(name, p);
            asked.set(name, answer);
          }
          if (answer === 'unknown') {
            verdict = done({ ...base, reason: 'custom-provider-unknown', message: `denied: CUSTOM policy ${p.key} rule ${rule} matched but provider "${name}" is not a known extension provider (fails closed)` }, dryRun, audit);
          } else if (answer instanceof Error) {
            verdict = done({ ...base, reason: 'custom-provider-error', message: `denied: CUSTOM provider "${name}" failed (${answer.message}); fails closed (policy ${p.key} rule ${rule})` }, dryRun, audit);
          } else if (answer === 'DENY') {
            verdict = done({ ...base, reason: 'denied-by-custom', message: `denied by CUSTOM provider "${name}" (policy ${p.key} rule ${rule})` }, dryRun, audit);
          }
          return verdict !== null;
        });
        if (verdict !== null) return verdict;
      }
    }

    // 2. DENY
    const deny = scan('deny');
    // 3-5. ALLOW
    const allow = deny.hit && !traces ? { applies: 0, hit: null } : scan('allow');
    if (deny.hit) {
      const p = deny.hit.g.members[0]!;
      return done({ decision: 'DENY', policy: p.key, action: 'DENY', ruleIndex: deny.hit.rule, reason: 'explicitly-denied', message: `denied by DENY policy ${p.key} rule ${deny.hit.rule}` }, dryRun, audit);
    }
    if (allow.applies === 0) {
      return done({ decision: 'ALLOW', policy: null, action: null, ruleIndex: null, reason: 'no-allow-policies', message: MSG_NO_ALLOW }, dryRun, audit);
    }
    if (allow.hit) {
      const p = allow.hit.g.members[0]!;
      return done({ decision: 'ALLOW', policy: p.key, action: 'ALLOW', ruleIndex: allow.hit.rule, reason: 'allowed', message: `allowed by ALLOW policy ${p.key} rule ${allow.hit.rule}` }, dryRun, audit);
    }
    return done({ decision: 'DENY', policy: null, action: null, ruleIndex: null, reason: 'not-allowed', message: notAllowedMessage(allow.applies) }, dryRun, audit);
  }

  private record(traces: PolicyTrace[], g: Group, rule: number, ctx: RequestContext, req: AuthzRequest): void {
    const failures: string[] = [];
    if (rule < 0) {
      if (g.rules.length === 0) failures.push('the policy has no rules, so it matches nothing (allow-nothing)');
      for (const r of g.rules) failures.push(`rule ${r.index}: ${r.dupOf >= 0 ? `same as rule ${r.dupOf}` : (ruleFailure(r, ctx) ?? 'matched')}`);
    }
    const attachedBy = this.describeAttach(g, req);
    for (const m of g.members) traces.push({ policy: m.key, action: m.action, dryRun: m.dryRun, attachedBy, matchedRule: rule >= 0 ? rule : null, failures });
  }
}

type ProviderAnswer = 'ALLOW' | 'DENY' | 'unknown' | Error;

const MSG_NO_ALLOW = 'allowed: no ALLOW policy applies to the destination, and nothing denied it';
const notAllowedMessage = (n: number) => `denied: allow policies exist, but none allowed (${n} ALLOW polic${n === 1 ? 'y applies' : 'ies apply'})`;

/** Requests an HTTP proxy rejects with 400 before authorization runs (A8), or null. */
function badRequest(req: AuthzRequest, ctx: RequestContext): string | null {
  const m = req.http?.method;
  if (typeof m === 'string' && m !== m.toUpperCase()) return `method "${m}" is not upper case`;
  const p = ctx.path;
  if (!p.ok) return p.error;
  return null;
}

/**
 * Builds an authorizer. `policies` are validated `Policy` values or raw Kubernetes objects (validated here; throws
 * `RbacError` RBAC_ERR_INVALID_POLICY with every problem in `details`).
 */
export function createAuthorizer(policies: readonly unknown[], options: AuthorizerOptions = {}): Authorizer {
  const parsed = policies.every(isPolicy) ? (policies as readonly Policy[]) : loadPolicies(policies, { rootNamespace: options.rootNamespace ?? 'istio-system' });
  return new Authorizer(parsed, options);
}

/** Says in words why a decision was made: which policy, which rule, which field failed (fields need `trace`). */
export function explain(d: Decision): string {
  const lines: string[] = [];
  lines.push(`${d.decision} (${d.reason}, mode ${d.mode}): ${d.message}`);
  if (d.trace) {
    if (d.trace.length === 0) lines.push('no policy applies to this destination');
    else lines.push('applicable policies:');
    for (const t of d.trace) {
      const head = `  - ${t.policy} (${t.action}${t.dryRun ? ', dry-run' : ''}; attached by ${t.attachedBy})`;
      if (t.matchedRule !== null) lines.push(`${head}: rule ${t.matchedRule} matched`);
      else {
        lines.push(`${head}: no rule matched`);
        for (const f of t.failures) lines.push(`      ${f}`);
      }
    }
  }
  for (const r of d.dryRun) lines.push(`dry-run: ${r.policy} (${r.action}) ${r.matched ? `would match rule ${r.ruleIndex} (${r.action === 'DENY' ? 'would deny' : r.action === 'ALLOW' ? 'would allow' : 'would apply'}; not enforced)` : 'does not match (not enforced)'}`);
  for (const a of d.audit) lines.push(`audit: ${a} matched; the request is marked for auditing`);
  return lines.join('\n') + '\n';
}
