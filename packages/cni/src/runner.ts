// The one seam through which the package touches the operating system's networking tools (iptables, ipset, ip).
// Tests inject a fake; the real runner execs the tools, optionally inside a named network namespace.
import { execFile } from 'node:child_process';
import { CniError, CniErrorCode } from './errors.js';

/** The outcome of one command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command (argv[0] is the program). Never throws for a non-zero exit: callers decide. */
export interface CommandRunner {
  run(argv: readonly string[], options?: { input?: string }): Promise<CommandResult>;
}

export interface ExecRunnerOptions {
  /** Run every command inside this named network namespace (`ip netns exec <name> ...`). */
  netns?: string;
  /** Per-command timeout in milliseconds (default 30000). */
  timeoutMs?: number;
  /** Called with every command and its result (debug logging). */
  onCommand?: (argv: readonly string[], result: CommandResult) => void;
}

/** The real runner: `execFile`, no shell. */
export function execRunner(options: ExecRunnerOptions = {}): CommandRunner {
  const timeout = options.timeoutMs ?? 30_000;
  return {
    run(argv, runOptions) {
      const full = options.netns ? ['ip', 'netns', 'exec', options.netns, ...argv] : [...argv];
      return new Promise((resolve) => {
        const child = execFile(full[0]!, full.slice(1), { timeout, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
          let code = 0;
          if (err) {
            const e = err as NodeJS.ErrnoException & { code?: unknown };
            code = typeof e.code === 'number' ? e.code : 127;
            if (typeof e.code === 'string') stderr = `${stderr}${e.message}`;
          }
          const result = { code, stdout, stderr };
          options.onCommand?.(argv, result);
          resolve(result);
        });
        if (runOptions?.input !== undefined) child.stdin?.end(runOptions.input);
        else child.stdin?.end();
      });
    },
  };
}

/** Runs a command and throws CNI_ERR_COMMAND (with the command line and stderr) when it fails. */
export async function mustRun(runner: CommandRunner, argv: readonly string[], options?: { input?: string }): Promise<string> {
  const r = await runner.run(argv, options);
  if (r.code !== 0) {
    throw new CniError(CniErrorCode.COMMAND, `command failed (exit ${r.code}): ${argv.join(' ')}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}
