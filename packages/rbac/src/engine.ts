// The authorization engine: attachment (A4), the decision algorithm CUSTOM → DENY → ALLOW (+AUDIT) (A3), dry-run
// (A6), in three modes: `l4` (ztunnel, A5.1), `l7` (sidecar/Envoy on an HTTP port) and `waypoint` (L7 semantics,
// targetRefs-only attachment). Policies are compiled once into matchers indexed by namespace; policies with the same
// body and attachment share one matcher group, so a large set of identical policies costs one evaluation.
import {
  compileRules, firstMatchingRule, ruleFailure, rulesNeedIdentity, rulesReads, READ_DST_IP, READ_HEADER, READ_HOST, READ_ID, READ_JWT, READ_METHOD,
  READ_PATH, READ_PORT, READ_REMOTE_IP, READ_SNI, READ_SRC_IP, type CompiledRule, type Engine,
} from './compile.js';
import { loadPolicies, isPolicy, ruleKey, type Action, type Policy, type TargetRef } from './model.js';
import { IdentityCache, keyPart, RequestContext, type AuthzRequest, type Mode } from './request.js';

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
  /**
   * Most decisions the decision cache holds; 0 (the default) turns it off. Decisions are cached per destination
   * workload and keyed on exactly the request attributes the applicable policies read; when the cache is full it
   * is cleared at once (a new generation), so it never holds more. It pays when many policies apply to a
   * destination and requests repeat (docs/benchmarks.md B10: 10,000 policies); with a few applicable policies the
   * indexed evaluation is as cheap as a lookup, and in l7 the key holds HTTP attributes (low hit rates). An authorizer is immutable, so a policy update (a new authorizer)
   * starts with an empty cache.
   */
  readonly decisionCacheSize?: number;
}

/** Counters of the decision cache and the per-destination index (`Authorizer.cacheStats()`). */
export interface CacheStats {
  /** Decisions answered from the cache. */
  readonly hits: number;
  /** Decisions computed and then cached. */
  readonly misses: number;
  /** Decisions computed without the cache: cache off, the policies read a JWT, a CUSTOM policy applies, a traced/async/waypoint evaluation, or an attribute of an unexpected type. */
  readonly uncached: number;
  /** Decisions in the cache now. */
  readonly entries: number;
  /** Times the cache was full and cleared. */
  readonly clears: number;
  /** Destination workloads whose applicable policy lists are memoized now. */
  readonly destinations: number;
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
  /** The request attributes the rules read (READ_* bits) and the header names. */
  readonly reads: number;
  readonly headers: readonly string[];
  /** The decision of each matching rule when nothing is dry-run or audited, built on first use (frozen, shared). */
  decs?: Decision[];
}

interface Bucket {
  readonly custom: Group[];
  readonly deny: Group[];
  readonly allow: Group[];
  readonly audit: Group[];
  readonly shadow: Group[];
  /** Label keys that selector policies of this bucket name (a destination's attachment depends only on these). */
  readonly selKeys: Set<string>;
}

/**
 * The policies that apply to one destination workload (namespace + the label values selectors look at), in
 * evaluation order (root namespace first, then by namespace and name), with the decision cache of that workload.
 */
interface Applicable {
  readonly deny: readonly Group[];
  /** The DENY/ALLOW groups that can match without a peer identity (plaintext requests scan only these). */
  readonly denyAnon: readonly Group[];
  readonly allow: readonly Group[];
  readonly allowAnon: readonly Group[];
  readonly shadow: readonly Group[];
  readonly audit: readonly Group[];
  /** A CUSTOM policy applies (its provider must be asked: the general path runs, uncached). */
  readonly custom: boolean;
  /** What the applicable policies read, and whether a decision can be cached (no JWT read). */
  readonly reads: number;
  readonly headers: readonly string[];
  readonly cacheable: boolean;
  /** "allow policies exist, but none allowed" for this destination (frozen, shared). */
  readonly notAllowed: Decision | null;
  /** Cached decisions by `decisionKey` (the values the policies read, in READ_* order, type-tagged). */
  readonly decisions: Map<string, Decision>;
}

/**
 * Per namespace: the label keys that decide attachment, and the memoized destinations, in nested maps keyed by the
 * destination's value of each of those keys in turn (undefined when absent; `selKeys` empty: `only`).
 */
interface NsEntry {
  readonly selKeys: readonly string[];
  readonly byLabels: Map<unknown, unknown>;
  only: Applicable | null;
}

const EMPTY: readonly Group[] = [];
const NONE: readonly never[] = Object.freeze([]);
const DEFAULT_DECISION_CACHE = 0;
/** Most memoized destination workloads; past this the memo is cleared (bounded memory under arbitrary requests). */
const MAX_DESTINATIONS = 8192;


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
  private readonly emptyBucket: Bucket = { custom: [], deny: [], allow: [], audit: [], shadow: [], selKeys: new Set() };
  /** Memoized applicable policies per destination: namespace → label values → Applicable. */
  private readonly memo = new Map<string, NsEntry>();
  private destinations = 0;
  private readonly cacheMax: number;
  private entries = 0;
  private hits = 0;
  private misses = 0;
  private uncached = 0;
  private clears = 0;
  private noAllow: Decision | null = null;

  constructor(policies: readonly Policy[], options: AuthorizerOptions = {}) {
    this.mode = options.mode ?? 'l7';
    this.rootNamespace = options.rootNamespace ?? 'istio-system';
    this.trustDomain = options.trustDomain ?? 'cluster.local';
    this.providers = options.providers ?? {};
    this.multipleCustomProviders = options.multipleCustomProviders ?? false;
    const size = options.decisionCacheSize ?? DEFAULT_DECISION_CACHE;
    this.cacheMax = Number.isFinite(size) && size > 0 ? Math.floor(size) : 0;
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
      else {
        const headers = new Set<string>();
        const reads = rulesReads(rules, headers);
        groups.set(gk, { ns: p.namespace, g: { members: [p], action: p.action, dryRun: p.dryRun, provider: p.provider, rules, attach, needsId: rulesNeedIdentity(rules), ord: groups.size, reads, headers: [...headers] } });
      }
    }
    for (const { ns, g } of groups.values()) {
      let b = this.buckets.get(ns);
      if (!b) {
        b = { custom: [], deny: [], allow: [], audit: [], shadow: [], selKeys: new Set() };
        this.buckets.set(ns, b);
      }
      if (g.attach.kind === 'selector') for (const [k] of g.attach.labels) b.selKeys.add(k);
      if (g.dryRun) b.shadow.push(g);
      else if (g.action === 'CUSTOM') b.custom.push(g);
      else if (g.action === 'DENY') b.deny.push(g);
      else if (g.action === 'ALLOW') b.allow.push(g);
      else b.audit.push(g);
    }
  }

  /** Counters of the decision cache (see `CacheStats`). */
  cacheStats(): CacheStats {
    return { hits: this.hits, misses: this.misses, uncached: this.uncached, entries: this.entries, clears: this.clears, destinations: this.destinations };
  }

  /**
   * The policies applying to the request's destination (l4/l7 attachment: root namespace and destination namespace,
   * namespace-wide or by selector), memoized per (namespace, values of the label keys selectors name).
   */
  private applicable(req: AuthzRequest): Applicable {
    if (this.destinations >= MAX_DESTINATIONS) {
      // Bounded: drop every memoized destination (and the decisions cached with them).
      this.memo.clear();
      this.destinations = 0;
      this.entries = 0;
    }
    const ns = req.destination.namespace;
    let e = this.memo.get(ns);
    if (e === undefined) {
      const keys = new Set(this.buckets.get(this.rootNamespace)?.selKeys);
      for (const k of this.buckets.get(ns)?.selKeys ?? []) keys.add(k);
      e = { selKeys: [...keys], byLabels: new Map(), only: null };
      this.memo.set(ns, e);
    }
    const keys = e.selKeys;
    const n = keys.length;
    if (n === 0) return (e.only ??= this.newApplicable(req));
    const labels = req.destination.labels;
    let m = e.byLabels;
    for (let i = 0; i < n - 1; i++) {
      const v = labels ? labels[keys[i]!] : undefined;
      let next = m.get(v) as Map<unknown, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        m.set(v, next);
      }
      m = next;
    }
    const v = labels ? labels[keys[n - 1]!] : undefined;
    let ap = m.get(v) as Applicable | undefined;
    if (ap === undefined) {
      ap = this.newApplicable(req);
      m.set(v, ap);
    }
    return ap;
  }

  /** Builds the applicable lists of a destination (counted: `applicable` keeps the number bounded). */
  private newApplicable(req: AuthzRequest): Applicable {
    this.destinations++;
    return this.buildApplicable(req);
  }

  private buildApplicable(req: AuthzRequest): Applicable {
    const ns = req.destination.namespace;
    const b0 = this.buckets.get(this.rootNamespace) ?? this.emptyBucket;
    const b1 = ns === this.rootNamespace ? this.emptyBucket : (this.buckets.get(ns) ?? this.emptyBucket);
    const pick = (list: 'custom' | 'deny' | 'allow' | 'audit' | 'shadow') => [...b0[list], ...b1[list]].filter((g) => this.attaches(g, req));
    const deny = pick('deny');
    const allow = pick('allow');
    const shadow = pick('shadow');
    const audit = this.mode === 'l4' ? [] : pick('audit');
    const custom = this.mode !== 'l4' && pick('custom').length > 0;
    let reads = 0;
    const headers = new Set<string>();
    for (const g of [...deny, ...allow, ...shadow, ...audit]) {
      reads |= g.reads;
      for (const h of g.headers) headers.add(h);
    }
    const notAllowed = allow.length === 0 ? null : this.freeze({ decision: 'DENY', policy: null, action: null, ruleIndex: null, reason: 'not-allowed', message: notAllowedMessage(allow.length), mode: this.mode, dryRun: NONE, audit: NONE });
    return {
      deny, denyAnon: deny.filter((g) => !g.needsId), allow, allowAnon: allow.filter((g) => !g.needsId), shadow, audit, custom,
      reads, headers: [...headers], cacheable: (reads & READ_JWT) === 0, notAllowed, decisions: new Map(),
    };
  }

  private freeze(d: Decision): Decision {
    Object.freeze(d.dryRun);
    Object.freeze(d.audit);
    return Object.freeze(d);
  }

  /**
   * The decision cache key: exactly the attributes the applicable policies read, raw, in READ_* order (see
   * `keyPart`); null when a value cannot be keyed (then the decision is not cached).
   */
  private decisionKey(ap: Applicable, req: AuthzRequest, ctx: RequestContext): string | null {
    const r = ap.reads;
    const src = req.source;
    let k: string | null = '';
    if (r & READ_ID && (k = keyPart(k, src?.principal)) === null) return null;
    if (r & (READ_SRC_IP | READ_REMOTE_IP) && (k = keyPart(k, src?.ip)) === null) return null;
    if (r & READ_REMOTE_IP && (k = keyPart(k, src?.remoteIp)) === null) return null;
    if (r & READ_DST_IP && (k = keyPart(k, req.destination.ip)) === null) return null;
    if (r & READ_PORT && (k = keyPart(k, req.destination.port)) === null) return null;
    if (r & READ_METHOD && (k = keyPart(k, ctx.method)) === null) return null;
    if (r & READ_PATH) {
      const p = ctx.path;
      if (!p.ok || (k = keyPart(k, p.path)) === null) return null;
    }
    if (r & READ_HOST && (k = keyPart(k, ctx.host)) === null) return null;
    if (r & READ_HEADER) for (let i = 0; i < ap.headers.length; i++) if ((k = keyPart(k, ctx.header(ap.headers[i]!))) === null) return null;
    if (r & READ_SNI && (k = keyPart(k, ctx.sni)) === null) return null;
    return k;
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
    if (opts?.trace !== true && this.mode !== 'waypoint') {
      const fast = this.fast(request);
      if (fast !== null) return fast;
    }
    this.uncached++;
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
    this.uncached++;
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
   * The hot path (no trace, l4/l7, no CUSTOM policy on the destination): the same algorithm as `decide` on the
   * memoized applicable lists, through the decision cache. Returns null to fall back to `decide` (bad requests,
   * CUSTOM). Tests check it against `decide` on every table row and on random requests.
   */
  private fast(req: AuthzRequest): Decision | null {
    const ctx = new RequestContext(req, this.ids);
    if (this.mode !== 'l4' && badRequest(req, ctx) !== null) return null;
    const ap = this.applicable(req);
    if (ap.custom) return null;
    if (this.cacheMax === 0 || !ap.cacheable) {
      this.uncached++;
      return this.compute(ap, ctx);
    }
    const key = this.decisionKey(ap, req, ctx);
    if (key === null) {
      this.uncached++;
      return this.compute(ap, ctx);
    }
    const hit = ap.decisions.get(key);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const d = this.compute(ap, ctx);
    if (d.dryRun !== NONE || d.audit !== NONE) this.freeze(d);
    if (this.entries >= this.cacheMax) {
      // Full: clear the whole cache at once (a new generation); clears are rare, so the O(destinations) walk is too.
      this.clearDecisions();
      this.entries = 0;
      this.clears++;
    }
    ap.decisions.set(key, d);
    this.entries++;
    return d;
  }

  private clearDecisions(): void {
    const walk = (m: Map<unknown, unknown>, depth: number): void => {
      for (const v of m.values()) {
        if (depth === 0) (v as Applicable).decisions.clear();
        else walk(v as Map<unknown, unknown>, depth - 1);
      }
    };
    for (const e of this.memo.values()) {
      e.only?.decisions.clear();
      if (e.selKeys.length > 0) walk(e.byLabels, e.selKeys.length - 1);
    }
  }

  /** Evaluates the applicable lists (CUSTOM → DENY → ALLOW, dry-run and audit reported). */
  private compute(ap: Applicable, ctx: RequestContext): Decision {
    const mode = this.mode;
    let dryRun: DryRunResult[] | readonly never[] = NONE;
    let audit: string[] | readonly never[] = NONE;
    for (let i = 0; i < ap.shadow.length; i++) {
      const g = ap.shadow[i]!;
      const rule = firstMatchingRule(g.rules, ctx);
      if (dryRun === NONE) dryRun = [];
      for (const m of g.members) (dryRun as DryRunResult[]).push({ policy: m.key, action: m.action, matched: rule >= 0, ruleIndex: rule >= 0 ? rule : null });
    }
    for (let i = 0; i < ap.audit.length; i++) {
      const g = ap.audit[i]!;
      if (firstMatchingRule(g.rules, ctx) < 0) continue;
      if (audit === NONE) audit = [];
      for (const m of g.members) (audit as string[]).push(m.key);
    }
    const anon = ctx.identity === null;
    const deny = anon ? ap.denyAnon : ap.deny;
    for (let i = 0; i < deny.length; i++) {
      const g = deny[i]!;
      const rule = firstMatchingRule(g.rules, ctx);
      if (rule >= 0) return this.matched(g, rule, dryRun, audit);
    }
    const allow = anon ? ap.allowAnon : ap.allow;
    for (let i = 0; i < allow.length; i++) {
      const g = allow[i]!;
      const rule = firstMatchingRule(g.rules, ctx);
      if (rule >= 0) return this.matched(g, rule, dryRun, audit);
    }
    if (ap.allow.length === 0) {
      if (dryRun === NONE && audit === NONE) return (this.noAllow ??= this.freeze({ decision: 'ALLOW', policy: null, action: null, ruleIndex: null, reason: 'no-allow-policies', message: MSG_NO_ALLOW, mode, dryRun: NONE, audit: NONE }));
      return { decision: 'ALLOW', policy: null, action: null, ruleIndex: null, reason: 'no-allow-policies', message: MSG_NO_ALLOW, mode, dryRun, audit };
    }
    if (dryRun === NONE && audit === NONE) return ap.notAllowed!;
    return { decision: 'DENY', policy: null, action: null, ruleIndex: null, reason: 'not-allowed', message: notAllowedMessage(ap.allow.length), mode, dryRun, audit };
  }

  /** The decision of a matching DENY/ALLOW rule: shared and frozen when nothing is dry-run or audited. */
  private matched(g: Group, rule: number, dryRun: DryRunResult[] | readonly never[], audit: string[] | readonly never[]): Decision {
    const shared = dryRun === NONE && audit === NONE;
    if (shared) {
      const d = g.decs?.[rule];
      if (d !== undefined) return d;
    }
    const key = g.members[0]!.key;
    const deny = g.action === 'DENY';
    const d: Decision = {
      decision: deny ? 'DENY' : 'ALLOW', policy: key, action: deny ? 'DENY' : 'ALLOW', ruleIndex: rule, reason: deny ? 'explicitly-denied' : 'allowed',
      message: deny ? `denied by DENY policy ${key} rule ${rule}` : `allowed by ALLOW policy ${key} rule ${rule}`, mode: this.mode, dryRun, audit,
    };
    if (shared) (g.decs ??= [])[rule] = this.freeze(d);
    return d;
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

/** `m === m.toUpperCase()`, without allocating for ASCII methods. */
function isUpper(m: string): boolean {
  for (let i = 0; i < m.length; i++) {
    const c = m.charCodeAt(i);
    if (c >= 97 && c <= 122) return false; // a-z
    if (c > 127) return m === m.toUpperCase();
  }
  return true;
}

/** Requests an HTTP proxy rejects with 400 before authorization runs (A8), or null. */
function badRequest(req: AuthzRequest, ctx: RequestContext): string | null {
  const m = req.http?.method;
  if (typeof m === 'string' && !isUpper(m)) return `method "${m}" is not upper case`;
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
