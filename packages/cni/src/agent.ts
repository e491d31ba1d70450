// The istio-cni node agent: watches the namespaces and pods of its node, decides enrollment, keeps the node
// namespace's redirection (NodeRedirection) in step, annotates redirected pods, answers the CNI plugin over a
// unix socket, and serves readiness and metrics. All mutations run one at a time through a queue.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv4, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { writeEnrollmentCache, type EnrollmentCache } from './cache.js';
import type { NodeRedirection } from './dataplane.js';
import {
  DATAPLANE_MODE_LABEL,
  namespaceEnrolled,
  podEnrollment,
  REDIRECTION_ANNOTATION,
  REDIRECTION_ENABLED,
  SIDECAR_STATUS_ANNOTATION,
  type NamespaceInfo,
  type PodInfo,
} from './enrollment.js';
import { CniError, CniErrorCode } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { EVENT_PATH, parsePluginEvent, type PluginEvent, type PluginReply } from './protocol.js';
import { noopAnnotator, type ClusterEvent, type ClusterSource, type PodAnnotator } from './source.js';

export interface AgentConfig {
  /** Namespace and pod events (of this node). */
  source: ClusterSource;
  /** The node-namespace redirection to program. */
  redirection: NodeRedirection;
  /** Writes `ambient.istio.io/redirection` back to pods. Default: none. */
  annotator?: PodAnnotator;
  /** Only pods with this spec.nodeName are handled (pods without nodeName are accepted). */
  nodeName?: string;
  /** Unix socket the CNI plugin talks to. */
  socketPath: string;
  /** Directory for the agent's state: `pods.json` (what CNI ADD said) and `enrollment.json` (the plugin's cache). */
  stateDir: string;
  /** Readiness/metrics HTTP listener (`/readyz`, `/healthz`, `/metrics`); omit for none. Port 0 picks one. */
  admin?: { host: string; port: number };
  /** How long a CNI ADD waits for the pod object to appear (ms, default 5000). */
  podWaitMs?: number;
  /**
   * Re-run the full reconcile this often (ms; 0 or unset = only at start). Repairs drift such as another
   * component inserting its PREROUTING jump ahead of ours, or a rule deleted by hand.
   */
  reconcileIntervalMs?: number;
  logger?: Logger;
}

interface SandboxInfo {
  name: string;
  namespace: string;
  containerId: string;
  netns: string;
  ips: string[];
}

interface Redirected {
  name: string;
  namespace: string;
  ips: string[];
}

export interface NodeAgent {
  /** The plugin event socket path. */
  readonly socketPath: string;
  /** The admin listener's address, when one was configured. */
  readonly adminAddress: AddressInfo | undefined;
  readonly metrics: Metrics;
  isReady(): boolean;
  /** Re-runs the full reconcile (base rules, ipset membership, annotations). Returns the number of errors. */
  reconcile(): Promise<number>;
  /** Pods currently redirected: uid → IPs. */
  redirected(): Map<string, string[]>;
  /** Resolves once every change queued so far has been applied (tests and embedders use it as a barrier). */
  settled(): Promise<void>;
  /** Stops serving; leaves the redirection in place (pods stay captured across agent restarts). Idempotent. */
  close(): Promise<void>;
}

const podKey = (namespace: string, name: string) => `${namespace}/${name}`;
const podLabel = (p: { name: string; namespace: string }) => `'${p.name}/${p.namespace}'`;

/** Builds and starts the node agent; resolves once every listener is bound and the first reconcile is done. */
export async function buildAgent(config: AgentConfig): Promise<NodeAgent> {
  const agent = new Agent(config);
  try {
    await agent.start();
  } catch (err) {
    await agent.close();
    throw err;
  }
  return agent;
}

class Agent implements NodeAgent {
  readonly metrics = new Metrics();
  readonly #cfg: AgentConfig;
  readonly #log: Logger;
  readonly #dp: NodeRedirection;
  readonly #annotator: PodAnnotator;
  readonly #namespaces = new Map<string, NamespaceInfo>();
  readonly #pods = new Map<string, PodInfo>();
  readonly #byName = new Map<string, string>();
  readonly #sandboxes = new Map<string, SandboxInfo>();
  readonly #redirected = new Map<string, Redirected>();
  readonly #podWaiters = new Set<() => void>();
  readonly #readyWaiters = new Set<{ resolve: () => void; reject: (err: Error) => void }>();
  #queue: Promise<unknown> = Promise.resolve();
  #started = false;
  #ready = false;
  #closed = false;
  #server: Server | undefined;
  #timer: NodeJS.Timeout | undefined;
  #admin: Server | undefined;
  adminAddress: AddressInfo | undefined;

  constructor(cfg: AgentConfig) {
    this.#cfg = cfg;
    this.#log = (cfg.logger ?? silentLogger).child({ scope: 'ambient' });
    this.#dp = cfg.redirection;
    this.#annotator = cfg.annotator ?? noopAnnotator;
  }

  get socketPath(): string {
    return this.#cfg.socketPath;
  }

  isReady(): boolean {
    return this.#ready && !this.#closed;
  }

  async settled(): Promise<void> {
    await this.#queue;
  }

  redirected(): Map<string, string[]> {
    return new Map([...this.#redirected].map(([uid, r]) => [uid, [...r.ips]]));
  }

  async start(): Promise<void> {
    mkdirSync(this.#cfg.stateDir, { recursive: true });
    this.#loadSandboxes();
    await this.#dp.ensureBase();
    await this.#listen();
    await this.#cfg.source.start((ev) => this.#onEvent(ev));
    this.#started = true;
    const errors = await this.reconcile();
    if (errors) this.#log.warn({ errors }, 'start-up reconcile finished with errors; the affected pods are retried on their next event');
    this.#ready = true;
    this.metrics.ready = 1;
    for (const w of this.#readyWaiters) w.resolve();
    this.#readyWaiters.clear();
    if (this.#cfg.reconcileIntervalMs) {
      this.#timer = setInterval(() => {
        this.reconcile().catch(() => undefined);
      }, this.#cfg.reconcileIntervalMs);
      this.#timer.unref();
    }
    this.#log.info({ redirected: this.#redirected.size, socket: this.#cfg.socketPath }, 'istio-cni node agent ready');
  }

  // ---- cluster events -------------------------------------------------------------------------------------------

  #onEvent(ev: ClusterEvent): void {
    if (this.#closed) return;
    if (ev.kind === 'namespace') {
      const ns = ev.object;
      const before = namespaceEnrolled(this.#namespaces.get(ns.name));
      if (ev.type === 'delete') this.#namespaces.delete(ns.name);
      else this.#namespaces.set(ns.name, ns);
      const after = ev.type !== 'delete' && namespaceEnrolled(ns);
      if (after && !before) this.#log.info({ namespace: ns.name }, `Namespace ${ns.name} is enabled in ambient mesh`);
      if (before && !after) this.#log.info({ namespace: ns.name }, `Namespace ${ns.name} is disabled from ambient mesh`);
      if (before !== after && this.#started) {
        for (const pod of this.#pods.values()) if (pod.namespace === ns.name) this.#schedule(pod.uid);
        this.#enqueue(async () => this.#writeCache());
      }
      return;
    }
    const pod = ev.object;
    if (this.#cfg.nodeName && pod.nodeName && pod.nodeName !== this.#cfg.nodeName) return;
    const prev = this.#pods.get(pod.uid);
    if (ev.type === 'delete') {
      this.#pods.delete(pod.uid);
      if (this.#byName.get(podKey(pod.namespace, pod.name)) === pod.uid) this.#byName.delete(podKey(pod.namespace, pod.name));
    } else {
      this.#pods.set(pod.uid, pod);
      this.#byName.set(podKey(pod.namespace, pod.name), pod.uid);
      for (const w of [...this.#podWaiters]) w();
    }
    if (!this.#started) return;
    const relevant =
      ev.type !== 'update' ||
      !prev ||
      prev.labels[DATAPLANE_MODE_LABEL] !== pod.labels[DATAPLANE_MODE_LABEL] ||
      prev.annotations[SIDECAR_STATUS_ANNOTATION] !== pod.annotations[SIDECAR_STATUS_ANNOTATION] ||
      prev.annotations[REDIRECTION_ANNOTATION] !== pod.annotations[REDIRECTION_ANNOTATION] ||
      prev.ips.join(',') !== pod.ips.join(',') ||
      prev.phase !== pod.phase ||
      prev.hostNetwork !== pod.hostNetwork;
    if (!relevant) return;
    if (ev.type === 'delete') {
      this.#sandboxes.delete(pod.uid);
      this.#enqueue(async () => this.#saveSandboxes());
    }
    this.#schedule(pod.uid);
    if (ev.type !== 'update' || prev?.labels[DATAPLANE_MODE_LABEL] !== pod.labels[DATAPLANE_MODE_LABEL]) this.#enqueue(async () => this.#writeCache());
  }

  #schedule(uid: string): void {
    this.#enqueue(() =>
      this.#syncPod(uid).catch((err: unknown) => {
        this.metrics.reconcileErrors++;
        this.#log.error({ err, uid }, `redirection for pod ${uid} failed: ${(err as Error).message}`);
      }),
    );
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => (this.#closed ? Promise.reject(new CniError(CniErrorCode.CLOSED)) : fn()));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  // ---- desired state --------------------------------------------------------------------------------------------

  /** The IPv4 addresses to redirect for a pod, or undefined when it must not be redirected. */
  #wanted(uid: string): string[] | undefined {
    const pod = this.#pods.get(uid);
    if (!pod) return undefined;
    if (!podEnrollment(pod, this.#namespaces.get(pod.namespace)).enrolled) return undefined;
    const sandbox = this.#sandboxes.get(uid);
    // A fresh CNI ADD is newer than the pod status; a pod whose sandbox was deleted keeps stale status IPs.
    const ips = (sandbox ? sandbox.ips : pod.ips).filter((ip) => isIPv4(ip));
    return ips.length ? [...new Set(ips)].sort() : undefined;
  }

  async #syncPod(uid: string): Promise<void> {
    const pod = this.#pods.get(uid);
    const want = this.#wanted(uid);
    const have = this.#redirected.get(uid);
    const same = want && have && want.join(',') === have.ips.join(',');
    if (have && !same) {
      const others = new Set([...this.#redirected].filter(([u]) => u !== uid).flatMap(([, r]) => r.ips));
      const drop = have.ips.filter((ip) => !others.has(ip) && !want?.includes(ip));
      this.#log.info({ pod: podKey(have.namespace, have.name), uid, ips: have.ips }, `Removing pod ${podLabel(have)} (${uid}) from ipset`);
      await this.#dp.removeIps(drop);
      this.#redirected.delete(uid);
      this.metrics.enrolledPods = this.#redirected.size;
      if (!want && pod && pod.annotations[REDIRECTION_ANNOTATION] !== undefined) await this.#annotator.setRedirection(pod, false);
    }
    if (!want || !pod) {
      if (pod && !have && pod.annotations[REDIRECTION_ANNOTATION] !== undefined) {
        // Stale annotation (e.g. left by an agent that died mid-operation).
        await this.#annotator.setRedirection(pod, false);
      }
      if (pod && !want && podEnrollment(pod, this.#namespaces.get(pod.namespace)).enrolled) {
        this.#log.debug({ pod: podKey(pod.namespace, pod.name), uid }, 'enrolled pod has no IPv4 address yet; waiting for it');
      }
      return;
    }
    if (!same) {
      this.#log.info({ pod: podKey(pod.namespace, pod.name), uid, ips: want }, `Adding pod ${podLabel(pod)} (${uid}) to ipset`);
      await this.#dp.addIps(want);
      this.#redirected.set(uid, { name: pod.name, namespace: pod.namespace, ips: want });
      this.metrics.enrolledPods = this.#redirected.size;
    }
    if (pod.annotations[REDIRECTION_ANNOTATION] !== REDIRECTION_ENABLED) {
      try {
        await this.#annotator.setRedirection(pod, true);
      } catch (err) {
        // Roll back this pod: redirected but not annotated would make istiod and ztunnel disagree.
        const others = new Set([...this.#redirected].filter(([u]) => u !== uid).flatMap(([, r]) => r.ips));
        await this.#dp.removeIps(want.filter((ip) => !others.has(ip))).catch(() => undefined);
        this.#redirected.delete(uid);
        this.metrics.enrolledPods = this.#redirected.size;
        throw new CniError(CniErrorCode.REDIRECTION, `annotating pod ${podLabel(pod)} failed, its redirection was rolled back: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  reconcile(): Promise<number> {
    return this.#enqueue(async () => {
      let errors = 0;
      const fail = (err: unknown, what: string) => {
        errors++;
        this.metrics.reconcileErrors++;
        this.#log.error({ err }, `reconcile: ${what}: ${(err as Error).message}`);
      };
      try {
        await this.#dp.ensureBase();
      } catch (err) {
        fail(err, 'base redirection');
        return errors;
      }
      // Sandboxes of pods that no longer exist are forgotten.
      for (const uid of [...this.#sandboxes.keys()]) if (!this.#pods.has(uid)) this.#sandboxes.delete(uid);
      this.#saveSandboxes();
      this.#redirected.clear();
      let members: Set<string>;
      try {
        members = await this.#dp.members();
      } catch (err) {
        fail(err, 'reading the ipset');
        return errors;
      }
      const desired = new Set<string>();
      for (const uid of this.#pods.keys()) for (const ip of this.#wanted(uid) ?? []) desired.add(ip);
      const stale = [...members].filter((ip) => !desired.has(ip));
      for (const ip of stale) this.#log.info({ ip }, `Removing stale IP ${ip} from ipset`);
      try {
        await this.#dp.removeIps(stale);
      } catch (err) {
        fail(err, 'removing stale ipset entries');
      }
      for (const uid of this.#pods.keys()) {
        try {
          const want = this.#wanted(uid);
          const pod = this.#pods.get(uid)!;
          if (want && want.every((ip) => members.has(ip))) {
            // Already in place (agent restart): adopt without logging it again as an add.
            this.#redirected.set(uid, { name: pod.name, namespace: pod.namespace, ips: want });
          }
          await this.#syncPod(uid);
        } catch (err) {
          fail(err, `pod ${uid}`);
        }
      }
      this.metrics.enrolledPods = this.#redirected.size;
      this.#writeCache();
      return errors;
    });
  }

  // ---- persisted state ------------------------------------------------------------------------------------------

  #loadSandboxes(): void {
    const file = join(this.#cfg.stateDir, 'pods.json');
    if (!existsSync(file)) return;
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, SandboxInfo>;
      for (const [uid, s] of Object.entries(data)) if (s && Array.isArray(s.ips)) this.#sandboxes.set(uid, s);
    } catch (err) {
      this.#log.warn({ err, file }, 'ignoring an unreadable agent state file; pod status IPs are used instead');
    }
  }

  #saveSandboxes(): void {
    const file = join(this.#cfg.stateDir, 'pods.json');
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(Object.fromEntries(this.#sandboxes))}\n`);
    renameSync(tmp, file);
  }

  #writeCache(): void {
    const cache: EnrollmentCache = { version: 1, enrolledNamespaces: [], pods: {} };
    for (const ns of this.#namespaces.values()) if (namespaceEnrolled(ns)) cache.enrolledNamespaces.push(ns.name);
    for (const pod of this.#pods.values()) {
      const explicit = pod.labels[DATAPLANE_MODE_LABEL] !== undefined || pod.annotations[SIDECAR_STATUS_ANNOTATION] !== undefined || pod.hostNetwork;
      if (explicit) cache.pods[podKey(pod.namespace, pod.name)] = podEnrollment(pod, this.#namespaces.get(pod.namespace)).enrolled;
    }
    cache.enrolledNamespaces.sort();
    writeEnrollmentCache(join(this.#cfg.stateDir, 'enrollment.json'), cache);
  }

  // ---- the plugin socket --------------------------------------------------------------------------------------

  async #listen(): Promise<void> {
    const path = this.#cfg.socketPath;
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { force: true });
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(path, () => resolve());
    });
    if (this.#cfg.admin) {
      this.#admin = createServer((req, res) => this.#handleAdmin(req, res));
      await new Promise<void>((resolve, reject) => {
        this.#admin!.once('error', reject);
        this.#admin!.listen(this.#cfg.admin!.port, this.#cfg.admin!.host, () => resolve());
      });
      this.adminAddress = this.#admin.address() as AddressInfo;
    }
  }

  #handleAdmin(req: IncomingMessage, res: ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/readyz') {
      res.writeHead(this.isReady() ? 200 : 503, { 'content-type': 'text/plain' }).end(this.isReady() ? 'ready\n' : 'not ready\n');
    } else if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.metrics.render());
    } else {
      res.writeHead(404).end();
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    let command = 'unknown';
    try {
      if (req.method !== 'POST' || req.url !== EVENT_PATH) return send(404, { error: { code: CniErrorCode.INPUT, message: `no such endpoint ${req.method} ${req.url}` } });
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        throw new CniError(CniErrorCode.INPUT, 'plugin event is not valid JSON');
      }
      const ev = parsePluginEvent(raw);
      command = ev.command;
      const reply = await this.#pluginEvent(ev);
      this.metrics.pluginEvent(command, 'ok');
      send(200, reply);
    } catch (err) {
      this.metrics.pluginEvent(command, 'error');
      const e = err instanceof CniError ? err : new CniError(CniErrorCode.AGENT, (err as Error).message, { cause: err });
      this.#log.error({ err: e, command }, `CNI ${command} failed: ${e.message}`);
      const status = e.code === CniErrorCode.POD_UNKNOWN || e.code === CniErrorCode.CLOSED ? 503 : e.code === CniErrorCode.INPUT ? 400 : 500;
      send(status, { error: { code: e.code, message: e.message } });
    }
  }

  async #pluginEvent(ev: PluginEvent): Promise<PluginReply> {
    if (!this.#ready) await this.#whenReady();
    const log = this.#log.child({ scope: 'cni' });
    log.info({ pod: podKey(ev.podNamespace, ev.podName), ips: ev.ips, containerId: ev.containerId }, `istio-cni cmd${ev.command === 'ADD' ? 'Add' : ev.command === 'DEL' ? 'Del' : 'Check'} podName: ${ev.podName} podIPs: [${ev.ips.join(' ')}]`);
    if (ev.command === 'DEL') {
      const uid = ev.podUid ?? this.#byName.get(podKey(ev.podNamespace, ev.podName)) ?? [...this.#sandboxes].find(([, s]) => s.containerId === ev.containerId)?.[0];
      if (!uid) return { enrolled: false, redirected: false, reason: 'unknown-pod' };
      return this.#enqueue(async () => {
        const was = this.#redirected.has(uid);
        // The sandbox is gone: its IPs go back to IPAM and must leave the ipset now, whatever the pod object says.
        this.#sandboxes.set(uid, { name: ev.podName, namespace: ev.podNamespace, containerId: ev.containerId, netns: '', ips: [] });
        // Kept (with no IPs) until the pod object goes, so stale status IPs are never redirected again.
        this.#saveSandboxes();
        await this.#syncPod(uid);
        return { enrolled: was, redirected: false };
      });
    }
    const pod = await this.#findPod(ev);
    const enrollment = podEnrollment(pod, this.#namespaces.get(pod.namespace));
    if (ev.command === 'CHECK') {
      if (!enrollment.enrolled) return { enrolled: false, redirected: false, reason: enrollment.reason };
      const members = await this.#enqueue(() => this.#dp.members());
      const ips = this.#redirected.get(pod.uid)?.ips ?? [];
      const ok = ips.length > 0 && ips.every((ip) => members.has(ip));
      if (!ok) throw new CniError(CniErrorCode.NOT_REDIRECTED, `pod ${podLabel(pod)} is enrolled (${enrollment.reason}) but its IPs are not in the ipset`);
      return { enrolled: true, redirected: true, reason: enrollment.reason, ips };
    }
    return this.#enqueue(async () => {
      this.#sandboxes.set(pod.uid, { name: ev.podName, namespace: ev.podNamespace, containerId: ev.containerId, netns: ev.netns, ips: ev.ips });
      this.#saveSandboxes();
      if (!enrollment.enrolled) {
        log.info({ pod: podKey(pod.namespace, pod.name), reason: enrollment.reason }, `Pod ${pod.namespace}/${pod.name} excluded: ${enrollment.reason}`);
        return { enrolled: false, redirected: false, reason: enrollment.reason };
      }
      if (!ev.ips.some((ip) => isIPv4(ip))) throw new CniError(CniErrorCode.NO_POD_IP, `enrolled pod ${podLabel(pod)} has no IPv4 address in prevResult (IPv6-only pods are not supported)`);
      await this.#syncPod(pod.uid);
      const r = this.#redirected.get(pod.uid);
      if (!r) throw new CniError(CniErrorCode.REDIRECTION, `pod ${podLabel(pod)} is enrolled but could not be redirected`);
      return { enrolled: true, redirected: true, reason: enrollment.reason, ips: r.ips };
    });
  }

  #whenReady(): Promise<void> {
    return new Promise((resolve, reject) => this.#readyWaiters.add({ resolve, reject }));
  }

  /** The pod an event is about; waits up to podWaitMs for the object to reach the agent's cache. */
  async #findPod(ev: PluginEvent): Promise<PodInfo> {
    // By uid when the runtime sent one we know; else by namespace/name (state-directory pods may carry no uid).
    const lookup = () => {
      const uid = ev.podUid && this.#pods.has(ev.podUid) ? ev.podUid : this.#byName.get(podKey(ev.podNamespace, ev.podName));
      return uid ? this.#pods.get(uid) : undefined;
    };
    const found = lookup();
    if (found) return found;
    const waitMs = this.#cfg.podWaitMs ?? 5000;
    return new Promise((resolve, reject) => {
      const check = () => {
        const p = lookup();
        if (p) {
          done();
          resolve(p);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new CniError(CniErrorCode.POD_UNKNOWN, `pod ${ev.podNamespace}/${ev.podName} is not known to the node agent after ${waitMs} ms; the runtime will retry`));
      }, waitMs);
      const done = () => {
        clearTimeout(timer);
        this.#podWaiters.delete(check);
      };
      this.#podWaiters.add(check);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.metrics.ready = 0;
    if (this.#timer) clearInterval(this.#timer);
    for (const w of this.#readyWaiters) w.reject(new CniError(CniErrorCode.CLOSED));
    this.#readyWaiters.clear();
    await this.#cfg.source.close();
    await this.#queue;
    const closeServer = (s: Server | undefined) =>
      new Promise<void>((resolve) => {
        if (!s || !s.listening) return resolve();
        s.close(() => resolve());
        s.closeAllConnections();
      });
    await Promise.all([closeServer(this.#server), closeServer(this.#admin)]);
    if (this.#server) rmSync(this.#cfg.socketPath, { force: true });
  }
}
