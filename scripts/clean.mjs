#!/usr/bin/env node
// `npm run clean`: remove build outputs (dist/, test-results/, nx cache).
import { rmSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
const root = new URL('..', import.meta.url).pathname;
for (const group of ['packages', 'apps', 'tools']) {
  for (const n of readdirSync(join(root, group))) rmSync(join(root, group, n, 'dist'), { recursive: true, force: true });
}
for (const p of ['test-results', '.nx/cache', 'benchmarks/dist', 'e2e/dist']) if (existsSync(join(root, p))) rmSync(join(root, p), { recursive: true, force: true });
