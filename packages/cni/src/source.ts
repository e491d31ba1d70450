// What the node agent needs from the cluster: namespace and pod events of its node, and a way to annotate a pod.
// Implementations: MemorySource (tests, embedding), and adapters over @amesh/kube object sources (kube.ts).
import { REDIRECTION_ANNOTATION, REDIRECTION_ENABLED, type NamespaceInfo, type PodInfo } from './enrollment.js';

export type ClusterEventType = 'add' | 'update' | 'delete';

export type ClusterEvent =
  | { kind: 'namespace'; type: ClusterEventType; object: NamespaceInfo }
  | { kind: 'pod'; type: ClusterEventType; object: PodInfo };

/**
 * A source of namespace and pod events. `start` delivers every existing object as `add`, resolves once that
 * initial state has been delivered (synced), then keeps delivering changes, synchronously and in order.
 */
export interface ClusterSource {
  start(onEvent: (event: ClusterEvent) => void): Promise<void>;
  close(): Promise<void>;
}

/** Writes the redirection annotation back to the pod (so istiod knows it can tunnel to it). */
export interface PodAnnotator {
  setRedirection(pod: PodInfo, enabled: boolean): Promise<void>;
}

/** An annotator that does nothing (when nobody reads the annotation). */
export const noopAnnotator: PodAnnotator = {
  async setRedirection() {},
};

/** An in-memory cluster: a ClusterSource and a PodAnnotator (annotations become pod update events). */
export class MemorySource implements ClusterSource, PodAnnotator {
  readonly namespaces = new Map<string, NamespaceInfo>();
  readonly pods = new Map<string, PodInfo>();
  #listener: ((e: ClusterEvent) => void) | undefined;
  /** Set to make setRedirection fail (tests of rollback). */
  failAnnotations: Error | undefined;

  async start(onEvent: (event: ClusterEvent) => void): Promise<void> {
    this.#listener = onEvent;
    for (const ns of this.namespaces.values()) onEvent({ kind: 'namespace', type: 'add', object: ns });
    for (const pod of this.pods.values()) onEvent({ kind: 'pod', type: 'add', object: pod });
  }

  async close(): Promise<void> {
    this.#listener = undefined;
  }

  setNamespace(name: string, labels: Record<string, string> = {}): void {
    const prev = this.namespaces.get(name);
    const ns = { name, labels: { ...labels } };
    this.namespaces.set(name, ns);
    this.#listener?.({ kind: 'namespace', type: prev ? 'update' : 'add', object: ns });
  }

  deleteNamespace(name: string): void {
    const prev = this.namespaces.get(name);
    if (!prev) return;
    this.namespaces.delete(name);
    this.#listener?.({ kind: 'namespace', type: 'delete', object: prev });
  }

  setPod(pod: PodInfo): void {
    const prev = this.pods.get(pod.uid);
    const copy = { ...pod, labels: { ...pod.labels }, annotations: { ...pod.annotations }, ips: [...pod.ips] };
    this.pods.set(pod.uid, copy);
    this.#listener?.({ kind: 'pod', type: prev ? 'update' : 'add', object: copy });
  }

  deletePod(uid: string): void {
    const prev = this.pods.get(uid);
    if (!prev) return;
    this.pods.delete(uid);
    this.#listener?.({ kind: 'pod', type: 'delete', object: prev });
  }

  async setRedirection(pod: PodInfo, enabled: boolean): Promise<void> {
    if (this.failAnnotations) throw this.failAnnotations;
    const cur = this.pods.get(pod.uid);
    if (!cur) return;
    const annotations = { ...cur.annotations };
    if (enabled) annotations[REDIRECTION_ANNOTATION] = REDIRECTION_ENABLED;
    else delete annotations[REDIRECTION_ANNOTATION];
    this.setPod({ ...cur, annotations });
  }
}
