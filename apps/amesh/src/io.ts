/** What a command may touch: injected so tests run commands in-process. */
export interface Io {
  out: { write(s: string): unknown };
  err: { write(s: string): unknown };
  /** standard input, for `-` arguments */
  in?: NodeJS.ReadableStream;
}

/** A subcommand: takes the arguments after its name, returns the exit code. */
export type Command = (argv: string[], io: Io) => Promise<number>;
