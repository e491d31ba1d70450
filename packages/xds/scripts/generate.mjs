#!/usr/bin/env node
// Regenerates packages/xds/generated/proto.{js,d.ts} from packages/xds/proto/**/*.proto with protobufjs-cli
// (pbjs static-module, ESM, plus the .d.ts). The output is committed; test/generated.test.ts regenerates into
// a temporary directory and fails when the committed files are stale.
//
//   node packages/xds/scripts/generate.mjs [outDir]     (default: packages/xds/generated)
import { spawnSync } from 'node:child_process';
import { readdirSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(pkgDir, 'proto');

/** The .proto files, relative to proto/, in a stable order. */
export function protoFiles() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.proto')) out.push(relative(protoDir, p));
    }
  };
  walk(protoDir);
  return out.sort();
}

/** Runs pbjs; writes proto.js and proto.d.ts into outDir. */
export function generate(outDir) {
  mkdirSync(outDir, { recursive: true });
  const require = createRequire(import.meta.url);
  const pbjs = join(dirname(require.resolve('protobufjs-cli/package.json')), 'bin', 'pbjs');
  const args = [
    pbjs, '-t', 'static-module', '-w', 'esm', '-r', 'amesh_xds', '-p', 'proto',
    '--force-number', '--null-semantics',
    '--no-verify', '--no-convert', '--no-delimited', '--no-service', '--no-create', '--no-typeurl',
    '-d', '-o', join(outDir, 'proto.js'), ...protoFiles(),
  ];
  const r = spawnSync(process.execPath, args, { cwd: pkgDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pbjs failed (${r.status}): ${r.stderr}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? join(pkgDir, 'generated'));
  generate(out);
  process.stdout.write(`generated ${relative(process.cwd(), out)}/proto.{js,d.ts} from ${protoFiles().length} .proto files\n`);
}
