#!/usr/bin/env node
// amesh-cni: the self-contained chained CNI plugin entry. Install mode copies it, with the plugin's few modules
// (plugin.js, cache.js, errors.js, logger.js, protocol.js from @amesh/cni) and a node binary, into
// <CNI bin dir>/amesh-cni.d/, so the node's container runtime can run it without anything else installed.
// Logs go to stderr as plain lines at the conflist's log_level.
import { runPlugin } from './plugin.js';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const stdin = Buffer.concat(chunks).toString('utf8');
let level = 'info';
try {
  const l = JSON.parse(stdin).log_level;
  if (typeof l === 'string') level = l;
} catch {
  // runPlugin reports malformed input
}
const order = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];
const at = (l) => (order.indexOf(level) < 0 ? 2 : order.indexOf(level)) <= order.indexOf(l);
const line = (l) => (obj, msg) => {
  if (at(l)) process.stderr.write(`${new Date().toISOString()}\t${l}\tcni\t${msg ?? (typeof obj === 'string' ? obj : '')}\n`);
};
const logger = { trace: line('trace'), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), child: () => logger };
const out = await runPlugin({ env: process.env, stdin }, { logger });
process.stdout.write(out.stdout);
process.exitCode = out.exitCode;
