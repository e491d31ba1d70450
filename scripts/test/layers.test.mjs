// The layering check proves itself: a scratch tree with a deliberate upward import, a lateral import between
// daemon cores, a cycle and a deep import must each be reported; the real repository must be clean.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkLayers, findCycles, importsOf } from '../layers.mjs';

function ws(root, dir, name, deps = {}, files = {}, exportsMap = { '.': './src/index.ts' }) {
  const d = join(root, dir);
  mkdirSync(join(d, 'src'), { recursive: true });
  writeFileSync(join(d, 'package.json'), JSON.stringify({ name, dependencies: deps, exports: exportsMap }));
  for (const [f, body] of Object.entries(files)) writeFileSync(join(d, 'src', f), body);
}

t.test('importsOf finds static, type-only, re-export and dynamic imports', async (t) => {
  const src = `import a from '@amesh/x';\nimport type { B } from "./b.js";\nexport { c } from '@amesh/y/sub';\nconst d = await import('@amesh/z');\nimport './side.js';`;
  t.same(importsOf(src), ['@amesh/x', './b.js', '@amesh/y/sub', '@amesh/z', './side.js']);
});

t.test('findCycles reports each cycle once', async (t) => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  t.same(findCycles(g).length, 1);
  t.same(findCycles(new Map([['a', ['b']], ['b', []]])), []);
});

t.test('violations are reported with the file and the rule', async (t) => {
  const root = t.testdir({});
  ws(root, 'packages/rbac', '@amesh/rbac', { '@amesh/ztunnel': '0' }, { 'index.ts': `import { x } from '@amesh/ztunnel';\n` });
  ws(root, 'packages/ztunnel', '@amesh/ztunnel', {}, { 'index.ts': `import { y } from '@amesh/istiod';\nexport const x = 1;\n` });
  ws(root, 'packages/istiod', '@amesh/istiod', { '@amesh/spiffe': '0' }, { 'index.ts': `import { z } from '@amesh/spiffe/internal';\nexport const y = 1;\n` });
  ws(root, 'packages/spiffe', '@amesh/spiffe', { '@amesh/rbac': '0' }, { 'index.ts': `import './a.js';\n`, 'a.ts': `import './index.js';\nimport { x } from '@amesh/rbac';\nexport const z = 1;\n` });
  const problems = checkLayers(root).join('\n');
  t.match(problems, /packages\/rbac\/src\/index\.ts: @amesh\/rbac \(pure\) imports @amesh\/ztunnel \(core\): an upward import/);
  t.match(problems, /@amesh\/ztunnel \(core\) imports @amesh\/istiod \(core\): an import between core workspaces/);
  t.match(problems, /imports @amesh\/istiod but @amesh\/ztunnel's package.json does not list it/);
  t.match(problems, /deep import '@amesh\/spiffe\/internal'/);
  t.match(problems, /@amesh\/spiffe: circular import packages\/spiffe\/src\/\w+\.ts -> packages\/spiffe\/src\/\w+\.ts -> /);
  t.match(problems, /circular dependency between workspaces/);
});

t.test('the repository itself follows the layering', async (t) => {
  const root = new URL('../..', import.meta.url).pathname;
  t.same(checkLayers(root), []);
});
