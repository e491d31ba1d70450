// `amesh authz check`: the real command, run in-process through the dispatcher, and once as a child process.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../src/cli.js';

const FIX = fileURLToPath(new URL('./fixtures/authz/', import.meta.url));
const f = (p: string) => FIX + p;

async function amesh(args: string[], stdin?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) }, ...(stdin !== undefined ? { in: Readable.from([stdin]) } : {}) };
  const code = await run(['authz', ...args], io);
  return { code, out: out.join(''), err: err.join('') };
}
const json = (s: string) => JSON.parse(s) as Record<string, unknown>;

t.test('seed 000 at L4: sleep is allowed by web-api-rbac, notsleep is denied (directory, multi-document YAML)', async (t) => {
  let r = await amesh(['check', '--policy', f('seed-000'), '--request', f('sleep-to-web-api.json'), '--mode', 'l4']);
  t.equal(r.code, 0, r.err);
  t.same(json(r.out), { decision: 'ALLOW', policy: 'anz-ambient-demo/web-api-rbac', action: 'ALLOW', ruleIndex: 0, reason: 'allowed', message: 'allowed by ALLOW policy anz-ambient-demo/web-api-rbac rule 0', mode: 'l4', dryRun: [], audit: [] });
  r = await amesh(['check', '--policy', f('seed-000'), '--request', f('notsleep-to-web-api.json'), '--mode', 'l4', '-o', 'json']);
  t.equal(r.code, 0, 'a DENY is still exit 0');
  t.match(json(r.out), { decision: 'DENY', policy: null, reason: 'not-allowed' });
  r = await amesh(['check', '--policy', f('seed-000/allow-nothing.yaml'), '--request', f('sleep-to-web-api.json'), '--mode', 'l4']);
  t.match(json(r.out), { decision: 'DENY', reason: 'not-allowed' });
});

t.test('--policy repeated; the L7 rule is dropped at L4 and enforced at L7; other kinds are skipped', async (t) => {
  const common = ['check', '--policy', f('seed-000/allow-nothing.yaml'), '--policy', f('web-api-l7.yaml'), '--request', f('sleep-to-web-api.json')];
  let r = await amesh([...common, '--mode', 'l4']);
  t.match(json(r.out), { decision: 'DENY', reason: 'not-allowed' });
  r = await amesh([...common, '--mode', 'l7']);
  t.match(json(r.out), { decision: 'ALLOW', policy: 'anz-ambient-demo/web-api-rbac' });
  r = await amesh([...common, '-o', 'text', '--mode', 'l4']);
  t.equal(r.code, 0);
  t.match(r.out, /^DENY \(not-allowed, mode l4\)/);
  t.match(r.out, /dropped from ALLOW policies/);
  t.match(r.out, /2 policies from 2 file\(s\), 1 other document\(s\) skipped/);
});

t.test('waypoint mode: targetRefs, dry-run shadow results, CUSTOM providers, request from stdin', async (t) => {
  const req = await import('node:fs').then((fs) => fs.readFileSync(f('waypoint-request.json'), 'utf8'));
  let r = await amesh(['check', '--policy', f('waypoint.yaml'), '--request', '-', '--mode', 'waypoint'], req);
  t.equal(r.code, 0, r.err);
  t.match(json(r.out), { decision: 'ALLOW', policy: 'test/web-api-rbac', dryRun: [{ policy: 'test/deny-admin-dry-run', action: 'DENY', matched: true, ruleIndex: 0 }] });
  const ext = req.replace('/admin/x', '/ext/x');
  r = await amesh(['check', '--policy', f('waypoint.yaml'), '--request', '-', '--mode', 'waypoint'], ext);
  t.match(json(r.out), { decision: 'DENY', reason: 'custom-provider-unknown', policy: 'test/ext-authz' }, 'unknown provider fails closed');
  r = await amesh(['check', '--policy', f('waypoint.yaml'), '--request', '-', '--mode', 'waypoint', '--provider', 'opa=deny'], ext);
  t.match(json(r.out), { decision: 'DENY', reason: 'denied-by-custom' });
  r = await amesh(['check', '--policy', f('waypoint.yaml'), '--request', '-', '--mode', 'waypoint', '--provider', 'opa=allow'], ext);
  t.match(json(r.out), { decision: 'ALLOW' });
  r = await amesh(['check', '--policy', f('waypoint.yaml'), '--request', '-', '--mode', 'waypoint', '-o', 'text'], req.replace('sa/sleep', 'sa/notsleep'));
  t.match(r.out, /^DENY \(not-allowed, mode waypoint\)/);
  t.match(r.out, /test\/web-api-rbac \(ALLOW; attached by targetRef Service web-api\): no rule matched/);
  t.match(r.out, /rules\[0\]\.from\[0\]\.source\.principals did not match/);
  t.match(r.out, /dry-run: test\/deny-admin-dry-run \(DENY\) would match rule 0/);
  r = await amesh(['check', '--policy', f('waypoint.yaml'), '--request', f('waypoint-request.json'), '--mode', 'l7']);
  t.match(json(r.out), { decision: 'ALLOW', reason: 'no-allow-policies' }, 'targetRef policies do not apply outside waypoints');
});

t.test('invalid policies: exit 2 with every problem and its field path', async (t) => {
  const r = await amesh(['check', '--policy', f('invalid'), '--request', f('sleep-to-web-api.json')]);
  t.equal(r.code, 2);
  t.equal(r.out, '');
  t.match(r.err, /bad\.yaml \(document 1\): foo\/bad: spec\.rules\[0\]\.from: `from` must not be empty/);
  t.match(r.err, /bad\.yaml \(document 1\): foo\/bad: spec\.rules\[0\]\.to\[0\]\.operation\.ports\[0\]: invalid port "http"/);
  t.match(r.err, /bad\.yaml \(document 1\): foo\/bad: spec\.rules\[1\]\.when\[0\]\.key: attribute destination\.namespace is replaced by the metadata\.namespace/);
  t.match(r.err, /bad\.yaml \(document 2\): foo\/bad2: spec: only one of targetRefs or workloadSelector can be set/);
  t.match(r.err, /broken\.yaml: invalid YAML/);
});

t.test('invalid request: exit 2 with field paths', async (t) => {
  let r = await amesh(['check', '--policy', f('seed-000'), '--request', f('invalid-request.json'), '--mode', 'l7']);
  t.equal(r.code, 2);
  t.match(r.err, /request: destination\.namespace: required non-empty string/);
  t.match(r.err, /request: source\.ip: invalid IP address "nope"/);
  t.match(r.err, /request: http: must be an object/);
  r = await amesh(['check', '--policy', f('seed-000'), '--request', '-'], '{not json');
  t.equal(r.code, 2);
  t.match(r.err, /request: invalid JSON/);
  r = await amesh(['check', '--policy', f('seed-000'), '--request', f('notsleep-to-web-api.json'), '--mode', 'waypoint']);
  t.equal(r.code, 2);
  t.match(r.err, /request: http: required in waypoint mode/);
});

t.test('usage errors exit 2; help exits 0', async (t) => {
  const cases: [string[], RegExp][] = [
    [['check'], /--policy: at least one[\s\S]*--request: a request file/],
    [['check', '--policy', f('seed-000'), '--request', f('sleep-to-web-api.json'), '--mode', 'l5'], /--mode: want l4, l7 or waypoint/],
    [['check', '--policy', f('seed-000'), '--request', f('sleep-to-web-api.json'), '-o', 'yaml'], /-o: want json or text/],
    [['check', '--policy', f('seed-000'), '--request', f('sleep-to-web-api.json'), '--provider', 'x'], /--provider x: want <name>=allow\|deny/],
    [['check', '--policy', f('seed-000'), '--request', f('sleep-to-web-api.json'), '--root-namespace', '', '--trust-domain', ''], /--root-namespace: must not be empty[\s\S]*--trust-domain/],
    [['check', '--policy', f('nope'), '--request', f('sleep-to-web-api.json')], /--policy .*nope: no such file or directory/],
    [['check', '--policy', f('seed-000'), '--request', f('nope.json')], /--request .*nope\.json: cannot read: ENOENT/],
    [['check', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown subcommand "frobnicate"/],
  ];
  for (const [args, re] of cases) {
    const r = await amesh(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, re, args.join(' '));
  }
  const noStdin = await run(['authz', 'check', '--policy', f('seed-000'), '--request', '-'], { out: { write: () => true }, err: { write: () => true } });
  t.equal(noStdin, 2);
  t.equal((await amesh([])).code, 2);
  const help = await amesh(['check', '--help']);
  t.equal(help.code, 0);
  t.match(help.out, /usage: amesh authz check --policy <file\|dir>/);
  t.equal((await amesh(['--help'])).code, 0);
});

t.test('--root-namespace and --trust-domain', async (t) => {
  const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/amesh-authz-'));
  t.teardown(() => import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true })));
  const fs = await import('node:fs/promises');
  const pdir = `${dir}/policies`;
  await fs.mkdir(pdir);
  await fs.writeFile(`${pdir}/p.json`, JSON.stringify({ kind: 'List', items: [
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-sleep', namespace: 'mesh' }, spec: { rules: [{ from: [{ source: { principals: ['cluster.local/ns/anz-ambient-demo/sa/sleep'] } }] }] } },
  ] }));
  await fs.writeFile(`${dir}/req.json`, JSON.stringify({ destination: { namespace: 'anz-ambient-demo' }, source: { principal: 'example.org/ns/anz-ambient-demo/sa/sleep' } }));
  let r = await amesh(['check', '--policy', pdir, '--request', `${dir}/req.json`, '--mode', 'l4']);
  t.match(json(r.out), { reason: 'no-allow-policies' }, 'mesh is not the root namespace');
  r = await amesh(['check', '--policy', pdir, '--request', `${dir}/req.json`, '--mode', 'l4', '--root-namespace', 'mesh']);
  t.match(json(r.out), { decision: 'DENY', reason: 'not-allowed' }, 'other trust domain');
  r = await amesh(['check', '--policy', pdir, '--request', `${dir}/req.json`, '--mode', 'l4', '--root-namespace', 'mesh', '--trust-domain', 'example.org']);
  t.match(json(r.out), { decision: 'ALLOW', policy: 'mesh/allow-sleep' });
  await fs.writeFile(`${pdir}/dup.yaml`, 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-sleep, namespace: mesh}\n');
  r = await amesh(['check', '--policy', pdir, '--request', `${dir}/req.json`]);
  t.equal(r.code, 2);
  t.match(r.err, /mesh\/allow-sleep: metadata\.name: duplicate policy/);
});

t.test('spawned as a process: amesh authz check (source entry point)', async (t) => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, main, 'authz', 'check', '--policy', f('seed-000'), '--request', '-', '--mode', 'l4', '-o', 'json'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill();
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.end(await import('node:fs/promises').then((fs) => fs.readFile(f('notsleep-to-web-api.json'))));
  const [code] = (await once(child, 'exit')) as [number];
  t.equal(code, 0, Buffer.concat(err).toString());
  t.match(JSON.parse(Buffer.concat(out).toString()), { decision: 'DENY', reason: 'not-allowed', mode: 'l4' });
});
