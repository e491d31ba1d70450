// Node-namespace traffic capture (design: "Traffic capture" in the architecture document): an ipset of enrolled
// pod IPs, mangle PREROUTING rules that TPROXY enrolled pods' TCP to ztunnel's listeners, a fwmark ip rule with a
// local route table so the TPROXY'd packets are delivered locally, and a first nat PREROUTING rule that ACCEPTs
// marked packets so kube-proxy's DNAT never rewrites a destination ztunnel must see. ztunnel's own connections
// leave through OUTPUT, which is never touched. Every command goes through the injected CommandRunner; each
// check reads the current state first, so applying twice changes nothing.
import { isIPv4 } from 'node:net';
import { CniError, CniErrorCode } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { mustRun, type CommandRunner } from './runner.js';

export interface RedirectionConfig {
  /** ipset (hash:ip) holding the IPv4 addresses of enrolled pods. Default `amesh-pods-v4`. */
  ipset?: string;
  /** Name of our chain in the mangle and nat tables. Default `AMESH_PRERT`. */
  chain?: string;
  /** The TPROXY mark bit (used as value and mask). Default 0x400. */
  mark?: number;
  /** Routing table holding `local 0.0.0.0/0 dev lo`. Default 100. */
  routeTable?: number;
  /** Priority of the `fwmark ... lookup <table>` rule. Default 100. */
  rulePriority?: number;
  /** ztunnel's ports. Defaults: outbound 15001, inbound plaintext 15006, HBONE 15008. */
  ports?: { outbound?: number; inboundPlaintext?: number; hbone?: number };
}

export interface ResolvedRedirectionConfig {
  ipset: string;
  chain: string;
  mark: number;
  routeTable: number;
  rulePriority: number;
  ports: { outbound: number; inboundPlaintext: number; hbone: number };
}

const NAME_RE = /^[A-Za-z0-9_.-]{1,28}$/;

/** Fills defaults and validates; lists every problem with its field path. */
export function resolveRedirectionConfig(config: RedirectionConfig = {}): ResolvedRedirectionConfig {
  const r: ResolvedRedirectionConfig = {
    ipset: config.ipset ?? 'amesh-pods-v4',
    chain: config.chain ?? 'AMESH_PRERT',
    mark: config.mark ?? 0x400,
    routeTable: config.routeTable ?? 100,
    rulePriority: config.rulePriority ?? 100,
    ports: { outbound: config.ports?.outbound ?? 15001, inboundPlaintext: config.ports?.inboundPlaintext ?? 15006, hbone: config.ports?.hbone ?? 15008 },
  };
  const problems: string[] = [];
  if (!NAME_RE.test(r.ipset)) problems.push(`redirection.ipset: "${r.ipset}" is not a valid ipset name (letters, digits, _.-, at most 28)`);
  if (!NAME_RE.test(r.chain)) problems.push(`redirection.chain: "${r.chain}" is not a valid chain name (letters, digits, _.-, at most 28)`);
  if (!Number.isInteger(r.mark) || r.mark <= 0 || r.mark > 0xffffffff) problems.push('redirection.mark: must be a non-zero 32-bit integer');
  if (!Number.isInteger(r.routeTable) || r.routeTable < 1 || r.routeTable > 252) problems.push('redirection.routeTable: must be an integer in 1..252');
  if (!Number.isInteger(r.rulePriority) || r.rulePriority < 1 || r.rulePriority > 32765) problems.push('redirection.rulePriority: must be an integer in 1..32765');
  for (const [k, v] of Object.entries(r.ports)) if (!Number.isInteger(v) || v < 1 || v > 65535) problems.push(`redirection.ports.${k}: must be a port number`);
  if (problems.length) throw new CniError(CniErrorCode.CONFIG, `invalid redirection config: ${problems.join('; ')}`, { details: problems });
  return r;
}

/** One table's state as iptables-save prints it. */
interface TableState {
  chains: Set<string>;
  rules: Map<string, string[]>;
}

function parseSave(text: string): TableState {
  const st: TableState = { chains: new Set(), rules: new Map() };
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0]!;
      st.chains.add(name);
      if (!st.rules.has(name)) st.rules.set(name, []);
    } else if (line.startsWith('-A ')) {
      const name = line.split(' ')[1]!;
      const list = st.rules.get(name) ?? [];
      list.push(line.trimEnd());
      st.rules.set(name, list);
    }
  }
  return st;
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** Programs and removes the node-namespace redirection. Not re-entrant: the caller serialises operations. */
export class NodeRedirection {
  readonly config: ResolvedRedirectionConfig;
  readonly #run: CommandRunner;
  readonly #log: Logger;

  constructor(options: { runner: CommandRunner; config?: RedirectionConfig; logger?: Logger }) {
    this.config = resolveRedirectionConfig(options.config);
    this.#run = options.runner;
    this.#log = options.logger ?? silentLogger;
  }

  /** The rules of our chain in each table, exactly as `iptables -S` prints them. */
  desiredRules(): { mangle: string[]; nat: string[] } {
    const { chain, ipset, ports } = this.config;
    const m = `${hex(this.config.mark)}/${hex(this.config.mark)}`;
    const tp = (port: number) => `-j TPROXY --on-port ${port} --on-ip 0.0.0.0 --tproxy-mark ${m}`;
    return {
      mangle: [
        // Packets of ztunnel's own transparent (spoofed-source) connections: deliver locally, never re-capture.
        `-A ${chain} -p tcp -m socket --transparent --nowildcard -j MARK --set-xmark ${m}`,
        `-A ${chain} -p tcp -m mark --mark ${m} -j RETURN`,
        // Replies to ztunnel's ordinary node-side sockets (e.g. its connection to a pod's app, sourced from the node):
        // they come from an enrolled pod but belong to an established local socket, so they must not be captured.
        `-A ${chain} -p tcp -m socket --nowildcard -j RETURN`,
        `-A ${chain} -p tcp -m set --match-set ${ipset} src -m tcp ! --dport ${ports.hbone} ${tp(ports.outbound)}`,
        `-A ${chain} -p tcp -m set --match-set ${ipset} dst -m tcp --dport ${ports.hbone} ${tp(ports.hbone)}`,
        `-A ${chain} -p tcp -m set --match-set ${ipset} dst ${tp(ports.inboundPlaintext)}`,
      ],
      // Before kube-proxy's DNAT: ztunnel must see the Service VIP, not an endpoint already chosen.
      nat: [`-A ${chain} -m mark --mark ${m} -j ACCEPT`],
    };
  }

  /**
   * Makes the base state (ipset, chains, jumps first in PREROUTING, ip rule, local route) what it must be.
   * Returns the changes made (empty when everything was already in place). If a step fails, what this call
   * created is removed again and CNI_ERR_REDIRECTION is thrown.
   */
  async ensureBase(): Promise<string[]> {
    const changes: string[] = [];
    const undo: (() => Promise<unknown>)[] = [];
    const { ipset, chain, routeTable, rulePriority } = this.config;
    const m = `${hex(this.config.mark)}/${hex(this.config.mark)}`;
    try {
      const sets = (await this.#run.run(['ipset', 'list', '-n'])).stdout.split('\n').map((s) => s.trim());
      if (!sets.includes(ipset)) {
        await mustRun(this.#run, ['ipset', 'create', ipset, 'hash:ip', 'family', 'inet']);
        changes.push(`created ipset ${ipset}`);
        undo.push(() => this.#run.run(['ipset', 'destroy', ipset]));
      }
      const desired = this.desiredRules();
      for (const table of ['mangle', 'nat'] as const) {
        const st = parseSave(await mustRun(this.#run, ['iptables-save', '-t', table]));
        const existed = st.chains.has(chain);
        const want = desired[table];
        const have = st.rules.get(chain) ?? [];
        if (!existed || have.length !== want.length || have.some((r, i) => r !== want[i])) {
          await mustRun(this.#run, ['iptables-restore', '-w', '--noflush'], { input: `*${table}\n:${chain} - [0:0]\n${want.join('\n')}\nCOMMIT\n` });
          changes.push(`${existed ? 'rewrote' : 'created'} chain ${table}/${chain}`);
          if (!existed) undo.push(async () => {
            await this.#run.run(['iptables', '-w', '-t', table, '-F', chain]);
            await this.#run.run(['iptables', '-w', '-t', table, '-X', chain]);
          });
        }
        const jump = `-A PREROUTING -j ${chain}`;
        const pre = st.rules.get('PREROUTING') ?? [];
        const count = pre.filter((r) => r === jump).length;
        if (pre[0] !== jump || count !== 1) {
          for (let i = 0; i < count; i++) await mustRun(this.#run, ['iptables', '-w', '-t', table, '-D', 'PREROUTING', '-j', chain]);
          await mustRun(this.#run, ['iptables', '-w', '-t', table, '-I', 'PREROUTING', '1', '-j', chain]);
          changes.push(`${count ? 'moved' : 'inserted'} jump ${table}/PREROUTING -> ${chain} to position 1`);
          if (!count) undo.push(() => this.#run.run(['iptables', '-w', '-t', table, '-D', 'PREROUTING', '-j', chain]));
        }
      }
      if (!(await this.#hasRule())) {
        await mustRun(this.#run, ['ip', '-4', 'rule', 'add', 'pref', String(rulePriority), 'fwmark', m, 'lookup', String(routeTable)]);
        changes.push(`added ip rule fwmark ${m} lookup ${routeTable}`);
        undo.push(() => this.#run.run(['ip', '-4', 'rule', 'del', 'pref', String(rulePriority), 'fwmark', m, 'lookup', String(routeTable)]));
      }
      if (!(await this.#hasRoute())) {
        await mustRun(this.#run, ['ip', '-4', 'route', 'replace', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', String(routeTable)]);
        changes.push(`added local route table ${routeTable}`);
        undo.push(() => this.#run.run(['ip', '-4', 'route', 'del', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', String(routeTable)]));
      }
    } catch (err) {
      for (const u of undo.reverse()) await u().catch(() => undefined);
      throw new CniError(CniErrorCode.REDIRECTION, `programming the node redirection failed and was rolled back: ${(err as Error).message}`, { cause: err });
    }
    for (const c of changes) this.#log.info({ change: c }, `redirection: ${c}`);
    return changes;
  }

  async #hasRule(): Promise<boolean> {
    const out = (await this.#run.run(['ip', '-4', 'rule', 'show'])).stdout;
    return this.#ruleLines(out).length > 0;
  }

  #ruleLines(out: string): string[] {
    const m = `${hex(this.config.mark)}/${hex(this.config.mark)}`;
    const re = new RegExp(`^${this.config.rulePriority}:\\s+from all fwmark ${m} lookup ${this.config.routeTable}\\s*$`);
    return out.split('\n').filter((l) => re.test(l.trim()));
  }

  async #hasRoute(): Promise<boolean> {
    const r = await this.#run.run(['ip', '-4', 'route', 'show', 'table', String(this.config.routeTable)]);
    return r.code === 0 && r.stdout.split('\n').some((l) => /^local (default|0\.0\.0\.0\/0) dev lo\b/.test(l.trim()));
  }

  /** The IPs currently in the ipset (empty when the set does not exist). */
  async members(): Promise<Set<string>> {
    const r = await this.#run.run(['ipset', 'save', this.config.ipset]);
    const out = new Set<string>();
    if (r.code !== 0) return out;
    for (const line of r.stdout.split('\n')) {
      const parts = line.trim().split(/\s+/);
      if (parts[0] === 'add' && parts[1] === this.config.ipset && parts[2]) out.add(parts[2]);
    }
    return out;
  }

  /** Adds pod IPs to the set (idempotent). If one fails, the ones this call added are removed again. */
  async addIps(ips: readonly string[]): Promise<void> {
    const done: string[] = [];
    try {
      for (const ip of ips) {
        if (!isIPv4(ip)) throw new CniError(CniErrorCode.NO_POD_IP, `"${ip}" is not an IPv4 address`);
        await mustRun(this.#run, ['ipset', 'add', this.config.ipset, ip, '-exist']);
        done.push(ip);
      }
    } catch (err) {
      for (const ip of done) await this.#run.run(['ipset', 'del', this.config.ipset, ip, '-exist']);
      throw err;
    }
  }

  /** Removes pod IPs from the set (idempotent; a missing entry or set is not an error). */
  async removeIps(ips: readonly string[]): Promise<void> {
    for (const ip of ips) {
      const r = await this.#run.run(['ipset', 'del', this.config.ipset, ip, '-exist']);
      if (r.code !== 0 && !/does not exist/.test(r.stderr)) throw new CniError(CniErrorCode.COMMAND, `ipset del ${ip} failed: ${r.stderr.trim()}`);
    }
  }

  /**
   * Removes every rule, chain, set and route this class creates, whatever state they are in. Idempotent.
   * Returns what was removed.
   */
  async uninstall(): Promise<string[]> {
    const removed: string[] = [];
    const { ipset, chain, routeTable, rulePriority } = this.config;
    const m = `${hex(this.config.mark)}/${hex(this.config.mark)}`;
    const failures: string[] = [];
    for (const table of ['mangle', 'nat'] as const) {
      const st = parseSave((await this.#run.run(['iptables-save', '-t', table])).stdout);
      for (const [name, rules] of st.rules) {
        for (const r of rules) {
          if (r.endsWith(` -j ${chain}`) && name !== chain) {
            const res = await this.#run.run(['iptables', '-w', '-t', table, ...r.replace(/^-A /, '-D ').split(' ')]);
            if (res.code === 0) removed.push(`${table}: ${r}`);
            else failures.push(res.stderr.trim());
          }
        }
      }
      if (st.chains.has(chain)) {
        await this.#run.run(['iptables', '-w', '-t', table, '-F', chain]);
        const res = await this.#run.run(['iptables', '-w', '-t', table, '-X', chain]);
        if (res.code === 0) removed.push(`${table}: chain ${chain}`);
        else failures.push(res.stderr.trim());
      }
    }
    while (await this.#hasRule()) {
      const res = await this.#run.run(['ip', '-4', 'rule', 'del', 'pref', String(rulePriority), 'fwmark', m, 'lookup', String(routeTable)]);
      if (res.code !== 0) {
        failures.push(res.stderr.trim());
        break;
      }
      removed.push(`ip rule fwmark ${m} lookup ${routeTable}`);
    }
    if (await this.#hasRoute()) {
      const res = await this.#run.run(['ip', '-4', 'route', 'del', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', String(routeTable)]);
      if (res.code === 0) removed.push(`local route table ${routeTable}`);
      else failures.push(res.stderr.trim());
    }
    const sets = (await this.#run.run(['ipset', 'list', '-n'])).stdout.split('\n').map((s) => s.trim());
    if (sets.includes(ipset)) {
      const res = await this.#run.run(['ipset', 'destroy', ipset]);
      if (res.code === 0) removed.push(`ipset ${ipset}`);
      else failures.push(res.stderr.trim());
    }
    for (const r of removed) this.#log.info({ removed: r }, `uninstall: removed ${r}`);
    if (failures.length) throw new CniError(CniErrorCode.COMMAND, `uninstall could not remove everything: ${failures.join('; ')}`, { details: failures });
    return removed;
  }
}
