import t from 'tap';
import { realTimers, silentLogger } from '../src/logger.js';

t.test('the silent logger drops everything; real timers fire and cancel', async (t) => {
  // realTimers unref() their timers (a library never keeps a process alive); hold the loop open for the test.
  const keep = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(keep));
  silentLogger.info({ a: 1 }, 'x');
  t.equal(silentLogger.child({ c: 1 }), silentLogger);
  await new Promise<void>((resolve) => realTimers.setTimeout(resolve, 1));
  let fired = false;
  const h = realTimers.setTimeout(() => (fired = true), 1);
  realTimers.clearTimeout(h);
  await new Promise((r) => setTimeout(r, 5));
  t.notOk(fired);
});
