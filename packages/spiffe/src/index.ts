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
export {
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  SERVICE_NAME,
  CREATE_CERTIFICATE_PATH,
  type IstioCertificateRequest,
  type IstioCertificateResponse,
  type StructValue,
} from './ca-proto.js';
export {
  staticTokenVerifier,
  kubeTokenReviewVerifier,
  type Caller,
  type AuthenticationContext,
  type TokenVerifier,
  type StaticTokenEntry,
  type TokenReviewOptions,
  type FetchLike,
} from './ca-auth.js';
export {
  startCaServer,
  createCertificateHandler,
  grpcStatusFor,
  IstioCertificateService,
  IMPERSONATED_IDENTITY,
  CA_ISSUED_CHANNEL,
  CA_REFUSED_CHANNEL,
  type CaServiceOptions,
  type CaServerOptions,
  type CaServerHandle,
} from './ca-server.js';
export { type Logger, silentLogger } from './log.js';
export {
  CertificateManager,
  systemClock,
  type Clock,
  type TimerHandle,
  type CertificateManagerOptions,
  type CertificateManagerEvents,
  type CertificateState,
} from './manager.js';
export { CaClient, type CaClientOptions, type CreateCertificateRequest, type FetchSvidOptions, type SvidSource } from './ca-client.js';
