import type { Io } from '../io.js';

/** `amesh route` — not built yet; its issue replaces this module. */
export async function route(_argv: string[], io: Io): Promise<number> {
  io.err.write('amesh route: not available yet (see the README feature-status table)\n');
  return 1;
}
