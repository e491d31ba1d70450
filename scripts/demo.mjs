#!/usr/bin/env node
// `npm run demo [-- --keep]`: installs what the lab needs (as root), builds, then runs seed 000's L4 walkthrough in a
// fresh two-node lab (`amesh lab demo`): deploy, call, enroll, mTLS access logs, allow-nothing, the three ALLOW policies.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
if (process.getuid?.() !== 0) {
  process.stderr.write('npm run demo: the lab creates network namespaces and needs root (run it with sudo)\n');
  process.exit(1);
}
const step = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
step(join(root, 'scripts/install-system-deps'), []);
step(process.execPath, [join(root, 'scripts/build.mjs')]);
step(process.execPath, [join(root, 'apps/amesh/dist/main.js'), 'lab', 'demo', ...process.argv.slice(2)]);
