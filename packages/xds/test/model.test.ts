import t from 'tap';
import {
  decodeAddress, decodeAuthorization, decodeWorkload, encodeAddress, encodeAuthorization, encodeWorkload, makeAuthorization,
  makeMatch, makeService, makeWorkload, addressAliases, addressName, authorizationName, type Address,
} from '../src/model.js';
import { istio } from '../generated/proto.js';

// Expected bytes were derived by hand from the field numbers in ambient-protocols.md §4.3/§4.4 (tag = field << 3 |
// wire type), independently of the generated code: a renumbered field changes them.
const WORKLOAD_HEX =
  '0a7e0a03666f6f120764656661756c741a040a00000128013a0273614a026e316002880101a2011b4b756265726e657465732f2f506f642f64656661756c742f666f6f' +
  'b201320a2564656661756c742f666f6f2e64656661756c742e7376632e636c75737465722e6c6f63616c12090a07085010903f1801c80101da01020802';
const SERVICE_HEX =
  '12760a03666f6f120764656661756c741a1d666f6f2e64656661756c742e7376632e636c75737465722e6c6f63616c220612040a60000a2a07085010903f1802' +
  '3a320a2d0a0764656661756c741222776179706f696e742e64656661756c742e7376632e636c75737465722e6c6f63616c18a07548017001';
const AUTHZ_HEX =
  '0a0b616c6c6f772d736c656570120764656661756c74180220012a4e0a4c124a1a230a21636c75737465722e6c6f63616c2f6e732f64656661756c742f73612f' +
  '736c656570220222002a080a040a00000010084a0350bb035a100a0764656661756c741205736c6565703001';

const workload: Address = {
  workload: makeWorkload({
    uid: 'Kubernetes//Pod/default/foo', name: 'foo', namespace: 'default', addresses: ['10.0.0.1'], tunnelProtocol: 'HBONE',
    serviceAccount: 'sa', node: 'n1', workloadType: 'POD', status: 'UNHEALTHY', networkMode: 'HOST_NETWORK', capacity: 2,
    services: { 'default/foo.default.svc.cluster.local': { ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'HTTP11' }] } },
  }),
};
const service: Address = {
  service: makeService({
    name: 'foo', namespace: 'default', hostname: 'foo.default.svc.cluster.local', addresses: [{ network: '', address: '10.96.0.10' }],
    ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'HTTP2' }],
    waypoint: { hostname: { namespace: 'default', hostname: 'waypoint.default.svc.cluster.local' }, hboneMtlsPort: 15008 },
    ipFamilies: 'IPV4_ONLY', visibility: 'NAMESPACE',
  }),
};
const authz = makeAuthorization({
  name: 'allow-sleep', namespace: 'default', scope: 'WORKLOAD_SELECTOR', action: 'DENY', dryRun: true,
  groups: [{ rules: [{ matches: [makeMatch({
    principals: [{ exact: 'cluster.local/ns/default/sa/sleep' }], notPrincipals: [{ presence: {} }],
    sourceIps: [{ address: '10.0.0.0', length: 8 }], destinationPorts: [80, 443],
    serviceAccounts: [{ namespace: 'default', serviceAccount: 'sleep' }],
  })] }] }],
});
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

t.test('byte-exact encodings pinned from the reference field numbers', async (t) => {
  t.equal(hex(encodeAddress(workload)), WORKLOAD_HEX, 'Address{workload}');
  t.equal(hex(encodeAddress(service)), SERVICE_HEX, 'Address{service}');
  t.equal(hex(encodeAuthorization(authz)), AUTHZ_HEX, 'Authorization');
});

t.test('decode(encode(x)) is x for the plain models', async (t) => {
  for (const a of [workload, service]) {
    const d = decodeAddress(encodeAddress(a));
    t.ok(d.ok);
    if (d.ok) t.same(d.value, a);
  }
  const d = decodeAuthorization(encodeAuthorization(authz));
  t.ok(d.ok);
  if (d.ok) t.same(d.value, authz);
  const w = decodeWorkload(encodeWorkload(workload.workload!));
  t.ok(w.ok);
  if (w.ok) t.same(w.value, workload.workload);
  // IPv6, CIDR service address with length, network gateway, locality, extensions.
  const v6: Address = {
    workload: makeWorkload({
      uid: 'u6', addresses: ['2001:db8::1', '::ffff:10.0.0.1'], network: 'net1', locality: { region: 'r', zone: 'z', subzone: 's' },
      networkGateway: { address: { network: 'net1', address: '192.0.2.1' }, hboneMtlsPort: 15008 },
      applicationTunnel: { protocol: 'PROXY', port: 15088 }, extensions: [{ name: 'x', config: { typeUrl: 't/x', value: Uint8Array.of(1) } }],
    }),
  };
  const d6 = decodeAddress(encodeAddress(v6));
  t.ok(d6.ok);
  if (d6.ok) t.same(d6.value.workload!.addresses, ['2001:db8::1', '::ffff:a00:1']);
  const cidr: Address = { service: makeService({ namespace: 'ns', hostname: 'h', addresses: [{ network: 'n', address: '10.0.0.0', length: 24 }] }) };
  t.same(addressAliases(cidr), ['n/10.0.0.0/24']);
  const dc = decodeAddress(encodeAddress(cidr));
  t.ok(dc.ok);
  if (dc.ok) t.same(dc.value, cidr);
});

t.test('names and aliases follow the Workload API naming', async (t) => {
  t.equal(addressName(workload), 'Kubernetes//Pod/default/foo');
  t.equal(addressName(service), 'default/foo.default.svc.cluster.local');
  t.same(addressAliases(workload), ['/10.0.0.1']);
  t.same(addressAliases(service), ['/10.96.0.10']);
  t.equal(authorizationName(authz), 'default/allow-sleep');
});

t.test('decoding collects every problem with its field path', async (t) => {
  const bad = istio.workload.Address.encode({
    workload: { uid: '', addresses: [Uint8Array.of(1, 2, 3)], tunnelProtocol: 9 as istio.workload.TunnelProtocol, services: { k: { ports: [{ servicePort: 70000 }] } } },
  }).finish();
  const d = decodeAddress(bad);
  t.notOk(d.ok);
  if (!d.ok) {
    t.match(d.problems, [
      /^workload\.uid: must not be empty/,
      /^workload\.addresses\[0\]: must be 4 or 16 bytes, got 3/,
      /^workload\.tunnelProtocol: unknown enum value 9/,
      /^workload\.services\["k"\]\.ports\[0\]\.servicePort: port 70000 is out of range/,
    ]);
  }
  const svc = decodeAddress(istio.workload.Address.encode({ service: { hostname: 'h', waypoint: { hboneMtlsPort: 1 } } }).finish());
  t.notOk(svc.ok);
  if (!svc.ok) t.match(svc.problems, [/^service\.namespace/, /^service\.waypoint: one of hostname or address/]);
  const empty = decodeAddress(new Uint8Array());
  t.notOk(empty.ok);
  if (!empty.ok) t.match(empty.problems, [/^type: one of workload or service/]);
  const garbage = decodeAddress(Uint8Array.of(0x0a, 0xff));
  t.notOk(garbage.ok);
  if (!garbage.ok) t.match(garbage.problems[0], /malformed protobuf/);
  const az = decodeAuthorization(istio.security.Authorization.encode({
    name: 'p', action: 5 as istio.security.Action, groups: [{ rules: [{ matches: [{ principals: [{}], sourceIps: [{ address: Uint8Array.of(10, 0, 0, 0), length: 40 }] }] }] }],
  }).finish());
  t.notOk(az.ok);
  if (!az.ok) {
    t.match(az.problems, [
      /^action: unknown enum value 5/,
      /^groups\[0\]\.rules\[0\]\.matches\[0\]\.principals\[0\]: one of exact, prefix, suffix or presence/,
      /^groups\[0\]\.rules\[0\]\.matches\[0\]\.sourceIps\[0\]\.length: prefix length 40 exceeds 32/,
    ]);
  }
});

t.test('encoding refuses a model that is not representable, naming the field', async (t) => {
  t.throws(() => encodeAddress({ workload: makeWorkload({ uid: 'u', addresses: ['not-an-ip'] }) }), /addresses\[0\]: "not-an-ip" is not an IP/);
  t.throws(() => encodeAuthorization(makeAuthorization({ name: 'a', namespace: 'n', action: 'AUDIT' as never })), /action: unknown value "AUDIT"/);
});
