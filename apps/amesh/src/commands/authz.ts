import type { Io } from '../io.js';

/** `amesh authz` — not built yet; its issue replaces this module. */
export async function authz(_argv: string[], io: Io): Promise<number> {
  io.err.write('amesh authz: not available yet (see the README feature-status table)\n');
  return 1;
}
