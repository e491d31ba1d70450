import t from 'tap';
import { DEFAULTS, h2Settings, positiveInt, silentLogger, tuningProblems } from '../src/session.js';

t.test('HTTP/2 settings default to upstream values', async (t) => {
  t.same(h2Settings(undefined, { maxConcurrentStreams: 200 }), {
    enablePush: false,
    initialWindowSize: 4 * 1024 * 1024,
    maxFrameSize: 1024 * 1024,
    maxConcurrentStreams: 200,
  });
  t.equal(h2Settings({ streamWindow: 65535, maxFrameSize: 16384 }, {}).initialWindowSize, 65535);
  t.equal(DEFAULTS.connectionWindow, 16 * 1024 * 1024);
  t.equal(DEFAULTS.clientMaxStreams, 100);
  t.equal(DEFAULTS.idleTimeoutMs, 300_000);
  t.same([DEFAULTS.keepaliveIntervalMs, DEFAULTS.keepaliveTimeoutMs], [10_000, 20_000]);
});

t.test('tuning and integer validation list every problem', async (t) => {
  t.same(tuningProblems(undefined, 'h2'), []);
  t.same(tuningProblems({ streamWindow: 1.5, connectionWindow: 2 ** 31, maxFrameSize: 2 ** 24 }, 'h2'), [
    'h2.streamWindow: 1.5 is not an integer in 65535..2147483647',
    'h2.connectionWindow: 2147483648 is not an integer in 65535..2147483647',
    'h2.maxFrameSize: 16777216 is not an integer in 16384..16777215',
  ]);
  const out: string[] = [];
  positiveInt('3', 'x', out);
  positiveInt(3, 'y', out);
  t.same(out, ['x: 3 is not a positive integer']);
  t.equal(silentLogger.child({}), silentLogger);
});
