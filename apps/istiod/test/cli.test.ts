import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateDirectory } from '@amesh/kube';
import { run } from '../src/cli.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) }, text: () => out.join(''), errText: () => err.join('') };
}

t.test('help and version exit 0; an unknown command exits 2 and shows usage', async (t) => {
  const a = io();
  t.equal(await run(['--help'], a), 0);
  t.match(a.text(), /usage: istiod/);
  t.match(a.text(), /--config-dir/);
  const b = io();
  t.equal(await run(['version'], b), 0);
  t.match(b.text(), /^istiod \d+\.\d+\.\d+/);
  const c = io();
  t.equal(await run(['frobnicate'], c), 2);
  t.match(c.errText(), /unknown command "frobnicate"/);
  const d = io();
  t.equal(await run(['run', '--xds-port', 'x', '--bogus'], d, { env: {}, stopSignal: new Promise(() => {}) }), 2);
  t.match(d.errText(), /--xds-port: "x" is not a port/);
  t.match(d.errText(), /--bogus: unknown flag/);
});

t.test('run --config-dir serves the directory until the stop signal, then shuts down gracefully', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'amt-istiod-app-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const state = join(dir, 'state');
  const w = new StateDirectory(state);
  await w.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  await w.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sleep', namespace: 'default' }, spec: { nodeName: 'n1' }, status: { podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] } });
  let stop!: (s: string) => void;
  const stopSignal = new Promise<string>((r) => (stop = r));
  const started = new Promise<{ ports: { debug: number } }>((resolve) => {
    const a = io();
    const exit = run(['run', '--config-dir', state, '--host', '127.0.0.1', '--xds-port', '0', '--secure-xds-port', '0', '--debug-port', '0', '--ca-dir', join(dir, 'ca'), '--root-cert-out', join(dir, 'root-cert.pem'), '--log-format', 'json'], a, {
      env: {},
      stopSignal,
      onStarted: resolve,
    });
    t.teardown(async () => {
      stop('test');
      await exit;
    });
    (t.context as { exit?: Promise<number>; io?: ReturnType<typeof io> }).exit = exit;
    (t.context as { io?: ReturnType<typeof io> }).io = a;
  });
  const { ports } = await started;
  let ready = 0;
  for (let i = 0; i < 200 && ready !== 200; i++) {
    ready = (await fetch(`http://127.0.0.1:${ports.debug}/ready`)).status;
    if (ready !== 200) await new Promise((r) => setImmediate(r));
  }
  t.equal(ready, 200);
  const wl = (await (await fetch(`http://127.0.0.1:${ports.debug}/debug/workloads`)).json()) as { workloads: { name: string }[] };
  t.same(wl.workloads.map((x) => x.name), ['sleep']);
  t.match(await readFile(join(dir, 'root-cert.pem'), 'utf8'), /BEGIN CERTIFICATE/);
  t.match(await readFile(join(dir, 'ca', 'ca-key.pem'), 'utf8'), /PRIVATE KEY/);
  const ctx = t.context as { exit: Promise<number>; io: ReturnType<typeof io> };
  stop('SIGTERM');
  t.equal(await ctx.exit, 0);
  t.match(ctx.io.errText(), /"msg":"shutting down/);
  t.match(ctx.io.errText(), /"msg":"stopped"/);
});
