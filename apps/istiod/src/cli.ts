import { createRequire } from 'node:module';

export interface Io {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
}

const USAGE = `usage: istiod [run|version|help]

The control-plane daemon: reads Kubernetes (kubeconfig / in-cluster) or a config directory, serves delta xDS and the CA.
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
      io.out.write(`istiod ${version()}\n`);
      return 0;
    case 'run':
      io.err.write('istiod: the daemon is not built yet (see the README feature-status table)\n');
      return 1;
    default:
      io.err.write(`istiod: unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

function version(): string {
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}
