import t from 'tap';
import { isPolicy, loadPolicies, parsePolicies, parsePolicy, ruleUsesHttp, whenKeyProblem } from '../src/model.js';
import { RbacError } from '../src/errors.js';

const AP = (spec: unknown, meta: Record<string, unknown> = {}) => ({ apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'foo', ...meta }, spec });

t.test('a valid policy becomes an immutable model', async (t) => {
  const r = parsePolicy(AP({ selector: { matchLabels: { app: 'web' } }, action: 'DENY', rules: [{ from: [{ source: { principals: ['a'] } }], to: [{ operation: { ports: ['80'] } }], when: [{ key: 'source.ip', values: ['10.0.0.0/8'] }] }] }));
  t.same(r.errors, []);
  const p = r.policy!;
  t.equal(p.key, 'foo/p');
  t.equal(p.action, 'DENY');
  t.same(p.selector, { app: 'web' });
  t.same(p.rules[0]!.from![0]!.principals, ['a']);
  t.same(p.rules[0]!.from![0]!.namespaces, []);
  t.equal(p.dryRun, false);
  t.ok(Object.isFrozen(p) && Object.isFrozen(p.rules) && Object.isFrozen(p.rules[0]));
  t.ok(isPolicy(p));
  t.notOk(isPolicy(AP({})));
  t.equal(parsePolicy({ ...AP({}), metadata: { name: 'n' } }).policy!.namespace, 'default');
  t.equal(parsePolicy({ ...AP({}), metadata: { name: 'n' } }, { defaultNamespace: 'x' }).policy!.namespace, 'x');
  t.same(parsePolicy({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'n', namespace: 'a' } }).policy!.rules, [], 'spec may be absent');
  t.same(parsePolicy(AP({ rules: [{ when: [] }] })).policy!.rules[0], { from: null, to: null, when: null });
});

// [spec, expected error path prefix and message fragment]
const invalid: [string, unknown, RegExp][] = [
  ['from: [] is an error', { rules: [{ from: [] }] }, /^spec\.rules\[0\]\.from: `from` must not be empty/],
  ['to: [] is an error', { rules: [{ to: [] }] }, /^spec\.rules\[0\]\.to: `to` must not be empty/],
  ['nil source', { rules: [{ from: [{}] }] }, /^spec\.rules\[0\]\.from\[0\]\.source: `from.source` must not be nil/],
  ['empty source', { rules: [{ from: [{ source: {} }] }] }, /^spec\.rules\[0\]\.from\[0\]\.source: `from.source` must not be empty/],
  ['nil operation', { rules: [{ to: [{}] }] }, /^spec\.rules\[0\]\.to\[0\]\.operation: `to.operation` must not be nil/],
  ['empty operation', { rules: [{ to: [{ operation: {} }] }] }, /`to.operation` must not be empty/],
  ['nil rule', { rules: [null] }, /^spec\.rules\[0\]: `rule` must not be nil/],
  ['serviceAccounts with principals', { rules: [{ from: [{ source: { serviceAccounts: ['a'], principals: ['b'] } }] }] }, /cannot set serviceAccounts with namespaces or principals/],
  ['serviceAccounts with notNamespaces', { rules: [{ from: [{ source: { notServiceAccounts: ['a'], notNamespaces: ['b'] } }] }] }, /cannot set serviceAccounts/],
  ['serviceAccounts wildcard', { rules: [{ from: [{ source: { serviceAccounts: ['a*'] } }] }] }, /serviceAccounts\[0\]: wildcards are not allowed/],
  ['serviceAccounts format', { rules: [{ from: [{ source: { serviceAccounts: ['a/b/c'] } }] }] }, /invalid service account/],
  ['serviceAccounts max 16', { rules: [{ from: [{ source: { serviceAccounts: Array.from({ length: 17 }, (_x, i) => `s${i}`) } }] }] }, /at most 16/],
  ['empty string value', { rules: [{ from: [{ source: { principals: [''] } }] }] }, /principals\[0\]: empty value is not allowed/],
  ['non-string value', { rules: [{ to: [{ operation: { methods: [1] } }] }] }, /methods\[0\]: must be a string/],
  ['non-list value', { rules: [{ to: [{ operation: { methods: 'GET' } }] }] }, /methods: must be a list of strings/],
  ['bad ipBlocks', { rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/40'] } }] }] }, /ipBlocks\[0\]: invalid IP address or CIDR range/],
  ['bad remoteIpBlocks', { rules: [{ from: [{ source: { notRemoteIpBlocks: ['x'] } }] }] }, /notRemoteIpBlocks\[0\]/],
  ['bad port', { rules: [{ to: [{ operation: { ports: ['http'] } }] }] }, /ports\[0\]: invalid port "http"/],
  ['port out of range', { rules: [{ to: [{ operation: { notPorts: ['65536'] } }] }] }, /notPorts\[0\]/],
  ['when without key', { rules: [{ when: [{ values: ['a'] }] }] }, /when\[0\]\.key: `key` must not be empty/],
  ['when without values', { rules: [{ when: [{ key: 'source.ip' }] }] }, /at least one of `values` or `notValues` must be set for key source.ip/],
  ['when unknown key', { rules: [{ when: [{ key: 'foo.bar', values: ['a'] }] }] }, /unknown attribute: foo.bar/],
  ['when destination.namespace', { rules: [{ when: [{ key: 'destination.namespace', values: ['a'] }] }] }, /replaced by the metadata.namespace/],
  ['when destination.labels', { rules: [{ when: [{ key: 'destination.labels[app]', values: ['a'] }] }] }, /replaced by the workload selector/],
  ['when destination.name', { rules: [{ when: [{ key: 'destination.name', values: ['a'] }] }] }, /only supported in v1alpha1/],
  ['when bad header key', { rules: [{ when: [{ key: 'request.headers', values: ['a'] }] }] }, /invalid header key/],
  ['when bad claim key', { rules: [{ when: [{ key: 'request.auth.claims[a', values: ['a'] }] }] }, /invalid claim key/],
  ['when source.ip bad value', { rules: [{ when: [{ key: 'source.ip', values: ['nope'] }] }] }, /when\[0\]\.values\[0\]: invalid IP/],
  ['when destination.port bad value', { rules: [{ when: [{ key: 'destination.port', notValues: ['x'] }] }] }, /when\[0\]\.notValues\[0\]: invalid port/],
  ['template {**} not last', { rules: [{ to: [{ operation: { paths: ['/a/{**}/{*}'] } }] }] }, /paths\[0\]: "\{\*\*\}" must be the last operator/],
  ['template with bare *', { rules: [{ to: [{ operation: { paths: ['/a/*/{*}'] } }] }] }, /paths\[0\]: invalid or unsupported path template/],
  ['template with other characters', { rules: [{ to: [{ operation: { notPaths: ['/a/b{*}'] } }] }] }, /notPaths\[0\]/],
  ['selector and targetRefs', { selector: { matchLabels: { a: 'b' } }, targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'w' }] }, /^spec: only one of targetRefs or workloadSelector/],
  ['targetRef and targetRefs', { targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'w' }, targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'w' }] }, /only one of targetRef or targetRefs/],
  ['targetRef unknown kind', { targetRefs: [{ kind: 'Pod', group: '', name: 'w' }] }, /targetRefs\[0\]\.kind: targetRef kind "Pod" is not supported/],
  ['targetRef wrong group', { targetRefs: [{ kind: 'Gateway', group: '', name: 'w' }] }, /targetRefs\[0\]\.group: group must be "gateway.networking.k8s.io"/],
  ['targetRef without name', { targetRefs: [{ kind: 'Service', group: '' }] }, /targetRefs\[0\]\.name: name must be set/],
  ['targetRef cross namespace', { targetRefs: [{ kind: 'Service', group: '', name: 's', namespace: 'other' }] }, /cross namespace referencing is not currently supported/],
  ['GatewayClass other than istio-waypoint', { targetRefs: [{ kind: 'GatewayClass', group: 'gateway.networking.k8s.io', name: 'istio' }] }, /only the GatewayClass "istio-waypoint"/],
  ['more than 16 targetRefs', { targetRefs: Array.from({ length: 17 }, () => ({ kind: 'Service', group: '', name: 's' })) }, /at most 16 targetRefs/],
  ['DENY without rules', { action: 'DENY' }, /^spec\.rules: DENY action without `rules` is meaningless/],
  ['CUSTOM without rules', { action: 'CUSTOM', provider: { name: 'x' } }, /^spec\.rules: CUSTOM action without `rules`/],
  ['CUSTOM without provider', { action: 'CUSTOM', rules: [{}] }, /^spec\.provider: must specify a provider/],
  ['provider without CUSTOM', { provider: { name: 'x' }, rules: [{}] }, /^spec\.provider: provider is only allowed with the CUSTOM action/],
  ['provider without name', { action: 'CUSTOM', provider: {}, rules: [{}] }, /spec\.provider\.name: must not be empty/],
  ['unknown action', { action: 'LOG' }, /^spec\.action: unknown action "LOG"/],
  ['unknown spec field', { rule: [] }, /^spec\.rule: unknown field/],
  ['unknown source field', { rules: [{ from: [{ source: { principal: ['a'] } }] }] }, /source\.principal: unknown field/],
  ['wildcard selector', { selector: { matchLabels: { 'a*': 'b' } } }, /wildcard is not supported in selector/],
  ['selector value not a string', { selector: { matchLabels: { a: 1 } } }, /label value must be a string/],
  ['more than 512 rules', { rules: Array.from({ length: 513 }, () => ({})) }, /at most 512 rules/],
  ['spec not an object', 'x', /^spec: must be an object/],
  ['rules not a list', { rules: {} }, /^spec\.rules: must be a list/],
];
for (const [name, spec, re] of invalid) {
  t.test(`invalid: ${name}`, async (t) => {
    const r = parsePolicy(AP(spec));
    t.equal(r.policy, null);
    t.ok(r.errors.some((e) => re.test(e)), `${re} in ${JSON.stringify(r.errors)}`);
  });
}

t.test('every problem is reported in one pass', async (t) => {
  const r = parsePolicy({ apiVersion: 'security.istio.io/v2', kind: 'Policy', metadata: { name: '' }, spec: { action: 'DENY', rules: [{ from: [] , to: [{ operation: { ports: ['x'] } }] }, { when: [{ key: 'nope', values: [''] }] }] } });
  for (const p of ['apiVersion:', 'kind:', 'metadata.name:', 'spec.rules[0].from:', 'spec.rules[0].to[0].operation.ports[0]:', 'spec.rules[1].when[0].values[0]:', 'spec.rules[1].when[0].key:']) t.ok(r.errors.some((e) => e.startsWith(p)), p);
  t.match(parsePolicy('x').errors, ['(document): an AuthorizationPolicy must be an object']);
  t.match(parsePolicy({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy' }).errors, [/^metadata: metadata is required/, /^metadata.name/]);
});

t.test('warnings are kept apart from errors', async (t) => {
  const deny = parsePolicy(AP({ action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }));
  t.same(deny.errors, []);
  t.match(deny.warnings, [/^spec\.rules\[0\]: configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule/]);
  t.same(parsePolicy(AP({ action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'], ports: ['80'] } }] }] })).warnings, [], 'a port makes it fine');
  t.match(parsePolicy(AP({}, { annotations: { 'istio.io/dry-run': 'maybe' } })).warnings, [/cannot parse "maybe" as a bool; dry-run is off/]);
  t.match(parsePolicy(AP({ action: 'CUSTOM', provider: { name: 'x' }, rules: [{ from: [{ source: { principals: ['a'] } }], when: [{ key: 'request.auth.claims[a]', values: ['b'] }] }] })).warnings, [/principals: not supported with the CUSTOM action/, /request.auth.claims\[a\] is not supported with the CUSTOM action/]);
  t.match(parsePolicy(AP({ targetRefs: [{ kind: 'GatewayClass', group: 'gateway.networking.k8s.io', name: 'istio-waypoint' }] }), { rootNamespace: 'istio-system' }).warnings, [/only takes effect for policies in the root namespace/]);
  t.equal(parsePolicy(AP({}, { annotations: { 'istio.io/dry-run': true } })).policy!.dryRun, true);
  t.match(parsePolicy(AP({}, { annotations: 'x' })).errors, [/metadata.annotations: must be a map/]);
});

t.test('policy sets: labels, duplicates, loadPolicies throws RbacError with every detail', async (t) => {
  const r = parsePolicies([AP({}), AP({}), { ...AP({ action: 'X' }), metadata: { name: 'q', namespace: 'bar' } }, 'junk']);
  t.equal(r.policies.length, 0, 'nothing is returned when anything is invalid');
  t.match(r.errors, [/^foo\/p: metadata.name: duplicate policy foo\/p/, /^bar\/q: spec.action/, /^\[3\]: \(document\)/]);
  const e = t.throws(() => loadPolicies([AP({ action: 'DENY' })])) as RbacError;
  t.ok(e instanceof RbacError);
  t.equal(e.code, 'RBAC_ERR_INVALID_POLICY');
  t.match(e.details, [/^foo\/p: spec.rules: DENY action without/]);
  t.equal(loadPolicies([AP({})]).length, 1);
});

t.test('HTTP attribute detection and when keys', async (t) => {
  const rule = (r: unknown) => parsePolicy(AP({ rules: [r] })).policy!.rules[0]!;
  t.ok(ruleUsesHttp(rule({ to: [{ operation: { hosts: ['a'] } }] })));
  t.ok(ruleUsesHttp(rule({ from: [{ source: { remoteIpBlocks: ['1.2.3.4'] } }] })));
  t.ok(ruleUsesHttp(rule({ when: [{ key: 'connection.sni', values: ['a'] }] })));
  t.notOk(ruleUsesHttp(rule({ from: [{ source: { trustDomains: ['a'] } }], when: [{ key: 'destination.port', values: ['1'] }] })));
  for (const k of ['request.headers[x]', 'request.auth.claims[a][b]', 'experimental.envoy.filters.a.b[c]', 'source.serviceAccount', 'request.auth.presenter']) t.equal(whenKeyProblem(k), null, k);
});
