// Freshness check: regenerates the protobufjs code from proto/ into a temporary directory and compares it with
// the committed generated/ files. When this fails, run `npm run generate -w @amesh/xds` and commit the result.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

t.test('generated/ is up to date with proto/', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'amesh-xds-gen-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = fileURLToPath(new URL('../scripts/generate.mjs', import.meta.url));
  const { generate } = (await import(script)) as { generate: (out: string) => void };
  generate(dir);
  for (const f of ['proto.js', 'proto.d.ts']) {
    const committed = readFileSync(new URL(`../generated/${f}`, import.meta.url), 'utf8');
    const fresh = readFileSync(join(dir, f), 'utf8');
    t.ok(committed === fresh, `generated/${f} matches proto/ (when stale: npm run generate -w @amesh/xds, then commit)`);
  }
});
