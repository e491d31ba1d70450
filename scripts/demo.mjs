#!/usr/bin/env node
// `npm run demo`: brings up a two-node `amesh lab` and runs the seed 000 demo.
// The lab is not built yet (issue "amesh lab and the seed L4 demo"); until it lands this says so plainly.
process.stdout.write(
  'amesh demo: the local lab (`amesh lab`) is not available yet.\n' +
    'What works today is listed in the README feature-status table; `npm test` runs everything that exists.\n',
);
process.exit(1);
