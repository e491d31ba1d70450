import t from 'tap';
import { run } from '../src/cli.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) }, text: () => out.join(''), errText: () => err.join('') };
}

t.test('amesh --help lists the commands and exits 0', async (t) => {
  const a = io();
  t.equal(await run(['--help'], a), 0);
  t.match(a.text(), /usage: amesh <command>/);
  t.match(a.text(), /authz/);
  t.match(a.text(), /route/);
  t.match(a.text(), /lab/);
});

t.test('no command shows usage and exits 2; unknown command exits 2', async (t) => {
  const a = io();
  t.equal(await run([], a), 2);
  const b = io();
  t.equal(await run(['nope'], b), 2);
  t.match(b.errText(), /unknown command "nope"/);
});

t.test('version prints the package version', async (t) => {
  const a = io();
  t.equal(await run(['version'], a), 0);
  t.match(a.text(), /^amesh \d+\.\d+\.\d+\n$/);
});
