// Foundation e2e: the built workspaces load from dist/ through their package.json "exports" (what ships), and
// the CLI binary runs as a user would run it.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

t.test('every package imports from its built dist/ without the source condition', async (t) => {
  for (const name of readdirSync(join(root, 'packages'))) {
    const pkg = join(root, 'packages', name);
    if (!existsSync(join(pkg, 'package.json'))) continue;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import('@amesh/${name}'); console.log(Object.keys(m).length)`], { cwd: root, encoding: 'utf8' });
    t.equal(r.status, 0, `@amesh/${name} loads from dist (${r.stderr.trim()})`);
    t.ok(Number(r.stdout.trim()) > 0, `@amesh/${name} exports something`);
  }
});

t.test('the amesh binary prints its help', async (t) => {
  const r = spawnSync(process.execPath, [join(root, 'apps/amesh/dist/main.js'), '--help'], { encoding: 'utf8' });
  t.equal(r.status, 0);
  t.match(r.stdout, /usage: amesh <command>/);
});
