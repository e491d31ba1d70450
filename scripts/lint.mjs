#!/usr/bin/env node
// `npm run lint`: the project's structural checks. Fails (exit 1) on any finding.
//  - layering and import cycles (scripts/layers.mjs)
//  - library hygiene: no console.*, no process.env / process.argv, no process.exit in packages/*/src
//  - every workspace README has the template's sections
//  - TypeScript typecheck of sources (tsc -b) and of tests (tsconfig.test.json)
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { checkLayers, workspaces } from './layers.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const problems = [...checkLayers(root)];

const walk = (dir, out = []) => {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith('.ts') && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
};

for (const w of workspaces(root).filter((w) => w.dir.includes('/packages/'))) {
  for (const f of walk(join(w.dir, 'src'))) {
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      const at = `${relative(root, f)}:${i + 1}`;
      if (/\bconsole\.(log|error|warn|info|debug)\(/.test(code)) problems.push(`${at}: console.* in a library (take an injected logger)`);
      if (/\bprocess\.(env|argv)\b/.test(code)) problems.push(`${at}: process.env/argv in a library (only apps read them; take config)`);
      if (/\bprocess\.exit\(/.test(code)) problems.push(`${at}: process.exit in a library`);
    });
  }
}

const SECTIONS = ['Role', 'API', 'Configuration', 'Errors', 'Metrics', 'Testing'];
for (const w of workspaces(root).filter((w) => /\/(packages|apps)\//.test(w.dir))) {
  const readme = join(w.dir, 'README.md');
  if (!existsSync(readme)) {
    problems.push(`${relative(root, w.dir)}: missing README.md (start from docs/package-readme-template.md)`);
    continue;
  }
  const text = readFileSync(readme, 'utf8');
  for (const s of SECTIONS) {
    if (!new RegExp(`^## ${s}\\b`, 'm').test(text)) problems.push(`${relative(root, readme)}: missing "## ${s}" section (see docs/package-readme-template.md)`);
  }
}

if (!process.argv.includes('--no-typecheck')) {
  for (const args of [['-b', 'tsconfig.json'], ['-p', 'tsconfig.test.json']]) {
    const r = spawnSync(join(root, 'node_modules/.bin/tsc'), args, { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) problems.push(`tsc ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  }
}

if (problems.length) {
  process.stderr.write(`lint: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('lint: layering, cycles, library hygiene, READMEs and types are clean\n');
