import t from 'tap';
import { DEFAULT_RETRY_ON, convertRetryPolicy, defaultRetryPolicy, translateRetryOn } from '../../src/router/retry.js';

t.test('upstream translation examples', async (t) => {
  t.same(translateRetryOn('some,fake,5xx,404,conditions,503'), { retryOn: 'some,fake,5xx,conditions,retriable-status-codes', codes: [404, 503] });
  t.same(translateRetryOn('some,fake,conditions,1000'), { retryOn: 'some,fake,conditions,1000', codes: [] });
  t.same(translateRetryOn(' 5xx , ,retriable-status-codes,503'), { retryOn: '5xx,retriable-status-codes', codes: [503] }, 'trimmed, empty parts dropped, not appended twice');
});

t.test('defaults and conversions', async (t) => {
  const d = defaultRetryPolicy();
  t.equal(d.attempts, 2);
  t.equal(d.retryOn, DEFAULT_RETRY_ON);
  t.same(d.retryHostPredicate, ['previous_hosts']);
  t.equal(d.hostSelectionRetryMaxAttempts, 5);
  t.equal(d.backoffBaseIntervalNs, 25e6);
  t.same(convertRetryPolicy(undefined), d);
  t.same(convertRetryPolicy(undefined, true)!.retryHostPredicate, []);
  t.equal(convertRetryPolicy({ attempts: 0 }), undefined);
  t.equal(convertRetryPolicy({ attempts: -1 }), undefined);
  const p = convertRetryPolicy({ attempts: 4, retryOn: 'gateway-error,429', perTryTimeoutNs: 2e9, retryRemoteLocalities: true, retryIgnorePreviousHosts: false, backoffNs: 1e8 })!;
  t.same(p, { ...d, attempts: 4, retryOn: 'gateway-error,retriable-status-codes', retriableStatusCodes: [429], perTryTimeoutNs: 2e9, retryPriority: 'previous_priorities', retryHostPredicate: [], backoffBaseIntervalNs: 1e8 });
  t.same(convertRetryPolicy({ attempts: 1, retryIgnorePreviousHosts: true }, true)!.retryHostPredicate, ['previous_hosts']);
});
