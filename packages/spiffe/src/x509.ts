// X.509 certificates: a strict reader for what a SPIFFE mesh needs (validity, names, keys, the extensions that
// matter), a builder for CA and workload certificates, and chain verification against a trust bundle with an
// injectable clock. Signing and signature checks use node:crypto; the DER is handled by ./der.ts.
import { createHash, randomFillSync, sign, verify, type KeyObject } from 'node:crypto';
import * as der from './der.js';
import { SpiffeError, SpiffeErrorCode } from './errors.js';
import { VERIFY_HASH, publicKeyFromSpki, signatureAlgorithm } from './keys.js';

export const EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;
export const EKU = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;
const ATTR = { O: '2.5.4.10', CN: '2.5.4.3' } as const;

export interface Extension {
  critical: boolean;
  /** the extnValue content (DER of the extension's own structure) */
  value: Buffer;
}

/** A parsed X.509 certificate. Construct with `Certificate.fromDer` / `Certificate.fromPem`. */
export class Certificate {
  readonly der: Buffer;
  /** DER of the TBSCertificate (what the issuer signed) */
  readonly tbs: Buffer;
  readonly serialHex: string;
  /** DER of the issuer Name */
  readonly issuer: Buffer;
  /** DER of the subject Name (`30 00` when empty, as in workload certificates) */
  readonly subject: Buffer;
  /** ms since the epoch */
  readonly notBefore: number;
  /** ms since the epoch */
  readonly notAfter: number;
  /** DER SubjectPublicKeyInfo */
  readonly spki: Buffer;
  readonly signatureOid: string;
  readonly signature: Buffer;
  readonly extensions: ReadonlyMap<string, Extension>;
  /** basicConstraints cA */
  readonly isCa: boolean;
  /** URI SANs in order */
  readonly uris: readonly string[];
  /** extended key usages (dotted OIDs) */
  readonly extKeyUsage: readonly string[];
  readonly subjectKeyId: Buffer | undefined;
  #publicKey: KeyObject | undefined;
  #pem: string | undefined;

  private constructor(buf: Buffer) {
    this.der = buf;
    const cert = der.expect(buf, 0, der.Tag.SEQUENCE, 'certificate');
    if (cert.end !== buf.length) throw new der.DerError('trailing bytes after the certificate');
    const [tbsN, algN, sigN] = der.children(buf, cert);
    if (!tbsN || !algN || !sigN || tbsN.tag !== der.Tag.SEQUENCE || sigN.tag !== der.Tag.BIT_STRING) {
      throw new der.DerError('certificate must hold tbsCertificate, signatureAlgorithm and signature');
    }
    this.tbs = der.raw(buf, tbsN);
    this.signatureOid = der.oidToString(der.content(buf, der.expect(buf, algN.contentStart, der.Tag.OID, 'signatureAlgorithm')));
    this.signature = buf.subarray(sigN.contentStart + 1, sigN.end);
    const f = der.children(buf, tbsN);
    let i = 0;
    if (f[0]?.tag === 0xa0) i++;
    const [serialN, , issuerN, validityN, subjectN, spkiN] = f.slice(i);
    if (!serialN || !issuerN || !validityN || !subjectN || !spkiN || serialN.tag !== der.Tag.INTEGER) {
      throw new der.DerError('tbsCertificate is missing fields');
    }
    this.serialHex = der.content(buf, serialN).toString('hex');
    this.issuer = der.raw(buf, issuerN);
    this.subject = der.raw(buf, subjectN);
    const [nb, na] = der.children(buf, validityN);
    if (!nb || !na) throw new der.DerError('validity needs notBefore and notAfter');
    this.notBefore = der.readTime(buf, nb);
    this.notAfter = der.readTime(buf, na);
    this.spki = der.raw(buf, spkiN);
    const exts = new Map<string, Extension>();
    const extsN = f.slice(i + 6).find((n) => n.tag === 0xa3);
    if (extsN) {
      const list = der.expect(buf, extsN.contentStart, der.Tag.SEQUENCE, 'extensions', extsN.end);
      for (const e of der.children(buf, list)) {
        const parts = der.children(buf, e);
        const id = der.oidToString(der.content(buf, parts[0]!));
        const critical = parts.length === 3 && buf[parts[1]!.contentStart] !== 0;
        const valN = parts[parts.length - 1]!;
        if (valN.tag !== der.Tag.OCTET_STRING) throw new der.DerError(`extension ${id}: value is not an OCTET STRING`);
        if (exts.has(id)) throw new der.DerError(`extension ${id} appears twice`);
        exts.set(id, { critical, value: der.content(buf, valN) });
      }
    }
    this.extensions = exts;
    const bc = exts.get(EXT.basicConstraints);
    let isCa = false;
    if (bc) {
      const s = der.read(bc.value, 0);
      const first = der.children(bc.value, s)[0];
      isCa = first?.tag === der.Tag.BOOLEAN && bc.value[first.contentStart] !== 0;
    }
    this.isCa = isCa;
    const uris: string[] = [];
    const san = exts.get(EXT.subjectAltName);
    if (san) {
      for (const gn of der.children(san.value, der.read(san.value, 0))) {
        if (gn.tag === 0x86) uris.push(der.content(san.value, gn).toString('latin1'));
      }
    }
    this.uris = uris;
    const eku: string[] = [];
    const ekuExt = exts.get(EXT.extKeyUsage);
    if (ekuExt) for (const o of der.children(ekuExt.value, der.read(ekuExt.value, 0))) eku.push(der.oidToString(der.content(ekuExt.value, o)));
    this.extKeyUsage = eku;
    const ski = exts.get(EXT.subjectKeyIdentifier);
    this.subjectKeyId = ski ? der.content(ski.value, der.read(ski.value, 0)) : undefined;
  }

  /** Parses one DER certificate; throws MALFORMED_CERT. */
  static fromDer(buf: Buffer | Uint8Array): Certificate {
    try {
      return new Certificate(Buffer.isBuffer(buf) ? buf : Buffer.from(buf));
    } catch (cause) {
      if (cause instanceof SpiffeError) throw cause;
      throw new SpiffeError(SpiffeErrorCode.MALFORMED_CERT, `malformed certificate: ${(cause as Error).message}`, { cause });
    }
  }

  /** Parses every `CERTIFICATE` block of a PEM string, in order. Throws MALFORMED_CERT if there is none. */
  static fromPem(pem: string): Certificate[] {
    const blocks = der.fromPem(pem, 'CERTIFICATE');
    if (blocks.length === 0) throw new SpiffeError(SpiffeErrorCode.MALFORMED_CERT, 'no PEM CERTIFICATE block found');
    return blocks.map((b) => Certificate.fromDer(b));
  }

  get pem(): string {
    return (this.#pem ??= der.toPem(this.der, 'CERTIFICATE'));
  }

  get publicKey(): KeyObject {
    return (this.#publicKey ??= publicKeyFromSpki(this.spki).key);
  }

  /** True when `issuer` names this certificate's issuer and its key verifies this certificate's signature. */
  isSignedBy(issuer: Certificate): boolean {
    if (!issuer.subject.equals(this.issuer)) return false;
    const hash = VERIFY_HASH[this.signatureOid];
    if (!hash) return false;
    try {
      return verify(hash, this.tbs, issuer.publicKey, this.signature);
    } catch {
      return false;
    }
  }

  isValidAt(ms: number): boolean {
    return ms >= this.notBefore && ms <= this.notAfter;
  }
}

/** Joins certificates into one PEM string. */
export function pemOf(certs: readonly Certificate[]): string {
  return certs.map((c) => c.pem).join('');
}

// ---- building -------------------------------------------------------------------------------------------------

/** DER Name from optional O and CN (an empty Name when both are absent). */
export function name(parts: { O?: string; CN?: string }): Buffer {
  const rdns: Buffer[] = [];
  if (parts.O !== undefined) rdns.push(der.set(der.seq(der.oid(ATTR.O), der.tlv(der.Tag.UTF8_STRING, Buffer.from(parts.O)))));
  if (parts.CN !== undefined) rdns.push(der.set(der.seq(der.oid(ATTR.CN), der.tlv(der.Tag.UTF8_STRING, Buffer.from(parts.CN)))));
  return der.seq(...rdns);
}

export function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? der.seq(der.oid(id), der.TRUE, der.octets(value)) : der.seq(der.oid(id), der.octets(value));
}

/** The SAN extension value for URI names. */
export function uriSan(uris: readonly string[]): Buffer {
  return der.seq(...uris.map((u) => der.tlv(0x86, Buffer.from(u, 'latin1'))));
}

/** SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1). */
export function keyIdentifier(spki: Buffer): Buffer {
  const s = der.read(spki, 0);
  const bits = der.children(spki, s)[1]!;
  return createHash('sha1').update(spki.subarray(bits.contentStart + 1, bits.end)).digest();
}

/** A fresh positive 16-byte serial, always minimally encoded (first byte 0x40..0x7f). */
export function randomSerial(): Buffer {
  const b = randomFillSync(Buffer.allocUnsafe(16));
  b[0] = (b[0]! & 0x3f) | 0x40;
  return b;
}

export interface BuildOptions {
  serial?: Buffer;
  issuer: Buffer;
  subject: Buffer;
  notBefore: number;
  notAfter: number;
  spki: Buffer;
  /** encoded Extension SEQUENCEs */
  extensions: Buffer[];
  signingKey: KeyObject;
}

/** Builds and signs a v3 certificate. */
export function buildCertificate(o: BuildOptions): Buffer {
  const alg = signatureAlgorithm(o.signingKey);
  const tbs = der.seq(
    der.explicit(0, der.smallInt(2)),
    der.uint(o.serial ?? randomSerial()),
    alg.der,
    o.issuer,
    der.seq(der.time(o.notBefore), der.time(o.notAfter)),
    o.subject,
    o.spki,
    der.explicit(3, der.seq(...o.extensions)),
  );
  return der.seq(tbs, alg.der, der.bitString(sign(alg.hash, tbs, o.signingKey)));
}

// ---- chain verification ---------------------------------------------------------------------------------------

const MAX_DEPTH = 8;

/**
 * Verifies `chain` (leaf first, then any intermediates, in any order) against `roots` at time `now`:
 * every certificate on the path must be within its validity, issuers must be CAs and signatures must verify.
 * Returns the path leaf → … → root. Throws CERT_EXPIRED or PEER_UNTRUSTED.
 */
export function verifyChain(chain: readonly Certificate[], roots: readonly Certificate[], now: number): Certificate[] {
  const leaf = chain[0];
  if (!leaf) throw new SpiffeError(SpiffeErrorCode.PEER_NO_CERT);
  const path: Certificate[] = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (!current.isValidAt(now)) {
      throw new SpiffeError(
        SpiffeErrorCode.CERT_EXPIRED,
        `certificate ${depth === 0 ? 'leaf' : `at depth ${depth}`} (serial ${current.serialHex}) is valid from ${new Date(current.notBefore).toISOString()} to ${new Date(current.notAfter).toISOString()}, not at ${new Date(now).toISOString()}`,
      );
    }
    const root = roots.find((r) => r.isCa && (r.der.equals(current.der) || current.isSignedBy(r)));
    if (root) {
      if (root !== current && !root.der.equals(current.der)) {
        if (!root.isValidAt(now)) {
          throw new SpiffeError(SpiffeErrorCode.CERT_EXPIRED, `trusted root (serial ${root.serialHex}) is expired or not yet valid`);
        }
        path.push(root);
      }
      return path;
    }
    const next = chain.find((c) => c !== current && c.isCa && !path.includes(c) && current.isSignedBy(c));
    if (!next) {
      throw new SpiffeError(
        SpiffeErrorCode.PEER_UNTRUSTED,
        `certificate chain does not lead to any of the ${roots.length} trusted root(s): no issuer found for the certificate at depth ${depth}`,
      );
    }
    path.push(next);
    current = next;
  }
  throw new SpiffeError(SpiffeErrorCode.PEER_UNTRUSTED, `certificate chain is longer than ${MAX_DEPTH}`);
}
