// Adapters from @amesh/kube to what the node agent needs: a ClusterSource over any ObjectSource (API informers or
// a state directory), and a PodAnnotator that writes pods back through the state directory.
import { request as httpRequest, type Agent as HttpAgent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ObjectSource, Pod, StateDirectory } from '@amesh/kube';
import { CniError, CniErrorCode } from './errors.js';
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

/** The part of a client-node `KubeConfig` the API annotator uses (structural: no client-node import here). */
export interface KubeConfigLike {
  getCurrentCluster(): { server: string } | null;
  applyToFetchOptions(opts: object): Promise<unknown>;
}

/**
 * API mode: sets or removes `ambient.istio.io/redirection` with a JSON merge patch on the pod
 * (`PATCH /api/v1/namespaces/<ns>/pods/<name>`). A pod that is already gone (404) is not an error.
 */
export function apiAnnotator(kubeConfig: KubeConfigLike, options: { timeoutMs?: number } = {}): PodAnnotator {
  return {
    async setRedirection(pod: PodInfo, enabled: boolean) {
      const cluster = kubeConfig.getCurrentCluster();
      if (!cluster) throw new CniError(CniErrorCode.CONFIG, 'the kubeconfig has no current cluster');
      const opts = (await kubeConfig.applyToFetchOptions({})) as { agent?: HttpAgent; headers?: unknown };
      const url = new URL(`${cluster.server.replace(/\/$/, '')}/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}`);
      const body = JSON.stringify({ metadata: { annotations: { [REDIRECTION_ANNOTATION]: enabled ? REDIRECTION_ENABLED : null } } });
      const headers: Record<string, string> = {};
      const h = opts.headers as { forEach?: (cb: (v: string, k: string) => void) => void } | Record<string, string> | undefined;
      if (h && typeof (h as { forEach?: unknown }).forEach === 'function') (h as { forEach(cb: (v: string, k: string) => void): void }).forEach((v, k) => (headers[k] = v));
      else if (h) for (const [k, v] of Object.entries(h)) headers[k] = String(v);
      await new Promise<void>((resolve, reject) => {
        const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
          url,
          {
            method: 'PATCH',
            agent: opts.agent,
            timeout: options.timeoutMs ?? 10_000,
            headers: { ...headers, 'content-type': 'application/merge-patch+json', accept: 'application/json', 'content-length': String(Buffer.byteLength(body)) },
          },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => {
              if (res.statusCode === 200 || res.statusCode === 404) resolve();
              else reject(new CniError(CniErrorCode.AGENT, `patching pod ${pod.namespace}/${pod.name}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', (err) => reject(new CniError(CniErrorCode.AGENT, `patching pod ${pod.namespace}/${pod.name}: ${err.message}`, { cause: err })));
        req.end(body);
      });
    },
  };
}
