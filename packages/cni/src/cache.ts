// The enrollment cache: a small JSON file the node agent keeps current and the CNI plugin reads only when the
// agent is unreachable, to decide whether it may let a pod start without redirection (never for an enrolled pod).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CniError, CniErrorCode } from './errors.js';

export interface EnrollmentCache {
  version: 1;
  /** Namespaces labelled istio.io/dataplane-mode=ambient. */
  enrolledNamespaces: string[];
  /** Pods whose own labels/annotations decide ("namespace/name" → enrolled or not), overriding the namespace. */
  pods: Record<string, boolean>;
}

/** Whether the cache says a pod (by namespace and name) is enrolled. */
export function cacheSaysEnrolled(cache: EnrollmentCache, namespace: string, name: string): boolean {
  const own = cache.pods[`${namespace}/${name}`];
  if (own !== undefined) return own;
  return cache.enrolledNamespaces.includes(namespace);
}

/** Writes the cache atomically (temporary file + rename). */
export function writeEnrollmentCache(path: string, cache: EnrollmentCache): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cache)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
}

/** Reads the cache; throws CNI_ERR_INPUT when it is missing or malformed. */
export function readEnrollmentCache(path: string): EnrollmentCache {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CniError(CniErrorCode.INPUT, `enrollment cache ${path} is unreadable: ${(err as Error).message}`, { cause: err });
  }
  const c = raw as Partial<EnrollmentCache>;
  if (c?.version !== 1 || !Array.isArray(c.enrolledNamespaces) || typeof c.pods !== 'object' || c.pods === null) {
    throw new CniError(CniErrorCode.INPUT, `enrollment cache ${path} has an unexpected shape`);
  }
  return c as EnrollmentCache;
}
