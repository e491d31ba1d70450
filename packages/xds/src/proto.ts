// The generated protobufjs codecs (static code from proto/, committed under generated/), for callers that need
// the wire types themselves. Everything else in the package converts them into plain models once.
export { envoy, google, istio } from '../generated/proto.js';
