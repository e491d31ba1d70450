#!/usr/bin/env node
// amesh: the command-line tool. Thin shell: argv in, exit code out.
import { run } from './cli.js';

process.exitCode = await run(process.argv.slice(2), { out: process.stdout, err: process.stderr, in: process.stdin });
