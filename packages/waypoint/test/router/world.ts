// Shared fixtures for the router tests: a small cluster (Services + Pods) and builders for Istio objects.
type Obj = Record<string, unknown>;

export const svc = (name: string, ns: string, ports: number[], extra: { selector?: Record<string, string>; clusterIP?: string } = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { selector: extra.selector ?? { app: name }, ports: ports.map((p) => ({ name: `http-${p}`, port: p, targetPort: p + 1 })), ...(extra.clusterIP ? { clusterIP: extra.clusterIP } : {}) },
});

export const pod = (name: string, ns: string, labels: Record<string, string>): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels } });

export const vs = (name: string, ns: string, spec: Obj, created?: string, apiVersion = 'networking.istio.io/v1'): Obj => ({
  apiVersion,
  kind: 'VirtualService',
  metadata: { name, namespace: ns, ...(created ? { creationTimestamp: created } : {}) },
  spec,
});

export const dr = (name: string, ns: string, spec: Obj): Obj => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns }, spec });

export const se = (name: string, ns: string, spec: Obj): Obj => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace: ns }, spec });

/** reviews v1/v2/v3 + productpage + ratings + httpbin (single port 8000) + multi (80, 8080) in default; reviews in prod */
export const WORLD: Obj[] = [
  svc('reviews', 'default', [9080], { clusterIP: '10.96.0.10' }),
  pod('reviews-v1-7d8f', 'default', { app: 'reviews', version: 'v1' }),
  pod('reviews-v2-5b6c', 'default', { app: 'reviews', version: 'v2' }),
  pod('reviews-v3-9a1e', 'default', { app: 'reviews', version: 'v3' }),
  svc('productpage', 'default', [9080]),
  pod('productpage-v1-1', 'default', { app: 'productpage', version: 'v1' }),
  svc('ratings', 'default', [9080]),
  pod('ratings-v1-1', 'default', { app: 'ratings', version: 'v1' }),
  svc('httpbin', 'default', [8000]),
  pod('httpbin-v1-1', 'default', { app: 'httpbin', version: 'v1' }),
  pod('httpbin-v2-1', 'default', { app: 'httpbin', version: 'v2' }),
  svc('multi', 'default', [80, 8080]),
  pod('multi-1', 'default', { app: 'multi' }),
  svc('empty', 'default', [80]),
  svc('reviews', 'prod', [9080]),
  pod('reviews-prod-1', 'prod', { app: 'reviews', version: 'v1' }),
];

export const REVIEWS_DR = dr('reviews', 'default', {
  host: 'reviews',
  subsets: [
    { name: 'v1', labels: { version: 'v1' } },
    { name: 'v2', labels: { version: 'v2' } },
    { name: 'v3', labels: { version: 'v3' } },
  ],
});

export const C = (port: number, subset: string, host: string) => `outbound|${port}|${subset}|${host}`;
export const REVIEWS = 'reviews.default.svc.cluster.local';

/** A VirtualService for `reviews` in default with the given http routes. */
export const reviewsVs = (http: unknown[], extra: Obj = {}): Obj => vs('reviews', 'default', { hosts: ['reviews'], http, ...extra });
/** A route to reviews subset s */
export const to = (subset?: string, extra: Obj = {}): Obj => ({ destination: { host: 'reviews', ...(subset ? { subset } : {}) }, ...extra });
