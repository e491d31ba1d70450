import t from 'tap';
import type { KubeObject } from '@amesh/kube';
import { renderWaypoint, WaypointReconciler, type ObjectWriter } from '../src/waypoints.js';
import { silentLogger } from '../src/logger.js';
import type { Waypoint } from '../src/translate.js';

const opts = { image: 'amesh/waypoint:dev', xdsAddress: 'istiod.istio-system.svc:15012', caAddress: 'istiod.istio-system.svc:15012', clusterId: 'Kubernetes', trustDomain: 'cluster.local' };
const wp = (name: string, extra: Partial<Waypoint> = {}): Waypoint => ({ name, namespace: 'default', for: 'service', serviceName: name, serviceAccount: name, warnings: [], uid: 'u-1', ...extra });

t.test('render: ServiceAccount, Deployment, Service (legacy forms reuse the workload SA)', async (t) => {
  const objs = renderWaypoint(wp('wp'), opts);
  t.same(objs.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`), ['v1 ServiceAccount wp', 'apps/v1 Deployment wp', 'v1 Service wp']);
  const dep = objs[1] as KubeObject & { spec: { template: { spec: { serviceAccountName: string; containers: { image: string; env: { name: string; value?: string }[] }[] }; metadata: { labels: Record<string, string> } } } };
  t.equal(dep.spec.template.spec.serviceAccountName, 'wp');
  t.equal(dep.spec.template.spec.containers[0]!.image, 'amesh/waypoint:dev');
  t.equal(dep.spec.template.metadata.labels['gateway.networking.k8s.io/gateway-name'], 'wp');
  t.equal(dep.spec.template.metadata.labels['istio.io/dataplane-mode'], 'none');
  t.ok(dep.spec.template.spec.containers[0]!.env.some((e) => e.name === 'XDS_ADDRESS' && e.value === opts.xdsAddress));
  t.same(dep.metadata.ownerReferences, [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'wp', uid: 'u-1', controller: true }]);
  const svc = objs[2] as KubeObject & { spec: { ports: { port: number }[] } };
  t.equal(svc.metadata.labels?.['gateway.istio.io/managed'], 'istio.io-mesh-controller');
  t.same(svc.spec.ports.map((p) => p.port), [15008, 15021]);
  const legacy = renderWaypoint(wp('web-api', { legacyForm: 'istio-mesh', legacyServiceAccount: 'web-api', serviceAccount: 'web-api', uid: undefined as never }), opts);
  t.same(legacy.map((o) => o.kind), ['Deployment', 'Service']);
  t.equal(legacy[0]!.metadata.ownerReferences, undefined);
});

t.test('reconciler applies new waypoints once, deletes removed ones, retries after failures', async (t) => {
  const log: string[] = [];
  let fail = false;
  const writer: ObjectWriter = {
    apply: async (o) => {
      if (fail) throw new Error('api down');
      log.push(`apply ${o.kind}/${o.metadata.name}`);
    },
    delete: async (_v, kind, name) => {
      log.push(`delete ${kind}/${name}`);
      return true;
    },
  };
  const r = new WaypointReconciler({ writer, render: opts, logger: silentLogger });
  await r.reconcile([wp('a')]);
  await r.reconcile([wp('a')]);
  t.same(log, ['apply ServiceAccount/a', 'apply Deployment/a', 'apply Service/a'], 'unchanged waypoints are not re-applied');
  log.length = 0;
  fail = true;
  await r.reconcile([wp('a'), wp('b')]);
  t.same(log, []);
  fail = false;
  await Promise.all([r.reconcile([wp('b')]), r.reconcile([wp('b')])]);
  t.same(log, ['apply ServiceAccount/b', 'apply Deployment/b', 'apply Service/b', 'delete Service/a', 'delete Deployment/a', 'delete ServiceAccount/a']);
});
