#!/usr/bin/env node
// waypoint: the thin daemon shell. Reads argv/env, sets up logging and signals, runs the daemon core.
import { run } from './cli.js';

process.exitCode = await run(process.argv.slice(2), { out: process.stdout, err: process.stderr });
