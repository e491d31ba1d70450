// Adapters from @amesh/kube to what the node agent needs: a ClusterSource over any ObjectSource (API informers or
// a state directory), and a PodAnnotator that writes pods back through the state directory.
import type { ObjectSource, Pod, StateDirectory } from '@amesh/kube';
import { namespaceInfoFromObject, podInfoFromObject, REDIRECTION_ANNOTATION, REDIRECTION_ENABLED, type PodInfo } from './enrollment.js';
import type { ClusterSource, PodAnnotator } from './source.js';

/**
 * A ClusterSource over a kube ObjectSource watching `Namespace` and `Pod` (give the source a field selector
 * `spec.nodeName=<node>` for pods). `close()` closes the object source too when `ownsSource` is true.
 */
export function kubeClusterSource(source: ObjectSource, options: { ownsSource?: boolean } = {}): ClusterSource {
  let unsubscribe: (() => void) | undefined;
  return {
    async start(onEvent) {
      unsubscribe = source.subscribe(
        (ev) => {
          if (ev.kind === 'Namespace') onEvent({ kind: 'namespace', type: ev.type, object: namespaceInfoFromObject(ev.object) });
          else if (ev.kind === 'Pod') onEvent({ kind: 'pod', type: ev.type, object: podInfoFromObject(ev.object) });
        },
        { kinds: ['Namespace', 'Pod'], replay: true },
      );
      await source.start();
    },
    async close() {
      unsubscribe?.();
      unsubscribe = undefined;
      if (options.ownsSource) await source.close();
    },
  };
}

/**
 * Directory mode: sets or removes `ambient.istio.io/redirection` by writing the pod object (as the source last
 * saw it) back through the StateDirectory; the DirectorySource then reports the update like any other change.
 * Read-modify-write without conflict detection: whoever else writes pods should write through the same store.
 */
export function directoryAnnotator(store: StateDirectory, source: ObjectSource): PodAnnotator {
  return {
    async setRedirection(pod: PodInfo, enabled: boolean) {
      const current = source.get('Pod', pod.name, pod.namespace) as Pod | undefined;
      if (!current) return;
      const annotations = { ...(current.metadata.annotations ?? {}) };
      if (enabled) {
        if (annotations[REDIRECTION_ANNOTATION] === REDIRECTION_ENABLED) return;
        annotations[REDIRECTION_ANNOTATION] = REDIRECTION_ENABLED;
      } else {
        if (annotations[REDIRECTION_ANNOTATION] === undefined) return;
        delete annotations[REDIRECTION_ANNOTATION];
      }
      await store.apply({ ...current, metadata: { ...current.metadata, annotations } });
    },
  };
}
