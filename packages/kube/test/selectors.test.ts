import t from 'tap';
import { KubeError } from '../src/errors.js';
import { fieldValue, matchLabels, parseSelector } from '../src/selectors.js';

t.test('label selector syntax', async (t) => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'web' }, true],
    ['app=web', { app: 'db' }, false],
    ['app!=web', { app: 'db' }, true],
    ['app!=web', {}, true],
    ['app', { app: '' }, true],
    ['app', {}, false],
    ['!app', {}, true],
    ['!app', { app: 'x' }, false],
    ['env in (prod, dev),app', { env: 'dev', app: 'x' }, true],
    ['env in (prod)', {}, false],
    ['env notin (prod)', {}, true],
    ['env notin (prod)', { env: 'prod' }, false],
    ['', { any: 'x' }, true],
  ];
  for (const [sel, labels, want] of cases) t.equal(parseSelector(sel).matches(labels), want, `${sel} on ${JSON.stringify(labels)}`);
});

t.test('bad terms are all reported', async (t) => {
  try {
    parseSelector('a=b,=x,c in d');
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof KubeError);
    t.equal((err as KubeError).code, 'KUBE_ERR_INVALID_SELECTOR');
    t.equal((err as KubeError).details.length, 2);
  }
});

t.test('matchLabels and fieldValue', async (t) => {
  t.ok(matchLabels(undefined, { a: '1' }));
  t.ok(matchLabels({}, undefined));
  t.ok(matchLabels({ a: '1' }, { a: '1', b: '2' }));
  t.notOk(matchLabels({ a: '1' }, { a: '2' }));
  t.notOk(matchLabels({ a: '1' }, undefined));
  t.equal(fieldValue({ spec: { nodeName: 'n1' } }, 'spec.nodeName'), 'n1');
  t.equal(fieldValue({ spec: {} }, 'spec.nodeName'), undefined);
  t.equal(fieldValue({ spec: 3 }, 'spec.nodeName'), undefined);
  t.equal(fieldValue({ a: { b: 1 } }, 'a'), '{"b":1}');
});
