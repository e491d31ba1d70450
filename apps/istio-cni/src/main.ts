#!/usr/bin/env node
// istio-cni: the thin daemon shell. Reads argv/env, sets up logging and signals, runs the daemon core.
import { run } from './cli.js';

const readStdin = async () => {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

process.exitCode = await run(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env, stdin: readStdin, signals: process });
