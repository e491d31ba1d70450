import t from 'tap';
import { MemorySource, type KindKey, type KubeObject } from '@amesh/kube';
import { ResourceCache } from '@amesh/xds';
import { AmbientIndex } from '../src/ambient.js';
import { ConfigController } from '../src/controller.js';
import { silentLogger } from '../src/logger.js';
import { DEFAULT_MESH } from '../src/translate.js';

const policy = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'default' }, spec });

t.test('validation results: last good config, config status, Kubernetes status written once per change', async (t) => {
  const source = new MemorySource();
  await source.start();
  const cache = new ResourceCache();
  const writes: { kind: KindKey; name: string; status: { conditions: { status: string; reason: string; message: string; lastTransitionTime: string }[] } }[] = [];
  const c = new ConfigController({
    source,
    index: new AmbientIndex(DEFAULT_MESH),
    cache,
    logger: silentLogger,
    statusWriter: async (kind, obj, status) => {
      writes.push({ kind, name: obj.metadata.name, status: status as never });
    },
    now: () => 0,
  });
  c.start();
  source.apply(policy({ rules: [{}] }));
  c.flush();
  t.equal(cache.size('type.googleapis.com/istio.security.Authorization'), 2, 'the policy and the static strict policy');
  t.equal(writes.length, 1);
  t.same([writes[0]!.status.conditions[0]!.status, writes[0]!.status.conditions[0]!.reason, writes[0]!.status.conditions[0]!.lastTransitionTime], ['True', 'Accepted', '1970-01-01T00:00:00.000Z']);
  source.apply(policy({ rules: [{}] }));
  t.equal(writes.length, 1, 'same result: no second write (no status loop)');
  source.apply(policy({ rules: [{ to: [{ operation: { ports: ['x'] } }] }] }));
  c.flush();
  t.equal(writes.length, 2);
  t.match(writes[1]!.status.conditions[0]!, { status: 'False', reason: 'Invalid', message: /last valid version keeps serving: spec\.rules\[0\]\.to\[0\]\.operation\.ports\[0\]/ });
  t.same(c.status().map((s) => [s.name, s.state, s.servingLastGood]), [['p', 'Rejected', true]]);
  t.equal(c.serving('AuthorizationPolicy').length, 1, 'the last good version is still serving');
  t.same(c.stats().rejected, 1);
  // Objects that already carry the same condition (e.g. after a restart) are not rewritten.
  source.apply({ ...policy({ rules: [{}] }), status: { conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Resource accepted' }] } });
  t.equal(writes.length, 2, 'already carries the Accepted condition: not rewritten');
  // A Gateway API Gateway of another class is not ours to write.
  source.apply({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'ingress', namespace: 'default' }, spec: { gatewayClassName: 'other', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } });
  t.equal(writes.length, 2);
  source.delete('AuthorizationPolicy', 'p', 'default');
  c.flush();
  t.same(c.status().map((s) => s.name), ['ingress']);
  t.equal(cache.size('type.googleapis.com/istio.security.Authorization'), 1);
  c.stop();
});

t.test('a failing status writer is retried on the next change', async (t) => {
  const source = new MemorySource();
  let fail = true;
  let calls = 0;
  const c = new ConfigController({
    source,
    index: new AmbientIndex(DEFAULT_MESH),
    cache: new ResourceCache(),
    logger: silentLogger,
    statusWriter: async () => {
      calls++;
      if (fail) throw new Error('forbidden');
    },
  });
  c.start();
  source.apply(policy({ rules: [{}] }));
  await new Promise((r) => setImmediate(r));
  fail = false;
  source.apply(policy({ rules: [{}] }));
  t.equal(calls, 2);
  c.stop();
});
