#!/usr/bin/env node
// Builds one of our own native helpers: `node scripts/build-native.mjs <dir>` where <dir> holds a binding.gyp
// (scripts/build.mjs calls it for every packages/*/native and apps/*/native). It uses the node-gyp that ships inside
// npm and the Node headers already on the machine (npm config `nodedir`, or the headers next to this node binary);
// it never downloads headers. Output: <dir>/build/Release/<target>.node (git-ignored).
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const dir = process.argv[2];
if (!dir || !existsSync(join(dir, 'binding.gyp'))) {
  process.stderr.write('usage: node scripts/build-native.mjs <dir containing binding.gyp>\n');
  process.exit(2);
}

const nodePrefix = dirname(dirname(process.execPath));
// the npm on PATH (the pinned runtime from node_modules/.bin ships without npm, so a direct `node scripts/build.mjs`
// finds node-gyp through the machine's own npm)
const npmOnPath = (process.env.PATH ?? '').split(':').map((d) => join(d, 'npm')).find((p) => existsSync(p));
const nodeGypCandidates = [
  process.env.npm_execpath && join(dirname(dirname(process.env.npm_execpath)), 'node_modules/node-gyp/bin/node-gyp.js'),
  join(nodePrefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  join(nodePrefix, 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  npmOnPath && join(dirname(dirname(realpathSync(npmOnPath))), 'node_modules/node-gyp/bin/node-gyp.js'),
].filter(Boolean);
const nodeGyp = nodeGypCandidates.find((p) => existsSync(p));
if (!nodeGyp) {
  process.stderr.write(`build-native: node-gyp not found (looked in ${nodeGypCandidates.join(', ')}); it ships with npm\n`);
  process.exit(1);
}

const nodedirCandidates = [process.env.npm_config_nodedir, nodePrefix].filter(Boolean);
const nodedir = nodedirCandidates.find((d) => existsSync(join(d, 'include/node/node_api.h')));
if (!nodedir) {
  process.stderr.write(
    `build-native: Node headers not found (need include/node/node_api.h under ${nodedirCandidates.join(' or ')}); ` +
      'install the distribution package with the Node headers (headers are never downloaded)\n',
  );
  process.exit(1);
}

const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=warn'], {
  cwd: resolve(dir),
  stdio: 'inherit',
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (r.status !== 0) {
  process.stderr.write(`build-native: node-gyp failed in ${dir} (exit ${r.status})\n`);
  process.exit(r.status ?? 1);
}
