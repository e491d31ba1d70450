import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPrimaryConfig, installCniConfig, pluginShim, uninstallCniConfig, watchCniConfig, type InstallResult } from '../src/install.js';
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
