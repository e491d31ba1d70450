#!/usr/bin/env node
// `npm run bench [-- <name>...] [--smoke]`: builds, then runs each benchmark in benchmarks/<name>/ (its index.mjs or
// dist entry) and prints its results. `--smoke` runs each one briefly (CI keeps them from rotting).
// Results belong in docs/benchmarks.md with the machine and the command that produced them.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..');
const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('--'));
const passthrough = args.filter((a) => a.startsWith('--'));
const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const all = readdirSync(here).filter((d) => statSync(join(here, d)).isDirectory() && existsSync(join(here, d, 'index.mjs')));
const chosen = names.length ? names : all;
if (!chosen.length) {
  process.stdout.write('no benchmarks yet\n');
  process.exit(0);
}
let failed = 0;
for (const name of chosen) {
  const entry = join(here, name, 'index.mjs');
  if (!existsSync(entry)) {
    process.stderr.write(`bench: unknown benchmark "${name}" (have: ${all.join(', ')})\n`);
    failed++;
    continue;
  }
  process.stdout.write(`\n== benchmark ${name} (node ${process.versions.node}, openssl ${process.versions.openssl})\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', entry, ...passthrough], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
