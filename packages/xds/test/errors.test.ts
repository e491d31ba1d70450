import t from 'tap';
import { checkErrorRegistry } from '@amesh/test-utils';
import { XdsError, XdsErrorCode } from '../src/errors.js';

t.test('every error code is documented in the README and builds a proper error', async (t) => {
  checkErrorRegistry(t, {
    readme: new URL('../README.md', import.meta.url),
    prefix: 'XDS',
    codes: XdsErrorCode,
    make: (code) => new XdsError(code as XdsErrorCode),
    errorName: 'XdsError',
  });
});

t.test('instanceof works through the registry tag and details are kept', async (t) => {
  const code = Object.values(XdsErrorCode)[0]!;
  const err = new XdsError(code, 'custom message', { details: ['spec.x: bad'], cause: new Error('root') });
  t.ok(err instanceof XdsError);
  t.ok(err instanceof Error);
  t.notOk(new Error('x') instanceof XdsError);
  t.same(err.details, ['spec.x: bad']);
  t.equal((err.cause as Error).message, 'root');
});
