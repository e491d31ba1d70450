#!/usr/bin/env node
// istiod: the thin daemon shell. Reads argv/env, sets up logging and signals, runs the daemon core.
import { run } from './cli.js';

const stopSignal = new Promise<string>((resolve) => {
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
});
process.exitCode = await run(process.argv.slice(2), { out: process.stdout, err: process.stderr }, { env: process.env, stopSignal });
// Anything still holding the loop after a graceful close (e.g. a stuck watch) must not keep the process alive.
setTimeout(() => process.exit(), 3000).unref();
