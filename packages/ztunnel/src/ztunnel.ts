// build(config, deps): binds every listener of one ztunnel (capture 15001/15006, HBONE 15008, SOCKS5 15080,
// metrics 15020, readiness 15021, admin 15000) before it resolves, and returns a handle with an idempotent close()
// that drains: stop accepting, wait for open connections up to the deadline, then close them.
import http from 'node:http';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { HbonePool, HboneServer } from '@amesh/hbone';
import type { Svid } from '@amesh/spiffe';
import type { ZtunnelConfig, ZtunnelPorts } from './config.js';
import { ZtunnelError, ZtunnelErrorCode } from './errors.js';
import { Metrics } from './metrics.js';
import { Proxy, type HboneDialer, type IdentityProvider, type InboundRequest, type Logger } from './proxy.js';
import { acceptSocks5, SOCKS5_SUCCESS } from './socks5.js';
import { makeTransparent, originalDst } from './sockopt.js';
import { ProxyState, workloadIdentity } from './state.js';

/** The HBONE server side ztunnel drives (implemented by @amesh/hbone's HboneServer). */
export interface HboneAcceptor {
  /** Serves one accepted raw TCP socket; `local` is the address the client dialled (picks the certificate). */
  handleConnection(socket: Socket, local: { address: string; port: number }): void;
  close(opts?: { graceMs?: number }): Promise<void>;
}

export interface ZtunnelDeps {
  logger: Logger;
  /** The workload state; created empty when omitted (then fed by `xds`). */
  state?: ProxyState;
  /** Certificates for node-local workload identities. */
  identities?: IdentityProvider;
  /** Outbound HBONE. */
  hboneDialer?: HboneDialer;
  /**
   * Builds the inbound HBONE server for this ztunnel given the request handler. The handler receives each CONNECT
   * (see InboundRequest); the server must pick the certificate of the workload at the local address.
   */
  hboneAcceptor?: (handler: (req: InboundRequest) => Promise<void>, certificateFor: (local: { address: string }) => Promise<unknown>) => HboneAcceptor;
  /** Resolves once the control plane delivered its first full state (readiness waits for it). */
  synced?: Promise<void>;
  /** Called when the control plane should be stopped on close(). */
  stopControlPlane?: () => Promise<void> | void;
  /** Extra data for /config_dump (e.g. certificates). */
  configDumpExtra?: () => Record<string, unknown>;
  /** Called by POST /quitquitquit (the app exits); default: close(). */
  onQuit?: () => void;
  /** Testing seam: dial HBONE peers at this port instead of 15008. */
  hboneDialPort?: number;
  /** Build version for istio_build. */
  version?: string;
  /** Resolver for SOCKS5 domain names that are not mesh service hostnames. */
  resolve?: (host: string) => Promise<string>;
  random?: () => number;
  /**
   * Pre-bound sockets (file descriptors from `bindSocket`, options already set) for the data listeners: the
   * listener calls `listen({ fd })` instead of binding `host:port` (the multi-worker mode's per-worker sockets).
   */
  listenFds?: Partial<Record<'outbound' | 'inboundPlaintext' | 'hbone' | 'socks5', number>>;
  /** The /metrics body instead of this instance's registry (the multi-worker main thread aggregates workers). */
  metricsText?: () => Promise<string>;
  /** Extra drain work run by close() while this instance drains (the multi-worker mode drains its workers). */
  drain?: (deadlineMs: number) => Promise<void>;
  /** Connections held elsewhere (workers), added to `connections`. */
  extraConnections?: () => number;
  /** Told about POST /logging level changes (the multi-worker mode forwards them to the workers). */
  onLogLevel?: (level: string) => void;
}

export interface Ztunnel {
  readonly config: ZtunnelConfig;
  readonly state: ProxyState;
  readonly metrics: Metrics;
  /** The bound ports (0 in the config becomes the real port; null = disabled). */
  readonly ports: ZtunnelPorts;
  /** Open proxied connections. */
  readonly connections: number;
  /** Resolves when ready (control-plane sync and node-local certificates). */
  readonly ready: Promise<void>;
  isReady(): boolean;
  /** Stops accepting, drains (up to `deadlineMs`, default config.drainDeadlineMs), closes everything. Idempotent. */
  close(opts?: { deadlineMs?: number }): Promise<void>;
}

function listen(server: Server, port: number, host: string, name: string, fd?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new ZtunnelError(ZtunnelErrorCode.LISTEN, `${name} listener could not bind ${host}:${port}: ${err.message}`, { cause: err })),
    );
    const done = () => resolve((server.address() as AddressInfo).port);
    if (fd !== undefined) server.listen({ fd }, done);
    else server.listen(port, host, done);
  });
}

/** Builds and starts a ztunnel. Every enabled listener is bound before the promise resolves. */
export async function build(config: ZtunnelConfig, deps: ZtunnelDeps): Promise<Ztunnel> {
  const log = deps.logger.child({ component: 'ztunnel' });
  const state = deps.state ?? new ProxyState({ nodeName: config.nodeName });
  const metrics = new Metrics({ version: deps.version ?? 'unknown' });
  // HBONE needs certificates: with an identity provider and no injected transport, use @amesh/hbone's pool/server
  let pool: HbonePool | undefined;
  let dialer = deps.hboneDialer;
  if (!dialer && deps.identities) {
    const p = new HbonePool({ logger: deps.logger, connectTimeoutMs: config.connectTimeoutMs, idleTimeoutMs: config.poolIdleTimeoutMs, maxStreamsPerConnection: config.poolMaxStreamsPerConnection, ...(config.poolSpread ? { spread: config.poolSpread } : {}) });
    pool = p;
    dialer = {
      async connect(req) {
        const tunnel = await p.connect({
          source: req.svid, destination: { address: req.ip, port: req.port }, expectedIdentities: req.identities,
          authority: req.authority, headers: req.headers,
        });
        return tunnel.stream;
      },
    };
  }
  let acceptorFactory = deps.hboneAcceptor;
  if (!acceptorFactory && deps.identities) {
    acceptorFactory = (handler, certificateFor) =>
      new HboneServer({
        logger: deps.logger,
        identity: async (local) => (await certificateFor(local)) as Svid | undefined,
        handler: (tunnel) => handler(tunnel),
      });
  }
  const proxy = new Proxy({
    config, state, metrics, logger: deps.logger, identities: deps.identities, hbone: dialer,
    hboneDialPort: deps.hboneDialPort, ...(deps.random ? { random: deps.random } : {}),
  });
  const servers: { name: string; server: Server }[] = [];
  const ports: ZtunnelPorts = { outbound: null, inboundPlaintext: null, hbone: null, socks5: null, metrics: null, readiness: null, admin: null };
  let ready = false;
  let closing: Promise<void> | undefined;
  let hboneAcceptor: HboneAcceptor | undefined;
  const sockets = new Set<Socket>();

  const tcpServer = (onConn: (s: Socket) => void) => {
    const srv = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (s) => {
      s.on('error', () => {});
      onConn(s);
    });
    return srv;
  };
  const bind = async (name: keyof ZtunnelPorts, server: Server, host: string, transparent: boolean) => {
    const port = config.ports[name];
    if (port === null) return;
    servers.push({ name, server });
    const fd = deps.listenFds?.[name as keyof NonNullable<ZtunnelDeps['listenFds']>];
    ports[name] = await listen(server, port, host, name, fd);
    // pre-bound sockets got their options before bind()
    if (transparent && fd === undefined) makeTransparent(server, config.packetMark === undefined ? {} : { mark: config.packetMark });
    if (name !== 'metrics' && name !== 'readiness' && name !== 'admin') proxy.ownPorts.add(ports[name]!);
  };

  const origDst = (s: Socket): { ip: string; port: number } => {
    if (!config.transparent) {
      try {
        const o = originalDst(s);
        if (o) return { ip: o.address, port: o.port };
      } catch {
        /* no native helper: the local address is the destination (TPROXY semantics) */
      }
    }
    return { ip: s.localAddress ?? '', port: s.localPort ?? 0 };
  };

  try {
    await bind('outbound', tcpServer((s) => void proxy.outbound(s, { ip: s.remoteAddress ?? '', port: s.remotePort ?? 0 }, origDst(s))), config.captureBindAddress, config.transparent);
    await bind('inboundPlaintext', tcpServer((s) => void proxy.inboundPlaintext(s)), config.captureBindAddress, config.transparent);
    if (config.ports.hbone !== null && acceptorFactory) {
      const certificateFor = async (local: { address: string }) => {
        const w = state.localWorkloadByIp(config.network, local.address);
        if (!w || !deps.identities) return undefined;
        return deps.identities.svid(workloadIdentity(w));
      };
      hboneAcceptor = acceptorFactory((req) => proxy.inboundHbone(req), certificateFor);
      const acceptor = hboneAcceptor;
      await bind('hbone', net.createServer({ pauseOnConnect: true, noDelay: true }, (s) => {
        s.on('error', () => {});
        acceptor.handleConnection(s, { address: s.localAddress ?? '', port: s.localPort ?? 0 });
      }), config.captureBindAddress, config.transparent);
    }
    if (config.ports.hbone !== null && !acceptorFactory) log.warn('HBONE inbound (15008) is disabled: no certificates (configure CA_ADDRESS)');
    await bind('socks5', tcpServer((s) => void socks5(s)), config.localhostBindAddress, false);
    await bind('metrics', http.createServer((req, res) => {
      if (req.url === '/metrics' || req.url === '/stats/prometheus') {
        const text = deps.metricsText ? deps.metricsText() : Promise.resolve(metrics.render());
        text.then(
          (body) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body),
          (err: Error) => res.writeHead(500).end(`metrics unavailable: ${err.message}\n`),
        );
      } else res.writeHead(404).end('not found\n');
    }), config.statsBindAddress, false);
    await bind('readiness', http.createServer((req, res) => {
      if (req.url === '/healthz/ready') res.writeHead(ready && !closing ? 200 : 503).end(ready && !closing ? 'ready\n' : 'not ready\n');
      else res.writeHead(404).end('not found\n');
    }), config.statsBindAddress, false);
    await bind('admin', http.createServer((req, res) => void admin(req, res)), config.localhostBindAddress, false);
  } catch (err) {
    await Promise.all(servers.map(({ server }) => new Promise((r) => server.close(r))));
    throw err;
  }
  for (const { server } of servers) server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  async function socks5(s: Socket): Promise<void> {
    try {
      const req = await acceptSocks5(s);
      let ip = req.host;
      if (req.type === 'domain') {
        const svc = state.servicesByHostname(req.host)[0];
        const vip = svc?.addresses.find((a) => a.network === config.network) ?? svc?.addresses[0];
        ip = vip ? vip.address : await (deps.resolve ?? (async (h: string) => (await lookup(h)).address))(req.host);
      }
      if (!isIP(ip)) throw new ZtunnelError(ZtunnelErrorCode.SOCKS5, `socks5: cannot resolve ${req.host}`);
      s.write(SOCKS5_SUCCESS);
      if (req.corked) s.uncork();
      await proxy.outbound(s, { ip: s.remoteAddress ?? '', port: s.remotePort ?? 0 }, { ip, port: req.port }, { socks5: true });
    } catch (err) {
      log.debug({ err: (err as Error).message, 'src.addr': s.remoteAddress }, 'socks5 request refused');
      s.destroy();
    }
  }

  async function admin(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/config_dump') {
      const snap = state.snapshot();
      const body = { config, ...snap, ...(deps.configDumpExtra ? deps.configDumpExtra() : {}) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body, null, 2));
    } else if (url.pathname === '/logging') {
      const logger = deps.logger as Logger & { level?: string };
      const level = url.searchParams.get('level');
      if (req.method === 'POST' && level) {
        if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) {
          res.writeHead(400).end(`unknown level "${level}"\n`);
          return;
        }
        logger.level = level;
        deps.onLogLevel?.(level);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ level: logger.level ?? 'unknown' }) + '\n');
    } else if (url.pathname === '/quitquitquit') {
      if (req.method !== 'POST') {
        res.writeHead(405).end('use POST\n');
        return;
      }
      res.writeHead(200).end('OK\n');
      if (deps.onQuit) deps.onQuit();
      else void handle.close();
    } else res.writeHead(404).end('not found\n');
  }

  // readiness: control-plane sync, then certificates of node-local HBONE workloads
  const readyPromise = (async () => {
    await (deps.synced ?? Promise.resolve());
    if (deps.identities) {
      const ids = new Set(state.nodeLocalWorkloads().filter((w) => w.tunnelProtocol === 'HBONE').map(workloadIdentity));
      await Promise.all([...ids].map((id) => deps.identities!.svid(id).catch((err: Error) => log.warn({ identity: id, err: err.message }, 'certificate prefetch failed'))));
    }
    ready = true;
    log.info({ ports }, 'ztunnel ready');
  })();
  readyPromise.catch(() => {});

  const handle: Ztunnel = {
    config, state, metrics, ports, ready: readyPromise,
    get connections() {
      return proxy.connections + (deps.extraConnections?.() ?? 0);
    },
    isReady: () => ready && !closing,
    close(opts = {}) {
      closing ??= (async () => {
        log.info({ connections: proxy.connections }, 'ztunnel draining');
        // stop accepting now; the close callbacks fire once every accepted socket is gone
        const stopped = servers.map(({ server }) => new Promise<void>((r) => server.close(() => r())));
        const deadlineMs = opts.deadlineMs ?? config.drainDeadlineMs;
        await Promise.all([proxy.drain(deadlineMs), deps.drain?.(deadlineMs)]);
        // what is left is not a proxied connection (idle HTTP keep-alive, unfinished handshakes)
        for (const s of sockets) s.destroy();
        await Promise.all(stopped);
        await hboneAcceptor?.close({ graceMs: 0 });
        await pool?.close();
        await deps.stopControlPlane?.();
        log.info('ztunnel closed');
      })();
      return closing;
    },
  };
  return handle;
}
