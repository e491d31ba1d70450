import t from 'tap';
import http from 'node:http';
import { run } from '../src/cli.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) }, text: () => out.join(''), errText: () => err.join('') };
}

t.test('help and version exit 0; an unknown command exits 2 and shows usage', async (t) => {
  const a = io();
  t.equal(await run(['--help'], a), 0);
  t.match(a.text(), /usage: ztunnel/);
  t.match(a.text(), /XDS_ADDRESS/);
  const b = io();
  t.equal(await run(['version'], b), 0);
  t.match(b.text(), /^ztunnel \d+\.\d+\.\d+/);
  const c = io();
  t.equal(await run(['frobnicate'], c), 2);
  t.match(c.errText(), /unknown command "frobnicate"/);
});

t.test('invalid environment: exit 2 listing every problem by variable name', async (t) => {
  const a = io();
  t.equal(await run(['run'], a, { env: { OUTBOUND_PORT: 'x', TRUST_DOMAIN: 'Bad Domain', LOG_LEVEL: 'loud' }, stopSignal: new Promise(() => {}) }), 2);
  for (const v of ['NODE_NAME', 'OUTBOUND_PORT', 'TRUST_DOMAIN', 'LOG_LEVEL']) t.match(a.errText(), new RegExp(`- ${v}`), v);
});

t.test('run: binds, becomes ready without a control plane, drains on the stop signal', async (t) => {
  const a = io();
  let stop!: (s: string) => void;
  const stopSignal = new Promise<string>((r) => (stop = r));
  let ports: Record<string, number | null> = {};
  const started = new Promise<void>((resolve) => {
    void run(['run'], a, {
      env: { NODE_NAME: 'node-x', OUTBOUND_PORT: '0', INBOUND_PLAINTEXT_PORT: '0', HBONE_PORT: '0', SOCKS5_PORT: '0', STATS_PORT: '0', READINESS_PORT: '0', ADMIN_PORT: '0', XDS_ROOT_CA: '', CONNECTION_TERMINATION_DEADLINE: '1s', ZTUNNEL_WORKER_THREADS: '1' },
      stopSignal,
      onStarted: (info) => {
        ports = info.ports;
        resolve();
      },
    }).then((code) => exit.resolve(code));
  });
  const exit: { resolve: (c: number) => void; p: Promise<number> } = { resolve: () => {}, p: Promise.resolve(0) };
  exit.p = new Promise((r) => (exit.resolve = r));
  await started;
  const status = await new Promise<number>((resolve) => {
    const poll = () =>
      http.get({ host: '127.0.0.1', port: ports.readiness!, path: '/healthz/ready' }, (res) => {
        res.resume();
        if (res.statusCode === 200) resolve(200);
        else setTimeout(poll, 10);
      });
    poll();
  });
  t.equal(status, 200);
  stop('SIGTERM');
  t.equal(await exit.p, 0);
  t.match(a.errText(), /"msg":"starting ztunnel"/);
  t.match(a.errText(), /stopping: draining connections/);
});
