// A hand-written protobuf codec for the two tiny messages of `proto/ca.proto` (istio.v1.auth), on protobufjs'
// minimal Reader/Writer. Field numbers are upstream's: csr=1, validity_duration=3, metadata=4
// (google.protobuf.Struct); cert_chain=1. test/ca-proto.test.ts checks it against protobufjs reflection.
import protobuf from 'protobufjs/minimal.js';

const { Reader, Writer } = protobuf;

/** A JSON value as google.protobuf.Value carries it. */
export type StructValue = null | number | string | boolean | StructValue[] | { [key: string]: StructValue };

export interface IstioCertificateRequest {
  csr: string;
  /** seconds; 0 = the CA's default */
  validityDuration: number;
  /** google.protobuf.Struct as a plain object */
  metadata: Record<string, StructValue>;
}

export interface IstioCertificateResponse {
  certChain: string[];
}

export const SERVICE_NAME = 'istio.v1.auth.IstioCertificateService';
export const CREATE_CERTIFICATE_PATH = `/${SERVICE_NAME}/CreateCertificate`;

// ---- google.protobuf.Struct / Value / ListValue -----------------------------------------------------------

function writeValue(w: protobuf.Writer, v: StructValue): void {
  if (v === null) w.uint32((1 << 3) | 0).int32(0);
  else if (typeof v === 'number') w.uint32((2 << 3) | 1).double(v);
  else if (typeof v === 'string') w.uint32((3 << 3) | 2).string(v);
  else if (typeof v === 'boolean') w.uint32((4 << 3) | 0).bool(v);
  else if (Array.isArray(v)) {
    w.uint32((6 << 3) | 2).fork();
    for (const item of v) {
      w.uint32((1 << 3) | 2).fork();
      writeValue(w, item);
      w.ldelim();
    }
    w.ldelim();
  } else {
    w.uint32((5 << 3) | 2).fork();
    writeStruct(w, v);
    w.ldelim();
  }
}

function writeStruct(w: protobuf.Writer, s: Record<string, StructValue>): void {
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue;
    w.uint32((1 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(k);
    w.uint32((2 << 3) | 2).fork();
    writeValue(w, v);
    w.ldelim();
    w.ldelim();
  }
}

function readValue(r: protobuf.Reader, end: number): StructValue {
  let v: StructValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        r.int32();
        v = null;
        break;
      case 2:
        v = r.double();
        break;
      case 3:
        v = r.string();
        break;
      case 4:
        v = r.bool();
        break;
      case 5: {
        const len = r.uint32();
        v = readStruct(r, r.pos + len);
        break;
      }
      case 6: {
        const len = r.uint32();
        const stop = r.pos + len;
        const list: StructValue[] = [];
        while (r.pos < stop) {
          const t = r.uint32();
          if (t >>> 3 === 1 && (t & 7) === 2) {
            const l = r.uint32();
            list.push(readValue(r, r.pos + l));
          } else r.skipType(t & 7);
        }
        v = list;
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  return v;
}

function readStruct(r: protobuf.Reader, end: number): Record<string, StructValue> {
  const out: Record<string, StructValue> = Object.create(null) as Record<string, StructValue>;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) {
      const stop = r.uint32() + r.pos;
      let key = '';
      let value: StructValue = null;
      while (r.pos < stop) {
        const t = r.uint32();
        if (t >>> 3 === 1 && (t & 7) === 2) key = r.string();
        else if (t >>> 3 === 2 && (t & 7) === 2) {
          const l = r.uint32();
          value = readValue(r, r.pos + l);
        } else r.skipType(t & 7);
      }
      out[key] = value;
    } else r.skipType(tag & 7);
  }
  return out;
}

const toNumber = (v: number | { toNumber(): number }): number => (typeof v === 'number' ? v : v.toNumber());

// ---- messages -------------------------------------------------------------------------------------------------

export function encodeRequest(m: Partial<IstioCertificateRequest>): Buffer {
  const w = Writer.create();
  if (m.csr) w.uint32((1 << 3) | 2).string(m.csr);
  if (m.validityDuration) w.uint32((3 << 3) | 0).int64(m.validityDuration);
  if (m.metadata && Object.keys(m.metadata).length > 0) {
    w.uint32((4 << 3) | 2).fork();
    writeStruct(w, m.metadata);
    w.ldelim();
  }
  return Buffer.from(w.finish());
}

/** Decodes a request; throws (a protobufjs error) on malformed input. */
export function decodeRequest(buf: Buffer): IstioCertificateRequest {
  const r = Reader.create(buf);
  const m: IstioCertificateRequest = { csr: '', validityDuration: 0, metadata: {} };
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | 2:
        m.csr = r.string();
        break;
      case (3 << 3) | 0:
        m.validityDuration = toNumber(r.int64() as unknown as number | { toNumber(): number });
        break;
      case (4 << 3) | 2: {
        const len = r.uint32();
        m.metadata = readStruct(r, r.pos + len);
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  return m;
}

export function encodeResponse(m: IstioCertificateResponse): Buffer {
  const w = Writer.create();
  for (const c of m.certChain) w.uint32((1 << 3) | 2).string(c);
  return Buffer.from(w.finish());
}

export function decodeResponse(buf: Buffer): IstioCertificateResponse {
  const r = Reader.create(buf);
  const m: IstioCertificateResponse = { certChain: [] };
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | 2)) m.certChain.push(r.string());
    else r.skipType(tag & 7);
  }
  return m;
}
