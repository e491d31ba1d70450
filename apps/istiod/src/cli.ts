import { createRequire } from 'node:module';
import { ConfigError, parseConfig, SETTINGS } from './config.js';
import { startDaemon } from './daemon.js';
import { makeLogger } from './logging.js';

export interface Io {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
}

export interface RunContext {
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the daemon should stop (SIGTERM/SIGINT); injected so tests can stop it. */
  stopSignal: Promise<string>;
  /** Called once every listener is bound (tests read the ports). */
  onStarted?: (info: { ports: { xds: number; secureXds: number; debug: number } }) => void;
}

const USAGE = `usage: istiod [run|version|help] [flags]

The control-plane daemon: reads Kubernetes (kubeconfig / in-cluster) or a config directory, serves delta xDS
(15010 plaintext, 15012 TLS), the CA (15012) and debug endpoints (15014).

Flags (each also an environment variable):
${SETTINGS.map(([env, flag, def, what]) => `  ${flag.padEnd(26)} ${env.padEnd(28)} ${what}${def ? ` (default ${def})` : ''}`).join('\n')}
  --in-cluster               use the in-cluster service account (default when KUBERNETES_SERVICE_HOST is set)
`;

/** Dispatches argv; returns the process exit code. */
export async function run(argv: string[], io: Io, ctx?: RunContext): Promise<number> {
  const cmd = argv[0] && !argv[0].startsWith('--') ? argv[0] : 'run';
  const rest = argv[0] && !argv[0].startsWith('--') ? argv.slice(1) : argv;
  switch (cmd) {
    case 'help':
    case '--help':
    case '-h':
      io.out.write(USAGE);
      return 0;
    case 'version':
    case '--version':
      io.out.write(`istiod ${version()}\n`);
      return 0;
    case 'run':
      return runDaemon(rest, io, ctx ?? { env: {}, stopSignal: new Promise(() => {}) });
    default:
      io.err.write(`istiod: unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

async function runDaemon(argv: string[], io: Io, ctx: RunContext): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out.write(USAGE);
    return 0;
  }
  let cfg;
  try {
    cfg = parseConfig(ctx.env, argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err.write(`istiod: invalid configuration:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return 2;
    }
    throw err;
  }
  const log = makeLogger(cfg.logLevel, cfg.logFormat, io.err);
  log.info({ version: version(), config: cfg }, 'starting istiod');
  let running;
  try {
    running = await startDaemon(cfg, log);
  } catch (err) {
    log.error({ err }, `istiod failed to start: ${(err as Error).message}`);
    return 1;
  }
  ctx.onStarted?.({ ports: running.istiod.ports });
  running.istiod.ready.then(
    () => log.info({}, 'configuration synced; serving'),
    () => undefined,
  );
  const signal = await ctx.stopSignal;
  log.info({ signal }, 'shutting down: closing streams and listeners');
  await running.close();
  log.info({}, 'stopped');
  return 0;
}

function version(): string {
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}
