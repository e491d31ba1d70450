import t from 'tap';
import { run } from '../src/cli.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) }, text: () => out.join(''), errText: () => err.join('') };
}

t.test('help and version exit 0; an unknown command exits 2 and shows usage', async (t) => {
  const a = io();
  t.equal(await run(['--help'], a), 0);
  t.match(a.text(), /usage: waypoint/);
  const b = io();
  t.equal(await run(['version'], b), 0);
  t.match(b.text(), /^waypoint \d+\.\d+\.\d+/);
  const c = io();
  t.equal(await run(['frobnicate'], c), 2);
  t.match(c.errText(), /unknown command "frobnicate"/);
});
