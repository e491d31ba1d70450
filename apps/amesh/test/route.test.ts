// `amesh route check`: in-process through the dispatcher, plus one run of the real process.
import t from 'tap';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../src/cli.js';

const fx = (p: string) => fileURLToPath(new URL(`./fixtures/route/${p}`, import.meta.url));
const CLUSTER = fx('cluster.yaml');
const DIR = fx('dir');

function io(stdin?: string) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: { write: (s: string) => out.push(s) },
    err: { write: (s: string) => err.push(s) },
    ...(stdin !== undefined ? { in: Readable.from([stdin]) } : {}),
    text: () => out.join(''),
    errText: () => err.join(''),
  };
}

async function check(req: Record<string, unknown>, extra: string[] = []) {
  const a = io(JSON.stringify(req));
  const code = await run(['route', 'check', '--config', CLUSTER, '--config', DIR, '--request', '-', ...extra], a);
  return { code, json: code === 0 && !extra.includes('text') ? (JSON.parse(a.text()) as Record<string, any>) : undefined, out: a.text(), err: a.errText() };
}

const REQ = { host: 'reviews', port: 9080, method: 'GET', path: '/reviews/0?x=1', client: { namespace: 'default', labels: { app: 'productpage' } } };

t.test('a request file: weighted 90/10 decision with every contract field', async (t) => {
  const a = io();
  const code = await run(['route', 'check', '--config', CLUSTER, '--config', DIR, '--request', fx('request.json')], a);
  t.equal(code, 0, a.errText());
  const j = JSON.parse(a.text());
  t.same(j.weighted, [
    { cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 90 },
    { cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local', weight: 10 },
  ]);
  t.equal(j.action, 'weighted');
  t.equal(j.virtualService, 'default/reviews');
  t.equal(j.routeName, 'canary');
  t.equal(j.routeIndex, 6);
  t.match(j.route, { cluster: /^outbound\|9080\|v[12]\|reviews\.default\.svc\.cluster\.local$/, path: '/reviews/0?x=1', authority: 'reviews:9080' });
  t.equal(j.timeout, '0s');
  t.same(j.retries, { attempts: 2, retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', retriableStatusCodes: [], perTryTimeout: null });
  t.ok(Array.isArray(j.endpoints) && j.endpoints.every((e: string) => /^reviews-v[12]-/.test(e)), 'endpoints are Pod names');
  for (const k of ['redirect', 'directResponse', 'abort', 'delay', 'mirror']) t.notOk(k in j, `${k} omitted`);
});

t.test('header match: subset v3, Go-style timeout and translated retries', async (t) => {
  const r = await check({ ...REQ, headers: { 'end-user': 'jason' } });
  t.equal(r.code, 0);
  t.match(r.json, { action: 'route', routeName: 'jason', routeIndex: 0, route: { cluster: 'outbound|9080|v3|reviews.default.svc.cluster.local' }, timeout: '1.5s', retries: { attempts: 3, retryOn: '5xx,retriable-status-codes', retriableStatusCodes: [503], perTryTimeout: '100ms' }, endpoints: ['reviews-v3-75f494fccb-xxxxx'] });
  t.notOk('weighted' in r.json!);
});

t.test('redirect, directResponse, abort with delay, unavailable, mirror, notFound, default route', async (t) => {
  const redirect = await check({ ...REQ, path: '/old/x?q=1' });
  t.match(redirect.json, { action: 'redirect', redirect: { status: 301, location: 'http://reviews:9080/new?q=1' }, timeout: '0s' });
  t.notOk('route' in redirect.json!);
  const direct = await check({ ...REQ, path: '/maintenance' });
  t.match(direct.json, { action: 'directResponse', directResponse: { status: 503, body: 'down for maintenance' } });
  const abort = await check({ ...REQ, path: '/chaos' });
  t.match(abort.json, { action: 'abort', abort: { status: 503 }, delay: '7s' });
  const missing = await check({ ...REQ, path: '/missing' });
  t.match(missing.json, { action: 'unavailable', route: { cluster: 'outbound|9080|v9|reviews.default.svc.cluster.local', path: '/missing' } });
  const mirror = await check({ ...REQ, path: '/v2' });
  t.match(mirror.json, { action: 'route', mirror: [{ cluster: 'outbound|9080|v3|reviews.default.svc.cluster.local', percentage: 100 }] });
  const nf = await check({ ...REQ, path: '/nothing' });
  t.match(nf.json, { action: 'notFound', virtualService: 'default/reviews', timeout: '0s' });
  t.equal(nf.code, 0, 'exit 0 whenever a decision was made');
  const def = await check({ ...REQ, host: 'productpage' });
  t.match(def.json, { action: 'unavailable', route: { cluster: 'outbound|9080||productpage.default.svc.cluster.local' } }, 'no pods: no healthy upstream');
});

t.test('-o text prints the decision and the explanation', async (t) => {
  const r = await check({ ...REQ, path: '/nothing' }, ['-o', 'text']);
  t.equal(r.code, 0);
  t.match(r.out, /action: notFound \(404\)/);
  t.match(r.out, /route 0 "jason": no match: header end-user exact "jason" does not match \(absent\)/);
  t.match(r.out, /route 6 "canary": no match: uri prefix "\/reviews" does not match "\/nothing"/);
});

t.test('--seed makes weighted picks reproducible and changes them', async (t) => {
  const pick = async (seed: string) => (await check({ ...REQ }, ['--seed', seed])).json!.route.cluster as string;
  const v2 = await pick('4');
  t.match(v2, /\|v2\|/, 'seed 4 picks the 10% subset');
  t.equal(await pick('4'), v2, 'the same seed, the same pick');
  t.match(await pick('1'), /\|v1\|/, 'seed 1 picks the 90% subset');
});

t.test('invalid config: exit 2 and every problem with its file and field path', async (t) => {
  const a = io(JSON.stringify(REQ));
  t.equal(await run(['route', 'check', '--config', CLUSTER, '--config', fx('bad.yaml'), '--request', '-'], a), 2);
  const e = a.errText();
  t.match(e, /bad\.yaml: VirtualService default\/broken: spec\.http\[0\]\.route\[0\]\.weight: weight -1 < 0/);
  t.match(e, /spec\.http\[0\]: HTTP route cannot contain both route and redirect/);
  t.match(e, /spec\.http\[0\]\.timeout: invalid duration "soon"/);
  t.match(e, /spec\.http\[1\]\.match\[0\]\.uri\.regex: .*lookahead/);
  t.equal(a.text(), '');
});

t.test('invalid request: exit 2 with field paths', async (t) => {
  const a = io();
  t.equal(await run(['route', 'check', '--config', CLUSTER, '--request', fx('request-bad.json')], a), 2);
  const e = a.errText();
  for (const re of [/request\.host: is required/, /request\.port: is required/, /request\.method: must be an upper-case/, /request\.gateway: is required when context is "gateway"/, /request\.extra: unknown field/]) t.match(e, re);
  const b = io('{not json');
  t.equal(await run(['route', 'check', '--config', CLUSTER, '--request', '-'], b), 2);
  t.match(b.errText(), /request: invalid JSON/);
});

t.test('flags: help exits 0; missing/unknown flags and files exit 2', async (t) => {
  for (const argv of [['route', '--help'], ['route', 'check', '--help']]) {
    const a = io();
    t.equal(await run(argv, a), 0, argv.join(' '));
    t.match(a.text(), /usage: amesh route check --config/);
  }
  const cases: Array<[string[], RegExp]> = [
    [['route'], /./],
    [['route', 'nope'], /unknown subcommand "nope"/],
    [['route', 'check'], /at least one --config/],
    [['route', 'check', '--config', CLUSTER], /--request is required/],
    [['route', 'check', '--config', CLUSTER, '--request', fx('request.json'), '-o', 'yaml'], /-o must be json or text/],
    [['route', 'check', '--config', CLUSTER, '--request', fx('request.json'), '--seed', 'x'], /--seed needs/],
    [['route', 'check', '--config', CLUSTER, '--request', fx('request.json'), '--bogus'], /unknown argument "--bogus"/],
    [['route', 'check', '--config'], /--config needs/],
    [['route', 'check', '--config', fx('nope.yaml'), '--request', fx('request.json')], /nope\.yaml: no such file or directory/],
    [['route', 'check', '--config', CLUSTER, '--request', fx('nope.json')], /nope\.json: no such file/],
    [['route', 'check', '--config', CLUSTER, '--request', fx('request.json'), '--root-namespace'], /--root-namespace needs/],
  ];
  for (const [argv, re] of cases) {
    const a = io();
    t.equal(await run(argv, a), 2, argv.join(' '));
    if (argv.length > 1) t.match(a.errText(), re, argv.join(' '));
  }
  const ok = io();
  t.equal(await run(['route', 'check', `--config=${CLUSTER}`, `--config=${DIR}`, `--request=${fx('request.json')}`, '--root-namespace=istio-system', '--output=json'], ok), 0, '--flag=value forms');
});

t.test('the real process: amesh route check reads stdin and exits 0', async (t) => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  // run from the TypeScript sources like the tests do: keep tap's TypeScript loader and the source condition, drop its
  // coverage/mock hooks (they make the child several times slower)
  const execArgv = process.execArgv.filter((a) => !/processinfo|@tapjs\/mock|enable-source-maps/.test(a));
  const child = spawn(process.execPath, [...execArgv, main, 'route', 'check', '--config', CLUSTER, '--config', DIR, '--request', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill();
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.stdin.end(JSON.stringify({ ...REQ, headers: { 'end-user': 'jason' } }));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0, err);
  t.match(JSON.parse(out), { action: 'route', route: { cluster: 'outbound|9080|v3|reviews.default.svc.cluster.local' } });
  const help = io();
  t.equal(await run(['--help'], help), 0, 'amesh --help exits 0 and lists route');
  t.match(help.text(), /route/);
});
