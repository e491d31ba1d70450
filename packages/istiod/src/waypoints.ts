// Kubernetes mode: render each waypoint's ServiceAccount, Deployment and Service (as istiod's gateway deployment
// controller does) and keep the cluster in step with the desired waypoints through an injected writer.
import type { KubeObject } from '@amesh/kube';
import type { Logger } from './logger.js';
import { HBONE_PORT, LABEL_GATEWAY_NAME, type Waypoint } from './translate.js';

export interface WaypointRenderOptions {
  /** The waypoint container image. */
  image: string;
  /** Where the waypoint reaches istiod (`host:port`). */
  xdsAddress: string;
  caAddress: string;
  clusterId: string;
  trustDomain: string;
}

export const MANAGED_LABEL = 'gateway.istio.io/managed';
export const MANAGED_VALUE = 'istio.io-mesh-controller';

/** The objects a waypoint needs: ServiceAccount (modern form only), Deployment, Service. */
export function renderWaypoint(w: Waypoint, o: WaypointRenderOptions): KubeObject[] {
  const labels = { [LABEL_GATEWAY_NAME]: w.name, [MANAGED_LABEL]: MANAGED_VALUE };
  const owner = w.uid ? { ownerReferences: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: w.name, uid: w.uid, controller: true }] } : {};
  const meta = (name: string) => ({ name, namespace: w.namespace, labels, ...owner });
  const field = (path: string) => ({ valueFrom: { fieldRef: { fieldPath: path } } });
  const out: KubeObject[] = [];
  // Legacy forms run as the workload's existing service account; do not take ownership of it.
  if (!w.legacyForm) out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(w.serviceAccount) });
  out.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(w.name),
    spec: {
      replicas: 1,
      selector: { matchLabels: { [LABEL_GATEWAY_NAME]: w.name } },
      template: {
        metadata: { labels: { ...labels, 'istio.io/dataplane-mode': 'none' } },
        spec: {
          serviceAccountName: w.serviceAccount,
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'istio-proxy',
              image: o.image,
              args: ['run'],
              env: [
                { name: 'XDS_ADDRESS', value: o.xdsAddress },
                { name: 'CA_ADDRESS', value: o.caAddress },
                { name: 'CLUSTER_ID', value: o.clusterId },
                { name: 'TRUST_DOMAIN', value: o.trustDomain },
                { name: 'GATEWAY_NAME', value: w.name },
                { name: 'WAYPOINT_FOR', value: w.for },
                { name: 'POD_NAME', ...field('metadata.name') },
                { name: 'POD_NAMESPACE', ...field('metadata.namespace') },
                { name: 'NODE_NAME', ...field('spec.nodeName') },
                { name: 'INSTANCE_IP', ...field('status.podIP') },
                { name: 'SERVICE_ACCOUNT', ...field('spec.serviceAccountName') },
              ],
              ports: [
                { name: 'hbone', containerPort: HBONE_PORT, protocol: 'TCP' },
                { name: 'status-port', containerPort: 15021, protocol: 'TCP' },
                { name: 'metrics', containerPort: 15020, protocol: 'TCP' },
              ],
              readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 5 },
            },
          ],
        },
      },
    },
  });
  out.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(w.serviceName),
    spec: {
      selector: { [LABEL_GATEWAY_NAME]: w.name },
      ports: [
        { name: 'mesh', port: HBONE_PORT, targetPort: HBONE_PORT, protocol: 'TCP', appProtocol: 'all' },
        { name: 'status-port', port: 15021, targetPort: 15021, protocol: 'TCP' },
      ],
    },
  });
  return out;
}

/** What the reconciler writes through (e.g. `@amesh/kube` KubeApiWriter). */
export interface ObjectWriter {
  apply(obj: KubeObject): Promise<unknown>;
  delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean>;
}

/** Applies the rendered objects of every desired waypoint and deletes those of waypoints that went away. */
export class WaypointReconciler {
  readonly #writer: ObjectWriter;
  readonly #render: WaypointRenderOptions;
  readonly #log: Logger;
  /** waypoint key → the objects applied for it */
  #applied = new Map<string, { fp: string; objects: KubeObject[] }>();
  #queue: Promise<void> = Promise.resolve();

  constructor(options: { writer: ObjectWriter; render: WaypointRenderOptions; logger: Logger }) {
    this.#writer = options.writer;
    this.#render = options.render;
    this.#log = options.logger.child({ component: 'waypoint-deployer' });
  }

  /** Queues a reconcile to `waypoints` (calls run one after another); resolves when this one finished. */
  reconcile(waypoints: readonly Waypoint[]): Promise<void> {
    this.#queue = this.#queue.then(() => this.#run(waypoints));
    return this.#queue;
  }

  async #run(waypoints: readonly Waypoint[]): Promise<void> {
    const desired = new Map(waypoints.map((w) => [`${w.namespace}/${w.name}`, renderWaypoint(w, this.#render)]));
    for (const [key, objects] of desired) {
      const fp = JSON.stringify(objects);
      if (this.#applied.get(key)?.fp === fp) continue;
      try {
        for (const o of objects) await this.#writer.apply(o);
        this.#applied.set(key, { fp, objects });
        this.#log.info({ waypoint: key, objects: objects.map((o) => `${o.kind}/${o.metadata.name}`) }, 'waypoint deployed');
      } catch (err) {
        this.#log.error({ err, waypoint: key }, 'could not deploy the waypoint; retrying on the next change');
      }
    }
    for (const [key, prev] of [...this.#applied]) {
      if (desired.has(key)) continue;
      try {
        for (const o of [...prev.objects].reverse()) await this.#writer.delete(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace);
        this.#applied.delete(key);
        this.#log.info({ waypoint: key }, 'waypoint removed');
      } catch (err) {
        this.#log.error({ err, waypoint: key }, 'could not remove the waypoint; retrying on the next change');
      }
    }
  }
}
