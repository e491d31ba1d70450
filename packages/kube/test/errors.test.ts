import t from 'tap';
import { checkErrorRegistry } from '@amesh/test-utils';
import { KubeError, KubeErrorCode } from '../src/errors.js';

t.test('every error code is documented in the README and builds a proper error', async (t) => {
  checkErrorRegistry(t, {
    readme: new URL('../README.md', import.meta.url),
    prefix: 'KUBE',
    codes: KubeErrorCode,
    make: (code) => new KubeError(code as KubeErrorCode),
    errorName: 'KubeError',
  });
});

t.test('instanceof works through the registry tag and details are kept', async (t) => {
  const code = Object.values(KubeErrorCode)[0]!;
  const err = new KubeError(code, 'custom message', { details: ['spec.x: bad'], cause: new Error('root') });
  t.ok(err instanceof KubeError);
  t.ok(err instanceof Error);
  t.notOk(new Error('x') instanceof KubeError);
  t.same(err.details, ['spec.x: bad']);
  t.equal((err.cause as Error).message, 'root');
});
