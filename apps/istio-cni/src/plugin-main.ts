#!/usr/bin/env node
// amesh-cni: the chained CNI plugin executable (what a container runtime finds in CNI_PATH); `istio-cni plugin`.
import { pluginMode } from './cli.js';

const readStdin = async () => {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

process.exitCode = await pluginMode({ out: process.stdout, err: process.stderr, env: process.env, stdin: readStdin });
