#!/usr/bin/env node
// ztunnel: the thin daemon shell. Reads argv/env, sets up logging and signals, runs the daemon core.
import { run } from './cli.js';

const stopSignal = new Promise<string>((resolve) => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve(sig));
});
process.exitCode = await run(process.argv.slice(2), { out: process.stdout, err: process.stderr }, { env: process.env, stopSignal });
process.exit();
