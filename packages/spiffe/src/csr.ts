// PKCS#10 certificate signing requests (RFC 2986) the way ztunnel writes them (zt `src/tls/csr.rs`): empty subject,
// one URI SAN (the SPIFFE ID) in an extensionRequest attribute, ECDSA P-256 with SHA-256 by default.
import { KeyObject, createPublicKey, sign, verify } from 'node:crypto';
import * as der from './der.js';
import { SpiffeError, SpiffeErrorCode } from './errors.js';
import { SpiffeId } from './id.js';
import { VERIFY_HASH, publicKeyFromSpki, signatureAlgorithm, type KeyPair } from './keys.js';
import { EXT, extension, uriSan } from './x509.js';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

export interface CsrOptions {
  /** the key the certificate is for (its private half signs the CSR) */
  key: KeyPair | KeyObject;
  /** the identity to request */
  id: SpiffeId | string;
}

/** Builds and signs a PKCS#10 CSR: empty subject, one critical URI SAN. Returns PEM (`CERTIFICATE REQUEST`) and DER. */
export function createCsr(opts: CsrOptions): { pem: string; der: Buffer } {
  const privateKey = opts.key instanceof KeyObject ? opts.key : opts.key.privateKey;
  if (privateKey.type !== 'private') throw new SpiffeError(SpiffeErrorCode.MALFORMED_KEY, 'a CSR is signed with a private key');
  const id = typeof opts.id === 'string' ? SpiffeId.parse(opts.id) : opts.id;
  const alg = signatureAlgorithm(privateKey);
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const extReq = der.seq(der.oid(EXTENSION_REQUEST), der.set(der.seq(extension(EXT.subjectAltName, true, uriSan([id.toString()])))));
  const info = der.seq(der.smallInt(0), der.seq(), spki, der.tlv(0xa0, extReq));
  const out = der.seq(info, alg.der, der.bitString(sign(alg.hash, info, privateKey)));
  return { pem: der.toPem(out, 'CERTIFICATE REQUEST'), der: out };
}

/** A parsed (not yet verified) CSR. */
export interface ParsedCsr {
  der: Buffer;
  /** DER of the CertificationRequestInfo (what was signed) */
  info: Buffer;
  /** DER of the subject Name (`30 00` when empty) */
  subject: Buffer;
  /** DER SubjectPublicKeyInfo */
  spki: Buffer;
  signatureOid: string;
  signature: Buffer;
  /** URI SANs of the extensionRequest */
  uris: string[];
  /** number of SAN entries of any other kind (DNS, IP, email, ...) */
  otherSans: number;
}

function malformed(msg: string, cause?: unknown): SpiffeError {
  return new SpiffeError(SpiffeErrorCode.MALFORMED_CSR, `malformed CSR: ${msg}`, cause === undefined ? undefined : { cause });
}

/** Parses a CSR from PEM or DER. Throws MALFORMED_CSR. */
export function parseCsr(input: string | Buffer): ParsedCsr {
  let buf: Buffer;
  if (typeof input === 'string') {
    const blocks = der.fromPem(input, 'CERTIFICATE REQUEST');
    if (blocks.length !== 1) throw malformed(`expected one PEM CERTIFICATE REQUEST block, found ${blocks.length}`);
    buf = blocks[0]!;
  } else {
    buf = input;
  }
  try {
    const top = der.expect(buf, 0, der.Tag.SEQUENCE, 'CertificationRequest');
    if (top.end !== buf.length) throw new der.DerError('trailing bytes');
    const [infoN, algN, sigN] = der.children(buf, top);
    if (!infoN || !algN || !sigN || infoN.tag !== der.Tag.SEQUENCE || sigN.tag !== der.Tag.BIT_STRING) {
      throw new der.DerError('expected certificationRequestInfo, signatureAlgorithm, signature');
    }
    const [verN, subjN, spkiN, attrsN] = der.children(buf, infoN);
    if (!verN || !subjN || !spkiN || verN.tag !== der.Tag.INTEGER || subjN.tag !== der.Tag.SEQUENCE || spkiN.tag !== der.Tag.SEQUENCE) {
      throw new der.DerError('certificationRequestInfo is missing fields');
    }
    if (!der.content(buf, verN).equals(Buffer.from([0]))) throw new der.DerError('version must be 0');
    const uris: string[] = [];
    let otherSans = 0;
    if (attrsN) {
      if (attrsN.tag !== 0xa0) throw new der.DerError('attributes must be [0]');
      for (const attr of der.children(buf, attrsN)) {
        const [typeN, valsN] = der.children(buf, attr);
        if (!typeN || !valsN || typeN.tag !== der.Tag.OID || valsN.tag !== der.Tag.SET) throw new der.DerError('bad attribute');
        if (der.oidToString(der.content(buf, typeN)) !== EXTENSION_REQUEST) continue;
        for (const exts of der.children(buf, valsN)) {
          for (const ext of der.children(buf, exts)) {
            const parts = der.children(buf, ext);
            if (der.oidToString(der.content(buf, parts[0]!)) !== EXT.subjectAltName) continue;
            const val = parts[parts.length - 1]!;
            if (val.tag !== der.Tag.OCTET_STRING) throw new der.DerError('extension value is not an OCTET STRING');
            const names = der.expect(buf, val.contentStart, der.Tag.SEQUENCE, 'subjectAltName', val.end);
            for (const gn of der.children(buf, names)) {
              if (gn.tag === 0x86) uris.push(der.content(buf, gn).toString('latin1'));
              else otherSans++;
            }
          }
        }
      }
    }
    return {
      der: buf,
      info: der.raw(buf, infoN),
      subject: der.raw(buf, subjN),
      spki: der.raw(buf, spkiN),
      signatureOid: der.oidToString(der.content(buf, der.expect(buf, algN.contentStart, der.Tag.OID, 'signatureAlgorithm', algN.end))),
      signature: buf.subarray(sigN.contentStart + 1, sigN.end),
      uris,
      otherSans,
    };
  } catch (cause) {
    if (cause instanceof SpiffeError) throw cause;
    throw malformed((cause as Error).message, cause);
  }
}

/** A CSR whose signature checked out, with its key and requested identity. */
export interface VerifiedCsr {
  csr: ParsedCsr;
  publicKey: KeyObject;
  /** true for RSA keys */
  rsa: boolean;
  /** the one requested SPIFFE ID */
  id: SpiffeId;
}

/**
 * Parses and verifies a CSR: a supported key (UNSUPPORTED_KEY), a valid self-signature (CSR_SIGNATURE), and
 * exactly one URI SAN that is a SPIFFE ID and no other SAN (CSR_SAN).
 */
export function verifyCsr(input: string | Buffer | ParsedCsr): VerifiedCsr {
  return verifyCsrFor(input, undefined);
}

/**
 * `verifyCsr` for a CA that already knows which identity the caller may get: when the CSR's one URI SAN is exactly
 * `expected`'s canonical form it is that (already validated) SpiffeId, so it is not parsed again. Internal.
 */
export function verifyCsrFor(input: string | Buffer | ParsedCsr, expected: SpiffeId | undefined): VerifiedCsr {
  const csr = typeof input === 'string' || Buffer.isBuffer(input) ? parseCsr(input) : input;
  const { key: publicKey, kind } = publicKeyFromSpki(csr.spki);
  const hash = VERIFY_HASH[csr.signatureOid];
  const algOk = hash !== undefined && (kind === 'rsa') === csr.signatureOid.startsWith('1.2.840.113549.');
  let ok = false;
  if (algOk) {
    try {
      ok = verify(hash, csr.info, publicKey, csr.signature);
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw new SpiffeError(
      SpiffeErrorCode.CSR_SIGNATURE,
      algOk ? 'CSR signature does not verify with its own public key' : `CSR signature algorithm ${csr.signatureOid} does not fit its ${kind} key`,
    );
  }
  if (csr.uris.length !== 1 || csr.otherSans !== 0) {
    throw new SpiffeError(
      SpiffeErrorCode.CSR_SAN,
      `CSR must carry exactly one URI SAN (the SPIFFE ID) and no other SAN, found ${csr.uris.length} URI and ${csr.otherSans} other`,
    );
  }
  if (expected !== undefined && csr.uris[0] === expected.toString()) return { csr, publicKey, rsa: kind === 'rsa', id: expected };
  let id: SpiffeId;
  try {
    id = SpiffeId.parse(csr.uris[0]!);
  } catch {
    const problems = SpiffeId.problems(csr.uris[0], { field: 'csr.uriSan' });
    throw new SpiffeError(SpiffeErrorCode.CSR_SAN, `CSR URI SAN is not a valid SPIFFE ID: ${problems.join('; ')}`, { details: problems });
  }
  return { csr, publicKey, rsa: kind === 'rsa', id };
}
