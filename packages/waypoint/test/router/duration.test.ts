import t from 'tap';
import { formatDuration, parseDuration } from '../../src/router/duration.js';

t.test('parse protobuf and Go forms', async (t) => {
  const cases: Array<[string, number]> = [['7s', 7e9], ['1.5s', 1.5e9], ['0.100s', 100e6], ['100ms', 100e6], ['1m30s', 90e9], ['2h', 7200e9], ['0s', 0], ['0', 0], ['250us', 250e3], ['5µs', 5e3], ['10ns', 10], ['.5s', 5e8]];
  for (const [s, ns] of cases) t.equal(parseDuration(s), ns, s);
  for (const bad of ['', 'soon', '5', '-1s', '1x', 5, null]) t.equal(parseDuration(bad), undefined, String(bad));
});

t.test('format like Go time.Duration.String()', async (t) => {
  const cases: Array<[number, string]> = [[0, '0s'], [7e9, '7s'], [1.5e9, '1.5s'], [100e6, '100ms'], [1.5e6, '1.5ms'], [90e9, '1m30s'], [7200e9, '2h0m0s'], [3723.5e9, '1h2m3.5s'], [250e3, '250µs'], [10, '10ns'], [-2e9, '-2s']];
  for (const [ns, s] of cases) t.equal(formatDuration(ns), s, s);
});
