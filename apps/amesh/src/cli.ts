import { createRequire } from 'node:module';
import type { Command, Io } from './io.js';

/** Subcommands, loaded on demand so `amesh authz` does not pay for the lab's dependencies. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  authz: { summary: 'check AuthorizationPolicy decisions offline (amesh authz check)', load: async () => (await import('./commands/authz.js')).authz },
  route: { summary: 'check VirtualService/DestinationRule routing offline (amesh route check)', load: async () => (await import('./commands/route.js')).route },
  lab: { summary: 'run a whole ambient mesh on this machine in network namespaces', load: async () => (await import('./commands/lab.js')).lab },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: amesh <command> [args]\n\ncommands:\n${lines.join('\n')}\n  ${'version'.padEnd(width)}  print the version\n\nRun "amesh <command> --help" for a command's flags.\n`;
}

/** Dispatches argv; returns the process exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    io.out.write(usage());
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === 'version' || cmd === '--version') {
    const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
    io.out.write(`amesh ${pkg.version}\n`);
    return 0;
  }
  const entry = COMMANDS[cmd];
  if (!entry) {
    io.err.write(`amesh: unknown command "${cmd}"\n\n${usage()}`);
    return 2;
  }
  return (await entry.load())(rest, io);
}
