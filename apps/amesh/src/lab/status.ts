// The controller's status file (written atomically; read by `amesh lab status` and `amesh lab up`).
import { readFile, rename, writeFile } from 'node:fs/promises';

export interface ComponentStatus {
  name: string;
  /** running | exited | disabled | starting */
  state: string;
  pid?: number;
  exitCode?: number | null;
  restarts?: number;
  node?: string;
  log?: string;
  detail?: string;
}

export interface LabStatus {
  name: string;
  phase: 'Starting' | 'Ready' | 'Failed' | 'Stopping';
  nodes: number;
  controllerPid: number;
  startedAt: string;
  readyAt?: string;
  error?: string;
  components: ComponentStatus[];
}

export async function writeStatus(path: string, s: LabStatus): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(s, null, 2) + '\n');
  await rename(tmp, path);
}

export async function readStatus(path: string): Promise<LabStatus | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LabStatus;
  } catch {
    return undefined;
  }
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
