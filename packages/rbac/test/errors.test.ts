import t from 'tap';
import { checkErrorRegistry } from '@amesh/test-utils';
import { RbacError, RbacErrorCode } from '../src/errors.js';

t.test('every error code is documented in the README and builds a proper error', async (t) => {
  checkErrorRegistry(t, {
    readme: new URL('../README.md', import.meta.url),
    prefix: 'RBAC',
    codes: RbacErrorCode,
    make: (code) => new RbacError(code as RbacErrorCode),
    errorName: 'RbacError',
  });
});

t.test('instanceof works through the registry tag and details are kept', async (t) => {
  const code = Object.values(RbacErrorCode)[0]!;
  const err = new RbacError(code, 'custom message', { details: ['spec.x: bad'], cause: new Error('root') });
  t.ok(err instanceof RbacError);
  t.ok(err instanceof Error);
  t.notOk(new Error('x') instanceof RbacError);
  t.same(err.details, ['spec.x: bad']);
  t.equal((err.cause as Error).message, 'root');
});
