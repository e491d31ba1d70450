#!/usr/bin/env node
// `npm test`: everything — system deps check (installs them when root), build, lint, then every tap suite
// (unit tests of all workspaces, the scripts' own tests, and the e2e suites). Prints a closing line
// `N passed, N failed` counting the leaf tests of all suites. Full TAP goes to test-results/tap.txt.
//   --unit   skip e2e/
//   --no-build / --no-lint   skip those steps (for quick local runs)
//   any other argument: test files or directories to run instead of the default set
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeTap } from './tap-summary.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const files = args.filter((a) => !a.startsWith('--'));

function step(name, cmd, cmdArgs) {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`\n${name} failed (exit ${r.status})\n0 passed, 1 failed\n`);
    process.exit(1);
  }
}

if (process.getuid?.() === 0) step('system dependencies', join(root, 'scripts/install-system-deps'), []);
else if (spawnSync(join(root, 'scripts/install-system-deps'), ['--check'], { stdio: 'inherit' }).status !== 0) {
  process.stdout.write('(not root: tests that need the missing packages or root will be skipped)\n');
}
if (!flag('--no-build')) step('build', process.execPath, [join(root, 'scripts/build.mjs')]);
if (!flag('--no-lint')) step('lint', process.execPath, [join(root, 'scripts/lint.mjs')]);

const defaults = ['scripts/test', 'tools/test-utils/test', 'packages/*/test', 'apps/*/test'];
if (!flag('--unit')) defaults.push('e2e/test');
const targets = files.length ? files : defaults;
process.stdout.write(`\n== tests: ${targets.join(' ')}\n`);
mkdirSync(join(root, 'test-results'), { recursive: true });
const tapOut = createWriteStream(join(root, 'test-results/tap.txt'));
const child = spawn(join(root, 'node_modules/.bin/tap'), ['--reporter=tap', ...targets], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  shell: false,
  env: { ...process.env, FORCE_COLOR: '0' },
});
let text = '';
let pending = '';
child.stdout.on('data', (d) => {
  tapOut.write(d);
  text += d;
  // stream each test file's result as it completes (the full TAP is in test-results/tap.txt)
  pending += d;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const l of lines) if (/^(not )?ok \d+ - /.test(l)) process.stdout.write(`${l.startsWith('not') ? 'FAILED' : 'ok    '} ${l.replace(/^(not )?ok \d+ - /, '')}\n`);
});
child.on('close', (code) => {
  tapOut.end();
  const s = summarizeTap(text);
  const failures = s.report.filter((l) => l.startsWith('  not ok'));
  if (failures.length) process.stdout.write(`\nfailed tests:\n${failures.join('\n')}\n`);
  const failed = s.failed + (code !== 0 && s.failed === 0 ? 1 : 0);
  if (code !== 0 && s.failed === 0) process.stdout.write(`tap exited ${code} without a failing test (see test-results/tap.txt)\n`);
  process.stdout.write(`\n${s.passed} passed, ${failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}\n`);
  process.exit(failed ? 1 : 0);
});
