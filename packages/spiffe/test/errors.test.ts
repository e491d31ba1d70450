import t from 'tap';
import { checkErrorRegistry } from '@amesh/test-utils';
import { SpiffeError, SpiffeErrorCode } from '../src/errors.js';

t.test('every error code is documented in the README and builds a proper error', async (t) => {
  checkErrorRegistry(t, {
    readme: new URL('../README.md', import.meta.url),
    prefix: 'SPIFFE',
    codes: SpiffeErrorCode,
    make: (code) => new SpiffeError(code as SpiffeErrorCode),
    errorName: 'SpiffeError',
  });
});

t.test('instanceof works through the registry tag and details are kept', async (t) => {
  const code = Object.values(SpiffeErrorCode)[0]!;
  const err = new SpiffeError(code, 'custom message', { details: ['spec.x: bad'], cause: new Error('root') });
  t.ok(err instanceof SpiffeError);
  t.ok(err instanceof Error);
  t.notOk(new Error('x') instanceof SpiffeError);
  t.same(err.details, ['spec.x: bad']);
  t.equal((err.cause as Error).message, 'root');
});
