import t from 'tap';
import { hostname } from 'node:os';
import { ConfigError, parseConfig } from '../src/config.js';

t.test('defaults', async (t) => {
  t.same(parseConfig({}, []), {
    nodeName: hostname(),
    kubeStateDir: undefined,
    kubeconfig: undefined,
    inCluster: false,
    eventSocket: '/var/run/istio-cni/pluginevent.sock',
    agentDir: '/var/run/istio-cni',
    nodeNetns: undefined,
    ready: { host: '0.0.0.0', port: 8000 },
    install: false,
    cniNetDir: '/etc/cni/net.d',
    cniBinDir: '/opt/cni/bin',
    podWaitMs: 5000,
    reconcileIntervalMs: 30000,
    logLevel: 'info',
    logFormat: 'plain',
  });
  t.equal(parseConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, []).inCluster, true);
});

t.test('flags override the environment', async (t) => {
  const c = parseConfig({ NODE_NAME: 'env-node', CNI_INSTALL: 'yes', READY_ADDRESS: 'off', LOG_FORMAT: 'json' }, ['--node-name', 'flag-node', '--node-netns=amt-x', '--pod-wait-ms', '10']);
  t.equal(c.nodeName, 'flag-node');
  t.equal(c.install, true);
  t.equal(c.ready, undefined);
  t.equal(c.nodeNetns, 'amt-x');
  t.equal(c.podWaitMs, 10);
  t.equal(c.logFormat, 'json');
  t.equal(parseConfig({}, ['--install']).install, true);
  t.same(parseConfig({}, ['--ready-address', '[::1]:9']).ready, { host: '::1', port: 9 });
});

t.test('every problem is listed', async (t) => {
  const err = t.throws(() => parseConfig({ CNI_INSTALL: 'maybe', LOG_FORMAT: 'xml', NODE_NETNS: 'a b' }, ['stray', '--node-name'])) as ConfigError;
  t.same(err.problems, [
    'argv[0]: unexpected argument "stray"',
    '--node-name: needs a value',
    'LOG_FORMAT: "xml" must be json or plain',
    'NODE_NETNS: "a b" is not a network namespace name',
    'CNI_INSTALL: "maybe" is not a boolean',
  ]);
});
