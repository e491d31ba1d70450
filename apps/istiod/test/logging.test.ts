import t from 'tap';
import { makeLogger } from '../src/logging.js';

t.test('plain lines carry time, level, component, message and fields; json is pino', async (t) => {
  const out: string[] = [];
  const log = makeLogger('debug', 'plain', { write: (s: string) => out.push(s) });
  log.child({ component: 'ads' }).info({ proxies: 3 }, 'pushed');
  log.warn({ err: new Error('boom') }, 'failed');
  log.flush();
  await new Promise((r) => setImmediate(r));
  t.match(out.join(''), /^\d{4}-\d\d-\d\dT[\d:.]+Z\tinfo\tads\tpushed\tproxies=3\n/);
  t.match(out.join(''), /\twarn\tistiod\tfailed\terr="boom"\n/);
  const json: string[] = [];
  const j = makeLogger('info', 'json', { write: (s: string) => json.push(s) });
  j.info({ a: 1 }, 'hello');
  t.match(JSON.parse(json[0]!), { msg: 'hello', a: 1, level: 30 });
});
