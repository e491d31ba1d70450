// The AggregatedDiscoveryService on @grpc/grpc-js, with our codecs. The server side receives raw request bytes
// (decoded by the server so a malformed request is logged and counted, not a grpc-js internal error) and sends
// pre-encoded response bytes (resources are encoded once in the cache and spliced into each response).
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { envoy } from '../generated/proto.js';

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const DELTA_ADS_PATH = `/${ADS_SERVICE}/DeltaAggregatedResources`;
export const SOTW_ADS_PATH = `/${ADS_SERVICE}/StreamAggregatedResources`;

const raw = (b: Buffer): Buffer => b;

/** Service definition for `grpc.Server.addService`: requests arrive as raw bytes, responses leave as bytes. */
export const adsServerDefinition = {
  StreamAggregatedResources: {
    path: SOTW_ADS_PATH, requestStream: true, responseStream: true,
    requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw,
  },
  DeltaAggregatedResources: {
    path: DELTA_ADS_PATH, requestStream: true, responseStream: true,
    requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw,
  },
} satisfies grpc.ServiceDefinition;

type DeltaRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties;
type SotwRequest = envoy.service.discovery.v3.DiscoveryRequest.$Properties;

export const encodeDeltaRequest = (r: DeltaRequest): Buffer => envoy.service.discovery.v3.DeltaDiscoveryRequest.encode(r).finish() as Buffer;
export const decodeDeltaRequest = (b: Uint8Array) => envoy.service.discovery.v3.DeltaDiscoveryRequest.decode(b);
export const encodeSotwRequest = (r: SotwRequest): Buffer => envoy.service.discovery.v3.DiscoveryRequest.encode(r).finish() as Buffer;
export const decodeSotwRequest = (b: Uint8Array) => envoy.service.discovery.v3.DiscoveryRequest.decode(b);
export const decodeDeltaResponse = (b: Uint8Array) => envoy.service.discovery.v3.DeltaDiscoveryResponse.decode(b);
export const decodeSotwResponse = (b: Uint8Array) => envoy.service.discovery.v3.DiscoveryResponse.decode(b);

/** Encodes an envoy Resource once (the cache keeps these bytes). */
export function encodeResource(r: { name: string; version: string; aliases: readonly string[]; typeUrl: string; value: Uint8Array }): Buffer {
  return envoy.service.discovery.v3.Resource.encode({
    name: r.name, version: r.version, aliases: [...r.aliases], resource: { type_url: r.typeUrl, value: r.value },
  }).finish() as Buffer;
}
/**
 * Encodes a resource once for every use: `field` is the envoy Resource framed as field 2 of a DeltaDiscoveryResponse,
 * `resource` the Resource message and `any` the google.protobuf.Any (state of the world), both views into `field`.
 * Byte-identical to the generated encoders (fields in number order: 1 version, 2 resource, 3 name, 4 aliases).
 */
export function encodeResourceOnce(r: { name: string; version: string; aliases: readonly string[]; typeUrl: string; value: Uint8Array }): { field: Buffer; resource: Buffer; any: Buffer } {
  const any = encodeAny(r.typeUrl, r.value);
  const w = protobuf.Writer.create();
  w.uint32(18).fork();
  if (r.version) w.uint32(10).string(r.version);
  w.uint32(18).bytes(any);
  let tail = 0;
  if (r.name) {
    w.uint32(26).string(r.name);
    tail += fieldSize(Buffer.byteLength(r.name));
  }
  for (const a of r.aliases) {
    w.uint32(34).string(a);
    tail += fieldSize(Buffer.byteLength(a));
  }
  w.ldelim();
  const field = w.finish() as Buffer;
  let h = 1;
  while (field[h]! & 0x80) h++;
  const anyStart = field.length - tail - any.length;
  return { field, resource: field.subarray(h + 1), any: field.subarray(anyStart, anyStart + any.length) };
}

/** A Resource framed as field 2 of DeltaDiscoveryResponse (tag + length + bytes), ready to splice. */
export function frameResourceField(resourceBytes: Uint8Array): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(18).bytes(resourceBytes);
  return w.finish() as Buffer;
}

/**
 * DeltaDiscoveryResponse from resources already framed by frameResourceField: one copy of each resource into the
 * response, nothing re-encoded. Byte-identical to encodeDeltaResponse for the same content.
 */
export function spliceDeltaResponse(r: { systemVersionInfo: string; fields: readonly Buffer[]; fieldsBytes: number; typeUrl: string; nonce: string; removed: readonly string[]; controlPlane?: string }): Buffer {
  const head = protobuf.Writer.create();
  if (r.systemVersionInfo) head.uint32(10).string(r.systemVersionInfo);
  const h = head.finish() as Buffer;
  const tail = protobuf.Writer.create();
  if (r.typeUrl) tail.uint32(34).string(r.typeUrl);
  if (r.nonce) tail.uint32(42).string(r.nonce);
  for (const n of r.removed) tail.uint32(50).string(n);
  if (r.controlPlane) tail.uint32(58).fork().uint32(10).string(r.controlPlane).ldelim();
  const tl = tail.finish() as Buffer;
  return Buffer.concat([h, ...r.fields, tl], h.length + r.fieldsBytes + tl.length);
}

/** Encodes a google.protobuf.Any once (state-of-the-world responses carry these). */
export function encodeAny(typeUrl: string, value: Uint8Array): Buffer {
  const w = protobuf.Writer.create();
  if (typeUrl) w.uint32(10).string(typeUrl);
  if (value.length) w.uint32(18).bytes(value);
  return w.finish() as Buffer;
}

/**
 * DeltaDiscoveryResponse from pre-encoded Resource messages; byte-identical to the generated encoder's output for
 * the same message (fields in number order: 1 system_version_info, 2 resources, 4 type_url, 5 nonce,
 * 6 removed_resources, 7 control_plane).
 */
export function encodeDeltaResponse(r: { systemVersionInfo: string; resources: readonly Uint8Array[]; typeUrl: string; nonce: string; removed: readonly string[]; controlPlane?: string }): Buffer {
  const w = protobuf.Writer.create();
  if (r.systemVersionInfo) w.uint32(10).string(r.systemVersionInfo);
  for (const b of r.resources) w.uint32(18).bytes(b);
  if (r.typeUrl) w.uint32(34).string(r.typeUrl);
  if (r.nonce) w.uint32(42).string(r.nonce);
  for (const n of r.removed) w.uint32(50).string(n);
  if (r.controlPlane) w.uint32(58).fork().uint32(10).string(r.controlPlane).ldelim();
  return w.finish() as Buffer;
}

/** DiscoveryResponse (state of the world) from pre-encoded Any messages (1 version_info, 2 resources, 4 type_url, 5 nonce, 6 control_plane). */
export function encodeSotwResponse(r: { versionInfo: string; resources: readonly Uint8Array[]; typeUrl: string; nonce: string; controlPlane?: string }): Buffer {
  const w = protobuf.Writer.create();
  if (r.versionInfo) w.uint32(10).string(r.versionInfo);
  for (const b of r.resources) w.uint32(18).bytes(b);
  if (r.typeUrl) w.uint32(34).string(r.typeUrl);
  if (r.nonce) w.uint32(42).string(r.nonce);
  if (r.controlPlane) w.uint32(50).fork().uint32(10).string(r.controlPlane).ldelim();
  return w.finish() as Buffer;
}

/** Size of a length-delimited field carrying `n` bytes (tag + varint length + payload). */
export function fieldSize(n: number): number {
  return 1 + (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5) + n;
}
