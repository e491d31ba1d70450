// A minimal CNI runtime (what containerd's libcni does): runs each plugin of a conflist in order with the CNI
// environment and the plugin's network config on stdin, passing each result on as `prevResult`; DEL runs the chain
// in reverse. Plugins run inside the node's network namespace, as a runtime on that node would run them.
import { must, type Runner } from './exec.js';

export interface CniConflist {
  cniVersion: string;
  name: string;
  plugins: Array<Record<string, unknown> & { type: string }>;
}

export interface CniInvocation {
  /** the node namespace the runtime runs in (plugins create the host side of the veth there) */
  nodeNetns: string;
  conflist: CniConflist;
  containerId: string;
  /** path of the pod's network namespace, e.g. /var/run/netns/<name> */
  netnsPath: string;
  ifname: string;
  /** CNI_ARGS key/values, e.g. K8S_POD_NAME */
  args: Record<string, string>;
  /** directories searched for plugin executables */
  cniPath: string[];
}

export interface CniResult {
  cniVersion: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  routes?: unknown[];
  dns?: unknown;
}

function env(inv: CniInvocation, command: 'ADD' | 'DEL' | 'CHECK'): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: inv.containerId,
    CNI_NETNS: inv.netnsPath,
    CNI_IFNAME: inv.ifname,
    CNI_PATH: inv.cniPath.join(':'),
    CNI_ARGS: ['IgnoreUnknown=1', ...Object.entries(inv.args).map(([k, v]) => `${k}=${v}`)].join(';'),
  };
}

async function pluginPath(run: Runner, cniPath: string[], type: string): Promise<string> {
  for (const dir of cniPath) {
    const p = `${dir}/${type}`;
    if ((await run('test', ['-x', p])).code === 0) return p;
  }
  throw new Error(`CNI plugin "${type}" not found in ${cniPath.join(':')} (install containernetworking-plugins: scripts/install-system-deps)`);
}

/** ADD through the whole chain; returns the final result (the pod's IPs). */
export async function cniAdd(run: Runner, inv: CniInvocation): Promise<CniResult> {
  let prev: CniResult | undefined;
  for (const plugin of inv.conflist.plugins) {
    const conf = { cniVersion: inv.conflist.cniVersion, name: inv.conflist.name, ...plugin, ...(prev ? { prevResult: prev } : {}) };
    const exe = await pluginPath(run, inv.cniPath, plugin.type);
    const r = await run('ip', ['netns', 'exec', inv.nodeNetns, exe], { input: JSON.stringify(conf), env: env(inv, 'ADD') });
    if (r.code !== 0) {
      let msg = r.stderr.trim() || r.stdout.trim();
      try {
        const e = JSON.parse(r.stdout) as { code?: number; msg?: string; details?: string };
        msg = `${e.msg ?? ''}${e.details ? `: ${e.details}` : ''} (CNI error code ${e.code})`;
      } catch {
        /* not CNI error JSON */
      }
      throw new Error(`CNI ADD failed in plugin "${plugin.type}" for container ${inv.containerId}: ${msg}`);
    }
    prev = JSON.parse(r.stdout) as CniResult;
  }
  if (!prev) throw new Error(`CNI conflist "${inv.conflist.name}" has no plugins`);
  return prev;
}

/** DEL through the chain in reverse order; keeps going past failures and reports the first one. */
export async function cniDel(run: Runner, inv: CniInvocation): Promise<void> {
  let first: Error | undefined;
  for (const plugin of [...inv.conflist.plugins].reverse()) {
    const conf = { cniVersion: inv.conflist.cniVersion, name: inv.conflist.name, ...plugin };
    try {
      const exe = await pluginPath(run, inv.cniPath, plugin.type);
      await must(run, 'ip', ['netns', 'exec', inv.nodeNetns, exe], { input: JSON.stringify(conf), env: env(inv, 'DEL') });
    } catch (err) {
      first ??= err as Error;
    }
  }
  if (first) throw first;
}
