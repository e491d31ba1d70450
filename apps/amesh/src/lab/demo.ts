// `amesh lab demo`: seed 000's L4 walkthrough, step by step, on a fresh 2-node lab. Each step prints what it did and
// what it saw; the demo fails (exit 1) at the first step whose result is not what seed 000 shows.
import { join } from 'node:path';
import type { Command, Io } from '../io.js';
import { repoRoot } from './paths.js';

interface Captured {
  code: number;
  out: string;
  err: string;
}

let lab: Command;

async function run(args: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const code = await lab(args, { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

/** Retries `probe` until `ok` holds (policy and enrollment changes propagate asynchronously), up to `timeoutMs`. */
async function until(probe: () => Promise<Captured>, ok: (c: Captured) => boolean, timeoutMs = 30_000): Promise<Captured> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    last = await probe();
  }
  return last;
}

/** Runs the demo through `labCommand` (the `amesh lab` command, passed in so this module does not import it back). */
export async function demo(argv: string[], io: Io, labCommand: Command): Promise<number> {
  lab = labCommand;
  const keep = argv.includes('--keep');
  const name = argv.includes('--name') ? argv[argv.indexOf('--name') + 1]! : 'demo';
  const samples = join(repoRoot(), 'apps/amesh/samples/ambient-demo');
  const ns = 'anz-ambient-demo';
  const L = (verb: string, ...rest: string[]) => [verb, '--name', name, ...rest];
  const curlFrom = (client: string) => run(L('exec', '-n', ns, `deploy/${client}`, '--', 'curl', '-s', '--max-time', '5', '-w', '\\n%{http_code}', 'http://web-api:8080/'));
  const chainOk = (c: Captured) => c.code === 0 && /"name": "purchase-history-v1"/.test(c.out) && /\n200$/.test(c.out.trim()) && !/"code": -1/.test(c.out);
  let step = 0;
  const started = Date.now();
  const say = (ok: boolean, title: string, detail: string) => {
    io.out.write(`${ok ? '✔' : '✘'} ${String(++step).padStart(2)}. ${title}\n${detail ? detail.replace(/^/gm, '      ') + '\n' : ''}`);
    return ok;
  };
  const fail = async () => {
    io.out.write(`\nthe demo stopped at step ${step}; the lab "${name}" is left up for inspection ("amesh lab logs ztunnel --name ${name}", "amesh lab down --name ${name}")\n`);
    return 1;
  };

  await run(L('down'));
  const up = await run(L('up', '--nodes', '2'));
  if (!say(up.code === 0, 'amesh lab up --nodes 2: istiod, and istio-cni + ztunnel on each node', (up.out + up.err).trim())) return fail();

  const applied = await run(L('apply', '-f', join(samples, 'namespace.yaml')));
  const apps = await run(L('apply', '-n', ns, '-f', samples));
  if (!say(applied.code === 0 && apps.code === 0, `deploy seed 000's sample in ${ns} (web-api -> recommendation -> purchase-history-v1, sleep, notsleep)`, apps.out.trim().split('\n').filter((l) => /deployment/.test(l)).join('\n'))) return fail();

  const pods = await until(() => run(L('get', 'pods', '-n', ns, '-o', 'wide')), (c) => (c.out.match(/1\/1\s+Running/g) ?? []).length === 5, 60_000);
  const nodes = new Set(pods.out.match(/node\d+/g) ?? []);
  if (!say((pods.out.match(/Running/g) ?? []).length === 5 && nodes.size === 2, 'all five pods run, spread over both nodes by their anti-affinity', pods.out.trim())) return fail();

  const first = await until(() => curlFrom('sleep'), chainOk);
  if (!say(chainOk(first), 'sleep -> web-api (no mesh yet): web-api calls recommendation, which calls purchase-history-v1', summarize(first.out))) return fail();
  const t0 = ((Date.now() - started) / 1000).toFixed(1);

  const labelled = await run(L('label', 'ns', ns, 'istio.io/dataplane-mode=ambient'));
  const cni = await until(() => run(L('logs', 'istio-cni')), (c) => (c.out.match(/Adding pod .* to ipset/g) ?? []).length >= 5);
  if (!say(labelled.code === 0 && /enabled in ambient mesh/.test(cni.out), `label ${ns} istio.io/dataplane-mode=ambient: istio-cni enrolls the running pods without restarting them`, cni.out.split('\n').filter((l) => /ambient mesh|to ipset/.test(l)).slice(0, 6).join('\n'))) return fail();

  const meshed = await until(() => curlFrom('sleep'), chainOk);
  const access = await until(() => run(L('logs', 'ztunnel', '--tail', '400')), (c) => /"dst\.identity":"spiffe:\/\/cluster\.local\/ns\/anz-ambient-demo\/sa\/web-api"/.test(c.out) && /"src\.identity":"spiffe:\/\/cluster\.local\/ns\/anz-ambient-demo\/sa\/sleep"/.test(c.out));
  const lines = access.out.split('\n').filter((l) => /"target":"access"/.test(l) && /sa\/sleep/.test(l)).slice(-2).map(accessLine);
  if (!say(chainOk(meshed) && lines.length > 0, 'the same call now crosses the mesh: ztunnel access logs show the mTLS identities (HBONE to :15008)', lines.join('\n'))) return fail();

  await run(L('apply', '-f', join(samples, 'policies/allow-nothing.yaml')));
  const denied = await until(() => curlFrom('sleep'), (c) => c.code !== 0 || !/\n200$/.test(c.out.trim()));
  if (!say(!chainOk(denied), 'apply allow-nothing: sleep -> web-api is refused at L4 (the connection is reset)', `curl exit code ${denied.code} (seed 000: "curl: (52) Empty reply from server")`)) return fail();

  await run(L('apply', '-f', join(samples, 'policies/l4-allow.yaml')));
  const allowed = await until(() => curlFrom('sleep'), chainOk);
  if (!say(chainOk(allowed), 'apply web-api-rbac, recommendation-rbac, purchase-history-rbac: sleep gets through the whole chain again', summarize(allowed.out))) return fail();
  const other = await until(() => curlFrom('notsleep'), (c) => !chainOk(c));
  if (!say(!chainOk(other), 'notsleep -> web-api stays denied (its identity is not allowed)', `curl exit code ${other.code}`)) return fail();

  io.out.write(`\nseed 000 (L4) passed in ${((Date.now() - started) / 1000).toFixed(1)}s (first successful call after ${t0}s)\n`);
  if (keep) io.out.write(`the lab "${name}" is still up ("amesh lab get pods -n ${ns} --name ${name}"; "amesh lab down --name ${name}" removes it)\n`);
  else await run(L('down'));
  return 0;
}

function summarize(out: string): string {
  const names = [...out.matchAll(/"name": "([^"]+)"/g)].map((m) => m[1]);
  return names.length ? `${names.join(' -> ')}: HTTP ${out.trim().split('\n').pop()}` : out.trim().slice(0, 300);
}

function accessLine(json: string): string {
  try {
    const r = JSON.parse(json) as Record<string, string | number>;
    return `${r.direction} ${r['src.workload'] ?? r['src.addr']} (${r['src.identity']}) -> ${r['dst.workload'] ?? r['dst.addr']} (${r['dst.identity']}) via ${r['dst.addr']} bytes ${r.bytes_sent}/${r.bytes_recv}`;
  } catch {
    return json.slice(0, 200);
  }
}
