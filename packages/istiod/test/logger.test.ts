import t from 'tap';
import { silentLogger } from '../src/logger.js';

t.test('the silent logger accepts every call and children', async (t) => {
  for (const l of ['trace', 'debug', 'info', 'warn', 'error'] as const) silentLogger[l]({ a: 1 }, 'x');
  t.equal(silentLogger.child({ component: 'x' }), silentLogger);
});
