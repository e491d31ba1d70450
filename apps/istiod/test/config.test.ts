import t from 'tap';
import { ConfigError, parseConfig } from '../src/config.js';

t.test('defaults, env, flags overriding env', async (t) => {
  const d = parseConfig({}, []);
  t.same([d.xdsPort, d.secureXdsPort, d.debugPort, d.trustDomain, d.clusterId, d.rootNamespace, d.logFormat, d.debounceMs], [15010, 15012, 15014, 'cluster.local', 'Kubernetes', 'istio-system', 'plain', 100]);
  t.same(d.trustedNodeAccounts, ['istio-system/ztunnel']);
  t.equal(d.inCluster, false);
  t.equal(parseConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, []).inCluster, true, 'in-cluster when the service host env is set');
  const c = parseConfig({ CONFIG_DIR: '/env', XDS_PORT: '1', TRUST_DOMAIN: 'example.org' }, ['--config-dir=/flag', '--xds-port', '2', '--enable-dry-run']);
  t.same([c.configDir, c.xdsPort, c.trustDomain, c.statusDir, c.enableDryRun, c.inCluster], ['/flag', 2, 'example.org', '/flag/.status', true, false]);
  t.equal(parseConfig({ PILOT_DEBOUNCE_AFTER: '50ms' }, []).debounceMs, 50);
  t.equal(parseConfig({}, ['--auto-allow-waypoint-policy']).autoAllowWaypoints, true);
  t.same(parseConfig({ POD_IP: '10.0.0.2' }, []).servingIps, ['10.0.0.2']);
  t.throws(() => parseConfig({}, ['--serving-ips', 'x.y']), /--serving-ips: "x.y" is not an IP address/);
  t.equal(parseConfig({ PILOT_AUTO_ALLOW_WAYPOINT_POLICY: 'true' }, []).autoAllowWaypoints, true);
});

t.test('every problem is listed', async (t) => {
  try {
    parseConfig({ LOG_LEVEL: 'loud' }, ['--xds-port', '99999', '--log-format', 'xml', '--trusted-node-accounts', 'nope', 'stray', '--debug-port', '--config-dir', 'a', '--kubeconfig', 'b', '--trust-domain', 'Bad TD', '--enable-dry-run=maybe', '--debounce-ms', 'x']);
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof ConfigError);
    const text = (err as ConfigError).problems.join('\n');
    for (const want of [/--xds-port: "99999"/, /--log-format/, /--log-level/, /--trusted-node-accounts/, /argv\[6\]: unexpected argument "stray"/, /--debug-port: "--config-dir" is not a port/, /--trust-domain/, /--enable-dry-run/, /--debounce-ms/]) t.match(text, want);
  }
  t.throws(() => parseConfig({}, ['--config-dir', 'a', '--kubeconfig', 'b']), /choose one config source/);
  t.throws(() => parseConfig({}, ['--xds-port']), /needs a value/);
});
