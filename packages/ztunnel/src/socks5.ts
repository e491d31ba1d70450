// SOCKS5 server side (RFC 1928), the subset upstream ztunnel serves on 15080: no-auth, CONNECT, ATYP IPv4 / domain /
// IPv6. Upstream replies success (`05 00 00 01 0.0.0.0:0`) before it connects, then runs the normal outbound path;
// we do the same, so a failed upstream shows up as a closed connection, as with captured traffic.
import type { Socket } from 'node:net';
import { ZtunnelError, ZtunnelErrorCode } from './errors.js';

export interface Socks5Request {
  /** IP literal or domain name as sent. */
  host: string;
  /** 'ipv4' | 'ipv6' | 'domain' */
  type: 'ipv4' | 'ipv6' | 'domain';
  port: number;
  /**
   * True when the client pipelined its request behind the greeting: the method reply is then corked on the socket,
   * so the caller's reply (SOCKS5_SUCCESS) goes out in the same segment; the caller must `uncork()` after it.
   */
  corked?: boolean;
}

/** The success reply ztunnel sends: bound address 0.0.0.0:0. */
export const SOCKS5_SUCCESS = Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]);

const METHOD_NO_AUTH = Buffer.from([5, 0]);
const REPLY = { generalFailure: 1, commandNotSupported: 7, addressTypeNotSupported: 8 } as const;
const failure = (code: number) => Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);

/** Reads exactly the bytes it needs from a paused socket; leftover bytes are unshifted back. */
class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private ended = false;
  private readonly onData = (c: Buffer) => {
    this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
    this.waiting?.();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.waiting?.();
  };
  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.once('end', this.onEnd);
    socket.once('close', this.onEnd);
    socket.resume();
  }
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.ended) throw new ZtunnelError(ZtunnelErrorCode.SOCKS5, 'socks5: client closed during the handshake');
      await new Promise<void>((r) => (this.waiting = r));
      this.waiting = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  /** Bytes already received and not yet taken. */
  get buffered(): number {
    return this.buf.length;
  }
  release(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.pause();
    if (this.buf.length) this.socket.unshift(this.buf);
  }
}

/**
 * Runs the SOCKS5 handshake on a fresh socket and returns the CONNECT target. The socket is left paused with any
 * early payload unshifted. On a protocol error the proper reply is written, and ZT_ERR_SOCKS5 is thrown.
 */
export async function acceptSocks5(socket: Socket): Promise<Socks5Request> {
  const r = new Reader(socket);
  try {
    const [ver, n] = await r.take(2);
    if (ver !== 5) throw new ZtunnelError(ZtunnelErrorCode.SOCKS5, `socks5: unsupported version ${ver}`);
    const methods = await r.take(n!);
    if (!methods.includes(0)) {
      socket.end(Buffer.from([5, 0xff]));
      throw new ZtunnelError(ZtunnelErrorCode.SOCKS5, 'socks5: the client offers no "no authentication" method');
    }
    // a pipelining client already sent its request: hold the method reply for the caller's reply (one segment)
    const corked = r.buffered > 0;
    if (corked) socket.cork();
    socket.write(METHOD_NO_AUTH);
    const [v2, cmd, , atyp] = await r.take(4);
    if (v2 !== 5) throw new ZtunnelError(ZtunnelErrorCode.SOCKS5, `socks5: unsupported version ${v2}`);
    if (cmd !== 1) {
      socket.end(failure(REPLY.commandNotSupported));
      throw new ZtunnelError(ZtunnelErrorCode.SOCKS5, `socks5: command ${cmd} is not supported (only CONNECT)`);
    }
    let host: string;
    let type: Socks5Request['type'];
    if (atyp === 1) {
      host = [...(await r.take(4))].join('.');
      type = 'ipv4';
    } else if (atyp === 4) {
      const b = await r.take(16);
      const parts: string[] = [];
      for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
      host = new URL(`http://[${parts.join(':')}]/`).hostname.slice(1, -1); // RFC 5952 compressed form
      type = 'ipv6';
    } else if (atyp === 3) {
      const [len] = await r.take(1);
      host = (await r.take(len!)).toString('latin1');
      type = 'domain';
    } else {
      socket.end(failure(REPLY.addressTypeNotSupported));
      throw new ZtunnelError(ZtunnelErrorCode.SOCKS5, `socks5: address type ${atyp} is not supported`);
    }
    const port = (await r.take(2)).readUInt16BE(0);
    return { host, type, port, ...(corked ? { corked } : {}) };
  } finally {
    r.release();
  }
}

/** Tells the client the request failed (before anything else was written after the handshake). */
export function socks5Fail(socket: Socket): void {
  socket.end(failure(REPLY.generalFailure));
}
