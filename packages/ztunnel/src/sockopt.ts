// Lazy loader for the native socket-option helper (native/sockopt.c, built by scripts/build-native.mjs).
// Only transparent capture needs it: SOCKS5 and plain listeners work without it. A missing or broken build surfaces
// as ZT_ERR_NATIVE_UNAVAILABLE when (and only when) a transparent listener is asked for.
import { createRequire } from 'node:module';
import type { Server, Socket } from 'node:net';
import { ZtunnelError, ZtunnelErrorCode } from './errors.js';

/** The functions native/sockopt.c exports. Each throws an Error whose `code` is the errno name. */
export interface SockoptBinding {
  setTransparent(fd: number): boolean;
  setFreebind(fd: number): boolean;
  getTransparent(fd: number): boolean;
  setMark(fd: number, mark: number): boolean;
  originalDst(fd: number): { address: string; port: number } | null;
  /** A bound (not listening) TCP socket; flags: 1 SO_REUSEPORT, 2 IP_TRANSPARENT, 4 IP_FREEBIND; mark < 0 = none. */
  bindSocket?(address: string, port: number, flags: number, mark: number): { fd: number; port: number };
  closeFd?(fd: number): boolean;
}

/** Where the build puts the addon, relative to src/ and dist/ alike. */
export const DEFAULT_ADDON_PATH = new URL('../native/build/Release/ztunnel_sockopt.node', import.meta.url).pathname;

const cache = new Map<string, SockoptBinding>();

/** Loads the addon once per path; throws ZT_ERR_NATIVE_UNAVAILABLE with the reason when it cannot be loaded. */
export function loadSockopt(path: string = DEFAULT_ADDON_PATH): SockoptBinding {
  const hit = cache.get(path);
  if (hit) return hit;
  try {
    const binding = createRequire(import.meta.url)(path) as SockoptBinding;
    cache.set(path, binding);
    return binding;
  } catch (cause) {
    throw new ZtunnelError(
      ZtunnelErrorCode.NATIVE_UNAVAILABLE,
      `the native socket helper could not be loaded from ${path} (${(cause as Error).message}); run "npm run build" ` +
        'to build packages/ztunnel/native, or use the SOCKS5 listener which needs no native code',
      { cause },
    );
  }
}

/** The OS file descriptor behind a bound net.Server or a connected net.Socket (Linux/Unix only). */
export function fdOf(target: Server | Socket): number {
  const fd = (target as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new ZtunnelError(ZtunnelErrorCode.SOCKOPT, 'the socket has no file descriptor (not bound, or not a TCP socket)');
  }
  return fd;
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof ZtunnelError) throw cause;
    const code = (cause as { code?: string }).code ?? 'EUNKNOWN';
    const hint = code === 'EPERM' ? ' (needs CAP_NET_ADMIN: run as root or grant the capability)' : '';
    throw new ZtunnelError(ZtunnelErrorCode.SOCKOPT, `${what} failed: ${(cause as Error).message}${hint}`, { cause });
  }
}

/** Options for {@link makeTransparent}. */
export interface TransparentOptions {
  /** Also set IP_FREEBIND. */
  freebind?: boolean;
  /** SO_MARK to set (CAP_NET_ADMIN). */
  mark?: number;
  /** Addon path (tests inject a missing one). */
  addonPath?: string;
}

/**
 * Sets IP_TRANSPARENT (plus optional IP_FREEBIND / SO_MARK) on a listening server. Setting it after listen() is
 * enough for TPROXY: accepted sockets then carry the original destination as their local address.
 */
export function makeTransparent(server: Server, opts: TransparentOptions = {}): void {
  const binding = loadSockopt(opts.addonPath);
  const fd = fdOf(server);
  wrap('IP_TRANSPARENT', () => binding.setTransparent(fd));
  if (opts.freebind) wrap('IP_FREEBIND', () => binding.setFreebind(fd));
  if (opts.mark !== undefined) {
    const mark = opts.mark;
    wrap('SO_MARK', () => binding.setMark(fd, mark));
  }
}

/** Reads IP_TRANSPARENT back from a server or socket. */
export function isTransparent(target: Server | Socket, addonPath?: string): boolean {
  const binding = loadSockopt(addonPath);
  const fd = fdOf(target);
  return wrap('IP_TRANSPARENT', () => binding.getTransparent(fd));
}

/** SO_ORIGINAL_DST of an accepted socket (REDIRECT capture), or null when it was not NATed (TPROXY capture). */
export function originalDst(socket: Socket, addonPath?: string): { address: string; port: number } | null {
  const binding = loadSockopt(addonPath);
  const fd = fdOf(socket);
  return wrap('SO_ORIGINAL_DST', () => binding.originalDst(fd));
}

/** Options for {@link bindSocket}. */
export interface BindSocketOptions {
  /** SO_REUSEPORT: several sockets (one per worker thread) share the address; the kernel spreads connections. */
  reusePort?: boolean;
  /** IP_TRANSPARENT (TPROXY capture), set before bind(). */
  transparent?: boolean;
  freebind?: boolean;
  mark?: number;
  addonPath?: string;
}

/** Whether the loaded helper can bind sockets itself (an older build cannot). */
export function canBindSockets(addonPath?: string): boolean {
  try {
    return typeof loadSockopt(addonPath).bindSocket === 'function';
  } catch {
    return false;
  }
}

/**
 * A new TCP socket bound to `address:port` with the options set before bind(), returned as a file descriptor for
 * `server.listen({ fd })` (Node then calls listen()). `port` 0 picks an ephemeral port (returned). Errors:
 * ZT_ERR_NATIVE_UNAVAILABLE (no helper), ZT_ERR_SOCKOPT (the option or bind failed; the message has the errno).
 */
export function bindSocket(address: string, port: number, opts: BindSocketOptions = {}): { fd: number; port: number } {
  const binding = loadSockopt(opts.addonPath);
  const fn = binding.bindSocket;
  if (typeof fn !== 'function') {
    throw new ZtunnelError(ZtunnelErrorCode.NATIVE_UNAVAILABLE, 'the native socket helper is an older build without bindSocket; run "npm run build"');
  }
  const flags = (opts.reusePort ? 1 : 0) | (opts.transparent ? 2 : 0) | (opts.freebind ? 4 : 0);
  return wrap(`binding ${address}:${port}`, () => fn.call(binding, address, port, flags, opts.mark ?? -1));
}

/** Closes a descriptor from {@link bindSocket} that was never handed to Node. */
export function closeFd(fd: number, addonPath?: string): void {
  const binding = loadSockopt(addonPath);
  wrap('close', () => binding.closeFd?.(fd));
}
