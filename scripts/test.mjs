#!/usr/bin/env node
// `npm test`: everything — system deps check (installs them when root), build, lint, then every tap suite
// (unit tests of all workspaces, the scripts' own tests, and the e2e suites), on the project's pinned runtime
// (`node_modules/.bin/node`, which `npm run` puts first on PATH). Then the libraries that users embed run their own
// suites once more on the floor runtime (Node 20) when npm itself runs on an older Node than the pinned one
// (`npm_node_execpath`), so the `engines: >=20` promise is tested, not assumed. Prints a closing line
// `N passed, N failed` counting the leaf tests of all runs. Full TAP goes to test-results/tap.txt.
//   --unit   skip e2e/
//   --no-build / --no-lint / --no-floor   skip those steps (for quick local runs)
//   --floor-only   only the libraries' suites on the floor runtime
//   any other argument: test files or directories to run instead of the default set (no floor run)
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
// the libraries platform teams import into their own tools; their suites also run on the floor runtime
const floorSuites = ['packages/spiffe/test', 'packages/rbac/test', 'packages/hbone/test', 'packages/xds/test', 'packages/waypoint/test'];
const targets = files.length ? files : defaults;
mkdirSync(join(root, 'test-results'), { recursive: true });
const tapOut = createWriteStream(join(root, 'test-results/tap.txt'));

/** Runs tap over `suites` with the given node binary; resolves with the TAP summary and tap's exit code. */
function runTap(node, suites) {
  return new Promise((resolve) => {
    const child = spawn(node, [join(root, 'node_modules/tap/dist/esm/run.mjs'), '--reporter=tap', ...suites], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
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
    child.on('close', (code) => resolve({ ...summarizeTap(text), code }));
  });
}

/** The Node that runs npm itself, when it is older than the runtime the tests ran on (else null). */
function floorNode() {
  const candidate = process.env.AMESH_FLOOR_NODE ?? process.env.npm_node_execpath;
  if (!candidate || flag('--no-floor') || files.length) return null;
  const r = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  const major = Number(r.stdout?.split('.')[0]);
  if (r.status !== 0 || !(major < Number(process.versions.node.split('.')[0]))) return null;
  return { path: candidate, version: r.stdout.trim() };
}

const runs = [];
if (!flag('--floor-only')) {
  process.stdout.write(`\n== tests on node ${process.versions.node} (openssl ${process.versions.openssl}): ${targets.join(' ')}\n`);
  runs.push(await runTap(process.execPath, targets));
}
const floor = floorNode();
if (!floor && flag('--floor-only')) process.stdout.write('\nno floor runtime: npm runs on the pinned Node (set AMESH_FLOOR_NODE)\n');
if (floor) {
  process.stdout.write(`\n== library suites on the floor runtime, node ${floor.version} (${floor.path}): ${floorSuites.join(' ')}\n`);
  runs.push(await runTap(floor.path, floorSuites));
}
tapOut.end();
let passed = 0, failed = 0, skipped = 0;
for (const r of runs) {
  const failures = r.report.filter((l) => l.startsWith('  not ok'));
  if (failures.length) process.stdout.write(`\nfailed tests:\n${failures.join('\n')}\n`);
  if (r.code !== 0 && r.failed === 0) process.stdout.write(`tap exited ${r.code} without a failing test (see test-results/tap.txt)\n`);
  passed += r.passed;
  skipped += r.skipped;
  failed += r.failed + (r.code !== 0 && r.failed === 0 ? 1 : 0);
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
