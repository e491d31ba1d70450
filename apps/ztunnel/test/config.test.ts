import t from 'tap';
import { ConfigError, parseConfig, parseDuration, parseWorkerThreads } from '../src/config.js';

t.test('defaults, ISTIO_META_*, CA address follows XDS, ports and socks5 switch', async (t) => {
  const c = parseConfig({ NODE_NAME: 'n1', ISTIO_META_CLUSTER_ID: 'c9', ISTIO_META_DNS_CAPTURE: 'true', HBONE_PORT: '25008', UNSTABLE_ENABLE_SOCKS5: 'false', XDS_ROOT_CA: '' });
  t.equal(c.core.nodeName, 'n1');
  t.equal(c.core.clusterId, 'c9');
  t.same(c.metadata, { CLUSTER_ID: 'c9', DNS_CAPTURE: 'true' });
  t.equal(c.core.ports.hbone, 25008);
  t.equal(c.core.ports.socks5, null);
  t.equal(c.core.xdsAddress, undefined);
  t.equal(c.podName, 'ztunnel-n1');
  t.equal(c.logLevel, 'info');
  t.equal(parseConfig({ NODE_NAME: 'n1', SOCKS5_WORKLOAD: 'default/sleep' }).core.socks5Workload, 'default/sleep');
});

t.test('drain deadline: CONNECTION_TERMINATION_DEADLINE, else derived from the grace period', async (t) => {
  t.equal(parseConfig({ NODE_NAME: 'n', CONNECTION_TERMINATION_DEADLINE: '2s' }).core.drainDeadlineMs, 2000);
  t.equal(parseConfig({ NODE_NAME: 'n', TERMINATION_GRACE_PERIOD_SECONDS: '30' }).core.drainDeadlineMs, 25000);
  t.equal(parseConfig({ NODE_NAME: 'n', TERMINATION_GRACE_PERIOD_SECONDS: '5' }).core.drainDeadlineMs, 4000);
  t.equal(parseConfig({ NODE_NAME: 'n', TERMINATION_GRACE_PERIOD_SECONDS: '1' }).core.drainDeadlineMs, 1000);
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('1m'), 60000);
  t.equal(parseDuration('3'), 3000);
  t.equal(parseDuration('x'), undefined);
});

t.test('a CA without TLS roots and a missing root file are reported', async (t) => {
  try {
    parseConfig({ NODE_NAME: 'n', XDS_ADDRESS: 'istiod:15012', XDS_ROOT_CA: '/nonexistent.pem' });
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof ConfigError);
    t.match((err as ConfigError).problems.join('\n'), /XDS_ROOT_CA: file \/nonexistent.pem does not exist/);
    t.match((err as ConfigError).problems.join('\n'), /CA_ROOT_CA/);
  }
});

t.test('ZTUNNEL_WORKER_THREADS (upstream rules) and POOL_MAX_STREAMS_PER_CONNECTION', async (t) => {
  t.equal(parseConfig({ NODE_NAME: 'n' }, 2).workers, 2, 'default: max(2, 25% of the CPUs)');
  t.equal(parseConfig({ NODE_NAME: 'n' }, 16).workers, 4);
  t.equal(parseConfig({ NODE_NAME: 'n', ZTUNNEL_WORKER_THREADS: '1' }, 2).workers, 1);
  t.equal(parseConfig({ NODE_NAME: 'n', ZTUNNEL_WORKER_THREADS: '50%' }, 8).workers, 4);
  t.equal(parseWorkerThreads('1%', 2), 1, 'a percentage rounds up to at least one');
  t.match(parseWorkerThreads('0', 2), /ZTUNNEL_WORKER_THREADS/);
  t.match(parseWorkerThreads('150%', 2), /between 0 and 100/);
  t.throws(() => parseConfig({ NODE_NAME: 'n', ZTUNNEL_WORKER_THREADS: 'many' }), /ZTUNNEL_WORKER_THREADS/);
  t.equal(parseConfig({ NODE_NAME: 'n', POOL_MAX_STREAMS_PER_CONNECTION: '8' }).core.poolMaxStreamsPerConnection, 8);
  t.equal(parseConfig({ NODE_NAME: 'n' }).core.poolMaxStreamsPerConnection, 100);
  t.same(parseConfig({ NODE_NAME: 'n', HBONE_POOL_SPREAD: '16x4' }).core.poolSpread, { streams: 16, connections: 4 });
  t.throws(() => parseConfig({ NODE_NAME: 'n', HBONE_POOL_SPREAD: 'lots' }), /HBONE_POOL_SPREAD/);
  t.throws(() => parseConfig({ NODE_NAME: 'n', HBONE_POOL_SPREAD: '0x4' }), /HBONE_POOL_SPREAD/);
});
