import t from 'tap';
import { allocateClusterIP, hostsEntries, imageFor, reconcileDeployment, schedule, serviceRules, targetPortFor, type Deployment, type Pod, type Service } from '../../src/lab/cluster.js';

const deploy = (name: string, replicas = 1, extra: Partial<Deployment['spec']['template']['spec']> = {}): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'demo' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name, version: 'v1' } }, spec: { serviceAccountName: name, containers: [{ name, image: 'nicholasjackson/fake-service:v0.7.8', ports: [{ containerPort: 8080, name: 'http' }] }], ...extra } },
  },
});

t.test('images map to lab programs; unknown images list the supported ones', async (t) => {
  t.equal(imageFor('nicholasjackson/fake-service:v0.7.8'), 'fake-service');
  t.equal(imageFor('docker.io/kennethreitz/httpbin'), 'httpbin');
  t.equal(imageFor('mccutchen/go-httpbin:v2.6.0'), 'httpbin');
  t.equal(imageFor('curlimages/curl'), 'sleep');
  t.equal(imageFor('governmentpaas/curl-ssl:terraform-14'), 'sleep');
  t.throws(() => imageFor('docker.io/istio/examples-bookinfo-productpage-v1:1.18.0'), /image "docker.io\/istio\/examples-bookinfo-productpage-v1:1.18.0" is not available in the lab; supported images: nicholasjackson\/fake-service/);
});

t.test('a Deployment scales to replicas with ReplicaSet-style names, and a template change replaces its pods', async (t) => {
  const d = deploy('web-api', 2);
  const { create, remove } = reconcileDeployment(d, []);
  t.equal(create.length, 2);
  t.same(remove, []);
  for (const p of create) {
    t.match(p.metadata.name, /^web-api-[a-z0-9]{10}-[a-z0-9]{5}$/);
    t.equal(p.metadata.namespace, 'demo');
    t.equal(p.spec.serviceAccountName, 'web-api');
    t.equal(p.metadata.labels!.app, 'web-api');
    t.ok(p.metadata.uid);
  }
  t.not(create[0]!.metadata.name, create[1]!.metadata.name);
  t.same(reconcileDeployment(d, create), { create: [], remove: [] }, 'steady state changes nothing');
  const down = reconcileDeployment({ ...d, spec: { ...d.spec, replicas: 1 } }, create);
  t.equal(down.remove.length, 1);
  const changed = reconcileDeployment(deploy('web-api', 2, { serviceAccountName: 'other' }), create);
  t.equal(changed.remove.length, 2, 'outdated pods go');
  t.equal(changed.create.length, 2, 'new template pods come');
});

t.test('scheduling honours pod anti-affinity and spreads load', async (t) => {
  const anti = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web-api' } }, topologyKey: 'kubernetes.io/hostname' } }] } };
  const pods = reconcileDeployment(deploy('web-api', 2, { affinity: anti }), []).create;
  const placed: Array<{ pod: Pod; node: number }> = [];
  for (const p of pods) placed.push({ pod: p, node: schedule(p, 2, placed) });
  t.not(placed[0]!.node, placed[1]!.node, 'preferred anti-affinity spreads replicas');
  const required = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' }] } };
  const xs = reconcileDeployment({ ...deploy('x', 3, { affinity: required }), spec: { ...deploy('x', 3, { affinity: required }).spec, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: 'curlimages/curl' }], affinity: required } } } }, []).create;
  const p2: Array<{ pod: Pod; node: number }> = [];
  p2.push({ pod: xs[0]!, node: schedule(xs[0]!, 2, p2) });
  p2.push({ pod: xs[1]!, node: schedule(xs[1]!, 2, p2) });
  t.throws(() => schedule(xs[2]!, 2, p2), /cannot be scheduled: its required pod anti-affinity excludes all 2 nodes/);
});

t.test('ClusterIPs, endpoints, named target ports and hosts entries', async (t) => {
  t.equal(allocateClusterIP(new Set()), '10.96.0.10');
  t.equal(allocateClusterIP(new Set(['10.96.0.10', '10.96.0.11'])), '10.96.0.12');
  const [pod] = reconcileDeployment(deploy('web-api'), []).create;
  pod!.status = { podIP: '10.244.1.5', conditions: [{ type: 'Ready', status: 'True' }] };
  const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-api', namespace: 'demo' }, spec: { clusterIP: '10.96.0.10', selector: { app: 'web-api' }, ports: [{ port: 8080, targetPort: 'http' }] } };
  t.equal(targetPortFor({ port: 80, targetPort: 'http' }, pod!), 8080);
  t.equal(targetPortFor({ port: 80 }, pod!), 80);
  t.same(serviceRules([svc], [pod!]), [{ vip: '10.96.0.10', port: 8080, endpoints: [{ ip: '10.244.1.5', port: 8080 }] }]);
  pod!.status.conditions = [{ type: 'Ready', status: 'False' }];
  t.same(serviceRules([svc], [pod!])[0]!.endpoints, [], 'an unready pod is no endpoint');
  t.same(hostsEntries('demo', [svc]), [{ ip: '10.96.0.10', names: ['web-api.demo.svc.cluster.local', 'web-api.demo.svc', 'web-api.demo', 'web-api'] }]);
  t.same(hostsEntries('other', [svc])[0]!.names, ['web-api.demo.svc.cluster.local', 'web-api.demo.svc', 'web-api.demo'], 'short names only within the namespace');
});
