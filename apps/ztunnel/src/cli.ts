import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { buildWorkers, startControlPlane, ProxyState, type Logger } from '@amesh/ztunnel';
import { ConfigError, parseConfig, SETTINGS } from './config.js';

export interface Io {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
}

export interface RunContext {
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the daemon should stop (SIGTERM/SIGINT); injected so tests can stop it. */
  stopSignal: Promise<string>;
  /** Called once every listener is bound (tests read the ports). */
  onStarted?: (info: { ports: Record<string, number | null>; workers: number }) => void;
}

const USAGE = `usage: ztunnel [run|version|help]

The node-proxy daemon: reads its environment and runs @amesh/ztunnel (capture 15001/15006, HBONE 15008, SOCKS5 15080,
metrics 15020, readiness 15021, admin 15000). SIGTERM drains: stop accepting, wait for open connections up to the
deadline, then close.

Environment:
${SETTINGS.map(([env, def, what]) => `  ${env.padEnd(34)} ${what}${def ? ` (default ${def})` : ''}`).join('\n')}
`;

/** Dispatches argv; returns the process exit code. */
export async function run(argv: string[], io: Io, ctx?: RunContext): Promise<number> {
  const cmd = argv[0] ?? 'run';
  switch (cmd) {
    case 'help':
    case '--help':
    case '-h':
      io.out.write(USAGE);
      return 0;
    case 'version':
    case '--version':
      io.out.write(`ztunnel ${version()}\n`);
      return 0;
    case 'run':
      return runDaemon(io, ctx ?? { env: {}, stopSignal: new Promise(() => {}) });
    default:
      io.err.write(`ztunnel: unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

async function runDaemon(io: Io, ctx: RunContext): Promise<number> {
  let cfg;
  try {
    cfg = parseConfig(ctx.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err.write(`ztunnel: invalid configuration:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return 2;
    }
    throw err;
  }
  const log = pino({ level: cfg.logLevel, base: { app: 'ztunnel' } }, { write: (s: string) => io.err.write(s) }) as unknown as Logger;
  log.info({ version: version(), config: cfg.core, workers: cfg.workers }, 'starting ztunnel');
  const state = new ProxyState({ nodeName: cfg.core.nodeName });
  const tokenPath = cfg.tokenPath;
  const cp = startControlPlane({
    config: cfg.core, state, logger: log, xdsRootCertPem: cfg.xdsRootCertPem, caRootCertPem: cfg.caRootCertPem,
    xdsServerName: cfg.xdsServerName, caServerName: cfg.caServerName,
    token: tokenPath ? async () => (await readFile(tokenPath, 'utf8')).trim() : undefined,
    podName: cfg.podName, podNamespace: cfg.podNamespace, instanceIp: cfg.instanceIp, metadata: cfg.metadata,
  });
  let quit!: () => void;
  const quitSignal = new Promise<string>((r) => (quit = () => r('quitquitquit')));
  let zt;
  try {
    zt = await buildWorkers(cfg.core, {
      workers: cfg.workers, logger: log, state, synced: cp.synced, ...(cp.identities ? { identities: cp.identities } : {}),
      stopControlPlane: () => cp.stop(), configDumpExtra: () => cp.dump(), onQuit: quit, version: version(),
    });
  } catch (err) {
    log.error({ err: (err as Error).message }, `ztunnel failed to start: ${(err as Error).message}`);
    await cp.stop();
    return 1;
  }
  ctx.onStarted?.({ ports: { ...zt.ports }, workers: zt.workers });
  const signal = await Promise.race([ctx.stopSignal, quitSignal]);
  log.info({ signal, connections: zt.connections }, 'stopping: draining connections');
  await zt.close();
  return 0;
}

function version(): string {
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}
