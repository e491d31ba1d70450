import { createRequire } from 'node:module';

export interface Io {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
}

const USAGE = `usage: istio-cni [run|version|help]

The CNI node agent daemon and the chained CNI plugin executable ("istio-cni plugin").
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
      io.out.write(`istio-cni ${version()}\n`);
      return 0;
    case 'run':
      io.err.write('istio-cni: the daemon is not built yet (see the README feature-status table)\n');
      return 1;
    default:
      io.err.write(`istio-cni: unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

function version(): string {
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}
