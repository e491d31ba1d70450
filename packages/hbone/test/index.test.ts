import t from 'tap';
import * as api from '../src/index.js';

t.test('the public API is what the README documents', async (t) => {
  t.same(Object.keys(api).sort(), [
    'DEFAULTS',
    'HboneError',
    'HboneErrorCode',
    'HbonePool',
    'HboneServer',
    'authorityProblems',
    'baggageHeader',
    'formatAuthority',
    'forwardedHeader',
    'forwardedHost',
    'newTraceparent',
    'parseAuthority',
    'parseBaggage',
    'poolKey',
    'poolOptionProblems',
    'serverOptionProblems',
    'silentLogger',
  ]);
});
