// Public API of @amesh/spiffe. Only what is exported here is public (package.json "exports").
export { SpiffeError, SpiffeErrorCode } from './errors.js';
export { SpiffeId, DEFAULT_TRUST_DOMAIN, trustDomainProblems } from './id.js';
export { generateKey, generateKeySync, loadPrivateKey, keyKind, type KeyType, type KeyOptions, type KeyPair } from './keys.js';
export { Certificate, verifyChain, pemOf } from './x509.js';
export {
  CertificateAuthority,
  loadPluginCa,
  PLUGIN_CA_FILES,
  DEFAULT_TTL_SECONDS,
  DEFAULT_MAX_TTL_SECONDS,
  DEFAULT_ROOT_TTL_SECONDS,
  type CaPolicy,
  type CreateRootOptions,
  type CreateIntermediateOptions,
  type FromPemOptions,
  type IssueOptions,
  type IssuedCertificate,
} from './ca.js';
export { Svid, createSecureContext, TLS_CIPHERS, TLS12_CIPHERS, type SvidInit, type SecureContextOptions, type IdentityTlsOptions } from './svid.js';
export {
  verifyPeer,
  verifyPeerChain,
  peerChainOf,
  spiffeIdOf,
  serverTlsOptions,
  clientTlsOptions,
  type VerifyPeerOptions,
} from './tls.js';
export { createCsr, parseCsr, verifyCsr, type CsrOptions, type ParsedCsr, type VerifiedCsr } from './csr.js';
