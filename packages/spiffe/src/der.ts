// A deliberately tiny DER writer and reader: just the ASN.1 this package needs for X.509 certificates and PKCS#10
// CSRs. It works on Buffers and offsets (no object tree), so it stays cheap enough for the CA's hot path.
// Internal module: not exported from the package.

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** The DER header (tag + definite length) for a value of `len` bytes. */
export function header(tag: number, len: number): Buffer {
  if (len < 0x80) return Buffer.from([tag, len]);
  if (len < 0x100) return Buffer.from([tag, 0x81, len]);
  if (len < 0x10000) return Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
  if (len < 0x1000000) return Buffer.from([tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff]);
  return Buffer.from([tag, 0x84, (len >>> 24) & 0xff, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff]);
}

/** Size of the DER header for a value of `len` bytes. */
export function headerLength(len: number): number {
  return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : len < 0x1000000 ? 5 : 6;
}

/** Writes the DER header for a value of `len` bytes at `off`; returns the offset just past it. */
export function writeHeader(buf: Buffer, off: number, tag: number, len: number): number {
  buf[off++] = tag;
  const n = headerLength(len) - 2;
  if (n === 0) {
    buf[off++] = len;
    return off;
  }
  buf[off++] = 0x80 | n;
  for (let i = n - 1; i >= 0; i--) buf[off++] = Math.floor(len / 2 ** (8 * i)) & 0xff;
  return off;
}

/** One TLV from its already-encoded parts. */
export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  return Buffer.concat([header(tag, len), ...parts]);
}

export const seq = (...parts: Buffer[]): Buffer => tlv(Tag.SEQUENCE, ...parts);
export const set = (...parts: Buffer[]): Buffer => tlv(Tag.SET, ...parts);
export const octets = (value: Buffer): Buffer => tlv(Tag.OCTET_STRING, value);
export const bitString = (value: Buffer, unusedBits = 0): Buffer => tlv(Tag.BIT_STRING, Buffer.from([unusedBits]), value);
export const explicit = (n: number, ...parts: Buffer[]): Buffer => tlv(0xa0 | n, ...parts);
export const NULL = Buffer.from([0x05, 0x00]);
export const TRUE = Buffer.from([0x01, 0x01, 0xff]);

/** A non-negative INTEGER from its big-endian magnitude (adds the leading zero when the top bit is set). */
export function uint(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return m[0]! & 0x80 ? tlv(Tag.INTEGER, Buffer.from([0]), m) : tlv(Tag.INTEGER, m);
}

export function smallInt(n: number): Buffer {
  return tlv(Tag.INTEGER, Buffer.from([n]));
}

/** An OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const bytes = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(Tag.OID, Buffer.from(out));
}

/** Dotted form of an OID's content bytes. */
export function oidToString(content: Buffer): string {
  const subs: number[] = [];
  let v = 0;
  for (const b of content) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      subs.push(v);
      v = 0;
    }
  }
  const first = subs[0] ?? 0;
  const top = first < 80 ? Math.floor(first / 40) : 2;
  return [top, first - top * 40, ...subs.slice(1)].join('.');
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** X.509 Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). Second precision. */
export function time(ms: number): Buffer {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const y = d.getUTCFullYear();
  const rest = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(Tag.UTC_TIME, Buffer.from(`${pad(y % 100)}${rest}`, 'latin1'));
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(`${pad(y, 4)}${rest}`, 'latin1'));
}

/** A decoded TLV: positions into the buffer it was read from. */
export interface Node {
  tag: number;
  /** offset of the tag byte */
  start: number;
  /** offset of the first content byte */
  contentStart: number;
  /** offset just past the content */
  end: number;
}

export class DerError extends Error {}

/** Reads the TLV at `offset`; `limit` bounds it (defaults to the buffer end). Throws DerError on malformed input. */
export function read(buf: Buffer, offset: number, limit = buf.length): Node {
  if (offset + 2 > limit) throw new DerError(`truncated at ${offset}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag number at ${offset}`);
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError(`bad length at ${offset}`);
    if (p + n > limit) throw new DerError(`truncated length at ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    if (len < 0x80 || (n > 1 && buf[p] === 0)) throw new DerError(`non-minimal length at ${offset}`);
    p += n;
  }
  if (p + len > limit) throw new DerError(`value overruns its container at ${offset}`);
  return { tag, start: offset, contentStart: p, end: p + len };
}

/** Reads the TLV at `offset` and checks its tag. */
export function expect(buf: Buffer, offset: number, tag: number, what: string, limit?: number): Node {
  const n = read(buf, offset, limit);
  if (n.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${n.tag.toString(16)}`);
  return n;
}

/** The children of a constructed node. */
export function children(buf: Buffer, parent: Node): Node[] {
  const out: Node[] = [];
  for (let p = parent.contentStart; p < parent.end; ) {
    const n = read(buf, p, parent.end);
    out.push(n);
    p = n.end;
  }
  return out;
}

export const content = (buf: Buffer, n: Node): Buffer => buf.subarray(n.contentStart, n.end);
export const raw = (buf: Buffer, n: Node): Buffer => buf.subarray(n.start, n.end);

/** Milliseconds since the epoch from a UTCTime / GeneralizedTime node (the `Z` forms RFC 5280 allows). */
export function readTime(buf: Buffer, n: Node): number {
  const s = content(buf, n).toString('latin1');
  let m: RegExpMatchArray | null;
  if (n.tag === Tag.UTC_TIME && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    const yy = Number(m[1]);
    return Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  if (n.tag === Tag.GENERALIZED_TIME && (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  throw new DerError(`unsupported time ${JSON.stringify(s)}`);
}

/** PEM armour, 64-column base64 lines. */
export function toPem(der: Buffer, label: string): string {
  const b64 = der.toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

const pemPatterns = new Map<string, RegExp>();

/**
 * Every PEM block with the given label, decoded, in order. Other labels are skipped. (Node's base64 decoder skips
 * the line breaks and other whitespace inside a block, so the body is decoded as is.)
 */
export function fromPem(pem: string, label: string): Buffer[] {
  let re = pemPatterns.get(label);
  if (!re) pemPatterns.set(label, (re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g')));
  const out: Buffer[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(pem); m !== null; m = re.exec(pem)) out.push(Buffer.from(m[1]!, 'base64'));
  return out;
}
