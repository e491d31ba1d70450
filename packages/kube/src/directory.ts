// The state-directory source: YAML/JSON objects in files under one directory, watched on disk. The lab's store and
// istiod's embedded mode. Writers (StateDirectory) write atomically (temp file + rename), so a reader never sees half
// a file; a file that fails to parse keeps its last good objects and is reported through `problems()`.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { KubeError, KubeErrorCode } from './errors.js';
import { CachedSource, normalizeObject, type SourceOptions } from './source.js';
import { KINDS, objectKey, type KindKey, type KubeObject } from './types.js';

/** A problem found in one file: the path (relative to the directory) and every field-path problem. */
export interface FileProblem {
  file: string;
  problems: string[];
}

export interface DirectorySourceOptions extends SourceOptions {
  dir: string;
  /** Rescan interval in ms as a fallback to fs.watch (default 2000; 0 disables polling). */
  pollIntervalMs?: number;
  /** Delay between a file-system notification and the rescan, to batch bursts (default 10 ms). */
  debounceMs?: number;
}

const EXT = /\.(ya?ml|json)$/i;

/** Parses one file's text into objects (multi-document YAML, JSON, and `kind: List` items). */
export function parseObjects(text: string, file = '<input>'): { objects: { kind: KindKey; object: KubeObject }[]; problems: string[] } {
  const objects: { kind: KindKey; object: KubeObject }[] = [];
  const problems: string[] = [];
  const raws: { value: unknown; where: string }[] = [];
  if (file.toLowerCase().endsWith('.json')) {
    try {
      raws.push({ value: JSON.parse(text), where: '' });
    } catch (err) {
      problems.push(`<root>: invalid JSON: ${(err as Error).message}`);
    }
  } else {
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, i) => {
      if (doc.errors.length > 0) {
        problems.push(`document ${i}: invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
        return;
      }
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return;
      raws.push({ value, where: list.length > 1 ? `document ${i}: ` : '' });
    });
  }
  for (const { value, where } of raws) {
    const v = value as Record<string, unknown>;
    const items = v && typeof v === 'object' && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items) ? (v.items as unknown[]) : [value];
    items.forEach((item, j) => {
      const at = items.length > 1 || item !== value ? `${where}items[${j}].` : where;
      const r = normalizeObject(item);
      if (!r.object || !r.kind) problems.push(...r.problems.map((p) => `${at}${p}`));
      else objects.push({ kind: r.kind, object: r.object });
    });
  }
  return { objects, problems };
}

interface FileState {
  sig: string;
  objects: { kind: KindKey; object: KubeObject }[];
  problems: string[];
}

function stableUid(id: string): string {
  const h = createHash('sha1').update(id).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Watches a state directory; see the module comment. Objects without `metadata.uid` get a stable one. */
export class DirectorySource extends CachedSource {
  readonly dir: string;
  readonly #pollMs: number;
  readonly #debounceMs: number;
  #files = new Map<string, FileState>();
  /** id → [content fingerprint, resourceVersion] so unchanged objects keep their version across rescans. */
  #versions = new Map<string, { fp: string; rv: string }>();
  #rv = 0;
  /** One non-recursive watcher per directory (recursive fs.watch is unreliable on Linux before Node 22). */
  #watchers = new Map<string, FSWatcher>();
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #again = false;
  #started: Promise<void> | undefined;
  #problems: FileProblem[] = [];

  constructor(options: DirectorySourceOptions) {
    super(options);
    this.dir = options.dir;
    this.#pollMs = options.pollIntervalMs ?? 2000;
    this.#debounceMs = options.debounceMs ?? 10;
  }

  start(): Promise<void> {
    this.#started ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      if (this.#pollMs > 0) {
        this.#poll = setInterval(() => this.#schedule(), this.#pollMs);
        this.#poll.unref();
      }
      await this.rescan();
      for (const k of this.kinds) this.markSynced(k);
    })();
    return this.#started;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
    if (this.#poll) clearInterval(this.#poll);
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#poll = this.#debounce = undefined;
    await this.#scanning;
  }

  /** Files that failed to parse or held invalid objects (their last good objects keep serving). */
  problems(): FileProblem[] {
    return this.#problems.map((p) => ({ file: p.file, problems: [...p.problems] }));
  }

  /** Rescans the directory now; resolves when the resulting events have been delivered. */
  rescan(): Promise<void> {
    if (this.#scanning) {
      this.#again = true;
      return this.#scanning;
    }
    this.#scanning = (async () => {
      try {
        do {
          this.#again = false;
          await this.#scanOnce();
        } while (this.#again && !this.closed);
      } finally {
        this.#scanning = undefined;
      }
    })();
    return this.#scanning;
  }

  #schedule(): void {
    if (this.closed) return;
    if (this.#debounce) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.rescan().catch((err: unknown) => this.log.error({ err, dir: this.dir }, 'state directory scan failed'));
    }, this.#debounceMs);
  }

  #syncWatchers(dirs: Set<string>): void {
    if (this.closed) return;
    for (const [d, w] of this.#watchers) {
      if (!dirs.has(d)) {
        w.close();
        this.#watchers.delete(d);
      }
    }
    for (const d of dirs) {
      if (this.#watchers.has(d)) continue;
      try {
        const w = watch(d, () => this.#schedule());
        w.on('error', () => {
          w.close();
          this.#watchers.delete(d);
          this.#schedule();
        });
        this.#watchers.set(d, w);
      } catch (err) {
        this.log.debug({ err, dir: d }, 'cannot watch directory; relying on polling');
      }
    }
  }

  async #walk(dir: string, out: string[], dirs: Set<string>): Promise<void> {
    dirs.add(dir);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await this.#walk(p, out, dirs);
      else if (e.isFile() && EXT.test(e.name)) out.push(p);
    }
  }

  async #scanOnce(): Promise<void> {
    const paths: string[] = [];
    const dirs = new Set<string>();
    await this.#walk(this.dir, paths, dirs);
    this.#syncWatchers(dirs);
    paths.sort();
    const next = new Map<string, FileState>();
    for (const p of paths) {
      const rel = relative(this.dir, p).split(sep).join('/');
      let sig: string;
      try {
        const st = await stat(p, { bigint: true });
        sig = `${st.ino}:${st.size}:${st.mtimeNs}`;
      } catch {
        continue; // vanished between readdir and stat
      }
      const prev = this.#files.get(rel);
      if (prev && prev.sig === sig) {
        next.set(rel, prev);
        continue;
      }
      let text: string;
      try {
        text = await readFile(p, 'utf8');
      } catch {
        continue;
      }
      const parsed = parseObjects(text, rel);
      const broken = parsed.problems.length > 0 && parsed.objects.length === 0 && prev !== undefined;
      // A file that no longer parses at all keeps its last good objects (the problem is still reported).
      next.set(rel, { sig, objects: broken ? prev.objects : parsed.objects, problems: parsed.problems });
      if (parsed.problems.length > 0) this.log.warn({ file: rel, problems: parsed.problems }, 'invalid objects in the state directory');
    }
    this.#files = next;
    this.#problems = [...next.entries()].filter(([, s]) => s.problems.length > 0).map(([file, s]) => ({ file, problems: s.problems }));

    // Desired state per kind (later files win on duplicates).
    const desired = new Map<KindKey, Map<string, KubeObject>>();
    for (const k of this.kinds) desired.set(k, new Map());
    for (const [file, s] of next) {
      for (const { kind, object } of s.objects) {
        const m = desired.get(kind);
        if (!m) continue;
        const key = objectKey(object);
        if (m.has(key)) this.log.warn({ file, kind, object: key }, 'object defined twice in the state directory; the later file wins');
        m.set(key, object);
      }
    }
    for (const [kind, m] of desired) {
      const stored: KubeObject[] = [];
      for (const [key, object] of m) {
        const id = `${kind}/${key}`;
        const fp = JSON.stringify(object);
        let v = this.#versions.get(id);
        if (!v || v.fp !== fp) {
          v = { fp, rv: String(++this.#rv) };
          this.#versions.set(id, v);
        }
        stored.push({ ...object, metadata: { ...object.metadata, uid: object.metadata.uid ?? stableUid(id), resourceVersion: v.rv } });
      }
      for (const id of [...this.#versions.keys()]) {
        if (id.startsWith(`${kind}/`) && !m.has(id.slice(kind.length + 1))) this.#versions.delete(id);
      }
      this.replaceAll(kind, stored, String(this.#rv));
    }
  }
}

/**
 * The writer side of a state directory (used by the lab): each object lives in its own file
 * `<dir>/<namespace or _cluster>/<plural>.<group or core>/<name>.yaml`, written atomically.
 */
export class StateDirectory {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  /** The file an object is stored in. */
  pathOf(kind: KindKey, name: string, namespace?: string): string {
    const info = KINDS[kind];
    if (!info) throw new KubeError(KubeErrorCode.UNKNOWN_KIND, `unknown kind "${kind}"`);
    const ns = info.namespaced ? namespace || 'default' : '_cluster';
    return join(this.dir, ns, `${info.plural}.${info.group || 'core'}`, `${name}.yaml`);
  }

  /** Validates and writes an object (uid and creationTimestamp filled in when missing); returns what was written. */
  async apply<T extends KubeObject>(raw: T): Promise<T> {
    const { object, kind, problems } = normalizeObject(raw);
    if (!object || !kind) {
      const unknown = problems.length === 1 && problems[0]!.startsWith('kind:');
      throw new KubeError(unknown ? KubeErrorCode.UNKNOWN_KIND : KubeErrorCode.INVALID_OBJECT, `invalid object: ${problems.join('; ')}`, { details: problems });
    }
    const md = { ...object.metadata };
    delete md.resourceVersion;
    md.uid ??= randomUUID();
    md.creationTimestamp ??= new Date().toISOString();
    const out = { ...object, metadata: md };
    await this.#writeAtomic(this.pathOf(kind, md.name, md.namespace), stringify(out));
    return out as T;
  }

  /** Applies every object of a YAML/JSON text (e.g. a user's manifest); returns what was written. */
  async applyText(text: string, file = 'input.yaml'): Promise<KubeObject[]> {
    const { objects, problems } = parseObjects(text, file);
    if (problems.length > 0) throw new KubeError(KubeErrorCode.INVALID_OBJECT, `invalid objects in ${file}`, { details: problems });
    const written: KubeObject[] = [];
    for (const { object } of objects) written.push(await this.apply(object));
    return written;
  }

  /** Deletes an object's file; returns whether it existed. */
  async delete(kind: KindKey, name: string, namespace?: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(kind, name, namespace));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new KubeError(KubeErrorCode.WRITE_FAILED, `could not delete ${kind} ${namespace ?? ''}/${name}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Writes any file atomically (temp file in the same directory + rename); readers ignore dot-files. */
  async writeFileAtomic(path: string, data: string): Promise<void> {
    await this.#writeAtomic(path, data);
  }

  async #writeAtomic(path: string, data: string): Promise<void> {
    const dir = path.slice(0, path.lastIndexOf('/'));
    const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(tmp, data);
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw new KubeError(KubeErrorCode.WRITE_FAILED, `could not write ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
}
