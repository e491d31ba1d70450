// The dependency rules of the architecture, as data plus a checker (used by scripts/lint.mjs and tested in
// scripts/test/layers.test.mjs). apps -> daemon cores -> protocol libs -> pure libs; never upward, never between
// daemon cores, never between apps; no import cycles between workspaces or between modules of one workspace.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';

/** Layer of each workspace kind; a workspace may import only workspaces of a strictly lower layer, except where
 * `lateral` allows the same layer. */
export const LAYERS = {
  pure: { rank: 0, lateral: true, members: ['spiffe', 'rbac'] },
  protocol: { rank: 1, lateral: true, members: ['hbone', 'xds', 'kube'] },
  core: { rank: 2, lateral: false, members: ['ztunnel', 'waypoint', 'cni', 'istiod'] },
  app: { rank: 3, lateral: false, members: ['app-istiod', 'app-ztunnel', 'app-waypoint', 'app-istio-cni', 'app-amesh'] },
  // test and bench harnesses sit above everything and may import any library
  harness: { rank: 4, lateral: false, members: ['e2e', 'benchmarks'] },
};

export function layerOf(shortName) {
  for (const [name, layer] of Object.entries(LAYERS)) if (layer.members.includes(shortName)) return { name, ...layer };
  if (shortName === 'test-utils') return { name: 'tool', rank: -1, lateral: true, members: [] };
  return undefined;
}

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Every module specifier a TypeScript/JavaScript source imports (type-only imports included: they couple too). */
export function importsOf(source) {
  const out = [];
  for (const m of source.matchAll(IMPORT_RE)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    if (e === 'node_modules' || e === 'dist') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|mjs|js)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Workspaces under root: [{ short, name, dir }] for packages/*, apps/*, e2e, benchmarks, tools/*. */
export function workspaces(root) {
  const list = [];
  const add = (dir) => {
    const pj = join(dir, 'package.json');
    if (!existsSync(pj)) return;
    const name = JSON.parse(readFileSync(pj, 'utf8')).name;
    const short = name.startsWith('@amesh/') ? name.slice('@amesh/'.length) : name;
    list.push({ short, name, dir });
  };
  for (const group of ['packages', 'apps', 'tools']) {
    const g = join(root, group);
    if (existsSync(g)) for (const e of readdirSync(g)) if (!e.startsWith('_')) add(join(g, e));
  }
  add(join(root, 'e2e'));
  add(join(root, 'benchmarks'));
  return list;
}

/**
 * Checks layering and cycles under `root`. Returns a list of human-readable violations (empty = clean).
 * Only `src/` counts for libraries and apps (tests may import test helpers and fixtures freely).
 */
export function checkLayers(root) {
  const problems = [];
  const ws = workspaces(root);
  const byName = new Map(ws.map((w) => [w.name, w]));
  const edges = new Map(); // workspace -> Set(workspace)
  for (const w of ws) {
    const me = layerOf(w.short);
    if (!me) {
      problems.push(`${w.name}: not assigned to a layer in scripts/layers.mjs (add it to LAYERS)`);
      continue;
    }
    const srcDir = ['e2e', 'benchmarks'].includes(w.short) ? w.dir : join(w.dir, 'src');
    const pkgJson = JSON.parse(readFileSync(join(w.dir, 'package.json'), 'utf8'));
    const declared = new Set([...Object.keys(pkgJson.dependencies ?? {}), ...Object.keys(pkgJson.peerDependencies ?? {})]);
    const isLibraryOrApp = me.rank <= 3;
    edges.set(w.name, new Set());
    const files = walk(srcDir);
    const moduleGraph = new Map();
    for (const f of files) {
      const rel = relative(root, f);
      const local = [];
      for (const spec of importsOf(readFileSync(f, 'utf8'))) {
        if (spec.includes('${')) continue; // computed specifier (tests, tooling)
        if (spec.startsWith('.')) {
          local.push(resolveLocal(f, spec));
          continue;
        }
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!pkg.startsWith('@amesh/')) continue;
        if (spec !== pkg && !isPublicSubpath(byName.get(pkg), spec)) {
          problems.push(`${rel}: deep import '${spec}' (import only what ${pkg} exports in package.json "exports")`);
        }
        const target = byName.get(pkg);
        if (!target) {
          problems.push(`${rel}: imports unknown workspace ${pkg}`);
          continue;
        }
        if (target === w) continue;
        edges.get(w.name).add(pkg);
        const them = layerOf(target.short);
        if (them.name === 'tool' && isLibraryOrApp) {
          problems.push(`${rel}: imports ${pkg}, a test-only workspace, from shipped source`);
        } else if (them.rank > me.rank || (them.rank === me.rank && !me.lateral)) {
          const why = them.rank > me.rank ? 'an upward import' : `an import between ${me.name} workspaces`;
          problems.push(`${rel}: ${w.name} (${me.name}) imports ${pkg} (${them.name}): ${why} breaks the layering apps -> daemon cores -> hbone/xds/kube -> spiffe/rbac`);
        }
        if (isLibraryOrApp && them.name !== 'tool' && !declared.has(pkg)) {
          problems.push(`${rel}: imports ${pkg} but ${w.name}'s package.json does not list it in "dependencies"`);
        }
      }
      moduleGraph.set(f, local);
    }
    for (const cycle of findCycles(moduleGraph)) {
      problems.push(`${w.name}: circular import ${cycle.map((p) => relative(root, p)).join(' -> ')}`);
    }
  }
  for (const cycle of findCycles(new Map([...edges].map(([k, v]) => [k, [...v]])))) {
    problems.push(`circular dependency between workspaces: ${cycle.join(' -> ')}`);
  }
  return problems;
}

function isPublicSubpath(target, spec) {
  if (!target) return false;
  const exp = JSON.parse(readFileSync(join(target.dir, 'package.json'), 'utf8')).exports ?? {};
  const sub = '.' + spec.slice(target.name.length);
  return Object.prototype.hasOwnProperty.call(exp, sub);
}

function resolveLocal(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base + '.ts', join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? base;
}

/** Elementary cycles found by DFS (each reported once, starting at its smallest member). */
export function findCycles(graph) {
  const cycles = [];
  const seen = new Set();
  const state = new Map();
  const stack = [];
  const visit = (n) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (!graph.has(m)) continue;
      if (state.get(m) === 1) {
        const cyc = stack.slice(stack.indexOf(m));
        const key = [...cyc].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...cyc, m]);
        }
      } else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return cycles;
}
