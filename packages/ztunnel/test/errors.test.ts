import t from 'tap';
import { checkErrorRegistry } from '@amesh/test-utils';
import { ZtunnelError, ZtunnelErrorCode } from '../src/errors.js';

t.test('every error code is documented in the README and builds a proper error', async (t) => {
  checkErrorRegistry(t, {
    readme: new URL('../README.md', import.meta.url),
    prefix: 'ZT',
    codes: ZtunnelErrorCode,
    make: (code) => new ZtunnelError(code as ZtunnelErrorCode),
    errorName: 'ZtunnelError',
  });
});

t.test('instanceof works through the registry tag and details are kept', async (t) => {
  const code = Object.values(ZtunnelErrorCode)[0]!;
  const err = new ZtunnelError(code, 'custom message', { details: ['spec.x: bad'], cause: new Error('root') });
  t.ok(err instanceof ZtunnelError);
  t.ok(err instanceof Error);
  t.notOk(new Error('x') instanceof ZtunnelError);
  t.same(err.details, ['spec.x: bad']);
  t.equal((err.cause as Error).message, 'root');
});
