import t from 'tap';
import { summarizeTap } from '../tap-summary.mjs';

t.test('counts leaf points, not the subtests that wrap them', async (t) => {
  const tap = [
    'TAP version 14',
    '# Subtest: packages/a/test/x.test.ts',
    '    # Subtest: group',
    '        ok 1 - first',
    '        not ok 2 - second',
    '          ---',
    '          ...',
    '        1..2',
    '    not ok 1 - group # time=1ms',
    '    ok 2 - needs root # SKIP not root',
    '    1..2',
    'not ok 1 - packages/a/test/x.test.ts # time=3ms',
    '# Subtest: packages/b/test/y.test.ts',
    '    ok 1 - plain assertion',
    '    1..1',
    'ok 2 - packages/b/test/y.test.ts # time=1ms',
    '1..2',
  ].join('\n');
  const s = summarizeTap(tap);
  t.equal(s.passed, 2);
  t.equal(s.failed, 1);
  t.equal(s.skipped, 1);
  t.match(s.report.join('\n'), /FAILED packages\/a\/test\/x\.test\.ts/);
  t.match(s.report.join('\n'), /not ok: packages\/a\/test\/x\.test\.ts > second/);
});
