// The lab controller: one long-running process per lab (started detached by `amesh lab up`). It owns the lab's
// network (LabNetwork), turns Deployments into Pods and runs each pod's program inside the pod's namespace, keeps
// Services' ClusterIPs, DNAT rules and every pod's hosts file in step, and supervises the mesh daemons
// (istiod in the underlay; istio-cni and ztunnel in every node namespace).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DirectorySource, StateDirectory, type KubeObject } from '@amesh/kube';
import { allocateClusterIP, hostsEntries, imageFor, reconcileDeployment, schedule, serviceRules, type Deployment, type Pod, type Service } from './cluster.js';
import { LabNetwork, nodeIp, type PodRef } from './network.js';
import type { LabPaths } from './paths.js';
import { writeStatus, type ComponentStatus, type LabStatus } from './status.js';

export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** A daemon the controller supervises: the command runs inside `netns`. */
export interface DaemonSpec {
  name: string;
  netns: string;
  node?: string;
  argv: string[];
  env: Record<string, string>;
  /** a file that must exist before the daemon starts (e.g. the CA root istiod writes) */
  waitFor?: string;
}

export interface ControllerOptions {
  name: string;
  nodes: number;
  paths: LabPaths;
  logger: Logger;
  /** the node binary and the built image entry point (apps/amesh/dist/lab/images/main.js) */
  node: string;
  imageMain: string;
  /** daemons to run once the network is up (built by the caller from what is installed) */
  daemons: (net: LabNetwork) => DaemonSpec[];
  /** CNI plugins chained after ptp on a node (e.g. the istio-cni plugin with that node's agent socket) */
  chained?: (node: number) => Array<Record<string, unknown> & { type: string }>;
  cniPath?: string[];
}

interface RunningPod {
  ref: PodRef;
  ip: string;
  proc: ChildProcess | undefined;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'istio-system'];

export class LabController {
  readonly net: LabNetwork;
  readonly store: StateDirectory;
  readonly #o: ControllerOptions;
  readonly #pods = new Map<string, RunningPod>();
  readonly #daemons = new Map<string, { spec: DaemonSpec; proc: ChildProcess; status: ComponentStatus }>();
  readonly #restarts = new Map<string, number>();
  #source: DirectorySource | undefined;
  #status: LabStatus;
  #reconciling: Promise<void> | undefined;
  #again = false;
  #stopping = false;
  #workloadsSig = '';
  #poll: NodeJS.Timeout | undefined;

  constructor(o: ControllerOptions) {
    this.#o = o;
    this.net = new LabNetwork({ lab: o.name, nodes: o.nodes, stateDir: o.paths.net, ...(o.chained ? { chained: o.chained } : {}), ...(o.cniPath ? { cniPath: o.cniPath } : {}) });
    this.store = new StateDirectory(o.paths.state);
    this.#status = { name: o.name, phase: 'Starting', nodes: o.nodes, controllerPid: process.pid, startedAt: new Date().toISOString(), components: [] };
  }

  get status(): LabStatus {
    return this.#status;
  }

  async #saveStatus(): Promise<void> {
    this.#status.components = [...this.#daemons.values()].map((d) => d.status);
    await writeStatus(this.#o.paths.status, this.#status);
  }

  async start(): Promise<void> {
    const p = this.#o.paths;
    for (const d of [p.state, p.workloads, p.logs, join(p.logs, 'pods'), p.net]) await mkdir(d, { recursive: true });
    await this.#saveStatus();
    try {
      await this.net.up();
      for (const ns of DEFAULT_NAMESPACES) {
        if (!existsSync(this.store.pathOf('Namespace', ns))) await this.store.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } } });
      }
      for (let i = 1; i <= this.#o.nodes; i++) {
        await this.store.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: `node${i}`, labels: { 'kubernetes.io/hostname': `node${i}` } }, status: { addresses: [{ type: 'InternalIP', address: nodeIp(i) }] } });
      }
      for (const spec of this.#o.daemons(this.net)) {
        if (spec.waitFor) await waitForFile(spec.waitFor, 60_000, `${spec.name} needs ${spec.waitFor}; see the logs in ${this.#o.paths.logs}`);
        this.#startDaemon(spec);
      }
      this.#source = new DirectorySource({ dir: p.state, kinds: ['Namespace', 'Pod', 'Service'], pollIntervalMs: 1000 });
      this.#source.subscribe(() => this.trigger());
      await this.#source.start();
      this.#poll = setInterval(() => void this.#checkWorkloads(), 250);
      await this.reconcile();
      this.#status.phase = 'Ready';
      this.#status.readyAt = new Date().toISOString();
      await this.#saveStatus();
      this.#o.logger.info({ lab: this.#o.name, nodes: this.#o.nodes }, 'lab is ready');
    } catch (err) {
      this.#status.phase = 'Failed';
      this.#status.error = (err as Error).message;
      await this.#saveStatus();
      throw err;
    }
  }

  #startDaemon(spec: DaemonSpec): void {
    const log = join(this.#o.paths.logs, `${spec.name}.log`);
    const out = createWriteStream(log, { flags: 'a' });
    const proc = spawn('ip', ['netns', 'exec', spec.netns, ...spec.argv], { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.pipe(out);
    proc.stderr!.pipe(out);
    const status: ComponentStatus = { name: spec.name, state: 'running', log, ...(proc.pid ? { pid: proc.pid } : {}), ...(spec.node ? { node: spec.node } : {}) };
    this.#daemons.set(spec.name, { spec, proc, status });
    proc.on('exit', (code, signal) => {
      status.state = 'exited';
      status.exitCode = code;
      if (this.#stopping || this.#daemons.get(spec.name)?.proc !== proc) return;
      // like a DaemonSet's restartPolicy: Always, with a capped back-off
      const restarts = (this.#restarts.get(spec.name) ?? 0) + 1;
      this.#restarts.set(spec.name, restarts);
      const delay = Math.min(10_000, 250 * 2 ** Math.min(restarts - 1, 6));
      this.#o.logger.warn({ daemon: spec.name, code, signal, restarts, restartInMs: delay }, `${spec.name} exited; restarting (see ${log})`);
      void this.#saveStatus();
      setTimeout(() => {
        if (this.#stopping || this.#daemons.get(spec.name)?.proc !== proc) return;
        this.#startDaemon(spec);
        void this.#saveStatus();
      }, delay).unref();
    });
    status.restarts = this.#restarts.get(spec.name) ?? 0;
  }

  /** Restarts one daemon (used by tests and `amesh lab restart`): kill, then start again with the same spec. */
  async restartDaemon(name: string): Promise<void> {
    const d = this.#daemons.get(name);
    if (!d) throw new Error(`no daemon "${name}" (have: ${[...this.#daemons.keys()].join(', ')})`);
    await stopProcess(d.proc);
    this.#startDaemon(d.spec);
    await this.#saveStatus();
  }

  trigger(): void {
    if (this.#stopping) return;
    if (this.#reconciling) {
      this.#again = true;
      return;
    }
    this.#reconciling = this.reconcile()
      .catch((err: Error) => this.#o.logger.error({ err: err.message }, 'reconcile failed'))
      .finally(() => {
        this.#reconciling = undefined;
        if (this.#again) {
          this.#again = false;
          this.trigger();
        }
      });
  }

  async #checkWorkloads(): Promise<void> {
    const files = await listYaml(this.#o.paths.workloads);
    const sig = files.join('|');
    if (sig !== this.#workloadsSig) {
      this.#workloadsSig = sig;
      this.trigger();
    }
  }

  async deployments(): Promise<Deployment[]> {
    const out: Deployment[] = [];
    for (const f of await listYaml(this.#o.paths.workloads)) {
      try {
        out.push(parseYaml(await readFile(join(this.#o.paths.workloads, f.split('@')[0]!), 'utf8')) as Deployment);
      } catch (err) {
        this.#o.logger.warn({ file: f, err: (err as Error).message }, 'ignoring unreadable Deployment');
      }
    }
    return out;
  }

  /** One pass: Deployments -> Pods, Pods -> running programs, Services -> ClusterIPs, DNAT and hosts files. */
  async reconcile(): Promise<void> {
    const src = this.#source;
    if (!src) return;
    // Deployments
    let pods = src.list('Pod') as unknown as Pod[];
    for (const d of await this.deployments()) {
      const { create, remove } = reconcileDeployment(d, pods);
      for (const p of remove) await this.store.delete('Pod', p.metadata.name, p.metadata.namespace);
      for (const p of create) await this.store.apply(p as unknown as KubeObject);
    }
    const deployNames = new Set((await this.deployments()).map((d) => `${d.metadata.namespace ?? 'default'}/${d.metadata.name}`));
    for (const p of pods) {
      const owner = p.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet');
      if (owner && !deployNames.has(`${p.metadata.namespace}/${owner.name.replace(/-[a-z0-9]+$/, '')}`)) await this.store.delete('Pod', p.metadata.name, p.metadata.namespace);
    }
    await this.#source!.synced;
    // re-read after our own writes land
    pods = (await readPods(this.#o.paths.state)) ?? pods;
    const wanted = new Map(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    for (const [key, rp] of this.#pods) {
      if (!wanted.has(key)) {
        this.#pods.delete(key);
        await this.#stopPod(rp);
      }
    }
    // schedule in order (each decision sees the previous ones), then start the new pods in parallel
    const placed = pods.filter((p) => p.spec.nodeName).map((p) => ({ pod: p, node: Number(p.spec.nodeName!.replace('node', '')) }));
    const starts: Promise<void>[] = [];
    for (const p of pods) {
      const key = `${p.metadata.namespace}/${p.metadata.name}`;
      if (this.#pods.has(key)) continue;
      const fail = async (err: Error) => {
        this.#o.logger.error({ pod: key, err: err.message }, 'pod failed to start');
        await this.#patchPod(p, { phase: 'Failed', message: err.message });
      };
      try {
        const node = p.spec.nodeName ? Number(p.spec.nodeName.replace('node', '')) : schedule(p, this.#o.nodes, placed);
        if (!p.spec.nodeName) placed.push({ pod: p, node });
        starts.push(this.#startPod(p, node).catch(fail));
      } catch (err) {
        await fail(err as Error);
      }
    }
    await Promise.all(starts);
    // Services
    const services = src.list('Service') as unknown as Service[];
    const taken = new Set(services.map((s) => s.spec.clusterIP).filter((x): x is string => !!x));
    for (const s of services) {
      if (!s.spec.clusterIP) {
        const ip = allocateClusterIP(taken);
        taken.add(ip);
        s.spec.clusterIP = ip;
        await this.store.apply({ ...(s as unknown as KubeObject), spec: { ...s.spec, clusterIP: ip, clusterIPs: [ip] } });
      }
    }
    const fresh = (await readPods(this.#o.paths.state)) ?? pods;
    await this.net.syncServices(serviceRules(services, fresh));
    for (const rp of this.#pods.values()) {
      await this.net.writeHosts({ namespace: rp.ref.namespace, name: rp.ref.name }, rp.ip, hostsEntries(rp.ref.namespace, services));
    }
  }

  async #startPod(p: Pod, node: number): Promise<void> {
    const ns = p.metadata.namespace ?? 'default';
    const ref: PodRef = { namespace: ns, name: p.metadata.name, uid: p.metadata.uid ?? p.metadata.name, node };
    const container = p.spec.containers[0];
    if (!container) throw new Error(`pod ${ns}/${p.metadata.name} has no containers`);
    const image = imageFor(container.image);
    await this.store.apply({ ...(p as unknown as KubeObject), spec: { ...p.spec, nodeName: `node${node}` }, status: { phase: 'Pending', hostIP: nodeIp(node) } });
    const { ip } = await this.net.addPod(ref);
    const rp: RunningPod = { ref, ip, proc: undefined };
    this.#pods.set(`${ns}/${p.metadata.name}`, rp);
    await this.net.writeHosts({ namespace: ns, name: p.metadata.name }, ip, []);
    const log = join(this.#o.paths.logs, 'pods', `${ns}_${p.metadata.name}.log`);
    const env: Record<string, string> = { HOSTNAME: p.metadata.name, POD_NAME: p.metadata.name, POD_NAMESPACE: ns, POD_IP: ip };
    for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    if (image === 'fake-service' && !env.LISTEN_ADDR) env.LISTEN_ADDR = `0.0.0.0:${container.ports?.[0]?.containerPort ?? 9090}`;
    if (image === 'httpbin' && !env.LISTEN_ADDR) env.LISTEN_ADDR = `0.0.0.0:${container.ports?.[0]?.containerPort ?? 80}`;
    const proc = spawn('ip', ['netns', 'exec', this.net.podNs(ref), this.#o.node, this.#o.imageMain, image], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    rp.proc = proc;
    const out = createWriteStream(log, { flags: 'a' });
    proc.stderr!.pipe(out);
    // programs that listen print one line once they do; sleep-like images are ready at once
    if (image !== 'sleep') {
      await new Promise<void>((resolve, reject) => {
        proc.stdout!.once('data', () => resolve());
        proc.once('exit', (code) => reject(new Error(`${image} exited with ${code} before listening (see ${log})`)));
      });
    }
    proc.stdout!.pipe(out);
    proc.on('exit', (code) => {
      if (!this.#stopping && this.#pods.get(`${ns}/${p.metadata.name}`) === rp) {
        this.#o.logger.warn({ pod: `${ns}/${p.metadata.name}`, code }, 'pod program exited');
      }
    });
    await this.#patchPod(p, { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: nodeIp(node), conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }], startTime: new Date().toISOString() }, `node${node}`);
    this.#o.logger.info({ pod: `${ns}/${p.metadata.name}`, node: `node${node}`, ip, image }, 'pod running');
  }

  /** Merges status into the newest stored copy of the pod (another writer, e.g. istio-cni, may have annotated it). */
  async #patchPod(p: Pod, status: Record<string, unknown>, nodeName?: string): Promise<void> {
    const fresh = await readObject(this.store.pathOf('Pod', p.metadata.name, p.metadata.namespace));
    if (!fresh) return;
    const spec = { ...(fresh.spec as object), ...(nodeName ? { nodeName } : {}) };
    await this.store.apply({ ...fresh, spec, status: { ...((fresh.status as object) ?? {}), ...status } });
  }

  async #stopPod(rp: RunningPod): Promise<void> {
    if (rp.proc) await stopProcess(rp.proc);
    await this.net.removePod(rp.ref).catch((err: Error) => this.#o.logger.warn({ pod: rp.ref.name, err: err.message }, 'pod network cleanup'));
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#status.phase = 'Stopping';
    await this.#saveStatus().catch(() => undefined);
    if (this.#poll) clearInterval(this.#poll);
    await this.#source?.close();
    await this.#reconciling?.catch(() => undefined);
    for (const rp of this.#pods.values()) await this.#stopPod(rp).catch(() => undefined);
    this.#pods.clear();
    for (const d of this.#daemons.values()) await stopProcess(d.proc);
    await this.net.down();
  }

  /** Pods this controller runs now (for tests). */
  running(): Array<{ namespace: string; name: string; ip: string; node: number }> {
    return [...this.#pods.values()].map((r) => ({ namespace: r.ref.namespace, name: r.ref.name, ip: r.ip, node: r.ref.node }));
  }
}

export async function stopProcess(proc: ChildProcess, graceMs = 3000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

async function waitForFile(path: string, timeoutMs: number, why: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`timed out: ${why}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function listYaml(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) await walk(join(d, e.name), join(rel, e.name));
      else if (/\.ya?ml$/.test(e.name)) {
        const { mtimeMs, size } = await stat(join(d, e.name));
        out.push(`${join(rel, e.name)}@${mtimeMs}:${size}`);
      }
    }
  };
  await walk(dir, '');
  return out.sort();
}

async function readObject(path: string): Promise<KubeObject | undefined> {
  try {
    return parseYaml(await readFile(path, 'utf8')) as KubeObject;
  } catch {
    return undefined;
  }
}

/** Reads every Pod file directly (the watcher may lag behind our own writes). */
async function readPods(stateDir: string): Promise<Pod[] | undefined> {
  const pods: Pod[] = [];
  let nss: string[];
  try {
    nss = await readdir(stateDir);
  } catch {
    return undefined;
  }
  for (const ns of nss) {
    const dir = join(stateDir, ns, 'pods.core');
    let files: string[];
    try {
      files = await readdir(dir);
    } catch {
      continue;
    }
    for (const f of files) {
      if (f.startsWith('.') || !f.endsWith('.yaml')) continue;
      const o = await readObject(join(dir, f));
      if (o) pods.push(o as unknown as Pod);
    }
  }
  return pods;
}

