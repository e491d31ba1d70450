#!/usr/bin/env node
// `npm run build`: compile every workspace (tsc -b over the project-reference graph) and build our own native
// helpers (packages/*/native, node-gyp). Dependencies' install scripts stay blocked (npm 11 allowScripts); anything
// native that we need is built here.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const run = (cmd, args, cwd = root) => {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`build: ${cmd} ${args.join(' ')} failed in ${cwd} (exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
};
run(join(root, 'node_modules/.bin/tsc'), ['-b', 'tsconfig.json']);
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name, 'native');
    if (existsSync(join(dir, 'binding.gyp'))) run(process.execPath, [join(root, 'scripts/build-native.mjs'), dir]);
  }
}
if (existsSync(join(root, 'benchmarks/tsconfig.json'))) run(join(root, 'node_modules/.bin/tsc'), ['-b', 'benchmarks/tsconfig.json']);
