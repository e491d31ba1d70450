// Where a lab keeps its files. Everything of lab <name> lives under one directory, removed by `amesh lab down`.
import { join } from 'node:path';

export const LAB_ROOT = process.env.AMESH_LAB_ROOT ?? '/var/run/amesh/labs';

export interface LabPaths {
  dir: string;
  /** Kubernetes objects (the kube state directory istiod reads with --config-dir) */
  state: string;
  /** Deployments (the lab's own controller input) */
  workloads: string;
  logs: string;
  /** controller status: phase, pids, components */
  status: string;
  /** the IPAM and network scratch space */
  net: string;
}

export function labPaths(name: string, root = LAB_ROOT): LabPaths {
  const dir = join(root, name);
  return { dir, state: join(dir, 'state'), workloads: join(dir, 'workloads'), logs: join(dir, 'logs'), status: join(dir, 'status.json'), net: join(dir, 'net') };
}

/** The repository's root, for locating built daemons (dist/) from the CLI's own location. */
export function repoRoot(): string {
  // this file is apps/amesh/{src,dist}/lab/paths.{ts,js}
  return new URL('../../../../', import.meta.url).pathname.replace(/\/$/, '');
}
