// Key generation and the signature algorithms that go with each key, all on node:crypto.
import { KeyObject, type JsonWebKey, createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import * as der from './der.js';
import { SpiffeError, SpiffeErrorCode } from './errors.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** `ec` is ECDSA P-256 (the default; what ztunnel uses), `ec-p384` ECDSA P-384, `rsa` RSA-2048 (or `rsaBits`). */
export type KeyType = 'ec' | 'ec-p384' | 'rsa';

export interface KeyOptions {
  /** default `ec` (ECDSA P-256) */
  type?: KeyType;
  /** RSA modulus length, 2048..4096 (default 2048) */
  rsaBits?: number;
}

/** A private key with its public half and PKCS#8 PEM. */
export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), what Istio writes as key.pem */
  privateKeyPem: string;
}

function keygenArgs(opts: KeyOptions): ['ec', { namedCurve: string }] | ['rsa', { modulusLength: number }] {
  const type = opts.type ?? 'ec';
  if (type === 'ec') return ['ec', { namedCurve: 'prime256v1' }];
  if (type === 'ec-p384') return ['ec', { namedCurve: 'secp384r1' }];
  if (type === 'rsa') {
    const bits = opts.rsaBits ?? 2048;
    if (!Number.isInteger(bits) || bits < 2048 || bits > 4096) {
      throw new SpiffeError(SpiffeErrorCode.UNSUPPORTED_KEY, `rsa key size ${bits} is not supported: use 2048 to 4096 bits`);
    }
    return ['rsa', { modulusLength: bits }];
  }
  throw new SpiffeError(SpiffeErrorCode.UNSUPPORTED_KEY, `key type ${JSON.stringify(type)} is not supported: use "ec", "ec-p384" or "rsa"`);
}

function wrap(privateKey: KeyObject, publicKey: KeyObject): KeyPair {
  return { privateKey, publicKey, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** Generates a key pair (default ECDSA P-256) without blocking the event loop. */
export async function generateKey(opts: KeyOptions = {}): Promise<KeyPair> {
  const [type, params] = keygenArgs(opts);
  const { privateKey, publicKey } = await (generateKeyPairAsync as (t: string, o: object) => Promise<{ privateKey: KeyObject; publicKey: KeyObject }>)(
    type,
    params,
  );
  return wrap(privateKey, publicKey);
}

/** Synchronous `generateKey` (P-256 takes well under a millisecond; RSA can take 100 ms+). */
export function generateKeySync(opts: KeyOptions = {}): KeyPair {
  const [type, params] = keygenArgs(opts);
  const { privateKey, publicKey } = (generateKeyPairSync as (t: string, o: object) => { privateKey: KeyObject; publicKey: KeyObject })(type, params);
  return wrap(privateKey, publicKey);
}

/** Loads a private key from PEM (PKCS#8, SEC1 `EC PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`) or takes a KeyObject. */
export function loadPrivateKey(key: string | Buffer | KeyObject): KeyPair {
  let privateKey: KeyObject;
  try {
    privateKey = key instanceof KeyObject ? key : createPrivateKey(key);
  } catch (cause) {
    throw new SpiffeError(SpiffeErrorCode.MALFORMED_KEY, undefined, { cause });
  }
  if (privateKey.type !== 'private') throw new SpiffeError(SpiffeErrorCode.MALFORMED_KEY, 'expected a private key, got a public key');
  signatureAlgorithm(privateKey);
  return wrap(privateKey, createPublicKey(privateKey));
}

/** How a key signs: the node:crypto digest name and the DER AlgorithmIdentifier for certificates and CSRs. */
export interface SignatureAlgorithm {
  hash: 'sha256' | 'sha384';
  /** DER AlgorithmIdentifier */
  der: Buffer;
  name: string;
}

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
} as const;

const ALG: Record<string, SignatureAlgorithm> = {
  'ec-p256': { hash: 'sha256', der: der.seq(der.oid(OID.ecdsaWithSHA256)), name: 'ecdsa-with-SHA256' },
  'ec-p384': { hash: 'sha384', der: der.seq(der.oid(OID.ecdsaWithSHA384)), name: 'ecdsa-with-SHA384' },
  rsa: { hash: 'sha256', der: der.seq(der.oid(OID.sha256WithRSA), der.NULL), name: 'sha256WithRSAEncryption' },
};

/** Signature OIDs this package accepts when verifying, with their digest. */
export const VERIFY_HASH: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  [OID.ecdsaWithSHA256]: 'sha256',
  [OID.ecdsaWithSHA384]: 'sha384',
  [OID.sha256WithRSA]: 'sha256',
  [OID.sha384WithRSA]: 'sha384',
  [OID.sha512WithRSA]: 'sha512',
};

/** Describes a key: `ec-p256`, `ec-p384`, or `rsa` (2048..4096 bits). Anything else is refused (UNSUPPORTED_KEY). */
export function keyKind(key: KeyObject): 'ec-p256' | 'ec-p384' | 'rsa' {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    if (d.namedCurve === 'prime256v1') return 'ec-p256';
    if (d.namedCurve === 'secp384r1') return 'ec-p384';
    throw new SpiffeError(SpiffeErrorCode.UNSUPPORTED_KEY, `ec curve ${String(d.namedCurve)} is not supported: use P-256 or P-384`);
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d.modulusLength ?? 0;
    if (bits < 2048 || bits > 4096) {
      throw new SpiffeError(SpiffeErrorCode.UNSUPPORTED_KEY, `rsa key of ${bits} bits is not supported: use 2048 to 4096 bits`);
    }
    return 'rsa';
  }
  throw new SpiffeError(
    SpiffeErrorCode.UNSUPPORTED_KEY,
    `key type ${String(key.asymmetricKeyType)} is not supported: use ECDSA P-256/P-384 or RSA`,
  );
}

/** The JWK of a P-256/P-384/RSA SubjectPublicKeyInfo, or undefined for anything else (left to the DER decoder). */
function jwkFromSpki(spki: Buffer): JsonWebKey | undefined {
  let jwk: JsonWebKey | undefined;
  try {
    const top = der.read(spki, 0);
    const [algN, bitsN] = der.children(spki, top);
    if (top.end === spki.length && algN && bitsN && bitsN.tag === der.Tag.BIT_STRING && spki[bitsN.contentStart] === 0) {
      const [oidN, paramN] = der.children(spki, algN);
      const alg = der.oidToString(der.content(spki, oidN!));
      const bits = spki.subarray(bitsN.contentStart + 1, bitsN.end);
      if (alg === OID.ecPublicKey && paramN?.tag === der.Tag.OID) {
        const curve = der.oidToString(der.content(spki, paramN));
        const size = curve === OID.prime256v1 ? 32 : curve === OID.secp384r1 ? 48 : 0;
        if (size > 0 && bits.length === 1 + 2 * size && bits[0] === 4) {
          jwk = {
            kty: 'EC',
            crv: size === 32 ? 'P-256' : 'P-384',
            x: bits.subarray(1, 1 + size).toString('base64url'),
            y: bits.subarray(1 + size).toString('base64url'),
          };
        }
      } else if (alg === OID.rsaEncryption) {
        const rsa = der.read(bits, 0);
        const [nN, eN] = der.children(bits, rsa);
        if (nN?.tag === der.Tag.INTEGER && eN?.tag === der.Tag.INTEGER) {
          let n = der.content(bits, nN);
          while (n.length > 1 && n[0] === 0) n = n.subarray(1);
          const modulusBits = n.length * 8 - Math.clz32(n[0]!) + 24;
          if (modulusBits < 2048 || modulusBits > 4096) {
            throw new SpiffeError(SpiffeErrorCode.UNSUPPORTED_KEY, `rsa key of ${modulusBits} bits is not supported: use 2048 to 4096 bits`);
          }
          jwk = { kty: 'RSA', n: n.toString('base64url'), e: der.content(bits, eN).toString('base64url') };
        }
      }
    }
  } catch (err) {
    if (err instanceof SpiffeError) throw err;
    jwk = undefined;
  }
  return jwk;
}

/**
 * A public key from DER SubjectPublicKeyInfo, with its kind. P-256/P-384 (uncompressed points) and RSA keys are
 * imported through JWK: OpenSSL 3.0's generic DER decoder costs several signatures' worth of CPU per key, the
 * JWK path sets the key material directly. Anything else goes through the DER decoder and `keyKind`.
 * Throws UNSUPPORTED_KEY.
 */
export function publicKeyFromSpki(spki: Buffer): { key: KeyObject; kind: 'ec-p256' | 'ec-p384' | 'rsa' } {
  let jwk: JsonWebKey | undefined;
  // The common case (every ztunnel CSR): a P-256 key, uncompressed point, byte-for-byte the fixed 26-byte prefix.
  if (spki.length === P256_SPKI_PREFIX.length + 65 && spki[P256_SPKI_PREFIX.length] === 4 && spki.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX)) {
    const at = P256_SPKI_PREFIX.length + 1;
    jwk = { kty: 'EC', crv: 'P-256', x: spki.toString('base64url', at, at + 32), y: spki.toString('base64url', at + 32, at + 64) };
  } else {
    jwk = jwkFromSpki(spki);
  }
  if (jwk) {
    try {
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      return { key, kind: jwk.kty === 'RSA' ? 'rsa' : jwk.crv === 'P-256' ? 'ec-p256' : 'ec-p384' };
    } catch {
      // fall through to the generic decoder, which reports the problem
    }
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (cause) {
    throw new SpiffeError(SpiffeErrorCode.UNSUPPORTED_KEY, 'public key is not a valid SubjectPublicKeyInfo', { cause });
  }
  return { key, kind: keyKind(key) };
}

/** SEQUENCE { SEQUENCE { ecPublicKey, prime256v1 }, BIT STRING (66 bytes: no unused bits, then the point) } */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/** The signature algorithm a private key signs with (ECDSA with SHA-256/384 by curve, RSA PKCS#1 v1.5 with SHA-256). */
export function signatureAlgorithm(key: KeyObject): SignatureAlgorithm {
  return ALG[keyKind(key)]!;
}
