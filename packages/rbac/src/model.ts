// The AuthorizationPolicy model and its validation (A1, A7). Input is plain JS (parsed YAML/JSON of a Kubernetes
// object, `security.istio.io/v1` or `v1beta1`); output is an immutable typed `Policy` or every problem found, each
// with its field path, plus warnings kept apart from errors.
import { RbacError, RbacErrorCode } from './errors.js';
import { isPathTemplate, parseCidr, parsePort, pathTemplateProblems } from './match.js';

export type Action = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
export const ACTIONS: readonly Action[] = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'];

/** `from[].source` (A1). Absent and empty lists are the same thing (proto3). */
export interface Source {
  readonly principals: readonly string[];
  readonly notPrincipals: readonly string[];
  readonly requestPrincipals: readonly string[];
  readonly notRequestPrincipals: readonly string[];
  readonly namespaces: readonly string[];
  readonly notNamespaces: readonly string[];
  readonly serviceAccounts: readonly string[];
  readonly notServiceAccounts: readonly string[];
  readonly ipBlocks: readonly string[];
  readonly notIpBlocks: readonly string[];
  readonly remoteIpBlocks: readonly string[];
  readonly notRemoteIpBlocks: readonly string[];
  readonly trustDomains: readonly string[];
  readonly notTrustDomains: readonly string[];
}
export const SOURCE_FIELDS = [
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces',
  'serviceAccounts', 'notServiceAccounts', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks',
  'trustDomains', 'notTrustDomains',
] as const satisfies readonly (keyof Source)[];

/** `to[].operation` (A1). */
export interface Operation {
  readonly hosts: readonly string[];
  readonly notHosts: readonly string[];
  readonly ports: readonly string[];
  readonly notPorts: readonly string[];
  readonly methods: readonly string[];
  readonly notMethods: readonly string[];
  readonly paths: readonly string[];
  readonly notPaths: readonly string[];
}
export const OPERATION_FIELDS = [
  'hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths',
] as const satisfies readonly (keyof Operation)[];

/** `when[]` (A1). */
export interface Condition {
  readonly key: string;
  readonly values: readonly string[];
  readonly notValues: readonly string[];
}

/** One rule; `null` means the list was absent (matches anything). */
export interface Rule {
  readonly from: readonly Source[] | null;
  readonly to: readonly Operation[] | null;
  readonly when: readonly Condition[] | null;
}

export interface TargetRef {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | null;
}

/** A validated, immutable AuthorizationPolicy. */
export interface Policy {
  readonly name: string;
  readonly namespace: string;
  /** `namespace/name` */
  readonly key: string;
  readonly action: Action;
  /** CUSTOM provider name, or null. */
  readonly provider: string | null;
  /** `selector.matchLabels`; null when absent or empty. */
  readonly selector: Readonly<Record<string, string>> | null;
  /** `targetRefs` plus the legacy `targetRef`. */
  readonly targetRefs: readonly TargetRef[];
  readonly rules: readonly Rule[];
  /** `istio.io/dry-run` annotation parsed like Go `strconv.ParseBool` (unparsable → false, with a warning). */
  readonly dryRun: boolean;
}

/** Everything validation found: `errors` make the policy unusable; `warnings` are advice. Paths are field paths. */
export interface ValidationResult {
  readonly policy: Policy | null;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

export interface ParseOptions {
  /** Namespace for objects without `metadata.namespace` (kubectl's default: `default`). */
  readonly defaultNamespace?: string;
}

const L4_WHEN_KEYS = new Set(['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port']);
/** `when` keys that ztunnel understands (`l4WhenAttributes`); every other key counts as L7. */
export function isL4WhenKey(key: string): boolean {
  return L4_WHEN_KEYS.has(key);
}

const PLAIN_WHEN_KEYS = new Set([
  'source.ip', 'remote.ip', 'source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal',
  'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'destination.ip', 'destination.port',
  'connection.sni',
]);
const REJECTED_WHEN_KEYS: Record<string, string> = {
  'destination.namespace': 'attribute destination.namespace is replaced by the metadata.namespace',
  'destination.name': 'attribute destination.name is only supported in v1alpha1',
  'destination.user': 'attribute destination.user is only supported in v1alpha1',
};

/** Parses the `[a][b]` suffix of `request.auth.claims[...]`; null when malformed. */
export function parseClaimPath(key: string): string[] | null {
  const rest = key.slice('request.auth.claims'.length);
  if (!rest.startsWith('[') || !rest.endsWith(']')) return null;
  const parts = rest.slice(1, -1).split('][');
  if (parts.some((p) => p === '' || p.includes('[') || p.includes(']'))) return null;
  return parts;
}

/** Header name of `request.headers[name]`, or null when malformed. */
export function parseHeaderKey(key: string): string | null {
  const m = /^request\.headers\[([^\]]+)\]$/.exec(key);
  return m ? m[1]! : null;
}

/** Why a `when` key is invalid (istio `ValidateAttribute`), or null when it is supported. */
export function whenKeyProblem(key: string): string | null {
  if (PLAIN_WHEN_KEYS.has(key)) return null;
  if (key.startsWith('request.headers')) return parseHeaderKey(key) === null ? `invalid header key "${key}", want request.headers[<name>]` : null;
  if (key.startsWith('request.auth.claims')) return parseClaimPath(key) === null ? `invalid claim key "${key}", want request.auth.claims[<name>]` : null;
  if (key.startsWith('experimental.envoy.filters.')) return null;
  if (key in REJECTED_WHEN_KEYS) return REJECTED_WHEN_KEYS[key]!;
  if (key.startsWith('destination.labels')) return 'attribute destination.labels is replaced by the workload selector';
  return `unknown attribute: ${key}`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go `strconv.ParseBool`. */
function parseGoBool(v: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return null;
}

const TARGET_KINDS: Record<string, string> = {
  Gateway: 'gateway.networking.k8s.io',
  GatewayClass: 'gateway.networking.k8s.io',
  Service: '',
  ServiceEntry: 'networking.istio.io',
};

/** The shared empty list (absent fields), so large policy sets do not allocate one per field. */
const NO_STRINGS: readonly string[] = Object.freeze([]);

class Collector {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  err(path: string, msg: string): void {
    this.errors.push(`${path}: ${msg}`);
  }
  warn(path: string, msg: string): void {
    this.warnings.push(`${path}: ${msg}`);
  }
  /** Reads an optional list of strings; reports non-lists, non-strings and empty strings. */
  strings(obj: Record<string, unknown>, field: string, path: string): string[] {
    const v = obj[field];
    if (v === undefined || v === null) return NO_STRINGS as string[];
    if (!Array.isArray(v)) {
      this.err(`${path}.${field}`, 'must be a list of strings');
      return [];
    }
    const out: string[] = [];
    v.forEach((s, i) => {
      if (typeof s !== 'string') this.err(`${path}.${field}[${i}]`, 'must be a string');
      else if (s === '') this.err(`${path}.${field}[${i}]`, 'empty value is not allowed');
      else out.push(s);
    });
    return out;
  }
  unknownFields(obj: Record<string, unknown>, known: readonly string[], path: string): void {
    for (const k of Object.keys(obj)) if (!known.includes(k)) this.err(`${path}.${k}`, 'unknown field');
  }
}

const freezeList = <T>(a: T[]): readonly T[] => (a.length === 0 ? (NO_STRINGS as readonly T[]) : Object.freeze(a));

function validateIps(c: Collector, values: readonly string[], path: string): void {
  values.forEach((v, i) => {
    if (!parseCidr(v)) c.err(`${path}[${i}]`, `invalid IP address or CIDR range: "${v}"`);
  });
}
function validatePorts(c: Collector, values: readonly string[], path: string): void {
  values.forEach((v, i) => {
    if (parsePort(v) === null) c.err(`${path}[${i}]`, `invalid port "${v}": must be an integer from 0 to 65535`);
  });
}

function parseSource(c: Collector, raw: unknown, path: string, action: Action): Source | null {
  if (!isObj(raw)) {
    c.err(path, '`from.source` must not be nil');
    return null;
  }
  c.unknownFields(raw, SOURCE_FIELDS, path);
  const s = {} as Record<(typeof SOURCE_FIELDS)[number], readonly string[]>;
  for (const f of SOURCE_FIELDS) s[f] = freezeList(c.strings(raw, f, path));
  if (SOURCE_FIELDS.every((f) => s[f].length === 0)) c.err(path, '`from.source` must not be empty');
  for (const f of ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'] as const) validateIps(c, s[f], `${path}.${f}`);
  for (const f of ['serviceAccounts', 'notServiceAccounts'] as const) {
    if (s[f].length === 0) continue;
    if (s[f].length > 16) c.err(`${path}.${f}`, 'at most 16 service accounts are allowed');
    s[f].forEach((v, i) => {
      if (v.includes('*')) c.err(`${path}.${f}[${i}]`, 'wildcards are not allowed in service accounts');
      const parts = v.split('/');
      if (parts.length > 2 || parts.some((p) => p === '')) c.err(`${path}.${f}[${i}]`, `invalid service account "${v}": want <sa> or <namespace>/<sa>`);
    });
  }
  if ((s.serviceAccounts.length || s.notServiceAccounts.length) && (s.principals.length || s.notPrincipals.length || s.namespaces.length || s.notNamespaces.length)) {
    c.err(path, 'cannot set serviceAccounts with namespaces or principals');
  }
  if (action === 'CUSTOM') {
    for (const f of ['principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains'] as const) {
      if (s[f].length) c.warn(`${path}.${f}`, 'not supported with the CUSTOM action; the rule is skipped');
    }
  }
  return Object.freeze(s) as Source;
}

function parseOperation(c: Collector, raw: unknown, path: string): Operation | null {
  if (!isObj(raw)) {
    c.err(path, '`to.operation` must not be nil');
    return null;
  }
  c.unknownFields(raw, OPERATION_FIELDS, path);
  const o = {} as Record<(typeof OPERATION_FIELDS)[number], readonly string[]>;
  for (const f of OPERATION_FIELDS) o[f] = freezeList(c.strings(raw, f, path));
  if (OPERATION_FIELDS.every((f) => o[f].length === 0)) c.err(path, '`to.operation` must not be empty');
  validatePorts(c, o.ports, `${path}.ports`);
  validatePorts(c, o.notPorts, `${path}.notPorts`);
  for (const f of ['paths', 'notPaths'] as const) {
    o[f].forEach((v, i) => {
      for (const p of pathTemplateProblems(v)) c.err(`${path}.${f}[${i}]`, p);
      if (isPathTemplate(v) && !v.startsWith('/')) c.err(`${path}.${f}[${i}]`, 'a path template must start with "/"');
    });
  }
  return Object.freeze(o) as Operation;
}

function parseCondition(c: Collector, raw: unknown, path: string, action: Action): Condition | null {
  if (!isObj(raw)) {
    c.err(path, '`when` condition must be an object');
    return null;
  }
  c.unknownFields(raw, ['key', 'values', 'notValues'], path);
  const key = raw['key'];
  const values = freezeList(c.strings(raw, 'values', path));
  const notValues = freezeList(c.strings(raw, 'notValues', path));
  if (typeof key !== 'string' || key === '') {
    c.err(`${path}.key`, '`key` must not be empty');
    return null;
  }
  if (values.length === 0 && notValues.length === 0) c.err(path, `at least one of \`values\` or \`notValues\` must be set for key ${key}`);
  const problem = whenKeyProblem(key);
  if (problem) c.err(`${path}.key`, problem);
  else if (key === 'source.ip' || key === 'remote.ip' || key === 'destination.ip') {
    validateIps(c, values, `${path}.values`);
    validateIps(c, notValues, `${path}.notValues`);
  } else if (key === 'destination.port') {
    validatePorts(c, values, `${path}.values`);
    validatePorts(c, notValues, `${path}.notValues`);
  }
  if (action === 'CUSTOM' && (['source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal'].includes(key) || key.startsWith('request.auth.'))) {
    c.warn(`${path}.key`, `${key} is not supported with the CUSTOM action; the rule is skipped`);
  }
  return Object.freeze({ key, values, notValues });
}

const HTTP_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;
const HTTP_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'] as const;

/** True when a rule uses any attribute that only an HTTP proxy can see (A5.1's list). */
export function ruleUsesHttp(rule: Rule): boolean {
  if (rule.from?.some((s) => HTTP_SOURCE_FIELDS.some((f) => s[f].length > 0))) return true;
  if (rule.to?.some((o) => HTTP_OPERATION_FIELDS.some((f) => o[f].length > 0))) return true;
  return rule.when?.some((w) => !isL4WhenKey(w.key)) ?? false;
}

/** True when a rule uses only HTTP attributes (nothing a TCP filter could match on). */
function ruleOnlyHttp(rule: Rule): boolean {
  if (!ruleUsesHttp(rule)) return false;
  const tcpSource = rule.from?.some((s) => SOURCE_FIELDS.some((f) => s[f].length > 0 && !(HTTP_SOURCE_FIELDS as readonly string[]).includes(f))) ?? false;
  const tcpOp = rule.to?.some((o) => o.ports.length > 0 || o.notPorts.length > 0) ?? false;
  const tcpWhen = rule.when?.some((w) => isL4WhenKey(w.key)) ?? false;
  return !tcpSource && !tcpOp && !tcpWhen;
}

function parseRule(c: Collector, raw: unknown, path: string, action: Action): Rule | null {
  if (!isObj(raw)) {
    c.err(path, '`rule` must not be nil');
    return null;
  }
  c.unknownFields(raw, ['from', 'to', 'when'], path);
  let from: Source[] | null = null;
  let to: Operation[] | null = null;
  let when: Condition[] | null = null;
  if (raw['from'] !== undefined && raw['from'] !== null) {
    if (!Array.isArray(raw['from'])) c.err(`${path}.from`, 'must be a list');
    else if (raw['from'].length === 0) c.err(`${path}.from`, '`from` must not be empty');
    else {
      from = [];
      raw['from'].forEach((f: unknown, i) => {
        const p = `${path}.from[${i}]`;
        if (!isObj(f)) return c.err(p, '`from` must not be nil');
        c.unknownFields(f, ['source'], p);
        const s = parseSource(c, f['source'], `${p}.source`, action);
        if (s) from!.push(s);
      });
    }
  }
  if (raw['to'] !== undefined && raw['to'] !== null) {
    if (!Array.isArray(raw['to'])) c.err(`${path}.to`, 'must be a list');
    else if (raw['to'].length === 0) c.err(`${path}.to`, '`to` must not be empty');
    else {
      to = [];
      raw['to'].forEach((t: unknown, i) => {
        const p = `${path}.to[${i}]`;
        if (!isObj(t)) return c.err(p, '`to` must not be nil');
        c.unknownFields(t, ['operation'], p);
        const o = parseOperation(c, t['operation'], `${p}.operation`);
        if (o) to!.push(o);
      });
    }
  }
  if (raw['when'] !== undefined && raw['when'] !== null) {
    if (!Array.isArray(raw['when'])) c.err(`${path}.when`, 'must be a list');
    else if (raw['when'].length > 0) {
      when = [];
      raw['when'].forEach((w: unknown, i) => {
        const cond = parseCondition(c, w, `${path}.when[${i}]`, action);
        if (cond) when!.push(cond);
      });
    }
  }
  const rule: Rule = Object.freeze({ from: from && freezeList(from), to: to && freezeList(to), when: when && freezeList(when) });
  if (action === 'DENY' && ruleOnlyHttp(rule)) {
    c.warn(path, 'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port');
  }
  return rule;
}

function parseTargetRef(c: Collector, raw: unknown, path: string, policyNs: string, rootNs: string | undefined): TargetRef | null {
  if (!isObj(raw)) {
    c.err(path, 'must be an object');
    return null;
  }
  c.unknownFields(raw, ['group', 'kind', 'name', 'namespace'], path);
  const group = raw['group'] === undefined || raw['group'] === null ? '' : raw['group'];
  const { kind, name } = raw;
  const namespace = raw['namespace'] === undefined || raw['namespace'] === null || raw['namespace'] === '' ? null : raw['namespace'];
  if (typeof group !== 'string') c.err(`${path}.group`, 'must be a string');
  if (typeof kind !== 'string' || kind === '') c.err(`${path}.kind`, 'kind must be set');
  if (typeof name !== 'string' || name === '') c.err(`${path}.name`, 'name must be set');
  if (namespace !== null && typeof namespace !== 'string') c.err(`${path}.namespace`, 'must be a string');
  if (typeof kind === 'string' && kind !== '' && typeof group === 'string') {
    const want = TARGET_KINDS[kind];
    const g = group === 'core' ? '' : group;
    if (want === undefined) c.err(`${path}.kind`, `targetRef kind "${kind}" is not supported: want Gateway, GatewayClass, Service or ServiceEntry`);
    else if (g !== want) c.err(`${path}.group`, `group must be "${want}" for kind ${kind}`);
    if (kind === 'GatewayClass' && typeof name === 'string' && name !== 'istio-waypoint') c.err(`${path}.name`, 'only the GatewayClass "istio-waypoint" can be targeted');
    if (kind === 'GatewayClass' && rootNs !== undefined && policyNs !== rootNs) c.warn(path, `a GatewayClass targetRef only takes effect for policies in the root namespace (${rootNs})`);
  }
  if (typeof namespace === 'string' && namespace !== policyNs) c.err(`${path}.namespace`, `cross namespace referencing is not currently supported: want "${policyNs}" or unset`);
  if (typeof group !== 'string' || typeof kind !== 'string' || typeof name !== 'string') return null;
  return Object.freeze({ group: group === 'core' ? '' : group, kind, name, namespace: namespace as string | null });
}

/**
 * Validates one AuthorizationPolicy object (plain JS) and returns the model plus every problem with its field path.
 * Never throws for bad input.
 */
export function parsePolicy(raw: unknown, options: ParseOptions & { rootNamespace?: string } = {}): ValidationResult {
  const c = new Collector();
  if (!isObj(raw)) {
    c.err('(document)', 'an AuthorizationPolicy must be an object');
    return { policy: null, errors: c.errors, warnings: c.warnings };
  }
  const apiVersion = raw['apiVersion'];
  if (apiVersion !== 'security.istio.io/v1' && apiVersion !== 'security.istio.io/v1beta1') {
    c.err('apiVersion', `unsupported apiVersion "${String(apiVersion)}": want security.istio.io/v1 or security.istio.io/v1beta1`);
  }
  if (raw['kind'] !== 'AuthorizationPolicy') c.err('kind', `want AuthorizationPolicy, got "${String(raw['kind'])}"`);
  const meta = isObj(raw['metadata']) ? raw['metadata'] : {};
  if (!isObj(raw['metadata'])) c.err('metadata', 'metadata is required');
  const name = meta['name'];
  if (typeof name !== 'string' || name === '') c.err('metadata.name', 'name is required');
  let namespace = meta['namespace'];
  if (namespace === undefined || namespace === null || namespace === '') namespace = options.defaultNamespace ?? 'default';
  if (typeof namespace !== 'string') c.err('metadata.namespace', 'must be a string');
  const ns = typeof namespace === 'string' ? namespace : '';

  let dryRun = false;
  const annotations = meta['annotations'];
  if (annotations !== undefined && annotations !== null) {
    if (!isObj(annotations)) c.err('metadata.annotations', 'must be a map of strings');
    else if (annotations['istio.io/dry-run'] !== undefined) {
      const v = annotations['istio.io/dry-run'];
      const b = typeof v === 'string' ? parseGoBool(v) : typeof v === 'boolean' ? v : null;
      if (b === null) c.warn('metadata.annotations["istio.io/dry-run"]', `cannot parse "${String(v)}" as a bool; dry-run is off`);
      dryRun = b ?? false;
    }
  }

  const spec = raw['spec'] === undefined || raw['spec'] === null ? {} : raw['spec'];
  if (!isObj(spec)) {
    c.err('spec', 'must be an object');
    return { policy: null, errors: c.errors, warnings: c.warnings };
  }
  c.unknownFields(spec, ['selector', 'targetRef', 'targetRefs', 'rules', 'action', 'provider'], 'spec');

  let action: Action = 'ALLOW';
  const a = spec['action'];
  if (a !== undefined && a !== null) {
    if (typeof a !== 'string' || !(ACTIONS as readonly string[]).includes(a)) c.err('spec.action', `unknown action "${String(a)}": want ALLOW, DENY, AUDIT or CUSTOM`);
    else action = a as Action;
  }

  let selector: Record<string, string> | null = null;
  const sel = spec['selector'];
  if (sel !== undefined && sel !== null) {
    if (!isObj(sel)) c.err('spec.selector', 'must be an object');
    else {
      c.unknownFields(sel, ['matchLabels'], 'spec.selector');
      const ml = sel['matchLabels'];
      if (ml !== undefined && ml !== null) {
        if (!isObj(ml)) c.err('spec.selector.matchLabels', 'must be a map of strings');
        else {
          const labels: Record<string, string> = {};
          for (const [k, v] of Object.entries(ml)) {
            if (k === '') c.err('spec.selector.matchLabels', 'empty label key');
            if (k.includes('*')) c.err(`spec.selector.matchLabels.${k}`, 'wildcard is not supported in selector');
            if (typeof v !== 'string') c.err(`spec.selector.matchLabels.${k}`, 'label value must be a string');
            else labels[k] = v;
          }
          if (Object.keys(labels).length > 0) selector = Object.freeze(labels);
        }
      }
    }
  }

  const targetRefs: TargetRef[] = [];
  const rootNs = options.rootNamespace;
  if (spec['targetRef'] !== undefined && spec['targetRef'] !== null) {
    const t = parseTargetRef(c, spec['targetRef'], 'spec.targetRef', ns, rootNs);
    if (t) targetRefs.push(t);
  }
  if (spec['targetRefs'] !== undefined && spec['targetRefs'] !== null) {
    const trs = spec['targetRefs'];
    if (!Array.isArray(trs)) c.err('spec.targetRefs', 'must be a list');
    else {
      if (trs.length > 16) c.err('spec.targetRefs', 'at most 16 targetRefs are allowed');
      if (spec['targetRef'] !== undefined && spec['targetRef'] !== null && trs.length > 0) c.err('spec', 'only one of targetRef or targetRefs can be set');
      trs.forEach((tr: unknown, i) => {
        const t = parseTargetRef(c, tr, `spec.targetRefs[${i}]`, ns, rootNs);
        if (t) targetRefs.push(t);
      });
    }
  }
  if (isObj(sel) && targetRefs.length > 0) c.err('spec', 'only one of targetRefs or workloadSelector can be set');

  let provider: string | null = null;
  const prov = spec['provider'];
  if (prov !== undefined && prov !== null) {
    if (!isObj(prov) || typeof prov['name'] !== 'string' || prov['name'] === '') c.err('spec.provider.name', 'must not be empty');
    else provider = prov['name'];
    if (action !== 'CUSTOM') c.err('spec.provider', 'provider is only allowed with the CUSTOM action');
  }
  if (action === 'CUSTOM' && provider === null && (prov === undefined || prov === null)) c.err('spec.provider', 'must specify a provider when using the CUSTOM action');

  const rules: Rule[] = [];
  const rr = spec['rules'];
  if (rr !== undefined && rr !== null) {
    if (!Array.isArray(rr)) c.err('spec.rules', 'must be a list');
    else {
      if (rr.length > 512) c.err('spec.rules', 'at most 512 rules are allowed');
      rr.forEach((r: unknown, i) => {
        const rule = parseRule(c, r, `spec.rules[${i}]`, action);
        if (rule) rules.push(rule);
      });
    }
  }
  const noRules = !Array.isArray(rr) || rr.length === 0;
  if (noRules && action === 'DENY') c.err('spec.rules', 'DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request');
  if (noRules && action === 'CUSTOM') c.err('spec.rules', 'CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request');

  if (c.errors.length > 0) return { policy: null, errors: c.errors, warnings: c.warnings };
  const policy: Policy = Object.freeze({
    name: name as string,
    namespace: ns,
    key: `${ns}/${name as string}`,
    action,
    provider,
    selector,
    targetRefs: freezeList(targetRefs),
    rules: freezeList(rules),
    dryRun,
  });
  return { policy, errors: [], warnings: c.warnings };
}

/** The result of validating many objects: the valid policies, and every problem prefixed with `ns/name` (or index). */
export interface PolicySetResult {
  readonly policies: readonly Policy[];
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

function docLabel(raw: unknown, i: number): string {
  if (isObj(raw) && isObj(raw['metadata'])) {
    const m = raw['metadata'];
    if (typeof m['name'] === 'string') return `${typeof m['namespace'] === 'string' ? m['namespace'] : 'default'}/${m['name']}`;
  }
  return `[${i}]`;
}

/** Validates many policies in one pass; duplicates (same namespace/name) are errors. */
export function parsePolicies(raws: readonly unknown[], options: ParseOptions & { rootNamespace?: string } = {}): PolicySetResult {
  const policies: Policy[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  raws.forEach((raw, i) => {
    const label = docLabel(raw, i);
    const r = parsePolicy(raw, options);
    for (const e of r.errors) errors.push(`${label}: ${e}`);
    for (const w of r.warnings) warnings.push(`${label}: ${w}`);
    if (r.policy) {
      if (seen.has(r.policy.key)) errors.push(`${label}: metadata.name: duplicate policy ${r.policy.key}`);
      seen.add(r.policy.key);
      policies.push(r.policy);
    }
  });
  return { policies: errors.length ? [] : policies, errors, warnings };
}

/** Like `parsePolicies` but throws `RbacError` (RBAC_ERR_INVALID_POLICY, every problem in `details`) on any error. */
export function loadPolicies(raws: readonly unknown[], options: ParseOptions & { rootNamespace?: string } = {}): readonly Policy[] {
  const r = parsePolicies(raws, options);
  if (r.errors.length) throw new RbacError(RbacErrorCode.INVALID_POLICY, `invalid AuthorizationPolicy: ${r.errors.length} problem(s): ${r.errors[0]}`, { details: r.errors });
  return r.policies;
}

/** True when `value` is a validated `Policy` (as opposed to a raw Kubernetes object). */
export function isPolicy(value: unknown): value is Policy {
  return isObj(value) && typeof value['key'] === 'string' && Array.isArray(value['rules']) && typeof value['dryRun'] === 'boolean';
}

/** A compact canonical string of a rule (only non-empty fields), for de-duplicating identical rules and bodies. */
export function ruleKey(r: Rule): string {
  let out = '';
  if (r.from) {
    out += 'F';
    for (const src of r.from) {
      out += '(';
      for (const f of SOURCE_FIELDS) if (src[f].length) out += f + '=' + JSON.stringify(src[f]);
      out += ')';
    }
  }
  if (r.to) {
    out += 'T';
    for (const op of r.to) {
      out += '(';
      for (const f of OPERATION_FIELDS) if (op[f].length) out += f + '=' + JSON.stringify(op[f]);
      out += ')';
    }
  }
  if (r.when) {
    out += 'W';
    for (const w of r.when) out += JSON.stringify([w.key, w.values, w.notValues]);
  }
  return out;
}
