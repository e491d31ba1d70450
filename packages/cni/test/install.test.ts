import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_SHIM, PLUGIN_MODULES, findPrimaryConfig, installCniConfig, pluginShim, uninstallCniConfig, watchCniConfig, type InstallResult } from '../src/install.js';
import { captureLogger } from './fixtures/logger.js';

function dirs(t: Test) {
  const root = mkdtempSync(join(tmpdir(), 'amt-cni-install-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return { root, confDir: join(root, 'net.d'), binDir: join(root, 'bin') };
}

const primary = { cniVersion: '1.0.0', name: 'containerd-net', plugins: [{ type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local' } }, { type: 'portmap', capabilities: { portMappings: true } }] };

t.test('chains into an existing conflist, copies the plugin, is idempotent, and uninstalls', async (t) => {
  const { confDir, binDir, root } = dirs(t);
  const logger = captureLogger();
  const src = join(root, 'plugin.sh');
  writeFileSync(src, pluginShim('/usr/bin/node', "/opt/it's/main.js"));
  // Nothing to chain into yet.
  t.same(installCniConfig({ confDir: join(root, 'none'), logger }), { status: 'waiting' });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(confDir);
  const file = join(confDir, '10-containerd-net.conflist');
  const original = `${JSON.stringify(primary, null, 2)}\n`;
  writeFileSync(file, original);
  writeFileSync(join(confDir, '20-other.conflist'), JSON.stringify({ ...primary, name: 'other' }));
  const r = installCniConfig({ confDir, binDir, pluginSource: src, pluginConfig: { cni_event_address: '/run/x.sock' }, logger });
  t.same(r, { status: 'installed', configFile: file });
  const conf = JSON.parse(readFileSync(file, 'utf8'));
  t.same(conf.plugins.map((p: { type: string }) => p.type), ['bridge', 'portmap', 'amesh-cni']);
  t.same(conf.plugins[2], { cni_event_address: '/run/x.sock', type: 'amesh-cni' });
  t.equal(statSync(join(binDir, 'amesh-cni')).mode & 0o777, 0o755);
  t.match(readFileSync(join(binDir, 'amesh-cni'), 'utf8'), /exec '\/usr\/bin\/node' '\/opt\/it'\\''s\/main.js' plugin "\$@"/);
  t.ok(logger.messages().includes(`CNI config file ${file} exists. Proceeding.`));
  t.ok(logger.messages().includes(`Created CNI config ${file}`));
  t.same(installCniConfig({ confDir, binDir, pluginSource: src, pluginConfig: { cni_event_address: '/run/x.sock' } }), { status: 'unchanged', configFile: file });

  const removed = uninstallCniConfig({ confDir, binDir, logger });
  t.same(removed, [file, join(binDir, 'amesh-cni')]);
  t.same(JSON.parse(readFileSync(file, 'utf8')), primary);
  t.same(uninstallCniConfig({ confDir, binDir }), []);
});

t.test('a single-plugin .conf becomes a .conflist; bad JSON is an install error', async (t) => {
  const { confDir, binDir } = dirs(t);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(confDir);
  writeFileSync(join(confDir, '05-ptp.conf'), JSON.stringify({ cniVersion: '0.4.0', name: 'ptpnet', type: 'ptp', ipam: { type: 'host-local' } }));
  const r = installCniConfig({ confDir, binDir, pluginContents: '#!/bin/sh\n' });
  t.same(r, { status: 'installed', configFile: join(confDir, '05-ptp.conflist') });
  t.notOk(existsSync(join(confDir, '05-ptp.conf')));
  t.same(JSON.parse(readFileSync(join(confDir, '05-ptp.conflist'), 'utf8')), { cniVersion: '0.4.0', name: 'ptpnet', plugins: [{ type: 'ptp', ipam: { type: 'host-local' } }, { type: 'amesh-cni' }] });
  writeFileSync(join(confDir, '01-broken.conflist'), '{nope');
  t.equal(findPrimaryConfig(confDir), join(confDir, '01-broken.conflist'));
  t.throws(() => installCniConfig({ confDir }), { code: 'CNI_ERR_INSTALL', message: /not valid JSON/ });
  writeFileSync(join(confDir, '01-broken.conflist'), '[]');
  t.throws(() => installCniConfig({ confDir }), { code: 'CNI_ERR_INSTALL', message: /not a JSON object/ });
  t.throws(() => installCniConfig({ confDir: join(confDir, '05-ptp.conflist'), binDir: join(confDir, '05-ptp.conflist'), pluginContents: 'x' }), { code: 'CNI_ERR_INSTALL' });
});

t.test('watch: the chained config is created when the primary appears, and restored when dropped', async (t) => {
  const { confDir } = dirs(t);
  const results: InstallResult[] = [];
  let wake: (() => void) | undefined;
  const w = watchCniConfig({
    confDir,
    onInstalled: (r) => {
      results.push(r);
      wake?.();
    },
  });
  t.teardown(() => w.close());
  t.same(w.result, { status: 'waiting' });
  const next = () => new Promise<void>((resolve) => (wake = resolve));
  const file = join(confDir, '10-net.conflist');
  let p = next();
  writeFileSync(file, JSON.stringify(primary));
  await p;
  t.same(results.at(-1), { status: 'installed', configFile: file });
  // The primary plugin rewrites its file without us.
  p = next();
  writeFileSync(file, JSON.stringify(primary));
  await p;
  t.same(JSON.parse(readFileSync(file, 'utf8')).plugins.at(-1), { type: 'amesh-cni' });
});

t.test('bundle: a self-contained plugin (node + modules) a runtime can exec; uninstall removes it', async (t) => {
  const { confDir, binDir } = dirs(t);
  const { mkdirSync } = await import('node:fs');
  const { execFileSync, spawnSync } = await import('node:child_process');
  const ts = (await import('typescript')).default;
  const modules: Record<string, string> = {};
  for (const m of PLUGIN_MODULES) {
    const src = readFileSync(new URL(`../src/${m.replace(/\.js$/, '.ts')}`, import.meta.url), 'utf8');
    modules[m] = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  }
  mkdirSync(confDir);
  writeFileSync(join(confDir, '10-net.conflist'), JSON.stringify(primary));
  const logger = captureLogger();
  installCniConfig({ confDir, binDir, bundle: { nodeBinary: process.execPath, modules }, logger });
  t.equal(readFileSync(join(binDir, 'amesh-cni'), 'utf8'), BUNDLE_SHIM);
  t.ok(logger.messages().some((m) => /Copied amesh-cni \(with node and its modules\)/.test(m)));
  const version = execFileSync(join(binDir, 'amesh-cni'), { env: { CNI_COMMAND: 'VERSION' }, input: '{}', encoding: 'utf8' });
  t.same(JSON.parse(version).supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0']);
  const add = spawnSync(join(binDir, 'amesh-cni'), {
    env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_IFNAME: 'eth0', CNI_NETNS: binDir, CNI_ARGS: 'K8S_POD_NAMESPACE=demo;K8S_POD_NAME=web' },
    input: JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'amesh-cni', cni_event_address: join(binDir, 'none.sock'), enrollment_cache: join(binDir, 'none.json'), agent_timeout_ms: 100, prevResult: { ips: [] } }),
    encoding: 'utf8',
  });
  t.equal(add.status, 1);
  t.equal(JSON.parse(add.stdout).code, 11);
  t.match(add.stderr, /\terror\tcni\tistio-cni ADD failed/);
  const again = captureLogger();
  installCniConfig({ confDir, binDir, bundle: { nodeBinary: process.execPath, modules }, logger: again });
  t.notOk(again.messages().some((m) => /Copied/.test(m)), 'an unchanged bundle is not rewritten');
  t.same(uninstallCniConfig({ confDir, binDir }).map((f) => f.slice(binDir.length)).filter((f) => f.startsWith('/')), ['/amesh-cni.d', '/amesh-cni']);
  t.notOk(existsSync(join(binDir, 'amesh-cni.d')));
});
