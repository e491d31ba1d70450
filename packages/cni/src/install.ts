// Install mode (Kubernetes): put the plugin executable into the node's CNI bin directory and chain our plugin
// into the primary CNI configuration (the first file in the config directory, as the runtime picks it), and take
// both out again on uninstall. Upstream equivalent: istio/istio cni/pkg/install.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';
import { CniError, CniErrorCode } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { PLUGIN_TYPE } from './plugin.js';

export interface InstallOptions {
  /** The runtime's CNI configuration directory (`/etc/cni/net.d`). */
  confDir: string;
  /** The runtime's CNI bin directory (`/opt/cni/bin`); omit to leave binaries alone. */
  binDir?: string;
  /** A file to copy into binDir as the plugin (`amesh-cni`). */
  pluginSource?: string;
  /** Or: the plugin's contents (e.g. a `pluginShim(...)`), written into binDir. */
  pluginContents?: string;
  /**
   * Or: a self-contained bundle in `<binDir>/amesh-cni.d/` (a copy of `nodeBinary`, the plugin modules and the
   * entry) plus an `amesh-cni` shim that runs it relative to its own location, so the node needs nothing else.
   * `modules` maps file name → JavaScript text; default: @amesh/cni's own built modules (dist).
   */
  bundle?: { nodeBinary: string; modules?: Record<string, string> };
  /** Our plugin's entry (type is always `amesh-cni`); e.g. `{ cni_event_address, enrollment_cache, log_level }`. */
  pluginConfig?: Record<string, unknown>;
  logger?: Logger;
}

export type InstallResult = { status: 'installed' | 'unchanged'; configFile: string } | { status: 'waiting' };

/** A tiny shell script that runs the plugin mode of the istio-cni app with the given node binary. */
export function pluginShim(nodePath: string, entry: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh\n# amesh istio-cni chained CNI plugin\nexec ${q(nodePath)} ${q(entry)} plugin "$@"\n`;
}

const isConfigFile = (f: string) => /\.(conflist|conf|json)$/.test(f) && !f.startsWith('.');

/** The primary CNI config: the first config file by name, as libcni picks it. */
export function findPrimaryConfig(confDir: string): string | undefined {
  if (!existsSync(confDir)) return undefined;
  const files = readdirSync(confDir).filter(isConfigFile).sort();
  return files.length ? join(confDir, files[0]!) : undefined;
}

function writeAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = join(path, '..', `.${basename(path)}.tmp`);
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

function readJson(path: string): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CniError(CniErrorCode.INSTALL, `CNI config file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new CniError(CniErrorCode.INSTALL, `CNI config file ${path} is not a JSON object`);
  return o as Record<string, unknown>;
}

/** Installs the plugin binary (if asked) and chains our plugin into the primary config. Idempotent. */
export function installCniConfig(opts: InstallOptions): InstallResult {
  const log = (opts.logger ?? silentLogger).child({ scope: 'install' });
  try {
    if (opts.binDir && opts.bundle) installBundle(opts.binDir, opts.bundle, log);
    else if (opts.binDir && (opts.pluginSource || opts.pluginContents !== undefined)) {
      mkdirSync(opts.binDir, { recursive: true });
      const dest = join(opts.binDir, PLUGIN_TYPE);
      const text = opts.pluginContents ?? readFileSync(opts.pluginSource!, 'utf8');
      if (!existsSync(dest) || readFileSync(dest, 'utf8') !== text) {
        if (opts.pluginSource && opts.pluginContents === undefined) {
          copyFileSync(opts.pluginSource, `${dest}.tmp`);
          chmodSync(`${dest}.tmp`, 0o755);
          renameSync(`${dest}.tmp`, dest);
        } else writeAtomic(dest, text, 0o755);
        log.info({ file: dest }, `Copied ${PLUGIN_TYPE} to ${opts.binDir}.`);
      }
    }
    const primary = findPrimaryConfig(opts.confDir);
    if (!primary) {
      log.info({ dir: opts.confDir }, `no CNI config in ${opts.confDir} yet; waiting for the primary plugin's config`);
      return { status: 'waiting' };
    }
    const conf = readJson(primary);
    const ours = { ...(opts.pluginConfig ?? {}), type: PLUGIN_TYPE };
    let list: Record<string, unknown>;
    let target = primary;
    if (Array.isArray(conf.plugins)) list = conf;
    else {
      // A single-plugin .conf becomes a .conflist with the same name (the runtime prefers the first file).
      const { cniVersion, name, ...plugin } = conf;
      list = { cniVersion, name, plugins: [plugin] };
      target = primary.replace(/\.(conf|json)$/, '.conflist');
    }
    const plugins = (list.plugins as Record<string, unknown>[]).filter((p) => p?.type !== PLUGIN_TYPE);
    plugins.push(ours);
    const next = { ...list, plugins };
    const text = `${JSON.stringify(next, null, 2)}\n`;
    if (target === primary && readFileSync(primary, 'utf8') === text) return { status: 'unchanged', configFile: target };
    log.info({ file: primary }, `CNI config file ${primary} exists. Proceeding.`);
    writeAtomic(target, text);
    if (target !== primary) rmSync(primary, { force: true });
    log.info({ file: target }, `Created CNI config ${target}`);
    log.info({}, 'CNI configuration and binaries reinstalled.');
    return { status: 'installed', configFile: target };
  } catch (err) {
    if (err instanceof CniError) throw err;
    throw new CniError(CniErrorCode.INSTALL, `installing the CNI plugin failed: ${(err as Error).message}`, { cause: err });
  }
}

/** The modules of @amesh/cni the plugin needs (the plugin entry imports only these and node builtins). */
export const PLUGIN_MODULES = ['plugin.js', 'cache.js', 'errors.js', 'logger.js', 'protocol.js'] as const;

function builtModule(name: string): string {
  // Running from dist: siblings. Running from the TypeScript sources: the package's dist, if built.
  for (const rel of [`./${name}`, `../dist/${name}`]) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) return readFileSync(url, 'utf8');
  }
  throw new CniError(CniErrorCode.INSTALL, `plugin module ${name} not found: build @amesh/cni (npx tsc -b packages/cni) first`);
}

/** The shim a runtime execs: runs the bundle next to it with the bundled node. */
export const BUNDLE_SHIM = `#!/bin/sh\n# amesh istio-cni chained CNI plugin (bundle in amesh-cni.d/)\nd=$(dirname "$0")\nexec "$d/${PLUGIN_TYPE}.d/node" "$d/${PLUGIN_TYPE}.d/main.mjs" "$@"\n`;

function installBundle(binDir: string, bundle: NonNullable<InstallOptions['bundle']>, log: Logger): void {
  const dir = join(binDir, `${PLUGIN_TYPE}.d`);
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = { 'package.json': '{"type":"module"}\n', 'main.mjs': readFileSync(new URL('../assets/plugin-entry.mjs', import.meta.url), 'utf8') };
  for (const m of PLUGIN_MODULES) files[m] = bundle.modules?.[m] ?? builtModule(m);
  let changed = false;
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
    writeAtomic(path, text);
    changed = true;
  }
  const node = join(dir, 'node');
  if (!existsSync(node) || statSync(node).size !== statSync(bundle.nodeBinary).size) {
    copyFileSync(bundle.nodeBinary, `${node}.tmp`);
    chmodSync(`${node}.tmp`, 0o755);
    renameSync(`${node}.tmp`, node);
    changed = true;
  }
  const shim = join(binDir, PLUGIN_TYPE);
  if (!existsSync(shim) || readFileSync(shim, 'utf8') !== BUNDLE_SHIM) {
    writeAtomic(shim, BUNDLE_SHIM, 0o755);
    changed = true;
  }
  if (changed) log.info({ dir }, `Copied ${PLUGIN_TYPE} (with node and its modules) to ${binDir}.`);
}

/** Removes our plugin from every config in confDir and the binary from binDir. Returns the files changed. */
export function uninstallCniConfig(opts: Pick<InstallOptions, 'confDir' | 'binDir' | 'logger'>): string[] {
  const log = (opts.logger ?? silentLogger).child({ scope: 'install' });
  const changed: string[] = [];
  if (existsSync(opts.confDir)) {
    for (const f of readdirSync(opts.confDir).filter(isConfigFile)) {
      const path = join(opts.confDir, f);
      let conf: Record<string, unknown>;
      try {
        conf = readJson(path);
      } catch {
        continue;
      }
      if (!Array.isArray(conf.plugins) || !conf.plugins.some((p: { type?: unknown }) => p?.type === PLUGIN_TYPE)) continue;
      const plugins = (conf.plugins as { type?: unknown }[]).filter((p) => p?.type !== PLUGIN_TYPE);
      writeAtomic(path, `${JSON.stringify({ ...conf, plugins }, null, 2)}\n`);
      changed.push(path);
      log.info({ file: path }, `Removed ${PLUGIN_TYPE} from CNI config ${path}`);
    }
  }
  if (opts.binDir && existsSync(join(opts.binDir, `${PLUGIN_TYPE}.d`))) {
    rmSync(join(opts.binDir, `${PLUGIN_TYPE}.d`), { recursive: true, force: true });
    changed.push(join(opts.binDir, `${PLUGIN_TYPE}.d`));
  }
  if (opts.binDir && existsSync(join(opts.binDir, PLUGIN_TYPE))) {
    rmSync(join(opts.binDir, PLUGIN_TYPE), { force: true });
    changed.push(join(opts.binDir, PLUGIN_TYPE));
    log.info({ dir: opts.binDir }, `Removed ${PLUGIN_TYPE} from ${opts.binDir}`);
  }
  return changed;
}

/**
 * Installs now and again whenever the config directory changes (the primary config appears, or a primary plugin
 * rewrites its file and drops our entry). `onInstalled` is called after each write.
 */
export function watchCniConfig(opts: InstallOptions & { onInstalled?: (r: InstallResult) => void; onError?: (err: Error) => void }): { close(): void; readonly result: InstallResult } {
  mkdirSync(opts.confDir, { recursive: true });
  let result = installCniConfig(opts);
  opts.onInstalled?.(result);
  let pending = false;
  const rerun = () => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      try {
        const r = installCniConfig(opts);
        if (r.status !== 'unchanged') {
          result = r;
          opts.onInstalled?.(r);
        }
      } catch (err) {
        opts.onError?.(err as Error);
      }
    });
  };
  const watcher: FSWatcher = watch(opts.confDir, (_ev, file) => {
    if (file && String(file).startsWith('.')) return;
    rerun();
  });
  return {
    close: () => watcher.close(),
    get result() {
      return result;
    },
  };
}
