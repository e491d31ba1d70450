import t from 'tap';
import { makeLogger } from '../src/logging.js';

t.test('plain lines look like upstream istio-cni logs; json is pino', async (t) => {
  const out: string[] = [];
  const log = makeLogger('info', 'plain', { write: (s: string) => out.push(s) });
  log.child({ scope: 'ambient' }).info({ namespace: 'demo' }, 'Namespace demo is enabled in ambient mesh');
  log.error({ err: new Error('boom') }, 'it failed');
  log.debug('hidden');
  await new Promise((r) => setImmediate(r));
  t.match(out[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\tinfo\tambient\tNamespace demo is enabled in ambient mesh\n$/);
  t.match(out[1], /\terror\tcni\tit failed: boom\n$/);
  t.equal(out.length, 2);
  const json: string[] = [];
  makeLogger('info', 'json', { write: (s: string) => json.push(s) }).info('x');
  t.equal(JSON.parse(json[0]!).msg, 'x');
});
