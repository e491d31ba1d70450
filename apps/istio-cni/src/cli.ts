import { createRequire } from 'node:module';
import { runPlugin } from '@amesh/cni';
import { ConfigError, parseConfig, SETTINGS } from './config.js';
import { startDaemon, uninstall } from './daemon.js';
import { makeLogger } from './logging.js';

export interface Io {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads all of stdin (plugin mode). */
  stdin?: () => Promise<string>;
  /** Where shutdown signals come from (the daemon waits for SIGTERM or SIGINT). */
  signals?: { once(signal: 'SIGTERM' | 'SIGINT', fn: () => void): unknown };
  /** Called once the daemon is ready (tests). */
  onReady?: (info: { readyPort: number | undefined }) => void;
}

const USAGE = `usage: istio-cni [run|plugin|uninstall|version|help] [--flag value ...]

The amesh istio-cni node agent and its chained CNI plugin.
  run         the node agent (default): enrollment, node-namespace redirection, readiness/metrics, install mode
  plugin      the CNI plugin: reads CNI_* from the environment and the network configuration from stdin
              (also installed as the executable "amesh-cni")
  uninstall   remove every rule, set and route the agent created (and, with --install, the plugin and its config)

Settings (environment variable / flag, default):
${SETTINGS.map(([env, flag, def, what]) => `  ${env.padEnd(18)} ${flag.padEnd(20)} ${def || '-'}\n      ${what}`).join('\n')}
`;

/** Dispatches argv; returns the process exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const first = argv[0];
  const cmd = first && (!first.startsWith('-') || ['--help', '-h', '--version'].includes(first)) ? first : 'run';
  const rest = argv[0] === cmd ? argv.slice(1) : argv;
  const env = io.env ?? {};
  switch (cmd) {
    case 'help':
    case '--help':
    case '-h':
      io.out.write(USAGE);
      return 0;
    case 'version':
    case '--version':
      io.out.write(`istio-cni ${version()}\n`);
      return 0;
    case 'plugin':
      return pluginMode(io);
    case 'run':
    case 'uninstall': {
      let cfg;
      try {
        cfg = parseConfig(env, rest);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        io.err.write(`istio-cni: ${err.problems.length} configuration problem(s):\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
        return 2;
      }
      const logger = makeLogger(cfg.logLevel, cfg.logFormat, io.out);
      if (cmd === 'uninstall') {
        try {
          const removed = await uninstall(cfg, logger);
          logger.info({ removed }, `uninstall: removed ${removed.length} item(s)`);
          return 0;
        } catch (err) {
          logger.error({ err }, `uninstall failed: ${(err as Error).message}`);
          return 1;
        }
      }
      let daemon;
      try {
        daemon = await startDaemon(cfg, logger);
      } catch (err) {
        logger.error({ err }, `istio-cni node agent failed to start: ${(err as Error).message}`);
        return 1;
      }
      io.onReady?.({ readyPort: daemon.agent.adminAddress?.port });
      await new Promise<void>((resolve) => {
        io.signals?.once('SIGTERM', resolve);
        io.signals?.once('SIGINT', resolve);
      });
      logger.info({}, 'shutting down (the redirection stays in place; `istio-cni uninstall` removes it)');
      await daemon.close();
      return 0;
    }
    default:
      io.err.write(`istio-cni: unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

/** The CNI plugin: env + stdin in, result or CNI error JSON out; logs go to stderr (plain). */
export async function pluginMode(io: Io): Promise<number> {
  const stdin = io.stdin ? await io.stdin() : '';
  let level = 'info';
  try {
    const l = (JSON.parse(stdin) as { log_level?: unknown }).log_level;
    if (typeof l === 'string' && ['trace', 'debug', 'info', 'warn', 'error', 'silent'].includes(l)) level = l;
  } catch {
    /* runPlugin reports malformed input */
  }
  const logger = makeLogger(level, 'plain', io.err);
  const out = await runPlugin({ env: io.env ?? {}, stdin }, { logger });
  io.out.write(out.stdout);
  return out.exitCode;
}

function version(): string {
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}
