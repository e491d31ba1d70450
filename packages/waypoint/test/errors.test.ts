import t from 'tap';
import { checkErrorRegistry } from '@amesh/test-utils';
import { WaypointError, WaypointErrorCode } from '../src/errors.js';

t.test('every error code is documented in the README and builds a proper error', async (t) => {
  checkErrorRegistry(t, {
    readme: new URL('../README.md', import.meta.url),
    prefix: 'WP',
    codes: WaypointErrorCode,
    make: (code) => new WaypointError(code as WaypointErrorCode),
    errorName: 'WaypointError',
  });
});

t.test('instanceof works through the registry tag and details are kept', async (t) => {
  const code = Object.values(WaypointErrorCode)[0]!;
  const err = new WaypointError(code, 'custom message', { details: ['spec.x: bad'], cause: new Error('root') });
  t.ok(err instanceof WaypointError);
  t.ok(err instanceof Error);
  t.notOk(new Error('x') instanceof WaypointError);
  t.same(err.details, ['spec.x: bad']);
  t.equal((err.cause as Error).message, 'root');
});
