#!/usr/bin/env node
// Entry point the lab runs inside a pod's network namespace: `node main.js <image> ` with the container's env.
// Images: fake-service (nicholasjackson/fake-service), httpbin, sleep (idles; `amesh lab exec` runs curl beside it).
import { optionsFromEnv, startFakeService } from './fake-service.js';
import { startHttpbin } from './httpbin.js';

const image = process.argv[2];
try {
  switch (image) {
    case 'fake-service': {
      const opts = optionsFromEnv(process.env);
      await startFakeService(opts);
      process.stdout.write(`fake-service ${opts.name} listening on ${opts.listenAddr}\n`);
      break;
    }
    case 'httpbin': {
      const listenAddr = process.env.LISTEN_ADDR ?? `0.0.0.0:${process.env.PORT ?? '80'}`;
      await startHttpbin({ listenAddr });
      process.stdout.write(`httpbin listening on ${listenAddr}\n`);
      break;
    }
    case 'sleep':
      // like `sleep infinity`: keep the pod alive
      setInterval(() => undefined, 1 << 30);
      break;
    default:
      process.stderr.write(`unknown lab image "${image}" (have: fake-service, httpbin, sleep)\n`);
      process.exit(2);
  }
} catch (err) {
  process.stderr.write(`${image}: ${(err as Error).message}\n`);
  process.exit(1);
}
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
