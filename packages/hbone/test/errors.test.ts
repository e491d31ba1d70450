import t from 'tap';
import { checkErrorRegistry } from '@amesh/test-utils';
import { HboneError, HboneErrorCode } from '../src/errors.js';

t.test('every error code is documented in the README and builds a proper error', async (t) => {
  checkErrorRegistry(t, {
    readme: new URL('../README.md', import.meta.url),
    prefix: 'HBONE',
    codes: HboneErrorCode,
    make: (code) => new HboneError(code as HboneErrorCode),
    errorName: 'HboneError',
  });
});

t.test('instanceof works through the registry tag and details are kept', async (t) => {
  const code = Object.values(HboneErrorCode)[0]!;
  const err = new HboneError(code, 'custom message', { details: ['spec.x: bad'], cause: new Error('root') });
  t.ok(err instanceof HboneError);
  t.ok(err instanceof Error);
  t.notOk(new Error('x') instanceof HboneError);
  t.same(err.details, ['spec.x: bad']);
  t.equal((err.cause as Error).message, 'root');
});
