import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Metrics, TrafficLabelCache, trafficLabels, TRAFFIC_LABELS } from '../src/metrics.js';
import { pod, svc } from './fixtures/model.js';

/** A strict subset of `promtool check metrics`: HELP/TYPE before samples, names match, label syntax, numbers. */
function checkExposition(text: string): string[] {
  const problems: string[] = [];
  const typed = new Map<string, string>();
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m) {
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge'].includes(m[3]!)) problems.push(`bad type ${line}`);
        if (m[3] === 'counter' && !m[2]!.endsWith('_total')) problems.push(`counter ${m[2]} without _total`);
        typed.set(m[2]!, m[3]!);
      }
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,|(?=\})))*\})? (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/.exec(line);
    if (!m) {
      problems.push(`unparseable: ${line}`);
      continue;
    }
    if (!typed.has(m[1]!)) problems.push(`sample before TYPE: ${m[1]}`);
    const key = `${m[1]}${m[2] ?? ''}`;
    if (seen.has(key)) problems.push(`duplicate series ${key}`);
    seen.add(key);
  }
  return problems;
}

t.test('labels: the full upstream set, unknown for missing values', async (t) => {
  const src = pod('client', '10.0.0.1', 'n1');
  const dst = pod('server', '10.0.0.2', 'n2');
  const l = trafficLabels({ reporter: 'source', src, srcIdentity: 'spiffe://cluster.local/ns/default/sa/client', dst, service: svc({ namespace: 'default', hostname: 'echo.default.svc.cluster.local' }), mtls: true });
  t.same(Object.keys(l), [...TRAFFIC_LABELS]);
  t.equal(l.destination_principal, 'unknown');
  t.equal(l.destination_service_name, 'echo');
  t.equal(l.connection_security_policy, 'mutual_tls');
  t.equal(trafficLabels({ reporter: 'destination', mtls: false }).source_workload, 'unknown');
});

t.test('exposition is valid, counts live bytes, escapes label values', async (t) => {
  const m = new Metrics({ version: '1.2.3' });
  const labels = { ...trafficLabels({ reporter: 'destination', mtls: false }), source_workload: 'we"ird\\name\n' };
  let rx = 3;
  const live = m.opened(labels, { received: () => rx, sent: () => 7 });
  t.match(m.render(), /istio_tcp_received_bytes_total\{.*\} 3/);
  t.same(checkExposition(m.render()), []);
  rx = 10;
  m.closed(live, 'destination');
  m.closed(live, 'destination');
  m.failed({ ...labels, response_flags: 'DENY' });
  const text = m.render();
  t.same(checkExposition(text), []);
  t.match(text, /istio_tcp_connections_closed_total\{.*\} 1\n/);
  t.match(text, /istio_tcp_received_bytes_total\{.*\} 10\n/);
  t.match(text, /source_workload="we\\"ird\\\\name\\n"/);
  t.match(text, /istio_build\{component="ztunnel",tag="1.2.3"\} 1/);
  t.match(text, /istio_tcp_sockets_open\{reporter="destination"\} 0/);
});

t.test('snapshots of other registries are summed into one exposition (multi-worker /metrics)', async (t) => {
  const labels = trafficLabels({ reporter: 'source', mtls: true });
  const main = new Metrics();
  const workers = [new Metrics(), new Metrics()];
  workers[0]!.closed(workers[0]!.opened(labels, { received: () => 5, sent: () => 1 }), 'source');
  workers[1]!.opened(labels, { received: () => 7, sent: () => 2 }); // still open: live bytes count
  const text = main.render(structuredClone(workers.map((w) => w.snapshot())));
  t.same(checkExposition(text), []);
  t.match(text, /istio_tcp_connections_opened_total\{reporter="source".*\} 2\n/);
  t.match(text, /istio_tcp_connections_closed_total\{reporter="source".*\} 1\n/);
  t.match(text, /istio_tcp_received_bytes_total\{reporter="source".*\} 12\n/);
  t.match(text, /istio_tcp_sockets_open\{reporter="source"\} 1/);
  t.equal(text.match(/istio_build\{/g)?.length, 1, 'one build info series');
});

t.test('label cache: one frozen label object per route inputs; a replaced workload object gets a fresh one', async (t) => {
  const cache = new TrafficLabelCache();
  const src = pod('client', '10.0.0.1', 'n1');
  const a = cache.get({ reporter: 'source', src, mtls: true });
  t.equal(cache.get({ reporter: 'source', src, mtls: true }), a);
  t.ok(Object.isFrozen(a));
  t.not(cache.get({ reporter: 'source', src, mtls: true, flag: 'DENY' }), a);
  const updated = { ...src, canonicalRevision: 'v2' };
  t.equal(cache.get({ reporter: 'source', src: updated, mtls: true }).source_version, 'v2');
  t.same(cache.get({ reporter: 'destination', mtls: false }), trafficLabels({ reporter: 'destination', mtls: false }));
});

// The real linter when it is installed (Debian package `prometheus` ships `promtool`; PROMTOOL may point at it).
const promtool = [process.env.PROMTOOL, '/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => p && existsSync(p));
t.test('promtool check metrics accepts the exposition', { skip: promtool ? false : 'promtool not installed' }, async (t) => {
  const m = new Metrics({ version: '0.1.0' });
  const l = { ...trafficLabels({ reporter: 'source', mtls: true }), source_workload: 'a"b' };
  const live = m.opened(l, { received: () => 5, sent: () => 10 });
  m.opened(trafficLabels({ reporter: 'destination', mtls: false }), { received: () => 1, sent: () => 2 });
  m.closed(live, 'source');
  m.failed({ ...l, response_flags: 'DENY' });
  const r = spawnSync(promtool!, ['check', 'metrics'], { input: m.render(), encoding: 'utf8' });
  t.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  t.equal(r.stdout.trim(), '', 'no lint findings');
});
