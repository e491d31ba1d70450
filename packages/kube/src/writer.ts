// Writing objects to the API server: server-side apply (PATCH application/apply-patch+yaml, force, one field
// manager) and delete. Any apiVersion/kind (e.g. a waypoint's Deployment), not only the watched kinds.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeError, KubeErrorCode } from './errors.js';
import { groupOf, type KubeObject } from './types.js';

const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'GatewayClass']);

/** The REST plural of a kind (lower-case; `y` → `ies`, `s`/`x` → `es`, else `s`), e.g. `Deployment` → `deployments`. */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (k.endsWith('y') && !/[aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (k.endsWith('s') || k.endsWith('x')) return `${k}es`;
  return `${k}s`;
}

/** The REST path of one object: `/api/v1/namespaces/ns/services/name`, `/apis/apps/v1/namespaces/ns/deployments/name`. */
export function resourcePath(apiVersion: string, kind: string, name: string, namespace?: string, plural?: string): string {
  const group = groupOf(apiVersion);
  const base = group ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = namespace && !CLUSTER_SCOPED.has(kind) ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${plural ?? pluralOf(kind)}/${encodeURIComponent(name)}`;
}

export interface KubeApiWriterOptions {
  kubeConfig: KubeConfig;
  /** Server-side apply field manager (default `amesh`). */
  fieldManager?: string;
}

/** Server-side apply and delete through the API server. */
export class KubeApiWriter {
  readonly #kc: KubeConfig;
  readonly #manager: string;

  constructor(options: KubeApiWriterOptions) {
    this.#kc = options.kubeConfig;
    this.#manager = options.fieldManager ?? 'amesh';
  }

  /** Creates or updates `obj` (server-side apply, `force=true`); resolves the object the server returns. */
  async apply(obj: KubeObject): Promise<KubeObject> {
    const path = resourcePath(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
    const q = new URLSearchParams({ fieldManager: this.#manager, force: 'true' });
    const { status, body } = await this.#request('PATCH', `${path}?${q}`, JSON.stringify(obj), 'application/apply-patch+yaml');
    if (status < 200 || status >= 300) throw new KubeError(KubeErrorCode.WRITE_FAILED, `apply ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}: HTTP ${status}: ${body.slice(0, 300)}`);
    return JSON.parse(body) as KubeObject;
  }

  /** Merges `status` into an object's status subresource (PATCH application/merge-patch+json on `.../status`). */
  async patchStatus(apiVersion: string, kind: string, name: string, namespace: string | undefined, status: Record<string, unknown>): Promise<void> {
    const path = `${resourcePath(apiVersion, kind, name, namespace)}/status`;
    const { status: code, body } = await this.#request('PATCH', path, JSON.stringify({ status }), 'application/merge-patch+json');
    if (code < 200 || code >= 300) throw new KubeError(KubeErrorCode.WRITE_FAILED, `status of ${kind} ${namespace ?? ''}/${name}: HTTP ${code}: ${body.slice(0, 300)}`);
  }

  /** Deletes an object; resolves whether it existed. */
  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean> {
    const { status, body } = await this.#request('DELETE', resourcePath(apiVersion, kind, name, namespace));
    if (status === 404) return false;
    if (status < 200 || status >= 300) throw new KubeError(KubeErrorCode.WRITE_FAILED, `delete ${kind} ${namespace ?? ''}/${name}: HTTP ${status}: ${body.slice(0, 300)}`);
    return true;
  }

  async #request(method: string, path: string, body?: string, contentType?: string): Promise<{ status: number; body: string }> {
    const cluster = this.#kc.getCurrentCluster();
    if (!cluster) throw new KubeError(KubeErrorCode.WRITE_FAILED, 'the kubeconfig has no current cluster');
    const opts = (await this.#kc.applyToFetchOptions({})) as { agent?: http.Agent; headers?: { forEach?(cb: (v: string, k: string) => void): void } };
    const headers: Record<string, string> = { accept: 'application/json' };
    opts.headers?.forEach?.((v, k) => (headers[k] = v));
    if (contentType) headers['content-type'] = contentType;
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, agent: opts.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', (err) => reject(new KubeError(KubeErrorCode.WRITE_FAILED, `${method} ${url.pathname}: ${err.message}`, { cause: err })));
      req.end(body);
    });
  }
}
