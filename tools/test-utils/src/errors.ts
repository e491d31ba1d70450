import { readFileSync } from 'node:fs';

/** The part of a tap `Test` that the helpers use (keeps this package free of a tap dependency). */
export interface Asserter {
  ok(value: unknown, message: string): unknown;
  equal(found: unknown, wanted: unknown, message: string): unknown;
  same(found: unknown, wanted: unknown, message: string): unknown;
}

/** Any package error class built on the registry pattern (see docs/conventions.md). */
export interface RegistryError {
  readonly code: string;
  readonly name: string;
  readonly message: string;
}

/**
 * Checks one package's error registry against its README "Errors" table:
 * every code is documented, the README documents no stale code, codes carry the package prefix,
 * and every code builds an error whose `code` and `name` are right and whose message is non-empty.
 */
export function checkErrorRegistry(
  t: Asserter,
  opts: {
    readme: string | URL;
    prefix: string;
    codes: Record<string, string>;
    make: (code: string) => RegistryError;
    errorName: string;
  },
): void {
  const text = readFileSync(opts.readme, 'utf8');
  const section = text.split(/^## /m).find((s) => s.startsWith('Errors'));
  t.ok(section, 'README has an "## Errors" section');
  const documented = new Set([...(section ?? '').matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]));
  const registered = Object.values(opts.codes);
  for (const [key, code] of Object.entries(opts.codes)) {
    t.ok(code.startsWith(`${opts.prefix}_ERR_`), `${code} starts with ${opts.prefix}_ERR_`);
    t.ok(code.endsWith(key) || key === code, `registry key ${key} matches code ${code}`);
    t.ok(documented.has(code), `${code} is documented in the README errors table`);
    const err = opts.make(code);
    t.equal(err.code, code, `${code}: error.code`);
    t.equal(err.name, opts.errorName, `${code}: error.name`);
    t.ok(err.message.length > 0, `${code}: has a message`);
  }
  const stale = [...documented].filter((c) => !registered.includes(c as string));
  t.same(stale, [], 'README documents no code missing from the registry');
}
