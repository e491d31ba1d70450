import t from 'tap';
import { CounterMap, LatencyRecorder } from '../src/metrics.js';

t.test('latency summary over a bounded window', async (t) => {
  const r = new LatencyRecorder(100);
  t.same(r.summary(), { count: 0, sumMs: 0, maxMs: 0, p50Ms: 0, p99Ms: 0 });
  for (let i = 1; i <= 100; i++) r.record(i);
  t.match(r.summary(), { count: 100, sumMs: 5050, maxMs: 100, p50Ms: 50, p99Ms: 99 });
  for (let i = 0; i < 100; i++) r.record(1000);
  t.match(r.summary(), { count: 200, maxMs: 1000, p50Ms: 1000, p99Ms: 1000 }, 'percentiles cover the most recent window only');
});

t.test('counters per key', async (t) => {
  const c = new CounterMap();
  c.inc('a');
  c.inc('a', 2);
  c.inc('b');
  t.equal(c.get('a'), 3);
  t.equal(c.get('zzz'), 0);
  t.equal(c.total(), 4);
  t.same(c.toJSON(), { a: 3, b: 1 });
});
