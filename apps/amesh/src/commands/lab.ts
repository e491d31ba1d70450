// `amesh lab`: a whole ambient mesh on this machine, driven with kubectl-like verbs (see docs/lab.md).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { readFile, rm, unlink, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { DirectorySource, KINDS, StateDirectory, kindKeyOf, type KindKey, type KubeObject } from '@amesh/kube';
import type { Io } from '../io.js';
import { LabNetwork } from '../lab/network.js';
import { labPaths, LAB_ROOT, repoRoot, type LabPaths } from '../lab/paths.js';
import { alive, readStatus, type LabStatus } from '../lab/status.js';

const USAGE = `usage: amesh lab <verb> [flags]   (every verb takes --name NAME, default "lab")

  up [--nodes 2]                      create the lab (network namespaces, CNI, control plane, node daemons)
  down                                stop everything and remove every namespace, process and rule of the lab
  status                              phase, nodes, daemons and pods
  apply -f FILE|DIR|-                 create or update objects (Namespace, ServiceAccount, Deployment, Service, Pod, mesh CRDs)
  delete -f FILE|DIR|-                delete the objects named in the files
  get KIND [NAME] [-n NS|-A] [-o wide|yaml|json]
                                      KIND: pods, svc, deploy, ns, sa, nodes, authorizationpolicies, peerauthentications,
                                      virtualservices, destinationrules, serviceentries, gateways, httproutes
  label ns|pod NAME k=v|k- ... [-n NS] [--overwrite]
  exec [-n NS] deploy/NAME|POD -- CMD...   run CMD inside the pod's network namespace; exits with CMD's code
  logs istiod|ztunnel|istio-cni|controller|POD [--node N] [-n NS] [--tail N]
  demo [--keep]                       seed 000's L4 walkthrough on a fresh lab named "demo" (what "npm run demo" runs)
`;

interface Flags {
  name: string;
  namespace?: string;
  allNamespaces: boolean;
  files: string[];
  output?: string;
  nodes?: number;
  node?: string;
  tail?: number;
  overwrite: boolean;
  positional: string[];
  rest: string[];
}

function parseFlags(argv: string[]): Flags {
  const f: Flags = { name: 'lab', allNamespaces: false, files: [], overwrite: false, positional: [], rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`flag ${a} needs a value`);
      return v;
    };
    const key = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (a === '--') {
      f.rest = argv.slice(i + 1);
      break;
    } else if (key === '--name') f.name = val();
    else if (key === '-n' || key === '--namespace') f.namespace = val();
    else if (key === '-A' || key === '--all-namespaces') f.allNamespaces = true;
    else if (key === '-f' || key === '--filename') f.files.push(val());
    else if (key === '-o' || key === '--output') f.output = val();
    else if (key === '--nodes') f.nodes = Number(val());
    else if (key === '--node') f.node = val();
    else if (key === '--tail') f.tail = Number(val());
    else if (key === '--overwrite') f.overwrite = true;
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown flag ${a}`);
    else f.positional.push(a);
  }
  return f;
}

class UsageError extends Error {}

export async function lab(argv: string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    io.out.write(USAGE);
    return verb ? 0 : 2;
  }
  if (verb === 'demo') return (await import('../lab/demo.js')).demo(rest, io, lab);
  try {
    const f = parseFlags(rest);
    const paths = labPaths(f.name);
    switch (verb) {
      case 'up':
        return await up(f, paths, io);
      case 'down':
        return await down(f, paths, io);
      case 'status':
        return await status(f, paths, io);
      case 'apply':
        return await apply(f, paths, io, false);
      case 'delete':
        return await apply(f, paths, io, true);
      case 'get':
        return await get(f, paths, io);
      case 'label':
        return await label(f, paths, io);
      case 'exec':
        return await exec(f, paths, io);
      case 'logs':
        return await logs(f, paths, io);

      default:
        io.err.write(`amesh lab: unknown verb "${verb}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`amesh lab ${verb}: ${err.message}\n`);
      return 2;
    }
    io.err.write(`amesh lab ${verb}: ${(err as Error).message}\n`);
    return 1;
  }
}

async function running(f: Flags, paths: LabPaths): Promise<LabStatus> {
  const s = await readStatus(paths.status);
  if (!s || !alive(s.controllerPid)) throw new Error(`lab "${f.name}" is not running; start it with "amesh lab up --name ${f.name}"`);
  return s;
}

async function up(f: Flags, paths: LabPaths, io: Io): Promise<number> {
  if (process.getuid?.() !== 0) throw new Error('the lab creates network namespaces and needs root (run it with sudo)');
  const nodes = f.nodes ?? 2;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50) throw new UsageError(`--nodes ${f.nodes} must be a whole number from 1 to 50`);
  const prev = await readStatus(paths.status);
  if (prev && alive(prev.controllerPid)) throw new Error(`lab "${f.name}" is already running (${prev.phase}); "amesh lab down --name ${f.name}" removes it`);
  const main = join(repoRoot(), 'apps/amesh/dist/lab/controller-main.js');
  if (!existsSync(main)) throw new Error(`the lab is not built (${main} is missing); run "npm run build"`);
  await rm(paths.dir, { recursive: true, force: true });
  mkdirSync(paths.logs, { recursive: true });
  const out = openSync(join(paths.logs, 'controller.log'), 'a');
  const child = spawn(process.execPath, [main, '--name', f.name, '--nodes', String(nodes)], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, AMESH_LAB_ROOT: LAB_ROOT } });
  closeSync(out);
  child.unref();
  const started = Date.now();
  for (;;) {
    const s = await readStatus(paths.status);
    if (s?.phase === 'Ready') {
      io.out.write(`lab "${f.name}" is up: ${nodes} node(s) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
      for (const c of s.components) io.out.write(`  ${c.name.padEnd(20)} ${c.state}${c.pid ? ` (pid ${c.pid})` : ''}\n`);
      return 0;
    }
    if (s?.phase === 'Failed' || (!alive(child.pid) && Date.now() - started > 500)) {
      io.err.write(`lab "${f.name}" failed to start: ${s?.error ?? 'the controller exited'} (see ${join(paths.logs, 'controller.log')})\n`);
      return 1;
    }
    if (Date.now() - started > 120_000) throw new Error(`lab "${f.name}" did not become ready in 120s (see ${join(paths.logs, 'controller.log')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function down(f: Flags, paths: LabPaths, io: Io): Promise<number> {
  const s = await readStatus(paths.status);
  if (s && alive(s.controllerPid)) {
    process.kill(s.controllerPid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (alive(s.controllerPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(s.controllerPid)) process.kill(s.controllerPid, 'SIGKILL');
  }
  // whatever the controller did or did not do: kill what runs in the lab's namespaces and delete them
  const net = new LabNetwork({ lab: f.name, nodes: s?.nodes ?? 1, stateDir: paths.net });
  for (const c of s?.components ?? []) if (c.pid && alive(c.pid)) process.kill(c.pid, 'SIGKILL');
  await net.down();
  await rm(paths.dir, { recursive: true, force: true });
  io.out.write(`lab "${f.name}" is down\n`);
  return 0;
}

async function status(f: Flags, paths: LabPaths, io: Io): Promise<number> {
  const s = await readStatus(paths.status);
  if (!s) {
    io.out.write(`lab "${f.name}" does not exist\n`);
    return 1;
  }
  const up = alive(s.controllerPid);
  io.out.write(`lab "${f.name}": ${up ? s.phase : 'controller not running'}, ${s.nodes} node(s), started ${s.startedAt}\n`);
  if (s.error) io.out.write(`  error: ${s.error}\n`);
  for (const c of s.components) io.out.write(`  ${c.name.padEnd(20)} ${c.state}${c.exitCode !== undefined && c.exitCode !== null ? ` (exit ${c.exitCode})` : ''}${c.pid ? ` pid ${c.pid}` : ''}${c.restarts ? ` restarts ${c.restarts}` : ''}\n`);
  const pods = await loadObjects(paths, ['Pod']);
  io.out.write(`  pods: ${pods.length}\n`);
  return up ? 0 : 1;
}

// ---- objects -------------------------------------------------------------------------------------------------

const ALIASES: Record<string, KindKey | 'Deployment'> = {
  po: 'Pod', pod: 'Pod', pods: 'Pod',
  svc: 'Service', service: 'Service', services: 'Service',
  ns: 'Namespace', namespace: 'Namespace', namespaces: 'Namespace',
  sa: 'ServiceAccount', serviceaccount: 'ServiceAccount', serviceaccounts: 'ServiceAccount',
  no: 'Node', node: 'Node', nodes: 'Node',
  deploy: 'Deployment', deployment: 'Deployment', deployments: 'Deployment',
  authorizationpolicy: 'AuthorizationPolicy', authorizationpolicies: 'AuthorizationPolicy', ap: 'AuthorizationPolicy',
  peerauthentication: 'PeerAuthentication', peerauthentications: 'PeerAuthentication', pa: 'PeerAuthentication',
  virtualservice: 'VirtualService', virtualservices: 'VirtualService', vs: 'VirtualService',
  destinationrule: 'DestinationRule', destinationrules: 'DestinationRule', dr: 'DestinationRule',
  serviceentry: 'ServiceEntry', serviceentries: 'ServiceEntry', se: 'ServiceEntry',
  gateway: 'Gateway', gateways: 'Gateway', gtw: 'Gateway',
  httproute: 'HTTPRoute', httproutes: 'HTTPRoute',
};

function resourceName(kind: string, apiVersion?: string): string {
  if (kind === 'Deployment') return 'deployment.apps';
  const key = kindKeyOf({ apiVersion: apiVersion ?? '', kind }) ?? (kind as KindKey);
  const info = KINDS[key];
  if (!info) return kind.toLowerCase();
  return info.group ? `${info.kind.toLowerCase()}.${info.group}` : info.kind.toLowerCase();
}

async function readInputs(files: string[], io: Io): Promise<Array<{ obj: KubeObject; where: string }>> {
  if (!files.length) throw new UsageError('-f FILE|DIR|- is required');
  const out: Array<{ obj: KubeObject; where: string }> = [];
  const texts: Array<{ text: string; where: string }> = [];
  for (const file of files) {
    if (file === '-') {
      if (!io.in) throw new UsageError('no standard input');
      const chunks: Buffer[] = [];
      for await (const c of io.in) chunks.push(Buffer.from(c as Buffer));
      texts.push({ text: Buffer.concat(chunks).toString('utf8'), where: '<stdin>' });
    } else if (existsSync(file) && statSync(file).isDirectory()) {
      for (const e of readdirSync(file).sort()) if (/\.(ya?ml|json)$/.test(e)) texts.push({ text: readFileSync(join(file, e), 'utf8'), where: join(file, e) });
    } else if (existsSync(file)) texts.push({ text: readFileSync(file, 'utf8'), where: file });
    else throw new UsageError(`the path "${file}" does not exist`);
  }
  const problems: string[] = [];
  for (const { text, where } of texts) {
    parseAllDocuments(text).forEach((doc, i) => {
      if (doc.errors.length) return void problems.push(`${where}: document ${i}: ${doc.errors[0]!.message.split('\n')[0]}`);
      const v = doc.toJS() as KubeObject | null;
      if (!v) return;
      const items = v.kind?.endsWith('List') && Array.isArray((v as { items?: unknown }).items) ? ((v as unknown as { items: KubeObject[] }).items) : [v];
      for (const o of items) {
        if (!o?.kind || !o.apiVersion || !o.metadata?.name) problems.push(`${where}: document ${i}: apiVersion, kind and metadata.name are required`);
        else if (o.kind !== 'Deployment' && !kindKeyOf(o)) problems.push(`${where}: document ${i}: kind ${o.apiVersion}/${o.kind} is not supported by the lab (supported: Deployment, ${Object.values(KINDS).map((k) => k.kind).filter((k, j, a) => a.indexOf(k) === j).join(', ')})`);
        else out.push({ obj: o, where });
      }
    });
  }
  if (problems.length) throw new UsageError(`invalid input:\n  ${problems.join('\n  ')}`);
  return out;
}

function deploymentPath(paths: LabPaths, ns: string, name: string): string {
  return join(paths.workloads, ns, `${name}.yaml`);
}

async function apply(f: Flags, paths: LabPaths, io: Io, remove: boolean): Promise<number> {
  await running(f, paths);
  const store = new StateDirectory(paths.state);
  const inputs = await readInputs(f.files, io);
  for (const { obj } of inputs) {
    const ns = obj.metadata.namespace ?? f.namespace ?? 'default';
    const key = obj.kind === 'Deployment' ? undefined : kindKeyOf(obj)!;
    const namespaced = key ? KINDS[key].namespaced : true;
    if (namespaced) obj.metadata.namespace = ns;
    const label = `${resourceName(obj.kind, obj.apiVersion)}/${obj.metadata.name}`;
    const file = key ? store.pathOf(key, obj.metadata.name, ns) : deploymentPath(paths, ns, obj.metadata.name);
    const existed = existsSync(file);
    if (remove) {
      if (key) await store.delete(key, obj.metadata.name, ns);
      else await unlink(file).catch(() => undefined);
      io.out.write(existed ? `${label} deleted\n` : `Error from server (NotFound): ${label} not found\n`);
      continue;
    }
    if (namespaced && key !== 'Namespace' && !existsSync(store.pathOf('Namespace', ns))) throw new Error(`namespaces "${ns}" not found (create it first: amesh lab apply -f a Namespace, or kubectl-style "create ns")`);
    const before = existed ? await readFile(file, 'utf8') : '';
    if (key) {
      const prev = existed ? (parseAllDocuments(before)[0]?.toJS() as KubeObject) : undefined;
      // keep what the cluster owns: uid, creation time, ClusterIP, status and annotations added by daemons
      const merged: KubeObject = {
        ...obj,
        metadata: { ...obj.metadata, ...(prev?.metadata.uid ? { uid: prev.metadata.uid, creationTimestamp: prev.metadata.creationTimestamp } : {}), annotations: { ...(prev?.metadata.annotations ?? {}), ...(obj.metadata.annotations ?? {}) } },
        ...(prev?.status ? { status: prev.status } : {}),
      };
      if (key === 'Service' && prev && (prev.spec as { clusterIP?: string })?.clusterIP) merged.spec = { ...(obj.spec as object), clusterIP: (prev.spec as { clusterIP: string }).clusterIP };
      if (Object.keys(merged.metadata.annotations ?? {}).length === 0) delete merged.metadata.annotations;
      const same = prev && JSON.stringify({ ...prev, metadata: { ...prev.metadata, resourceVersion: undefined } }) === JSON.stringify({ ...merged, metadata: { ...merged.metadata, resourceVersion: undefined } });
      if (!same) await store.apply(merged);
      io.out.write(`${label} ${!existed ? 'created' : same ? 'unchanged' : 'configured'}\n`);
    } else {
      const text = stringify(obj);
      await mkdir(join(paths.workloads, ns), { recursive: true });
      if (before !== text) await writeFile(file, text);
      io.out.write(`${label} ${!existed ? 'created' : before === text ? 'unchanged' : 'configured'}\n`);
    }
  }
  return 0;
}

async function loadObjects(paths: LabPaths, kinds: KindKey[]): Promise<KubeObject[]> {
  if (!existsSync(paths.state)) return [];
  const src = new DirectorySource({ dir: paths.state, kinds, pollIntervalMs: 0 });
  await src.start();
  const out = kinds.flatMap((k) => src.list(k) as KubeObject[]);
  await src.close();
  return out;
}

async function loadDeployments(paths: LabPaths): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  if (!existsSync(paths.workloads)) return out;
  for (const ns of readdirSync(paths.workloads)) {
    for (const f of readdirSync(join(paths.workloads, ns))) {
      if (f.endsWith('.yaml')) out.push(parseAllDocuments(readFileSync(join(paths.workloads, ns, f), 'utf8'))[0]!.toJS() as KubeObject);
    }
  }
  return out;
}

function age(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]! + 3))).join('').trimEnd()).join('\n') + '\n';
}

async function get(f: Flags, paths: LabPaths, io: Io): Promise<number> {
  await running(f, paths);
  const [kindArg, name] = f.positional;
  if (!kindArg) throw new UsageError('which kind? e.g. "amesh lab get pods -n NAMESPACE"');
  const kind = ALIASES[kindArg.toLowerCase()];
  if (!kind) throw new UsageError(`the server doesn't have a resource type "${kindArg}" (have: ${[...new Set(Object.values(ALIASES))].join(', ')})`);
  const namespaced = kind === 'Deployment' || KINDS[kind].namespaced;
  let objs = kind === 'Deployment' ? await loadDeployments(paths) : await loadObjects(paths, [kind]);
  if (namespaced && !f.allNamespaces) objs = objs.filter((o) => (o.metadata.namespace ?? 'default') === (f.namespace ?? 'default'));
  if (name) objs = objs.filter((o) => o.metadata.name === name);
  objs.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  if (name && !objs.length) {
    io.err.write(`Error from server (NotFound): ${resourceName(kind)}s "${name}" not found\n`);
    return 1;
  }
  if (f.output === 'yaml') return void io.out.write(objs.map((o) => stringify(o)).join('---\n')), 0;
  if (f.output === 'json') return void io.out.write(JSON.stringify(objs.length === 1 && name ? objs[0] : { apiVersion: 'v1', kind: 'List', items: objs }, null, 2) + '\n'), 0;
  if (!objs.length) {
    io.err.write(namespaced && !f.allNamespaces ? `No resources found in ${f.namespace ?? 'default'} namespace.\n` : 'No resources found\n');
    return 0;
  }
  const wide = f.output === 'wide';
  const nsCol = namespaced && f.allNamespaces;
  const rows: string[][] = [];
  const head = (cols: string[]) => rows.push([...(nsCol ? ['NAMESPACE'] : []), ...cols]);
  const row = (o: KubeObject, cols: string[]) => rows.push([...(nsCol ? [o.metadata.namespace ?? ''] : []), ...cols]);
  if (kind === 'Pod') {
    head(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE'] : [])]);
    for (const o of objs) {
      const st = (o.status ?? {}) as { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }> };
      const ready = st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      row(o, [o.metadata.name, ready ? '1/1' : '0/1', st.phase ?? 'Pending', '0', age(o.metadata.creationTimestamp), ...(wide ? [st.podIP ?? '<none>', (o.spec as { nodeName?: string })?.nodeName ?? '<none>'] : [])]);
    }
  } else if (kind === 'Service') {
    head(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    for (const o of objs) {
      const sp = (o.spec ?? {}) as { clusterIP?: string; type?: string; ports?: Array<{ port: number; protocol?: string }> };
      row(o, [o.metadata.name, sp.type ?? 'ClusterIP', sp.clusterIP ?? '<pending>', '<none>', (sp.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',') || '<none>', age(o.metadata.creationTimestamp)]);
    }
  } else if (kind === 'Namespace') {
    head(['NAME', 'STATUS', 'AGE', ...(wide ? ['LABELS'] : [])]);
    for (const o of objs) row(o, [o.metadata.name, 'Active', age(o.metadata.creationTimestamp), ...(wide ? [Object.entries(o.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'] : [])]);
  } else if (kind === 'Deployment') {
    const pods = await loadObjects(paths, ['Pod']);
    head(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    for (const o of objs) {
      const want = ((o.spec as { replicas?: number })?.replicas ?? 1);
      const mine = pods.filter((p) => p.metadata.namespace === (o.metadata.namespace ?? 'default') && p.metadata.ownerReferences?.some((r) => r.name.startsWith(`${o.metadata.name}-`)) && p.metadata.name.split('-').length === o.metadata.name.split('-').length + 2);
      const ready = mine.filter((p) => ((p.status ?? {}) as { conditions?: Array<{ type: string; status: string }> }).conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      row(o, [o.metadata.name, `${ready}/${want}`, String(mine.length), String(ready), age(o.metadata.creationTimestamp)]);
    }
  } else {
    head(['NAME', 'AGE']);
    for (const o of objs) row(o, [o.metadata.name, age(o.metadata.creationTimestamp)]);
  }
  io.out.write(table(rows));
  return 0;
}

async function label(f: Flags, paths: LabPaths, io: Io): Promise<number> {
  await running(f, paths);
  const [kindArg, name, ...changes] = f.positional;
  const kind = kindArg ? ALIASES[kindArg.toLowerCase()] : undefined;
  if (!kind || kind === 'Deployment' || !name || !changes.length) throw new UsageError('usage: amesh lab label ns|pod|svc NAME key=value|key- ... [-n NS]');
  const store = new StateDirectory(paths.state);
  const ns = KINDS[kind].namespaced ? f.namespace ?? 'default' : undefined;
  const file = store.pathOf(kind, name, ns);
  if (!existsSync(file)) {
    io.err.write(`Error from server (NotFound): ${resourceName(kind)}s "${name}" not found\n`);
    return 1;
  }
  const obj = parseAllDocuments(readFileSync(file, 'utf8'))[0]!.toJS() as KubeObject;
  const labels = { ...(obj.metadata.labels ?? {}) };
  for (const c of changes) {
    if (c.endsWith('-') && !c.includes('=')) delete labels[c.slice(0, -1)];
    else {
      const m = c.match(/^([A-Za-z0-9./_-]+)=([A-Za-z0-9._-]*)$/);
      if (!m) throw new UsageError(`invalid label "${c}" (want key=value or key-)`);
      if (labels[m[1]!] !== undefined && labels[m[1]!] !== m[2] && !f.overwrite) throw new Error(`'${m[1]}' already has a value (${labels[m[1]!]}), and --overwrite is false`);
      labels[m[1]!] = m[2]!;
    }
  }
  await store.apply({ ...obj, metadata: { ...obj.metadata, labels } });
  io.out.write(`${resourceName(kind)}/${name} labeled\n`);
  return 0;
}

async function findPod(f: Flags, paths: LabPaths, target: string): Promise<KubeObject> {
  const ns = f.namespace ?? 'default';
  const pods = (await loadObjects(paths, ['Pod'])).filter((p) => (p.metadata.namespace ?? 'default') === ns);
  const running = (p: KubeObject) => ((p.status ?? {}) as { phase?: string }).phase === 'Running';
  if (target.startsWith('deploy/') || target.startsWith('deployment/')) {
    const d = target.slice(target.indexOf('/') + 1);
    const pod = pods.filter(running).find((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'ReplicaSet' && r.name.replace(/-[a-z0-9]+$/, '') === d));
    if (!pod) throw new Error(`deployment "${d}" in namespace "${ns}" has no running pod (check "amesh lab get pods -n ${ns}")`);
    return pod;
  }
  const name = target.replace(/^(pod|po|pods)\//, '');
  const pod = pods.find((p) => p.metadata.name === name);
  if (!pod) throw new Error(`pods "${name}" not found in namespace "${ns}"`);
  if (!running(pod)) throw new Error(`pod "${name}" is not running`);
  return pod;
}

async function exec(f: Flags, paths: LabPaths, io: Io): Promise<number> {
  await running(f, paths);
  const target = f.positional[0];
  if (!target || !f.rest.length) throw new UsageError('usage: amesh lab exec [-n NS] deploy/NAME|POD -- CMD...');
  const pod = await findPod(f, paths, target);
  const net = new LabNetwork({ lab: f.name, nodes: 1, stateDir: paths.net });
  const netns = net.podNs({ namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name });
  const child = spawn('ip', ['netns', 'exec', netns, ...f.rest], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOSTNAME: pod.metadata.name } });
  child.stdout.on('data', (d: Buffer) => io.out.write(d.toString()));
  child.stderr.on('data', (d: Buffer) => io.err.write(d.toString()));
  return await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

async function logs(f: Flags, paths: LabPaths, io: Io): Promise<number> {
  const target = f.positional[0];
  if (!target) throw new UsageError('usage: amesh lab logs istiod|ztunnel|istio-cni|controller|POD [--node N] [-n NS] [--tail N]');
  let files: string[];
  if (target === 'istiod' || target === 'controller') files = [join(paths.logs, `${target}.log`)];
  else if (target === 'ztunnel' || target === 'istio-cni') {
    const all = existsSync(paths.logs) ? readdirSync(paths.logs).filter((e) => e.startsWith(`${target}-`) && e.endsWith('.log')).sort() : [];
    files = all.filter((e) => !f.node || e === `${target}-${f.node.startsWith('node') ? f.node : `node${f.node}`}.log`).map((e) => join(paths.logs, e));
  } else {
    const pod = await findPod(f, paths, target);
    files = [join(paths.logs, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}.log`)];
  }
  if (!files.length || !files.some((p) => existsSync(p))) throw new Error(`no logs for "${target}" in lab "${f.name}"`);
  for (const file of files.filter((p) => existsSync(p))) {
    let lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    if (f.tail !== undefined) lines = lines.slice(-f.tail);
    if (lines.length) io.out.write(lines.join('\n') + '\n');
  }
  return 0;
}
