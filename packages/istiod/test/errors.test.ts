import t from 'tap';
import { checkErrorRegistry } from '@amesh/test-utils';
import { IstiodError, IstiodErrorCode } from '../src/errors.js';

t.test('every error code is documented in the README and builds a proper error', async (t) => {
  checkErrorRegistry(t, {
    readme: new URL('../README.md', import.meta.url),
    prefix: 'ISTIOD',
    codes: IstiodErrorCode,
    make: (code) => new IstiodError(code as IstiodErrorCode),
    errorName: 'IstiodError',
  });
});

t.test('instanceof works through the registry tag and details are kept', async (t) => {
  const code = Object.values(IstiodErrorCode)[0]!;
  const err = new IstiodError(code, 'custom message', { details: ['spec.x: bad'], cause: new Error('root') });
  t.ok(err instanceof IstiodError);
  t.ok(err instanceof Error);
  t.notOk(new Error('x') instanceof IstiodError);
  t.same(err.details, ['spec.x: bad']);
  t.equal((err.cause as Error).message, 'root');
});
