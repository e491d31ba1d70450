// The lab's network: one private underlay namespace (the control plane's home), N node namespaces wired to it, and
// one namespace per pod, networked by the real CNI reference plugins (ptp + host-local, then any chained plugin such
// as our istio-cni plugin) called exactly as a container runtime calls a chain. Services get kube-proxy-like DNAT in
// every node namespace, and names resolve through per-pod /etc/netns/<pod>/hosts files.
// Nothing here touches the machine's own network namespace: every `ip` call names a lab namespace (-n / netns exec).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cniAdd, cniDel, type CniConflist } from './cni-runtime.js';
import { must, spawnRunner, type Runner } from './exec.js';

export interface LabNetworkOptions {
  /** lab name: prefixes every namespace, so several labs coexist */
  lab: string;
  nodes: number;
  /** where IPAM state and generated CNI config live */
  stateDir: string;
  runner?: Runner;
  /** directories with CNI plugin executables (default /usr/lib/cni, /opt/cni/bin) */
  cniPath?: string[];
  /** plugins chained after ptp on a node (e.g. the istio-cni plugin with that node's agent socket) */
  chained?: (node: number) => Array<Record<string, unknown> & { type: string }>;
}

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
  /** 1-based node index */
  node: number;
}

export interface ServicePortRule {
  vip: string;
  port: number;
  endpoints: Array<{ ip: string; port: number }>;
}

export const UNDERLAY_CIDR = '172.30.0.0/24';
export const CONTROL_PLANE_IP = '172.30.0.1';
export const SERVICE_CIDR = '10.96.0.0/16';
const SERVICES_CHAIN = 'AMESH-SERVICES';

export function nodeIp(i: number): string {
  return `172.30.0.${10 + i}`;
}
export function podCidr(i: number): string {
  return `10.244.${i}.0/24`;
}

/** iptables-restore input for the services chain: one DNAT rule per endpoint, spread with `statistic` like kube-proxy. */
export function servicesRestore(rules: readonly ServicePortRule[]): string {
  const lines = ['*nat', `:${SERVICES_CHAIN} - [0:0]`];
  for (const r of rules) {
    const n = r.endpoints.length;
    if (n === 0) {
      lines.push(`-A ${SERVICES_CHAIN} -d ${r.vip}/32 -p tcp -m tcp --dport ${r.port} -j REJECT --reject-with tcp-reset`);
      continue;
    }
    r.endpoints.forEach((ep, i) => {
      const left = n - i;
      const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
      lines.push(`-A ${SERVICES_CHAIN} -d ${r.vip}/32 -p tcp -m tcp --dport ${r.port}${stat} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    });
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

export class LabNetwork {
  readonly lab: string;
  readonly nodes: number;
  readonly #run: Runner;
  readonly #stateDir: string;
  readonly #cniPath: string[];
  readonly #chained: (node: number) => Array<Record<string, unknown> & { type: string }>;

  constructor(opts: LabNetworkOptions) {
    if (!/^[a-z0-9][a-z0-9-]{0,19}$/.test(opts.lab)) throw new Error(`lab name "${opts.lab}" must be 1-20 characters of a-z, 0-9 and "-"`);
    if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 50) throw new Error(`--nodes ${opts.nodes} must be a whole number from 1 to 50`);
    this.lab = opts.lab;
    this.nodes = opts.nodes;
    this.#run = opts.runner ?? spawnRunner;
    this.#stateDir = opts.stateDir;
    this.#cniPath = opts.cniPath ?? ['/usr/lib/cni', '/opt/cni/bin'];
    this.#chained = opts.chained ?? (() => []);
  }

  get underlay(): string {
    return `amesh-${this.lab}-underlay`;
  }
  nodeNs(i: number): string {
    return `amesh-${this.lab}-node${i}`;
  }
  podNs(p: { namespace: string; name: string }): string {
    return `amesh-${this.lab}-${p.namespace}-${p.name}`;
  }

  async #ip(args: string[]): Promise<void> {
    await must(this.#run, 'ip', args);
  }
  async #sysctl(ns: string, kv: string): Promise<void> {
    await must(this.#run, 'ip', ['netns', 'exec', ns, 'sysctl', '-qw', kv]);
  }

  /** Creates the underlay and the nodes. Fails (after cleaning up) when the lab already exists. */
  async up(): Promise<void> {
    const existing = await this.namespaces();
    if (existing.length) throw new Error(`lab "${this.lab}" already exists (namespaces ${existing.slice(0, 3).join(', ')}...); run "amesh lab down --name ${this.lab}" first`);
    try {
      await this.#ip(['netns', 'add', this.underlay]);
      await this.#ip(['-n', this.underlay, 'link', 'set', 'lo', 'up']);
      await this.#ip(['-n', this.underlay, 'link', 'add', 'br0', 'type', 'bridge']);
      await this.#ip(['-n', this.underlay, 'addr', 'add', `${CONTROL_PLANE_IP}/24`, 'dev', 'br0']);
      await this.#ip(['-n', this.underlay, 'link', 'set', 'br0', 'up']);
      for (let i = 1; i <= this.nodes; i++) await this.#addNode(i);
      for (let i = 1; i <= this.nodes; i++) {
        for (let j = 1; j <= this.nodes; j++) {
          if (i !== j) await this.#ip(['-n', this.nodeNs(i), 'route', 'add', podCidr(j), 'via', nodeIp(j)]);
        }
        // the control plane reaches pods (e.g. for probes) through the node that hosts them
        await this.#ip(['-n', this.underlay, 'route', 'add', podCidr(i), 'via', nodeIp(i)]);
      }
      await mkdir(`${this.#stateDir}/ipam`, { recursive: true });
    } catch (err) {
      await this.down().catch(() => undefined);
      throw err;
    }
  }

  async #addNode(i: number): Promise<void> {
    const ns = this.nodeNs(i);
    await this.#ip(['netns', 'add', ns]);
    await this.#ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    await this.#ip(['-n', this.underlay, 'link', 'add', `n${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await this.#ip(['-n', this.underlay, 'link', 'set', `n${i}`, 'master', 'br0', 'up']);
    await this.#ip(['-n', ns, 'addr', 'add', `${nodeIp(i)}/24`, 'dev', 'eth0']);
    await this.#ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    await this.#sysctl(ns, 'net.ipv4.ip_forward=1');
    // TPROXY'd packets arrive for non-local addresses: strict reverse-path filtering would drop them
    await this.#sysctl(ns, 'net.ipv4.conf.all.rp_filter=0');
    await this.#sysctl(ns, 'net.ipv4.conf.default.rp_filter=0');
    await must(this.#run, 'ip', ['netns', 'exec', ns, 'iptables', '-t', 'nat', '-N', SERVICES_CHAIN]);
    await must(this.#run, 'ip', ['netns', 'exec', ns, 'iptables', '-t', 'nat', '-A', 'PREROUTING', '-j', SERVICES_CHAIN]);
    await must(this.#run, 'ip', ['netns', 'exec', ns, 'iptables', '-t', 'nat', '-A', 'OUTPUT', '-j', SERVICES_CHAIN]);
  }

  conflist(node: number): CniConflist {
    return {
      cniVersion: '1.0.0',
      name: 'amesh-lab',
      plugins: [
        {
          type: 'ptp',
          ipMasq: false,
          mtu: 1500,
          ipam: { type: 'host-local', ranges: [[{ subnet: podCidr(node) }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: `${this.#stateDir}/ipam/node${node}` },
        },
        ...this.#chained(node),
      ],
    };
  }

  /** Creates the pod's namespace and runs the CNI chain on its node; returns the pod IP. */
  async addPod(pod: PodRef): Promise<{ ip: string; netns: string }> {
    if (pod.node < 1 || pod.node > this.nodes) throw new Error(`pod ${pod.namespace}/${pod.name}: node ${pod.node} does not exist (lab has ${this.nodes})`);
    const netns = this.podNs(pod);
    await this.#ip(['netns', 'add', netns]);
    try {
      await this.#ip(['-n', netns, 'link', 'set', 'lo', 'up']);
      const result = await cniAdd(this.#run, this.#invocation(pod));
      const addr = result.ips?.[0]?.address;
      if (!addr) throw new Error(`CNI chain returned no IP for pod ${pod.namespace}/${pod.name}`);
      return { ip: addr.split('/')[0]!, netns };
    } catch (err) {
      await cniDel(this.#run, this.#invocation(pod)).catch(() => undefined);
      await this.#run('ip', ['netns', 'del', netns]);
      throw err;
    }
  }

  #invocation(pod: PodRef) {
    return {
      nodeNetns: this.nodeNs(pod.node),
      conflist: this.conflist(pod.node),
      containerId: pod.uid,
      netnsPath: `/var/run/netns/${this.podNs(pod)}`,
      ifname: 'eth0',
      args: { K8S_POD_NAMESPACE: pod.namespace, K8S_POD_NAME: pod.name, K8S_POD_UID: pod.uid, K8S_POD_INFRA_CONTAINER_ID: pod.uid },
      cniPath: this.#cniPath,
    };
  }

  /** Runs CNI DEL and deletes the pod's namespace and hosts file (idempotent). */
  async removePod(pod: PodRef): Promise<void> {
    let err: unknown;
    await cniDel(this.#run, this.#invocation(pod)).catch((e: unknown) => (err = e));
    await killNetnsProcesses(this.#run, this.podNs(pod));
    await this.#run('ip', ['netns', 'del', this.podNs(pod)]);
    await rm(`/etc/netns/${this.podNs(pod)}`, { recursive: true, force: true });
    if (err) throw err;
  }

  /** Replaces the services DNAT rules in every node namespace. */
  async syncServices(rules: readonly ServicePortRule[]): Promise<void> {
    const input = servicesRestore(rules);
    for (let i = 1; i <= this.nodes; i++) {
      await must(this.#run, 'ip', ['netns', 'exec', this.nodeNs(i), 'iptables-restore', '--noflush'], { input });
    }
  }

  /** Writes /etc/netns/<pod>/hosts (used by `ip netns exec` for everything run in the pod). */
  async writeHosts(pod: { namespace: string; name: string }, podIp: string, entries: ReadonlyArray<{ ip: string; names: string[] }>): Promise<void> {
    const dir = `/etc/netns/${this.podNs(pod)}`;
    await mkdir(dir, { recursive: true });
    const lines = ['127.0.0.1\tlocalhost', `${podIp}\t${pod.name}`, ...entries.map((e) => `${e.ip}\t${e.names.join(' ')}`)];
    // Written in place, not renamed: `ip netns exec` bind-mounts this very inode over /etc/hosts of processes that
    // already run in the pod, and they must see Services created after they started.
    await writeFile(`${dir}/hosts`, lines.join('\n') + '\n');
    // Names outside the lab fail at once instead of waiting for an unreachable resolver.
    await writeFile(`${dir}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  }

  /** Every network namespace of this lab that exists now. */
  async namespaces(): Promise<string[]> {
    const r = await must(this.#run, 'ip', ['netns', 'list']);
    const prefix = `amesh-${this.lab}-`;
    return r.stdout
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => n.startsWith(prefix));
  }

  /** Deletes every namespace of the lab (pods first), their /etc/netns entries and the IPAM state. Idempotent. */
  async down(): Promise<void> {
    const all = await this.namespaces();
    const order = (n: string) => (n === this.underlay ? 2 : /-node\d+$/.test(n) ? 1 : 0);
    for (const ns of all.sort((a, b) => order(a) - order(b))) {
      await killNetnsProcesses(this.#run, ns);
      await this.#run('ip', ['netns', 'del', ns]);
      await rm(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    await rm(`${this.#stateDir}/ipam`, { recursive: true, force: true });
  }
}

/** Stops every process still running in a namespace (TERM, then KILL after 2 s), so deleting it frees it. */
export async function killNetnsProcesses(run: Runner, ns: string): Promise<void> {
  const pids = async () => (await run('ip', ['netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean);
  let list = await pids();
  if (!list.length) return;
  await run('kill', ['-TERM', ...list]);
  for (let i = 0; i < 20 && (list = await pids()).length; i++) await new Promise((r) => setTimeout(r, 100));
  if (list.length) await run('kill', ['-KILL', ...list]);
}
