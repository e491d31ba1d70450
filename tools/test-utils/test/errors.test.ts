import t from 'tap';
import { checkErrorRegistry, type Asserter } from '../src/index.js';

/** Records assertions instead of reporting them, to test the checker itself. */
function recorder() {
  const failures: string[] = [];
  const a: Asserter = {
    ok: (v, m) => (v ? true : failures.push(m ?? 'ok')),
    equal: (f, w, m) => (f === w ? true : failures.push(m ?? 'equal')),
    same: (f, w, m) => (JSON.stringify(f) === JSON.stringify(w) ? true : failures.push(m ?? 'same')),
  };
  return { a, failures };
}

t.test('flags undocumented and stale codes', async (t) => {
  const dir = t.testdir({
    'README.md': '# x\n\n## Errors\n| code | when |\n|---|---|\n| `X_ERR_ONE` | a |\n| `X_ERR_STALE` | b |\n\n## Metrics\n',
  });
  const { a, failures } = recorder();
  checkErrorRegistry(a, {
    readme: `${dir}/README.md`,
    prefix: 'X',
    codes: { ONE: 'X_ERR_ONE', TWO: 'X_ERR_TWO' },
    make: (code) => Object.assign(new Error('m'), { code, name: 'XError' }),
    errorName: 'XError',
  });
  t.match(failures.join('\n'), /X_ERR_TWO is documented/);
  t.match(failures.join('\n'), /README documents no code missing from the registry/);
});

t.test('passes a consistent registry', async (t) => {
  const dir = t.testdir({ 'README.md': '## Errors\n| `X_ERR_ONE` | a |\n' });
  const { a, failures } = recorder();
  checkErrorRegistry(a, {
    readme: `${dir}/README.md`,
    prefix: 'X',
    codes: { ONE: 'X_ERR_ONE' },
    make: (code) => Object.assign(new Error('m'), { code, name: 'XError' }),
    errorName: 'XError',
  });
  t.same(failures, []);
});
