// The one interface every object source implements (API informers, state directory, memory), and the cache and
// event fan-out they share.
import { randomUUID } from 'node:crypto';
import { KubeError, KubeErrorCode } from './errors.js';
import { fieldValue, parseSelector, type Selector } from './selectors.js';
import { ALL_KINDS, KINDS, kindKeyOf, objectKey, type KindKey, type KindTypes, type KubeObject } from './types.js';

/** A pino-compatible logger (the subset amesh uses). */
export interface Logger {
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

export type ObjectEventType = 'add' | 'update' | 'delete';

/** One change. `previous` is the object before an update (and the last known object on delete). */
export interface ObjectEvent<K extends KindKey = KindKey> {
  type: ObjectEventType;
  kind: K;
  object: KindTypes[K];
  previous?: KindTypes[K];
}

export type ObjectEventHandler = (event: ObjectEvent) => void;

export interface SubscribeOptions {
  /** Only these kinds (default: every kind the source watches). */
  kinds?: readonly KindKey[];
  /** First deliver every object already cached as an `add` (default false). */
  replay?: boolean;
}

/** Per-kind filters, in the API server's syntax (`app=web`, `spec.nodeName=node-1`). */
export interface KindSelector {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Options every source accepts. */
export interface SourceOptions {
  /** Kinds to list and watch (default: all of `ALL_KINDS`). */
  kinds?: readonly KindKey[];
  /** Restrict namespaced kinds to one namespace. */
  namespace?: string;
  /** Label/field selectors per kind (e.g. pods of one node: `{ Pod: { fieldSelector: 'spec.nodeName=n1' } }`). */
  selectors?: Partial<Record<KindKey, KindSelector>>;
  logger?: Logger;
}

/**
 * A typed, cached, watched view of Kubernetes objects. `start()` lists every kind and then follows changes; each
 * change is delivered synchronously, in order, as an `ObjectEvent`. `synced` resolves once every kind has been
 * listed once (objects present at that time were delivered as `add` before it resolves).
 */
export interface ObjectSource {
  readonly kinds: readonly KindKey[];
  list<K extends KindKey>(kind: K, namespace?: string): KindTypes[K][];
  get<K extends KindKey>(kind: K, name: string, namespace?: string): KindTypes[K] | undefined;
  /** The newest resourceVersion seen for a kind ("" before the first list). */
  resourceVersion(kind: KindKey): string;
  /** Registers a handler; returns the function that unregisters it. */
  subscribe(handler: ObjectEventHandler, options?: SubscribeOptions): () => void;
  readonly synced: Promise<void>;
  isSynced(): boolean;
  /** Starts listing and watching; resolves when synced. Idempotent. */
  start(): Promise<void>;
  /** Stops watching; idempotent. The cache stays readable. */
  close(): Promise<void>;
}

interface CompiledFilter {
  label?: Selector;
  field?: Selector;
  fieldPaths: string[];
}

/** The shared cache + event fan-out + synced bookkeeping. Implementations call upsert/remove/replaceAll/markSynced. */
export abstract class CachedSource implements ObjectSource {
  readonly kinds: readonly KindKey[];
  protected readonly log: Logger;
  protected readonly namespace: string | undefined;
  protected readonly selectors: Partial<Record<KindKey, KindSelector>>;
  readonly #objects = new Map<KindKey, Map<string, KubeObject>>();
  readonly #rv = new Map<KindKey, string>();
  readonly #handlers = new Set<{ fn: ObjectEventHandler; kinds: Set<KindKey> | undefined }>();
  readonly #unsynced: Set<KindKey>;
  readonly #filters = new Map<KindKey, CompiledFilter>();
  #resolveSynced!: () => void;
  readonly synced: Promise<void>;
  protected closed = false;

  constructor(options: SourceOptions = {}) {
    this.kinds = [...(options.kinds ?? ALL_KINDS)];
    for (const k of this.kinds) {
      if (!(k in KINDS)) throw new KubeError(KubeErrorCode.UNKNOWN_KIND, `unknown kind "${k}" (known: ${ALL_KINDS.join(', ')})`);
      this.#objects.set(k, new Map());
      this.#rv.set(k, '');
    }
    this.log = options.logger ?? silentLogger;
    this.namespace = options.namespace;
    this.selectors = options.selectors ?? {};
    for (const [k, sel] of Object.entries(this.selectors) as [KindKey, KindSelector][]) {
      const f: CompiledFilter = { fieldPaths: [] };
      if (sel.labelSelector) f.label = parseSelector(sel.labelSelector);
      if (sel.fieldSelector) {
        f.field = parseSelector(sel.fieldSelector);
        f.fieldPaths = sel.fieldSelector.split(',').map((t) => t.trim().split(/\s*!?==?\s*/)[0]!.trim());
      }
      this.#filters.set(k, f);
    }
    this.#unsynced = new Set(this.kinds);
    this.synced = new Promise((resolve) => (this.#resolveSynced = resolve));
    if (this.kinds.length === 0) this.#resolveSynced();
  }

  abstract start(): Promise<void>;
  abstract close(): Promise<void>;

  list<K extends KindKey>(kind: K, namespace?: string): KindTypes[K][] {
    const m = this.#objects.get(kind);
    if (!m) return [];
    const all = [...m.values()] as KindTypes[K][];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  get<K extends KindKey>(kind: K, name: string, namespace?: string): KindTypes[K] | undefined {
    return this.#objects.get(kind)?.get(namespace && KINDS[kind].namespaced ? `${namespace}/${name}` : name) as KindTypes[K] | undefined;
  }

  resourceVersion(kind: KindKey): string {
    return this.#rv.get(kind) ?? '';
  }

  subscribe(handler: ObjectEventHandler, options: SubscribeOptions = {}): () => void {
    const entry = { fn: handler, kinds: options.kinds ? new Set(options.kinds) : undefined };
    if (options.replay) {
      for (const [kind, m] of this.#objects) {
        if (entry.kinds && !entry.kinds.has(kind)) continue;
        for (const o of m.values()) this.#call(entry.fn, { type: 'add', kind, object: o as never });
      }
    }
    this.#handlers.add(entry);
    return () => this.#handlers.delete(entry);
  }

  isSynced(): boolean {
    return this.#unsynced.size === 0;
  }

  /** Whether an object passes this source's namespace and selector filters. */
  protected accepts(kind: KindKey, obj: KubeObject): boolean {
    if (this.namespace !== undefined && KINDS[kind].namespaced && obj.metadata.namespace !== this.namespace) return false;
    const f = this.#filters.get(kind);
    if (!f) return true;
    if (f.label && !f.label.matches(obj.metadata.labels ?? {})) return false;
    if (f.field) {
      const values: Record<string, string | undefined> = {};
      for (const p of f.fieldPaths) values[p] = fieldValue(obj, p);
      if (!f.field.matches(values)) return false;
    }
    return true;
  }

  protected setResourceVersion(kind: KindKey, rv: string): void {
    if (rv !== '') this.#rv.set(kind, rv);
  }

  /** Adds or replaces one object; emits add/update (nothing when the resourceVersion is unchanged). */
  protected upsert(kind: KindKey, obj: KubeObject): void {
    const m = this.#objects.get(kind);
    if (!m) return;
    const key = objectKey(obj);
    if (!this.accepts(kind, obj)) {
      if (m.has(key)) this.remove(kind, key);
      return;
    }
    const prev = m.get(key);
    if (prev && prev.metadata.resourceVersion !== undefined && prev.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    m.set(key, obj);
    this.setResourceVersion(kind, obj.metadata.resourceVersion ?? '');
    this.#emit(prev ? { type: 'update', kind, object: obj as never, previous: prev as never } : { type: 'add', kind, object: obj as never });
  }

  /** Removes one object by `ns/name` key; emits delete with the last known object. */
  protected remove(kind: KindKey, key: string, last?: KubeObject): void {
    const m = this.#objects.get(kind);
    const prev = m?.get(key);
    if (!m || !prev) return;
    m.delete(key);
    if (last?.metadata.resourceVersion) this.setResourceVersion(kind, last.metadata.resourceVersion);
    this.#emit({ type: 'delete', kind, object: (last ?? prev) as never, previous: prev as never });
  }

  /** Replaces a kind's whole content (a relist): deletes what vanished, adds/updates the rest. */
  protected replaceAll(kind: KindKey, objects: readonly KubeObject[], resourceVersion: string): void {
    const m = this.#objects.get(kind);
    if (!m) return;
    const keep = new Set(objects.filter((o) => this.accepts(kind, o)).map(objectKey));
    for (const key of [...m.keys()]) if (!keep.has(key)) this.remove(kind, key);
    for (const o of objects) this.upsert(kind, o);
    this.setResourceVersion(kind, resourceVersion);
  }

  protected markSynced(kind: KindKey): void {
    if (!this.#unsynced.delete(kind)) return;
    if (this.#unsynced.size === 0) this.#resolveSynced();
  }

  #emit(ev: ObjectEvent): void {
    for (const h of this.#handlers) {
      if (h.kinds && !h.kinds.has(ev.kind)) continue;
      this.#call(h.fn, ev);
    }
  }

  #call(fn: ObjectEventHandler, ev: ObjectEvent): void {
    try {
      fn(ev);
    } catch (err) {
      this.log.error({ err, kind: ev.kind, object: objectKey(ev.object) }, 'object event handler threw; the source continues');
    }
  }
}

/**
 * Checks the shape every source needs (`apiVersion`, `kind` we watch, `metadata.name`) and normalizes the namespace
 * (namespaced kinds default to `default`, cluster-scoped kinds drop it). Returns the problems with field paths.
 */
export function normalizeObject(raw: unknown): { object?: KubeObject; kind?: KindKey; problems: string[] } {
  const problems: string[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { problems: ['<root>: not an object'] };
  const o = raw as Record<string, unknown>;
  if (typeof o.apiVersion !== 'string' || o.apiVersion === '') problems.push('apiVersion: required');
  if (typeof o.kind !== 'string' || o.kind === '') problems.push('kind: required');
  const md = o.metadata as Record<string, unknown> | undefined;
  if (md === undefined || md === null || typeof md !== 'object') problems.push('metadata: required');
  else {
    if (typeof md.name !== 'string' || md.name === '') problems.push('metadata.name: required');
    if (md.namespace !== undefined && typeof md.namespace !== 'string') problems.push('metadata.namespace: must be a string');
    for (const f of ['labels', 'annotations'] as const) {
      const v = md[f];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'object' || Array.isArray(v)) problems.push(`metadata.${f}: must be a map of strings`);
      else for (const [k, s] of Object.entries(v)) if (typeof s !== 'string') problems.push(`metadata.${f}.${k}: must be a string`);
    }
  }
  if (problems.length > 0) return { problems };
  const kind = kindKeyOf(o);
  if (!kind) return { problems: [`kind: ${String(o.apiVersion)} ${String(o.kind)} is not a kind amesh watches`] };
  const metadata = { ...(md as Record<string, unknown>) } as KubeObject['metadata'];
  if (KINDS[kind].namespaced) metadata.namespace = metadata.namespace || 'default';
  else delete metadata.namespace;
  return { object: { ...(o as KubeObject), metadata }, kind, problems };
}

/**
 * An in-memory source with a writer API: for tests, benchmarks and embedding. `apply` assigns `uid` (when missing),
 * `creationTimestamp` and a fresh `resourceVersion`, like the API server.
 */
export class MemorySource extends CachedSource {
  #rv = 0;
  #uids = new Map<string, string>();
  #now: () => Date;

  constructor(options: SourceOptions & { now?: () => Date } = {}) {
    super(options);
    this.#now = options.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    for (const k of this.kinds) this.markSynced(k);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Creates or replaces an object; throws KUBE_ERR_INVALID_OBJECT / KUBE_ERR_UNKNOWN_KIND. Returns the stored object. */
  apply<T extends KubeObject>(raw: T): T {
    if (this.closed) throw new KubeError(KubeErrorCode.CLOSED);
    const { object, kind, problems } = normalizeObject(raw);
    if (!object || !kind) {
      const unknown = problems.length === 1 && problems[0]!.startsWith('kind:');
      throw new KubeError(unknown ? KubeErrorCode.UNKNOWN_KIND : KubeErrorCode.INVALID_OBJECT, `invalid object: ${problems.join('; ')}`, { details: problems });
    }
    if (!this.kinds.includes(kind)) throw new KubeError(KubeErrorCode.UNKNOWN_KIND, `this source does not watch ${kind}`);
    const id = `${kind}/${objectKey(object)}`;
    const prev = this.get(kind, object.metadata.name, object.metadata.namespace);
    const uid = object.metadata.uid ?? this.#uids.get(id) ?? randomUUID();
    this.#uids.set(id, uid);
    const stored: KubeObject = {
      ...object,
      metadata: {
        ...object.metadata,
        uid,
        creationTimestamp: object.metadata.creationTimestamp ?? prev?.metadata.creationTimestamp ?? this.#now().toISOString(),
        resourceVersion: String(++this.#rv),
      },
    };
    this.upsert(kind, stored);
    return stored as T;
  }

  /** Deletes an object; returns whether it existed. */
  delete(kind: KindKey, name: string, namespace?: string): boolean {
    if (this.closed) throw new KubeError(KubeErrorCode.CLOSED);
    const prev = this.get(kind, name, namespace);
    if (!prev) return false;
    this.#uids.delete(`${kind}/${objectKey(prev)}`);
    const last = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(++this.#rv) } };
    this.remove(kind, objectKey(prev), last);
    return true;
  }
}
