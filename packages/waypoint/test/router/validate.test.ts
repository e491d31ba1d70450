import t from 'tap';
import { loadConfig, resolveShortName, isIp } from '../../src/router/validate.js';
import { compileRouter } from '../../src/router/index.js';
import { WaypointError } from '../../src/errors.js';

const VS = (spec: Record<string, unknown>, md: Record<string, unknown> = { name: 'x', namespace: 'default' }) => ({ apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: md, spec });
const route = [{ destination: { host: 'reviews' } }];

t.test('ResolveShortnameToFQDN', async (t) => {
  t.equal(resolveShortName('reviews', 'default'), 'reviews.default.svc.cluster.local');
  t.equal(resolveShortName('Reviews', 'prod', 'corp.local'), 'reviews.prod.svc.corp.local');
  t.equal(resolveShortName('reviews.prod', 'default'), 'reviews.prod', 'a dotted name is left as is');
  t.equal(resolveShortName('*', 'default'), '*');
  t.equal(resolveShortName('10.0.0.1', 'default'), '10.0.0.1');
  t.equal(resolveShortName('*.example.com', 'default'), '*.example.com');
  t.ok(isIp('::1'));
  t.notOk(isIp('300.1.1.1'));
});

t.test('every problem in one pass, each with kind, name and field path', async (t) => {
  const r = loadConfig([
    VS({ hosts: ['bad host!'], gateways: ['a/b/c'], exportTo: ['*', 'x'], http: [{ route: [{ destination: { host: 'r', subset: 'bad_subset', port: { number: 70000 } } }], unknown: 1 }] }),
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd' }, spec: { subsets: [{ name: 'a' }, { name: 'a' }, {}], trafficPolicy: { loadBalancer: { simple: 'FASTEST' }, portLevelSettings: [{ port: { number: 80 } }, { port: { number: 80 } }, {}] } } },
    { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 's' }, spec: { hosts: ['*'], ports: [{ number: 0 }], endpoints: [{}] } },
    { apiVersion: 'networking.istio.io/v2', kind: 'VirtualService', metadata: { name: 'v2' }, spec: {} },
    { apiVersion: 'apps/v1', kind: 'Service', metadata: { name: 's' }, spec: {} },
    { kind: 'Gateway', apiVersion: 'networking.istio.io/v1', metadata: { name: 'gw' }, spec: {} },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'nospec' } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', spec: {} },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {}, spec: { hosts: ['a'], http: [] } },
    { metadata: {} },
    'a string',
    null,
  ], { origin: (i) => `file${i}.yaml` });
  const want = [
    /^file0\.yaml: VirtualService default\/x: spec\.hosts\[0\]: domain name "bad host!" invalid/,
    /spec\.gateways\[0\]: invalid gateway name "a\/b\/c"/,
    /spec\.exportTo: cannot have "\*" together with other values/,
    /spec\.http\[0\]\.route\[0\]\.destination\.subset: subset name "bad_subset"/,
    /spec\.http\[0\]\.route\[0\]\.destination\.port\.number: port number 70000/,
    /spec\.http\[0\]\.unknown: unknown field/,
    /^file1\.yaml: DestinationRule default\/d: spec\.host: host is required/,
    /DestinationRule default\/d: spec\.subsets\[1\]\.name: duplicate subset name "a"/,
    /spec\.subsets\[2\]\.name: name is required/,
    /spec\.trafficPolicy\.loadBalancer\.simple: unknown load balancer "FASTEST"/,
    /spec\.trafficPolicy\.portLevelSettings\[1\]\.port: port 80 has more than one/,
    /spec\.trafficPolicy\.portLevelSettings\[2\]\.port: port\.number is required/,
    /ServiceEntry default\/s: spec\.hosts\[0\]: ServiceEntry host cannot be \*/,
    /ServiceEntry default\/s: spec\.ports\[0\]\.number: port number is required/,
    /spec\.endpoints\[0\]\.address: address is required/,
    /VirtualService default\/v2: apiVersion: "networking\.istio\.io\/v2" is not one of/,
    /Service default\/s: apiVersion: "apps\/v1" must be v1/,
    /VirtualService default\/nospec: spec: is required/,
    /VirtualService default\/\?: metadata: is required/,
    /metadata\.name: is required/,
    /spec: http, tcp or tls must be provided/,
    /object default\/\?: kind: is required/,
    /object: must be a Kubernetes object/,
  ];
  for (const re of want) t.ok(r.errors.some((e) => re.test(e)), String(re)) || t.comment(r.errors.join('\n'));
  t.ok(r.warnings.some((w) => /Gateway default\/gw: kind: Gateway is not used by the router; ignored/.test(w)));
});

t.test('List objects are flattened; problems name the item', async (t) => {
  const r = loadConfig([{ apiVersion: 'v1', kind: 'List', items: [VS({ hosts: ['reviews'], http: [{ route }] }), VS({ hosts: ['reviews'] }, { name: 'y' })] }]);
  t.equal(r.model.virtualServices.length, 2);
  t.match(r.errors, [/^items\[1\]: VirtualService default\/y: spec: http, tcp or tls must be provided/]);
});

t.test('field types are checked', async (t) => {
  const r = loadConfig([
    VS({
      hosts: 'reviews',
      http: [
        {
          match: [{ uri: 'x', headers: { a: { exact: 1 }, 'b c': {}, d: null, e: { exact: 'a', prefix: 'b' }, f: { suffix: 'x' } }, ignoreUriCase: 'yes', port: 'x', sourceNamespace: 'Bad_NS', gateways: [''], sourceLabels: { a: {} } }, 7],
          route: [{ destination: { host: 'reviews' }, weight: 'heavy' }, 'x', { destination: {} }, {}],
          timeout: '0.5ms',
          retries: { attempts: -1, perTryTimeout: '1.0001s', retryOn: '999,5xx' },
          mirror: { host: 'a' },
          mirrorPercent: 150,
          mirrors: [7, { destination: { host: '*.wild' } }],
          headers: { request: { set: { 'bad header': 'x' }, remove: [5] }, response: 'x' },
          corsPolicy: { allowOrigins: [{ exact: 'x' }] },
        },
        'not a route',
        { route, fault: {} },
        { route, fault: { delay: { percent: 200 }, abort: { httpStatus: 500, grpcStatus: 'NOPE', percentage: { value: 'x' } } } },
        { route, rewrite: { uri: '/a', uriRegexRewrite: { match: '(?=x)' } } },
        { route, rewrite: {} },
        { directResponse: { status: 99, body: { string: 'a', bytes: '!!' } } },
        { directResponse: {} },
        { route, name: 'dup' },
        { route, name: 'dup' },
        { redirect: { port: 0, derivePort: 'SOMEWHERE', redirectCode: 200 } },
        { route, mirror: { host: 'b' }, mirrorPercentage: { value: -1 } },
      ],
    }),
  ]);
  const want = [
    /spec\.hosts: must be a list/,
    /match\[0\]\.uri: must be an object/,
    /headers\[a\]\.exact: must be a string/,
    /headers\[b c\]: invalid header name/,
    /headers\[d\]: cannot be null/,
    /headers\[e\]: only one of exact, prefix, regex may be set/,
    /headers\[f\]\.suffix: unknown match type/,
    /ignoreUriCase: must be a boolean/,
    /match\[0\]\.port: must be an integer/,
    /sourceNamespace: sourceNamespace match Bad_NS is invalid/,
    /match\[0\]\.gateways\[0\]: must be a non-empty string/,
    /sourceLabels\.a: must be a string/,
    /match\[1\]: must be an object/,
    /route\[0\]\.weight: must be an integer/,
    /route\[1\]: must be an object/,
    /route\[2\]\.destination\.host: destination\.host is required/,
    /route\[3\]\.destination: destination is required/,
    /spec\.http\[0\]\.timeout: duration must be greater than 1ms/,
    /retries\.attempts: attempts cannot be negative/,
    /retries\.perTryTimeout: only durations to ms precision/,
    /retries\.retryOn: "999" is not a valid HTTP status code/,
    /mirrorPercent: mirror_percent must have a max value of 100/,
    /mirrorPercentage\.value: percentage -1 must be in \[0, 100\]/,
    /mirrors\[0\]: must be an object/,
    /mirrors\[1\]\.destination\.host: destination host must not be a wildcard/,
    /headers\.request\.set\[bad header\]: invalid header name/,
    /headers\.request\.remove\[0\]: invalid header name/,
    /headers\.response: must be an object/,
    /spec\.http\[1\]: must be an object/,
    /spec\.http\[2\]\.fault: fault must specify at least one of delay or abort/,
    /fault\.delay\.fixedDelay: delay must specify fixedDelay/,
    /fault\.delay\.percent: percentage 200/,
    /fault\.abort: abort may specify only one of httpStatus and grpcStatus/,
    /fault\.abort\.grpcStatus: invalid abort grpc status "NOPE"/,
    /fault\.abort\.percentage\.value: must be a number/,
    /rewrite: rewrite may only contain one of uri and uriRegexRewrite/,
    /uriRegexRewrite\.match: "\(\?=x\)" is not a supported RE2 regex/,
    /uriRegexRewrite\.rewrite: is required/,
    /spec\.http\[5\]\.rewrite: rewrite must specify uri, authority, or uriRegexRewrite/,
    /directResponse\.status: status 99 must be in the range 200\.\.599/,
    /directResponse\.body: only one of string and bytes may be set/,
    /spec\.http\[7\]\.directResponse\.status: is required/,
    /spec\.http\[9\]\.name: route name "dup" is not unique/,
    /redirect: only one of port and derivePort may be set/,
    /redirect\.port: port number 0/,
    /redirect\.derivePort: unknown derivePort "SOMEWHERE"/,
    /redirect\.redirectCode: 200 is not a valid redirect code/,
  ];
  for (const re of want) t.ok(r.errors.some((e) => re.test(e)), String(re)) || t.comment(r.errors.join('\n'));
  t.ok(r.warnings.some((w) => /deprecated setting "mirrorPercent"/.test(w)));
});

t.test('delegate VS checks and a non-delegate delegate target', async (t) => {
  const r = loadConfig([
    VS({ http: [{ route }], tls: [{}], tcp: [{}] }, { name: 'del', namespace: 'default' }),
    VS({ hosts: ['a'], http: [{ delegate: { name: 'root2' }, redirect: { uri: '/x' }, directResponse: { status: 200 } }] }, { name: 'root', namespace: 'default' }),
    VS({ hosts: ['b'], http: [{ route }] }, { name: 'root2', namespace: 'default' }),
  ]);
  for (const re of [/spec\.tls: delegate virtual service must have no tls route/, /spec\.tcp: delegate virtual service must have no tcp route/, /spec\.http\[0\]\.redirect: root HTTP route must not specify redirect/, /spec\.http\[0\]\.directResponse: root HTTP route must not specify directResponse/, /spec\.http\[0\]\.delegate: delegate default\/root2 is not a delegate VirtualService/]) {
    t.ok(r.errors.some((e) => re.test(e)), `${re}\n${r.errors.join('\n')}`);
  }
});

t.test('tcp/tls-only VirtualServices are accepted and route nothing at L7', async (t) => {
  const r = loadConfig([VS({ hosts: ['web.example.com'], gateways: ['gw'], tls: [{ match: [{ port: 443, sniHosts: ['web.example.com'] }], route: [{ destination: { host: 'x' } }] }] })]);
  t.same(r.errors, []);
  t.same(r.model.virtualServices[0]!.http, []);
});

t.test('metadata: creationTimestamp, labels, default namespace', async (t) => {
  const r = loadConfig([VS({ hosts: ['a'], http: [{ route }] }, { name: 'x', creationTimestamp: 'not a date' }), VS({ hosts: ['a'], http: [{ route }] }, { name: 'y', creationTimestamp: new Date(0), labels: { a: 'b' } })], { defaultNamespace: 'team' });
  t.match(r.errors, [/VirtualService team\/x: metadata\.creationTimestamp: invalid timestamp/]);
  t.equal(r.model.virtualServices[1]!.created, 0);
  t.same(r.model.virtualServices[1]!.labels, { a: 'b' });
});

t.test('compileRouter throws WP_ERR_INVALID_CONFIG with every problem in details', async (t) => {
  const err = t.throws(() => compileRouter([VS({ hosts: ['a'], http: [{ timeout: 'x' }] })])) as WaypointError;
  t.ok(err instanceof WaypointError);
  t.equal(err.code, 'WP_ERR_INVALID_CONFIG');
  t.equal(err.details.length, 2);
  t.match(err.message, /2 problem\(s\)/);
});
