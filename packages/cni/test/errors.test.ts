import t from 'tap';
import { checkErrorRegistry } from '@amesh/test-utils';
import { CniError, CniErrorCode } from '../src/errors.js';

t.test('every error code is documented in the README and builds a proper error', async (t) => {
  checkErrorRegistry(t, {
    readme: new URL('../README.md', import.meta.url),
    prefix: 'CNI',
    codes: CniErrorCode,
    make: (code) => new CniError(code as CniErrorCode),
    errorName: 'CniError',
  });
});

t.test('instanceof works through the registry tag and details are kept', async (t) => {
  const code = Object.values(CniErrorCode)[0]!;
  const err = new CniError(code, 'custom message', { details: ['spec.x: bad'], cause: new Error('root') });
  t.ok(err instanceof CniError);
  t.ok(err instanceof Error);
  t.notOk(new Error('x') instanceof CniError);
  t.same(err.details, ['spec.x: bad']);
  t.equal((err.cause as Error).message, 'root');
});
