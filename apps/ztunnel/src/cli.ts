import { createRequire } from 'node:module';

export interface Io {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
}

const USAGE = `usage: ztunnel [run|version|help]

The node-proxy daemon: reads its environment (XDS_ADDRESS, CA_ADDRESS, NODE_NAME, ...) and runs @amesh/ztunnel.
`;

/** Dispatches argv; returns the process exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
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
      io.err.write('ztunnel: the daemon is not built yet (see the README feature-status table)\n');
      return 1;
    default:
      io.err.write(`ztunnel: unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

function version(): string {
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}
