import type { Io } from '../io.js';

/** `amesh lab` — not built yet; its issue replaces this module. */
export async function lab(_argv: string[], io: Io): Promise<number> {
  io.err.write('amesh lab: not available yet (see the README feature-status table)\n');
  return 1;
}
