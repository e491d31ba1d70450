import * as $protobuf from "protobufjs/minimal.js";
import Long = require("long");

/** Namespace envoy. */
export namespace envoy {

    /** Namespace config. */
    namespace config {

        /** Namespace core. */
        namespace core {

            /** Namespace v3. */
            namespace v3 {

                /**
                 * Properties of a Node.
                 * @deprecated Use envoy.config.core.v3.Node.$Properties instead.
                 */
                interface INode extends envoy.config.core.v3.Node.$Properties {
                }

                /** Represents a Node. */
                class Node {

                    /**
                     * Constructs a new Node.
                     * @param [properties] Properties to set
                     */
                    constructor(properties?: envoy.config.core.v3.Node.$Properties);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];

                    /** Node id. */
                    id: string;

                    /** Node cluster. */
                    cluster: string;

                    /** Node metadata. */
                    metadata: google.protobuf.Struct;

                    /** Node locality. */
                    locality: envoy.config.core.v3.Locality;

                    /** Node userAgentName. */
                    userAgentName: string;

                    /** Node userAgentVersion. */
                    userAgentVersion: (string|null);

                    /** Node clientFeatures. */
                    clientFeatures: string[];

                    /** Node userAgentVersionType. */
                    userAgentVersionType?: "userAgentVersion";

                    /**
                     * Encodes the specified Node message. Does not implicitly {@link envoy.config.core.v3.Node.verify|verify} messages.
                     * @param message Node message or plain object to encode
                     * @param [writer] Writer to encode to
                     * @returns Writer
                     */
                    static encode(message: envoy.config.core.v3.Node.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                    /**
                     * Decodes a Node message from the specified reader or buffer.
                     * @param reader Reader or buffer to decode from
                     * @param [length] Message length if known beforehand
                     * @returns {envoy.config.core.v3.Node & envoy.config.core.v3.Node.$Shape} Node
                     * @throws {Error} If the payload is not a reader or valid buffer
                     * @throws {$protobuf.util.ProtocolError} If required fields are missing
                     */
                    static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): envoy.config.core.v3.Node & envoy.config.core.v3.Node.$Shape;
                }

                namespace Node {

                    /** Properties of a Node. */
                    interface $Properties {

                        /** Node id */
                        id?: string;

                        /** Node cluster */
                        cluster?: string;

                        /** Node metadata */
                        metadata?: google.protobuf.Struct.$Properties;

                        /** Node locality */
                        locality?: envoy.config.core.v3.Locality.$Properties;

                        /** Node userAgentName */
                        userAgentName?: string;

                        /** Node userAgentVersion */
                        userAgentVersion?: (string|null);

                        /** Node clientFeatures */
                        clientFeatures?: string[];

                        /** Node userAgentVersionType */
                        userAgentVersionType?: "userAgentVersion";

                        /** Unknown fields preserved while decoding when enabled */
                        $unknowns?: Uint8Array[];
                    }

                    /** Narrowed shape of a Node. */
                    type $Shape = {
                      id?: string;
                      cluster?: string;
                      metadata?: google.protobuf.Struct.$Shape;
                      locality?: envoy.config.core.v3.Locality.$Shape;
                      userAgentName?: string;
                      userAgentVersion?: string|null;
                      clientFeatures?: string[];
                      $unknowns?: Uint8Array[];
                    } & (
                      ({ userAgentVersionType?: undefined; userAgentVersion?: null }|{ userAgentVersionType?: "userAgentVersion"; userAgentVersion: string })
                    );
                }

                /**
                 * Properties of a Locality.
                 * @deprecated Use envoy.config.core.v3.Locality.$Properties instead.
                 */
                interface ILocality extends envoy.config.core.v3.Locality.$Properties {
                }

                /** Represents a Locality. */
                class Locality {

                    /**
                     * Constructs a new Locality.
                     * @param [properties] Properties to set
                     */
                    constructor(properties?: envoy.config.core.v3.Locality.$Properties);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];

                    /** Locality region. */
                    region: string;

                    /** Locality zone. */
                    zone: string;

                    /** Locality subZone. */
                    subZone: string;

                    /**
                     * Encodes the specified Locality message. Does not implicitly {@link envoy.config.core.v3.Locality.verify|verify} messages.
                     * @param message Locality message or plain object to encode
                     * @param [writer] Writer to encode to
                     * @returns Writer
                     */
                    static encode(message: envoy.config.core.v3.Locality.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                    /**
                     * Decodes a Locality message from the specified reader or buffer.
                     * @param reader Reader or buffer to decode from
                     * @param [length] Message length if known beforehand
                     * @returns {envoy.config.core.v3.Locality & envoy.config.core.v3.Locality.$Shape} Locality
                     * @throws {Error} If the payload is not a reader or valid buffer
                     * @throws {$protobuf.util.ProtocolError} If required fields are missing
                     */
                    static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): envoy.config.core.v3.Locality & envoy.config.core.v3.Locality.$Shape;
                }

                namespace Locality {

                    /** Properties of a Locality. */
                    interface $Properties {

                        /** Locality region */
                        region?: string;

                        /** Locality zone */
                        zone?: string;

                        /** Locality subZone */
                        subZone?: string;

                        /** Unknown fields preserved while decoding when enabled */
                        $unknowns?: Uint8Array[];
                    }

                    /** Shape of a Locality. */
                    type $Shape = envoy.config.core.v3.Locality.$Properties;
                }

                /**
                 * Properties of a ControlPlane.
                 * @deprecated Use envoy.config.core.v3.ControlPlane.$Properties instead.
                 */
                interface IControlPlane extends envoy.config.core.v3.ControlPlane.$Properties {
                }

                /** Represents a ControlPlane. */
                class ControlPlane {

                    /**
                     * Constructs a new ControlPlane.
                     * @param [properties] Properties to set
                     */
                    constructor(properties?: envoy.config.core.v3.ControlPlane.$Properties);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];

                    /** ControlPlane identifier. */
                    identifier: string;

                    /**
                     * Encodes the specified ControlPlane message. Does not implicitly {@link envoy.config.core.v3.ControlPlane.verify|verify} messages.
                     * @param message ControlPlane message or plain object to encode
                     * @param [writer] Writer to encode to
                     * @returns Writer
                     */
                    static encode(message: envoy.config.core.v3.ControlPlane.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                    /**
                     * Decodes a ControlPlane message from the specified reader or buffer.
                     * @param reader Reader or buffer to decode from
                     * @param [length] Message length if known beforehand
                     * @returns {envoy.config.core.v3.ControlPlane & envoy.config.core.v3.ControlPlane.$Shape} ControlPlane
                     * @throws {Error} If the payload is not a reader or valid buffer
                     * @throws {$protobuf.util.ProtocolError} If required fields are missing
                     */
                    static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): envoy.config.core.v3.ControlPlane & envoy.config.core.v3.ControlPlane.$Shape;
                }

                namespace ControlPlane {

                    /** Properties of a ControlPlane. */
                    interface $Properties {

                        /** ControlPlane identifier */
                        identifier?: string;

                        /** Unknown fields preserved while decoding when enabled */
                        $unknowns?: Uint8Array[];
                    }

                    /** Shape of a ControlPlane. */
                    type $Shape = envoy.config.core.v3.ControlPlane.$Properties;
                }
            }
        }
    }

    /** Namespace service. */
    namespace service {

        /** Namespace discovery. */
        namespace discovery {

            /** Namespace v3. */
            namespace v3 {

                /**
                 * Properties of a DiscoveryRequest.
                 * @deprecated Use envoy.service.discovery.v3.DiscoveryRequest.$Properties instead.
                 */
                interface IDiscoveryRequest extends envoy.service.discovery.v3.DiscoveryRequest.$Properties {
                }

                /** Represents a DiscoveryRequest. */
                class DiscoveryRequest {

                    /**
                     * Constructs a new DiscoveryRequest.
                     * @param [properties] Properties to set
                     */
                    constructor(properties?: envoy.service.discovery.v3.DiscoveryRequest.$Properties);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];

                    /** DiscoveryRequest versionInfo. */
                    versionInfo: string;

                    /** DiscoveryRequest node. */
                    node: envoy.config.core.v3.Node;

                    /** DiscoveryRequest resourceNames. */
                    resourceNames: string[];

                    /** DiscoveryRequest typeUrl. */
                    typeUrl: string;

                    /** DiscoveryRequest responseNonce. */
                    responseNonce: string;

                    /** DiscoveryRequest errorDetail. */
                    errorDetail: google.rpc.Status;

                    /**
                     * Encodes the specified DiscoveryRequest message. Does not implicitly {@link envoy.service.discovery.v3.DiscoveryRequest.verify|verify} messages.
                     * @param message DiscoveryRequest message or plain object to encode
                     * @param [writer] Writer to encode to
                     * @returns Writer
                     */
                    static encode(message: envoy.service.discovery.v3.DiscoveryRequest.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                    /**
                     * Decodes a DiscoveryRequest message from the specified reader or buffer.
                     * @param reader Reader or buffer to decode from
                     * @param [length] Message length if known beforehand
                     * @returns {envoy.service.discovery.v3.DiscoveryRequest & envoy.service.discovery.v3.DiscoveryRequest.$Shape} DiscoveryRequest
                     * @throws {Error} If the payload is not a reader or valid buffer
                     * @throws {$protobuf.util.ProtocolError} If required fields are missing
                     */
                    static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): envoy.service.discovery.v3.DiscoveryRequest & envoy.service.discovery.v3.DiscoveryRequest.$Shape;
                }

                namespace DiscoveryRequest {

                    /** Properties of a DiscoveryRequest. */
                    interface $Properties {

                        /** DiscoveryRequest versionInfo */
                        versionInfo?: string;

                        /** DiscoveryRequest node */
                        node?: envoy.config.core.v3.Node.$Properties;

                        /** DiscoveryRequest resourceNames */
                        resourceNames?: string[];

                        /** DiscoveryRequest typeUrl */
                        typeUrl?: string;

                        /** DiscoveryRequest responseNonce */
                        responseNonce?: string;

                        /** DiscoveryRequest errorDetail */
                        errorDetail?: google.rpc.Status.$Properties;

                        /** Unknown fields preserved while decoding when enabled */
                        $unknowns?: Uint8Array[];
                    }

                    /** Shape of a DiscoveryRequest. */
                    type $Shape = {
                      versionInfo?: string;
                      node?: envoy.config.core.v3.Node.$Shape;
                      resourceNames?: string[];
                      typeUrl?: string;
                      responseNonce?: string;
                      errorDetail?: google.rpc.Status.$Shape;
                      $unknowns?: Uint8Array[];
                    };
                }

                /**
                 * Properties of a DiscoveryResponse.
                 * @deprecated Use envoy.service.discovery.v3.DiscoveryResponse.$Properties instead.
                 */
                interface IDiscoveryResponse extends envoy.service.discovery.v3.DiscoveryResponse.$Properties {
                }

                /** Represents a DiscoveryResponse. */
                class DiscoveryResponse {

                    /**
                     * Constructs a new DiscoveryResponse.
                     * @param [properties] Properties to set
                     */
                    constructor(properties?: envoy.service.discovery.v3.DiscoveryResponse.$Properties);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];

                    /** DiscoveryResponse versionInfo. */
                    versionInfo: string;

                    /** DiscoveryResponse resources. */
                    resources: google.protobuf.Any[];

                    /** DiscoveryResponse canary. */
                    canary: boolean;

                    /** DiscoveryResponse typeUrl. */
                    typeUrl: string;

                    /** DiscoveryResponse nonce. */
                    nonce: string;

                    /** DiscoveryResponse controlPlane. */
                    controlPlane: envoy.config.core.v3.ControlPlane;

                    /**
                     * Encodes the specified DiscoveryResponse message. Does not implicitly {@link envoy.service.discovery.v3.DiscoveryResponse.verify|verify} messages.
                     * @param message DiscoveryResponse message or plain object to encode
                     * @param [writer] Writer to encode to
                     * @returns Writer
                     */
                    static encode(message: envoy.service.discovery.v3.DiscoveryResponse.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                    /**
                     * Decodes a DiscoveryResponse message from the specified reader or buffer.
                     * @param reader Reader or buffer to decode from
                     * @param [length] Message length if known beforehand
                     * @returns {envoy.service.discovery.v3.DiscoveryResponse & envoy.service.discovery.v3.DiscoveryResponse.$Shape} DiscoveryResponse
                     * @throws {Error} If the payload is not a reader or valid buffer
                     * @throws {$protobuf.util.ProtocolError} If required fields are missing
                     */
                    static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): envoy.service.discovery.v3.DiscoveryResponse & envoy.service.discovery.v3.DiscoveryResponse.$Shape;
                }

                namespace DiscoveryResponse {

                    /** Properties of a DiscoveryResponse. */
                    interface $Properties {

                        /** DiscoveryResponse versionInfo */
                        versionInfo?: string;

                        /** DiscoveryResponse resources */
                        resources?: google.protobuf.Any.$Properties[];

                        /** DiscoveryResponse canary */
                        canary?: boolean;

                        /** DiscoveryResponse typeUrl */
                        typeUrl?: string;

                        /** DiscoveryResponse nonce */
                        nonce?: string;

                        /** DiscoveryResponse controlPlane */
                        controlPlane?: envoy.config.core.v3.ControlPlane.$Properties;

                        /** Unknown fields preserved while decoding when enabled */
                        $unknowns?: Uint8Array[];
                    }

                    /** Shape of a DiscoveryResponse. */
                    type $Shape = envoy.service.discovery.v3.DiscoveryResponse.$Properties;
                }

                /**
                 * Properties of a DeltaDiscoveryRequest.
                 * @deprecated Use envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties instead.
                 */
                interface IDeltaDiscoveryRequest extends envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties {
                }

                /** Represents a DeltaDiscoveryRequest. */
                class DeltaDiscoveryRequest {

                    /**
                     * Constructs a new DeltaDiscoveryRequest.
                     * @param [properties] Properties to set
                     */
                    constructor(properties?: envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];

                    /** DeltaDiscoveryRequest node. */
                    node: envoy.config.core.v3.Node;

                    /** DeltaDiscoveryRequest typeUrl. */
                    typeUrl: string;

                    /** DeltaDiscoveryRequest resourceNamesSubscribe. */
                    resourceNamesSubscribe: string[];

                    /** DeltaDiscoveryRequest resourceNamesUnsubscribe. */
                    resourceNamesUnsubscribe: string[];

                    /** DeltaDiscoveryRequest initialResourceVersions. */
                    initialResourceVersions: { [k: string]: string };

                    /** DeltaDiscoveryRequest responseNonce. */
                    responseNonce: string;

                    /** DeltaDiscoveryRequest errorDetail. */
                    errorDetail: google.rpc.Status;

                    /**
                     * Encodes the specified DeltaDiscoveryRequest message. Does not implicitly {@link envoy.service.discovery.v3.DeltaDiscoveryRequest.verify|verify} messages.
                     * @param message DeltaDiscoveryRequest message or plain object to encode
                     * @param [writer] Writer to encode to
                     * @returns Writer
                     */
                    static encode(message: envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                    /**
                     * Decodes a DeltaDiscoveryRequest message from the specified reader or buffer.
                     * @param reader Reader or buffer to decode from
                     * @param [length] Message length if known beforehand
                     * @returns {envoy.service.discovery.v3.DeltaDiscoveryRequest & envoy.service.discovery.v3.DeltaDiscoveryRequest.$Shape} DeltaDiscoveryRequest
                     * @throws {Error} If the payload is not a reader or valid buffer
                     * @throws {$protobuf.util.ProtocolError} If required fields are missing
                     */
                    static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): envoy.service.discovery.v3.DeltaDiscoveryRequest & envoy.service.discovery.v3.DeltaDiscoveryRequest.$Shape;
                }

                namespace DeltaDiscoveryRequest {

                    /** Properties of a DeltaDiscoveryRequest. */
                    interface $Properties {

                        /** DeltaDiscoveryRequest node */
                        node?: envoy.config.core.v3.Node.$Properties;

                        /** DeltaDiscoveryRequest typeUrl */
                        typeUrl?: string;

                        /** DeltaDiscoveryRequest resourceNamesSubscribe */
                        resourceNamesSubscribe?: string[];

                        /** DeltaDiscoveryRequest resourceNamesUnsubscribe */
                        resourceNamesUnsubscribe?: string[];

                        /** DeltaDiscoveryRequest initialResourceVersions */
                        initialResourceVersions?: { [k: string]: string };

                        /** DeltaDiscoveryRequest responseNonce */
                        responseNonce?: string;

                        /** DeltaDiscoveryRequest errorDetail */
                        errorDetail?: google.rpc.Status.$Properties;

                        /** Unknown fields preserved while decoding when enabled */
                        $unknowns?: Uint8Array[];
                    }

                    /** Shape of a DeltaDiscoveryRequest. */
                    type $Shape = {
                      node?: envoy.config.core.v3.Node.$Shape;
                      typeUrl?: string;
                      resourceNamesSubscribe?: string[];
                      resourceNamesUnsubscribe?: string[];
                      initialResourceVersions?: { [k: string]: string };
                      responseNonce?: string;
                      errorDetail?: google.rpc.Status.$Shape;
                      $unknowns?: Uint8Array[];
                    };
                }

                /**
                 * Properties of a DeltaDiscoveryResponse.
                 * @deprecated Use envoy.service.discovery.v3.DeltaDiscoveryResponse.$Properties instead.
                 */
                interface IDeltaDiscoveryResponse extends envoy.service.discovery.v3.DeltaDiscoveryResponse.$Properties {
                }

                /** Represents a DeltaDiscoveryResponse. */
                class DeltaDiscoveryResponse {

                    /**
                     * Constructs a new DeltaDiscoveryResponse.
                     * @param [properties] Properties to set
                     */
                    constructor(properties?: envoy.service.discovery.v3.DeltaDiscoveryResponse.$Properties);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];

                    /** DeltaDiscoveryResponse systemVersionInfo. */
                    systemVersionInfo: string;

                    /** DeltaDiscoveryResponse resources. */
                    resources: envoy.service.discovery.v3.Resource[];

                    /** DeltaDiscoveryResponse typeUrl. */
                    typeUrl: string;

                    /** DeltaDiscoveryResponse nonce. */
                    nonce: string;

                    /** DeltaDiscoveryResponse removedResources. */
                    removedResources: string[];

                    /** DeltaDiscoveryResponse controlPlane. */
                    controlPlane: envoy.config.core.v3.ControlPlane;

                    /**
                     * Encodes the specified DeltaDiscoveryResponse message. Does not implicitly {@link envoy.service.discovery.v3.DeltaDiscoveryResponse.verify|verify} messages.
                     * @param message DeltaDiscoveryResponse message or plain object to encode
                     * @param [writer] Writer to encode to
                     * @returns Writer
                     */
                    static encode(message: envoy.service.discovery.v3.DeltaDiscoveryResponse.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                    /**
                     * Decodes a DeltaDiscoveryResponse message from the specified reader or buffer.
                     * @param reader Reader or buffer to decode from
                     * @param [length] Message length if known beforehand
                     * @returns {envoy.service.discovery.v3.DeltaDiscoveryResponse & envoy.service.discovery.v3.DeltaDiscoveryResponse.$Shape} DeltaDiscoveryResponse
                     * @throws {Error} If the payload is not a reader or valid buffer
                     * @throws {$protobuf.util.ProtocolError} If required fields are missing
                     */
                    static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): envoy.service.discovery.v3.DeltaDiscoveryResponse & envoy.service.discovery.v3.DeltaDiscoveryResponse.$Shape;
                }

                namespace DeltaDiscoveryResponse {

                    /** Properties of a DeltaDiscoveryResponse. */
                    interface $Properties {

                        /** DeltaDiscoveryResponse systemVersionInfo */
                        systemVersionInfo?: string;

                        /** DeltaDiscoveryResponse resources */
                        resources?: envoy.service.discovery.v3.Resource.$Properties[];

                        /** DeltaDiscoveryResponse typeUrl */
                        typeUrl?: string;

                        /** DeltaDiscoveryResponse nonce */
                        nonce?: string;

                        /** DeltaDiscoveryResponse removedResources */
                        removedResources?: string[];

                        /** DeltaDiscoveryResponse controlPlane */
                        controlPlane?: envoy.config.core.v3.ControlPlane.$Properties;

                        /** Unknown fields preserved while decoding when enabled */
                        $unknowns?: Uint8Array[];
                    }

                    /** Shape of a DeltaDiscoveryResponse. */
                    type $Shape = envoy.service.discovery.v3.DeltaDiscoveryResponse.$Properties;
                }

                /**
                 * Properties of a Resource.
                 * @deprecated Use envoy.service.discovery.v3.Resource.$Properties instead.
                 */
                interface IResource extends envoy.service.discovery.v3.Resource.$Properties {
                }

                /** Represents a Resource. */
                class Resource {

                    /**
                     * Constructs a new Resource.
                     * @param [properties] Properties to set
                     */
                    constructor(properties?: envoy.service.discovery.v3.Resource.$Properties);

                    /** Unknown fields preserved while decoding when enabled */
                    $unknowns?: Uint8Array[];

                    /** Resource version. */
                    version: string;

                    /** Resource resource. */
                    resource: google.protobuf.Any;

                    /** Resource name. */
                    name: string;

                    /** Resource aliases. */
                    aliases: string[];

                    /** Resource ttl. */
                    ttl: google.protobuf.Duration;

                    /** Resource cacheControl. */
                    cacheControl: envoy.service.discovery.v3.Resource.CacheControl;

                    /**
                     * Encodes the specified Resource message. Does not implicitly {@link envoy.service.discovery.v3.Resource.verify|verify} messages.
                     * @param message Resource message or plain object to encode
                     * @param [writer] Writer to encode to
                     * @returns Writer
                     */
                    static encode(message: envoy.service.discovery.v3.Resource.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                    /**
                     * Decodes a Resource message from the specified reader or buffer.
                     * @param reader Reader or buffer to decode from
                     * @param [length] Message length if known beforehand
                     * @returns {envoy.service.discovery.v3.Resource & envoy.service.discovery.v3.Resource.$Shape} Resource
                     * @throws {Error} If the payload is not a reader or valid buffer
                     * @throws {$protobuf.util.ProtocolError} If required fields are missing
                     */
                    static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): envoy.service.discovery.v3.Resource & envoy.service.discovery.v3.Resource.$Shape;
                }

                namespace Resource {

                    /** Properties of a Resource. */
                    interface $Properties {

                        /** Resource version */
                        version?: string;

                        /** Resource resource */
                        resource?: google.protobuf.Any.$Properties;

                        /** Resource name */
                        name?: string;

                        /** Resource aliases */
                        aliases?: string[];

                        /** Resource ttl */
                        ttl?: google.protobuf.Duration.$Properties;

                        /** Resource cacheControl */
                        cacheControl?: envoy.service.discovery.v3.Resource.CacheControl.$Properties;

                        /** Unknown fields preserved while decoding when enabled */
                        $unknowns?: Uint8Array[];
                    }

                    /** Shape of a Resource. */
                    type $Shape = envoy.service.discovery.v3.Resource.$Properties;

                    /**
                     * Properties of a CacheControl.
                     * @deprecated Use envoy.service.discovery.v3.Resource.CacheControl.$Properties instead.
                     */
                    interface ICacheControl extends envoy.service.discovery.v3.Resource.CacheControl.$Properties {
                    }

                    /** Represents a CacheControl. */
                    class CacheControl {

                        /**
                         * Constructs a new CacheControl.
                         * @param [properties] Properties to set
                         */
                        constructor(properties?: envoy.service.discovery.v3.Resource.CacheControl.$Properties);

                        /** Unknown fields preserved while decoding when enabled */
                        $unknowns?: Uint8Array[];

                        /** CacheControl doNotCache. */
                        doNotCache: boolean;

                        /**
                         * Encodes the specified CacheControl message. Does not implicitly {@link envoy.service.discovery.v3.Resource.CacheControl.verify|verify} messages.
                         * @param message CacheControl message or plain object to encode
                         * @param [writer] Writer to encode to
                         * @returns Writer
                         */
                        static encode(message: envoy.service.discovery.v3.Resource.CacheControl.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

                        /**
                         * Decodes a CacheControl message from the specified reader or buffer.
                         * @param reader Reader or buffer to decode from
                         * @param [length] Message length if known beforehand
                         * @returns {envoy.service.discovery.v3.Resource.CacheControl & envoy.service.discovery.v3.Resource.CacheControl.$Shape} CacheControl
                         * @throws {Error} If the payload is not a reader or valid buffer
                         * @throws {$protobuf.util.ProtocolError} If required fields are missing
                         */
                        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): envoy.service.discovery.v3.Resource.CacheControl & envoy.service.discovery.v3.Resource.CacheControl.$Shape;
                    }

                    namespace CacheControl {

                        /** Properties of a CacheControl. */
                        interface $Properties {

                            /** CacheControl doNotCache */
                            doNotCache?: boolean;

                            /** Unknown fields preserved while decoding when enabled */
                            $unknowns?: Uint8Array[];
                        }

                        /** Shape of a CacheControl. */
                        type $Shape = envoy.service.discovery.v3.Resource.CacheControl.$Properties;
                    }
                }
            }
        }
    }
}

/** Namespace google. */
export namespace google {

    /** Namespace protobuf. */
    namespace protobuf {

        /**
         * Properties of a Struct.
         * @deprecated Use google.protobuf.Struct.$Properties instead.
         */
        interface IStruct extends google.protobuf.Struct.$Properties {
        }

        /** Represents a Struct. */
        class Struct {

            /**
             * Constructs a new Struct.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.Struct.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Struct fields. */
            fields: { [k: string]: google.protobuf.Value };

            /**
             * Encodes the specified Struct message. Does not implicitly {@link google.protobuf.Struct.verify|verify} messages.
             * @param message Struct message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.Struct.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Struct message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.Struct & google.protobuf.Struct.$Shape} Struct
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.Struct & google.protobuf.Struct.$Shape;
        }

        namespace Struct {

            /** Properties of a Struct. */
            interface $Properties {

                /** Struct fields */
                fields?: { [k: string]: google.protobuf.Value.$Properties };

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Struct. */
            type $Shape = {
              fields?: { [k: string]: google.protobuf.Value.$Shape };
              $unknowns?: Uint8Array[];
            };
        }

        /**
         * Properties of a Value.
         * @deprecated Use google.protobuf.Value.$Properties instead.
         */
        interface IValue extends google.protobuf.Value.$Properties {
        }

        /** Represents a Value. */
        class Value {

            /**
             * Constructs a new Value.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.Value.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Value nullValue. */
            nullValue: (google.protobuf.NullValue|null);

            /** Value numberValue. */
            numberValue: (number|null);

            /** Value stringValue. */
            stringValue: (string|null);

            /** Value boolValue. */
            boolValue: (boolean|null);

            /** Value structValue. */
            structValue: (google.protobuf.Struct|null);

            /** Value listValue. */
            listValue: (google.protobuf.ListValue|null);

            /** Value kind. */
            kind?: ("nullValue"|"numberValue"|"stringValue"|"boolValue"|"structValue"|"listValue");

            /**
             * Encodes the specified Value message. Does not implicitly {@link google.protobuf.Value.verify|verify} messages.
             * @param message Value message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.Value.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Value message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.Value & google.protobuf.Value.$Shape} Value
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.Value & google.protobuf.Value.$Shape;
        }

        namespace Value {

            /** Properties of a Value. */
            interface $Properties {

                /** Value nullValue */
                nullValue?: (google.protobuf.NullValue|null);

                /** Value numberValue */
                numberValue?: (number|null);

                /** Value stringValue */
                stringValue?: (string|null);

                /** Value boolValue */
                boolValue?: (boolean|null);

                /** Value structValue */
                structValue?: (google.protobuf.Struct.$Properties|null);

                /** Value listValue */
                listValue?: (google.protobuf.ListValue.$Properties|null);

                /** Value kind */
                kind?: ("nullValue"|"numberValue"|"stringValue"|"boolValue"|"structValue"|"listValue");

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Narrowed shape of a Value. */
            type $Shape = {
              nullValue?: google.protobuf.NullValue|null;
              numberValue?: number|null;
              stringValue?: string|null;
              boolValue?: boolean|null;
              structValue?: google.protobuf.Struct.$Shape|null;
              listValue?: google.protobuf.ListValue.$Shape|null;
              $unknowns?: Uint8Array[];
            } & (
              ({ kind?: undefined; nullValue?: null; numberValue?: null; stringValue?: null; boolValue?: null; structValue?: null; listValue?: null }|{ kind?: "nullValue"; nullValue: google.protobuf.NullValue; numberValue?: null; stringValue?: null; boolValue?: null; structValue?: null; listValue?: null }|{ kind?: "numberValue"; nullValue?: null; numberValue: number; stringValue?: null; boolValue?: null; structValue?: null; listValue?: null }|{ kind?: "stringValue"; nullValue?: null; numberValue?: null; stringValue: string; boolValue?: null; structValue?: null; listValue?: null }|{ kind?: "boolValue"; nullValue?: null; numberValue?: null; stringValue?: null; boolValue: boolean; structValue?: null; listValue?: null }|{ kind?: "structValue"; nullValue?: null; numberValue?: null; stringValue?: null; boolValue?: null; structValue: google.protobuf.Struct.$Shape; listValue?: null }|{ kind?: "listValue"; nullValue?: null; numberValue?: null; stringValue?: null; boolValue?: null; structValue?: null; listValue: google.protobuf.ListValue.$Shape })
            );
        }

        /** NullValue enum. */
        enum NullValue {

            /** NULL_VALUE value */
            NULL_VALUE = 0
        }

        /**
         * Properties of a ListValue.
         * @deprecated Use google.protobuf.ListValue.$Properties instead.
         */
        interface IListValue extends google.protobuf.ListValue.$Properties {
        }

        /** Represents a ListValue. */
        class ListValue {

            /**
             * Constructs a new ListValue.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.ListValue.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** ListValue values. */
            values: google.protobuf.Value[];

            /**
             * Encodes the specified ListValue message. Does not implicitly {@link google.protobuf.ListValue.verify|verify} messages.
             * @param message ListValue message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.ListValue.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a ListValue message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.ListValue & google.protobuf.ListValue.$Shape} ListValue
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.ListValue & google.protobuf.ListValue.$Shape;
        }

        namespace ListValue {

            /** Properties of a ListValue. */
            interface $Properties {

                /** ListValue values */
                values?: google.protobuf.Value.$Properties[];

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a ListValue. */
            type $Shape = {
              values?: google.protobuf.Value.$Shape[];
              $unknowns?: Uint8Array[];
            };
        }

        /**
         * Properties of an Any.
         * @deprecated Use google.protobuf.Any.$Properties instead.
         */
        interface IAny extends google.protobuf.Any.$Properties {
        }

        /** Represents an Any. */
        class Any {

            /**
             * Constructs a new Any.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.Any.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Any type_url. */
            type_url: string;

            /** Any value. */
            value: Uint8Array;

            /**
             * Encodes the specified Any message. Does not implicitly {@link google.protobuf.Any.verify|verify} messages.
             * @param message Any message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.Any.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Any message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.Any & google.protobuf.Any.$Shape} Any
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.Any & google.protobuf.Any.$Shape;
        }

        namespace Any {

            /** Properties of an Any. */
            interface $Properties {

                /** Any type_url */
                type_url?: string;

                /** Any value */
                value?: Uint8Array;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an Any. */
            type $Shape = google.protobuf.Any.$Properties;
        }

        /**
         * Properties of a Duration.
         * @deprecated Use google.protobuf.Duration.$Properties instead.
         */
        interface IDuration extends google.protobuf.Duration.$Properties {
        }

        /** Represents a Duration. */
        class Duration {

            /**
             * Constructs a new Duration.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.Duration.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Duration seconds. */
            seconds: number;

            /** Duration nanos. */
            nanos: number;

            /**
             * Encodes the specified Duration message. Does not implicitly {@link google.protobuf.Duration.verify|verify} messages.
             * @param message Duration message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.Duration.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Duration message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.Duration & google.protobuf.Duration.$Shape} Duration
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.Duration & google.protobuf.Duration.$Shape;
        }

        namespace Duration {

            /** Properties of a Duration. */
            interface $Properties {

                /** Duration seconds */
                seconds?: number;

                /** Duration nanos */
                nanos?: number;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Duration. */
            type $Shape = google.protobuf.Duration.$Properties;
        }

        /**
         * Properties of an Empty.
         * @deprecated Use google.protobuf.Empty.$Properties instead.
         */
        interface IEmpty extends google.protobuf.Empty.$Properties {
        }

        /** Represents an Empty. */
        class Empty {

            /**
             * Constructs a new Empty.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.Empty.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /**
             * Encodes the specified Empty message. Does not implicitly {@link google.protobuf.Empty.verify|verify} messages.
             * @param message Empty message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.Empty.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Empty message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.Empty & google.protobuf.Empty.$Shape} Empty
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.Empty & google.protobuf.Empty.$Shape;
        }

        namespace Empty {

            /** Properties of an Empty. */
            interface $Properties {

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an Empty. */
            type $Shape = google.protobuf.Empty.$Properties;
        }

        /**
         * Properties of a DoubleValue.
         * @deprecated Use google.protobuf.DoubleValue.$Properties instead.
         */
        interface IDoubleValue extends google.protobuf.DoubleValue.$Properties {
        }

        /** Represents a DoubleValue. */
        class DoubleValue {

            /**
             * Constructs a new DoubleValue.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.DoubleValue.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** DoubleValue value. */
            value: number;

            /**
             * Encodes the specified DoubleValue message. Does not implicitly {@link google.protobuf.DoubleValue.verify|verify} messages.
             * @param message DoubleValue message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.DoubleValue.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a DoubleValue message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.DoubleValue & google.protobuf.DoubleValue.$Shape} DoubleValue
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.DoubleValue & google.protobuf.DoubleValue.$Shape;
        }

        namespace DoubleValue {

            /** Properties of a DoubleValue. */
            interface $Properties {

                /** DoubleValue value */
                value?: number;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a DoubleValue. */
            type $Shape = google.protobuf.DoubleValue.$Properties;
        }

        /**
         * Properties of a FloatValue.
         * @deprecated Use google.protobuf.FloatValue.$Properties instead.
         */
        interface IFloatValue extends google.protobuf.FloatValue.$Properties {
        }

        /** Represents a FloatValue. */
        class FloatValue {

            /**
             * Constructs a new FloatValue.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.FloatValue.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** FloatValue value. */
            value: number;

            /**
             * Encodes the specified FloatValue message. Does not implicitly {@link google.protobuf.FloatValue.verify|verify} messages.
             * @param message FloatValue message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.FloatValue.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a FloatValue message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.FloatValue & google.protobuf.FloatValue.$Shape} FloatValue
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.FloatValue & google.protobuf.FloatValue.$Shape;
        }

        namespace FloatValue {

            /** Properties of a FloatValue. */
            interface $Properties {

                /** FloatValue value */
                value?: number;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a FloatValue. */
            type $Shape = google.protobuf.FloatValue.$Properties;
        }

        /**
         * Properties of an Int64Value.
         * @deprecated Use google.protobuf.Int64Value.$Properties instead.
         */
        interface IInt64Value extends google.protobuf.Int64Value.$Properties {
        }

        /** Represents an Int64Value. */
        class Int64Value {

            /**
             * Constructs a new Int64Value.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.Int64Value.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Int64Value value. */
            value: number;

            /**
             * Encodes the specified Int64Value message. Does not implicitly {@link google.protobuf.Int64Value.verify|verify} messages.
             * @param message Int64Value message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.Int64Value.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Int64Value message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.Int64Value & google.protobuf.Int64Value.$Shape} Int64Value
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.Int64Value & google.protobuf.Int64Value.$Shape;
        }

        namespace Int64Value {

            /** Properties of an Int64Value. */
            interface $Properties {

                /** Int64Value value */
                value?: number;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an Int64Value. */
            type $Shape = google.protobuf.Int64Value.$Properties;
        }

        /**
         * Properties of a UInt64Value.
         * @deprecated Use google.protobuf.UInt64Value.$Properties instead.
         */
        interface IUInt64Value extends google.protobuf.UInt64Value.$Properties {
        }

        /** Represents a UInt64Value. */
        class UInt64Value {

            /**
             * Constructs a new UInt64Value.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.UInt64Value.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** UInt64Value value. */
            value: number;

            /**
             * Encodes the specified UInt64Value message. Does not implicitly {@link google.protobuf.UInt64Value.verify|verify} messages.
             * @param message UInt64Value message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.UInt64Value.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a UInt64Value message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.UInt64Value & google.protobuf.UInt64Value.$Shape} UInt64Value
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.UInt64Value & google.protobuf.UInt64Value.$Shape;
        }

        namespace UInt64Value {

            /** Properties of a UInt64Value. */
            interface $Properties {

                /** UInt64Value value */
                value?: number;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a UInt64Value. */
            type $Shape = google.protobuf.UInt64Value.$Properties;
        }

        /**
         * Properties of an Int32Value.
         * @deprecated Use google.protobuf.Int32Value.$Properties instead.
         */
        interface IInt32Value extends google.protobuf.Int32Value.$Properties {
        }

        /** Represents an Int32Value. */
        class Int32Value {

            /**
             * Constructs a new Int32Value.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.Int32Value.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Int32Value value. */
            value: number;

            /**
             * Encodes the specified Int32Value message. Does not implicitly {@link google.protobuf.Int32Value.verify|verify} messages.
             * @param message Int32Value message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.Int32Value.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Int32Value message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.Int32Value & google.protobuf.Int32Value.$Shape} Int32Value
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.Int32Value & google.protobuf.Int32Value.$Shape;
        }

        namespace Int32Value {

            /** Properties of an Int32Value. */
            interface $Properties {

                /** Int32Value value */
                value?: number;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an Int32Value. */
            type $Shape = google.protobuf.Int32Value.$Properties;
        }

        /**
         * Properties of a UInt32Value.
         * @deprecated Use google.protobuf.UInt32Value.$Properties instead.
         */
        interface IUInt32Value extends google.protobuf.UInt32Value.$Properties {
        }

        /** Represents a UInt32Value. */
        class UInt32Value {

            /**
             * Constructs a new UInt32Value.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.UInt32Value.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** UInt32Value value. */
            value: number;

            /**
             * Encodes the specified UInt32Value message. Does not implicitly {@link google.protobuf.UInt32Value.verify|verify} messages.
             * @param message UInt32Value message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.UInt32Value.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a UInt32Value message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.UInt32Value & google.protobuf.UInt32Value.$Shape} UInt32Value
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.UInt32Value & google.protobuf.UInt32Value.$Shape;
        }

        namespace UInt32Value {

            /** Properties of a UInt32Value. */
            interface $Properties {

                /** UInt32Value value */
                value?: number;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a UInt32Value. */
            type $Shape = google.protobuf.UInt32Value.$Properties;
        }

        /**
         * Properties of a BoolValue.
         * @deprecated Use google.protobuf.BoolValue.$Properties instead.
         */
        interface IBoolValue extends google.protobuf.BoolValue.$Properties {
        }

        /** Represents a BoolValue. */
        class BoolValue {

            /**
             * Constructs a new BoolValue.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.BoolValue.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** BoolValue value. */
            value: boolean;

            /**
             * Encodes the specified BoolValue message. Does not implicitly {@link google.protobuf.BoolValue.verify|verify} messages.
             * @param message BoolValue message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.BoolValue.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a BoolValue message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.BoolValue & google.protobuf.BoolValue.$Shape} BoolValue
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.BoolValue & google.protobuf.BoolValue.$Shape;
        }

        namespace BoolValue {

            /** Properties of a BoolValue. */
            interface $Properties {

                /** BoolValue value */
                value?: boolean;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a BoolValue. */
            type $Shape = google.protobuf.BoolValue.$Properties;
        }

        /**
         * Properties of a StringValue.
         * @deprecated Use google.protobuf.StringValue.$Properties instead.
         */
        interface IStringValue extends google.protobuf.StringValue.$Properties {
        }

        /** Represents a StringValue. */
        class StringValue {

            /**
             * Constructs a new StringValue.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.StringValue.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** StringValue value. */
            value: string;

            /**
             * Encodes the specified StringValue message. Does not implicitly {@link google.protobuf.StringValue.verify|verify} messages.
             * @param message StringValue message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.StringValue.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a StringValue message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.StringValue & google.protobuf.StringValue.$Shape} StringValue
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.StringValue & google.protobuf.StringValue.$Shape;
        }

        namespace StringValue {

            /** Properties of a StringValue. */
            interface $Properties {

                /** StringValue value */
                value?: string;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a StringValue. */
            type $Shape = google.protobuf.StringValue.$Properties;
        }

        /**
         * Properties of a BytesValue.
         * @deprecated Use google.protobuf.BytesValue.$Properties instead.
         */
        interface IBytesValue extends google.protobuf.BytesValue.$Properties {
        }

        /** Represents a BytesValue. */
        class BytesValue {

            /**
             * Constructs a new BytesValue.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.protobuf.BytesValue.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** BytesValue value. */
            value: Uint8Array;

            /**
             * Encodes the specified BytesValue message. Does not implicitly {@link google.protobuf.BytesValue.verify|verify} messages.
             * @param message BytesValue message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.protobuf.BytesValue.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a BytesValue message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.protobuf.BytesValue & google.protobuf.BytesValue.$Shape} BytesValue
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.protobuf.BytesValue & google.protobuf.BytesValue.$Shape;
        }

        namespace BytesValue {

            /** Properties of a BytesValue. */
            interface $Properties {

                /** BytesValue value */
                value?: Uint8Array;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a BytesValue. */
            type $Shape = google.protobuf.BytesValue.$Properties;
        }
    }

    /** Namespace rpc. */
    namespace rpc {

        /**
         * Properties of a Status.
         * @deprecated Use google.rpc.Status.$Properties instead.
         */
        interface IStatus extends google.rpc.Status.$Properties {
        }

        /** Represents a Status. */
        class Status {

            /**
             * Constructs a new Status.
             * @param [properties] Properties to set
             */
            constructor(properties?: google.rpc.Status.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Status code. */
            code: number;

            /** Status message. */
            message: string;

            /** Status details. */
            details: google.protobuf.Any[];

            /**
             * Encodes the specified Status message. Does not implicitly {@link google.rpc.Status.verify|verify} messages.
             * @param message Status message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: google.rpc.Status.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Status message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {google.rpc.Status & google.rpc.Status.$Shape} Status
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): google.rpc.Status & google.rpc.Status.$Shape;
        }

        namespace Status {

            /** Properties of a Status. */
            interface $Properties {

                /** Status code */
                code?: number;

                /** Status message */
                message?: string;

                /** Status details */
                details?: google.protobuf.Any.$Properties[];

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Status. */
            type $Shape = google.rpc.Status.$Properties;
        }
    }
}

/** Namespace istio. */
export namespace istio {

    /** Namespace security. */
    namespace security {

        /**
         * Properties of an Authorization.
         * @deprecated Use istio.security.Authorization.$Properties instead.
         */
        interface IAuthorization extends istio.security.Authorization.$Properties {
        }

        /** Represents an Authorization. */
        class Authorization {

            /**
             * Constructs a new Authorization.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.security.Authorization.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Authorization name. */
            name: string;

            /** Authorization namespace. */
            namespace: string;

            /** Authorization scope. */
            scope: istio.security.Scope;

            /** Authorization action. */
            action: istio.security.Action;

            /** Authorization groups. */
            groups: istio.security.Group[];

            /** Authorization dryRun. */
            dryRun: boolean;

            /** Authorization extensions. */
            extensions: istio.workload.Extension[];

            /**
             * Encodes the specified Authorization message. Does not implicitly {@link istio.security.Authorization.verify|verify} messages.
             * @param message Authorization message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.security.Authorization.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Authorization message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.security.Authorization & istio.security.Authorization.$Shape} Authorization
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.security.Authorization & istio.security.Authorization.$Shape;
        }

        namespace Authorization {

            /** Properties of an Authorization. */
            interface $Properties {

                /** Authorization name */
                name?: string;

                /** Authorization namespace */
                namespace?: string;

                /** Authorization scope */
                scope?: istio.security.Scope;

                /** Authorization action */
                action?: istio.security.Action;

                /** Authorization groups */
                groups?: istio.security.Group.$Properties[];

                /** Authorization dryRun */
                dryRun?: boolean;

                /** Authorization extensions */
                extensions?: istio.workload.Extension.$Properties[];

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an Authorization. */
            type $Shape = {
              name?: string;
              namespace?: string;
              scope?: istio.security.Scope;
              action?: istio.security.Action;
              groups?: istio.security.Group.$Shape[];
              dryRun?: boolean;
              extensions?: istio.workload.Extension.$Shape[];
              $unknowns?: Uint8Array[];
            };
        }

        /**
         * Properties of a Group.
         * @deprecated Use istio.security.Group.$Properties instead.
         */
        interface IGroup extends istio.security.Group.$Properties {
        }

        /** Represents a Group. */
        class Group {

            /**
             * Constructs a new Group.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.security.Group.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Group rules. */
            rules: istio.security.Rules[];

            /**
             * Encodes the specified Group message. Does not implicitly {@link istio.security.Group.verify|verify} messages.
             * @param message Group message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.security.Group.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Group message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.security.Group & istio.security.Group.$Shape} Group
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.security.Group & istio.security.Group.$Shape;
        }

        namespace Group {

            /** Properties of a Group. */
            interface $Properties {

                /** Group rules */
                rules?: istio.security.Rules.$Properties[];

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Group. */
            type $Shape = {
              rules?: istio.security.Rules.$Shape[];
              $unknowns?: Uint8Array[];
            };
        }

        /**
         * Properties of a Rules.
         * @deprecated Use istio.security.Rules.$Properties instead.
         */
        interface IRules extends istio.security.Rules.$Properties {
        }

        /** Represents a Rules. */
        class Rules {

            /**
             * Constructs a new Rules.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.security.Rules.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Rules matches. */
            matches: istio.security.Match[];

            /**
             * Encodes the specified Rules message. Does not implicitly {@link istio.security.Rules.verify|verify} messages.
             * @param message Rules message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.security.Rules.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Rules message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.security.Rules & istio.security.Rules.$Shape} Rules
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.security.Rules & istio.security.Rules.$Shape;
        }

        namespace Rules {

            /** Properties of a Rules. */
            interface $Properties {

                /** Rules matches */
                matches?: istio.security.Match.$Properties[];

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Rules. */
            type $Shape = {
              matches?: istio.security.Match.$Shape[];
              $unknowns?: Uint8Array[];
            };
        }

        /**
         * Properties of a Match.
         * @deprecated Use istio.security.Match.$Properties instead.
         */
        interface IMatch extends istio.security.Match.$Properties {
        }

        /** Represents a Match. */
        class Match {

            /**
             * Constructs a new Match.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.security.Match.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Match namespaces. */
            namespaces: istio.security.StringMatch[];

            /** Match notNamespaces. */
            notNamespaces: istio.security.StringMatch[];

            /** Match serviceAccounts. */
            serviceAccounts: istio.security.ServiceAccountMatch[];

            /** Match notServiceAccounts. */
            notServiceAccounts: istio.security.ServiceAccountMatch[];

            /** Match principals. */
            principals: istio.security.StringMatch[];

            /** Match notPrincipals. */
            notPrincipals: istio.security.StringMatch[];

            /** Match sourceIps. */
            sourceIps: istio.security.Address[];

            /** Match notSourceIps. */
            notSourceIps: istio.security.Address[];

            /** Match destinationIps. */
            destinationIps: istio.security.Address[];

            /** Match notDestinationIps. */
            notDestinationIps: istio.security.Address[];

            /** Match destinationPorts. */
            destinationPorts: number[];

            /** Match notDestinationPorts. */
            notDestinationPorts: number[];

            /** Match extensions. */
            extensions: istio.workload.Extension[];

            /**
             * Encodes the specified Match message. Does not implicitly {@link istio.security.Match.verify|verify} messages.
             * @param message Match message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.security.Match.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Match message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.security.Match & istio.security.Match.$Shape} Match
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.security.Match & istio.security.Match.$Shape;
        }

        namespace Match {

            /** Properties of a Match. */
            interface $Properties {

                /** Match namespaces */
                namespaces?: istio.security.StringMatch.$Properties[];

                /** Match notNamespaces */
                notNamespaces?: istio.security.StringMatch.$Properties[];

                /** Match serviceAccounts */
                serviceAccounts?: istio.security.ServiceAccountMatch.$Properties[];

                /** Match notServiceAccounts */
                notServiceAccounts?: istio.security.ServiceAccountMatch.$Properties[];

                /** Match principals */
                principals?: istio.security.StringMatch.$Properties[];

                /** Match notPrincipals */
                notPrincipals?: istio.security.StringMatch.$Properties[];

                /** Match sourceIps */
                sourceIps?: istio.security.Address.$Properties[];

                /** Match notSourceIps */
                notSourceIps?: istio.security.Address.$Properties[];

                /** Match destinationIps */
                destinationIps?: istio.security.Address.$Properties[];

                /** Match notDestinationIps */
                notDestinationIps?: istio.security.Address.$Properties[];

                /** Match destinationPorts */
                destinationPorts?: number[];

                /** Match notDestinationPorts */
                notDestinationPorts?: number[];

                /** Match extensions */
                extensions?: istio.workload.Extension.$Properties[];

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Match. */
            type $Shape = {
              namespaces?: istio.security.StringMatch.$Shape[];
              notNamespaces?: istio.security.StringMatch.$Shape[];
              serviceAccounts?: istio.security.ServiceAccountMatch.$Shape[];
              notServiceAccounts?: istio.security.ServiceAccountMatch.$Shape[];
              principals?: istio.security.StringMatch.$Shape[];
              notPrincipals?: istio.security.StringMatch.$Shape[];
              sourceIps?: istio.security.Address.$Shape[];
              notSourceIps?: istio.security.Address.$Shape[];
              destinationIps?: istio.security.Address.$Shape[];
              notDestinationIps?: istio.security.Address.$Shape[];
              destinationPorts?: number[];
              notDestinationPorts?: number[];
              extensions?: istio.workload.Extension.$Shape[];
              $unknowns?: Uint8Array[];
            };
        }

        /**
         * Properties of an Address.
         * @deprecated Use istio.security.Address.$Properties instead.
         */
        interface IAddress extends istio.security.Address.$Properties {
        }

        /** Represents an Address. */
        class Address {

            /**
             * Constructs a new Address.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.security.Address.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Address address. */
            address: Uint8Array;

            /** Address length. */
            length: number;

            /**
             * Encodes the specified Address message. Does not implicitly {@link istio.security.Address.verify|verify} messages.
             * @param message Address message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.security.Address.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Address message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.security.Address & istio.security.Address.$Shape} Address
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.security.Address & istio.security.Address.$Shape;
        }

        namespace Address {

            /** Properties of an Address. */
            interface $Properties {

                /** Address address */
                address?: Uint8Array;

                /** Address length */
                length?: number;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an Address. */
            type $Shape = istio.security.Address.$Properties;
        }

        /**
         * Properties of a ServiceAccountMatch.
         * @deprecated Use istio.security.ServiceAccountMatch.$Properties instead.
         */
        interface IServiceAccountMatch extends istio.security.ServiceAccountMatch.$Properties {
        }

        /** Represents a ServiceAccountMatch. */
        class ServiceAccountMatch {

            /**
             * Constructs a new ServiceAccountMatch.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.security.ServiceAccountMatch.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** ServiceAccountMatch namespace. */
            namespace: string;

            /** ServiceAccountMatch serviceAccount. */
            serviceAccount: string;

            /**
             * Encodes the specified ServiceAccountMatch message. Does not implicitly {@link istio.security.ServiceAccountMatch.verify|verify} messages.
             * @param message ServiceAccountMatch message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.security.ServiceAccountMatch.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a ServiceAccountMatch message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.security.ServiceAccountMatch & istio.security.ServiceAccountMatch.$Shape} ServiceAccountMatch
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.security.ServiceAccountMatch & istio.security.ServiceAccountMatch.$Shape;
        }

        namespace ServiceAccountMatch {

            /** Properties of a ServiceAccountMatch. */
            interface $Properties {

                /** ServiceAccountMatch namespace */
                namespace?: string;

                /** ServiceAccountMatch serviceAccount */
                serviceAccount?: string;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a ServiceAccountMatch. */
            type $Shape = istio.security.ServiceAccountMatch.$Properties;
        }

        /**
         * Properties of a StringMatch.
         * @deprecated Use istio.security.StringMatch.$Properties instead.
         */
        interface IStringMatch extends istio.security.StringMatch.$Properties {
        }

        /** Represents a StringMatch. */
        class StringMatch {

            /**
             * Constructs a new StringMatch.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.security.StringMatch.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** StringMatch exact. */
            exact: (string|null);

            /** StringMatch prefix. */
            prefix: (string|null);

            /** StringMatch suffix. */
            suffix: (string|null);

            /** StringMatch presence. */
            presence: (google.protobuf.Empty|null);

            /** StringMatch matchType. */
            matchType?: ("exact"|"prefix"|"suffix"|"presence");

            /**
             * Encodes the specified StringMatch message. Does not implicitly {@link istio.security.StringMatch.verify|verify} messages.
             * @param message StringMatch message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.security.StringMatch.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a StringMatch message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.security.StringMatch & istio.security.StringMatch.$Shape} StringMatch
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.security.StringMatch & istio.security.StringMatch.$Shape;
        }

        namespace StringMatch {

            /** Properties of a StringMatch. */
            interface $Properties {

                /** StringMatch exact */
                exact?: (string|null);

                /** StringMatch prefix */
                prefix?: (string|null);

                /** StringMatch suffix */
                suffix?: (string|null);

                /** StringMatch presence */
                presence?: (google.protobuf.Empty.$Properties|null);

                /** StringMatch matchType */
                matchType?: ("exact"|"prefix"|"suffix"|"presence");

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Narrowed shape of a StringMatch. */
            type $Shape = {
              exact?: string|null;
              prefix?: string|null;
              suffix?: string|null;
              presence?: google.protobuf.Empty.$Shape|null;
              $unknowns?: Uint8Array[];
            } & (
              ({ matchType?: undefined; exact?: null; prefix?: null; suffix?: null; presence?: null }|{ matchType?: "exact"; exact: string; prefix?: null; suffix?: null; presence?: null }|{ matchType?: "prefix"; exact?: null; prefix: string; suffix?: null; presence?: null }|{ matchType?: "suffix"; exact?: null; prefix?: null; suffix: string; presence?: null }|{ matchType?: "presence"; exact?: null; prefix?: null; suffix?: null; presence: google.protobuf.Empty.$Shape })
            );
        }

        /** Scope enum. */
        enum Scope {

            /** GLOBAL value */
            GLOBAL = 0,

            /** NAMESPACE value */
            NAMESPACE = 1,

            /** WORKLOAD_SELECTOR value */
            WORKLOAD_SELECTOR = 2
        }

        /** Action enum. */
        enum Action {

            /** ALLOW value */
            ALLOW = 0,

            /** DENY value */
            DENY = 1
        }
    }

    /** Namespace workload. */
    namespace workload {

        /**
         * Properties of an Address.
         * @deprecated Use istio.workload.Address.$Properties instead.
         */
        interface IAddress extends istio.workload.Address.$Properties {
        }

        /** Represents an Address. */
        class Address {

            /**
             * Constructs a new Address.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.Address.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Address workload. */
            workload: (istio.workload.Workload|null);

            /** Address service. */
            service: (istio.workload.Service|null);

            /** Address type. */
            type?: ("workload"|"service");

            /**
             * Encodes the specified Address message. Does not implicitly {@link istio.workload.Address.verify|verify} messages.
             * @param message Address message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.Address.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Address message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.Address & istio.workload.Address.$Shape} Address
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.Address & istio.workload.Address.$Shape;
        }

        namespace Address {

            /** Properties of an Address. */
            interface $Properties {

                /** Address workload */
                workload?: (istio.workload.Workload.$Properties|null);

                /** Address service */
                service?: (istio.workload.Service.$Properties|null);

                /** Address type */
                type?: ("workload"|"service");

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Narrowed shape of an Address. */
            type $Shape = {
              workload?: istio.workload.Workload.$Shape|null;
              service?: istio.workload.Service.$Shape|null;
              $unknowns?: Uint8Array[];
            } & (
              ({ type?: undefined; workload?: null; service?: null }|{ type?: "workload"; workload: istio.workload.Workload.$Shape; service?: null }|{ type?: "service"; workload?: null; service: istio.workload.Service.$Shape })
            );
        }

        /**
         * Properties of a Service.
         * @deprecated Use istio.workload.Service.$Properties instead.
         */
        interface IService extends istio.workload.Service.$Properties {
        }

        /** Represents a Service. */
        class Service {

            /**
             * Constructs a new Service.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.Service.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Service name. */
            name: string;

            /** Service namespace. */
            namespace: string;

            /** Service hostname. */
            hostname: string;

            /** Service addresses. */
            addresses: istio.workload.NetworkAddress[];

            /** Service ports. */
            ports: istio.workload.Port[];

            /** Service subjectAltNames. */
            subjectAltNames: string[];

            /** Service waypoint. */
            waypoint: istio.workload.GatewayAddress;

            /** Service loadBalancing. */
            loadBalancing: istio.workload.LoadBalancing;

            /** Service ipFamilies. */
            ipFamilies: istio.workload.IPFamilies;

            /** Service extensions. */
            extensions: istio.workload.Extension[];

            /** Service canonical. */
            canonical: boolean;

            /** Service ingressUseWaypoint. */
            ingressUseWaypoint: boolean;

            /** Service weightedWaypoints. */
            weightedWaypoints: istio.workload.WeightedWaypoint[];

            /** Service visibility. */
            visibility: istio.workload.Service.Visibility;

            /**
             * Encodes the specified Service message. Does not implicitly {@link istio.workload.Service.verify|verify} messages.
             * @param message Service message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.Service.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Service message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.Service & istio.workload.Service.$Shape} Service
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.Service & istio.workload.Service.$Shape;
        }

        namespace Service {

            /** Properties of a Service. */
            interface $Properties {

                /** Service name */
                name?: string;

                /** Service namespace */
                namespace?: string;

                /** Service hostname */
                hostname?: string;

                /** Service addresses */
                addresses?: istio.workload.NetworkAddress.$Properties[];

                /** Service ports */
                ports?: istio.workload.Port.$Properties[];

                /** Service subjectAltNames */
                subjectAltNames?: string[];

                /** Service waypoint */
                waypoint?: istio.workload.GatewayAddress.$Properties;

                /** Service loadBalancing */
                loadBalancing?: istio.workload.LoadBalancing.$Properties;

                /** Service ipFamilies */
                ipFamilies?: istio.workload.IPFamilies;

                /** Service extensions */
                extensions?: istio.workload.Extension.$Properties[];

                /** Service canonical */
                canonical?: boolean;

                /** Service ingressUseWaypoint */
                ingressUseWaypoint?: boolean;

                /** Service weightedWaypoints */
                weightedWaypoints?: istio.workload.WeightedWaypoint.$Properties[];

                /** Service visibility */
                visibility?: istio.workload.Service.Visibility;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Service. */
            type $Shape = {
              name?: string;
              namespace?: string;
              hostname?: string;
              addresses?: istio.workload.NetworkAddress.$Shape[];
              ports?: istio.workload.Port.$Shape[];
              subjectAltNames?: string[];
              waypoint?: istio.workload.GatewayAddress.$Shape;
              loadBalancing?: istio.workload.LoadBalancing.$Shape;
              ipFamilies?: istio.workload.IPFamilies;
              extensions?: istio.workload.Extension.$Shape[];
              canonical?: boolean;
              ingressUseWaypoint?: boolean;
              weightedWaypoints?: istio.workload.WeightedWaypoint.$Shape[];
              visibility?: istio.workload.Service.Visibility;
              $unknowns?: Uint8Array[];
            };

            /** Visibility enum. */
            enum Visibility {

                /** PUBLIC value */
                PUBLIC = 0,

                /** NAMESPACE value */
                NAMESPACE = 1
            }
        }

        /** IPFamilies enum. */
        enum IPFamilies {

            /** AUTOMATIC value */
            AUTOMATIC = 0,

            /** IPV4_ONLY value */
            IPV4_ONLY = 1,

            /** IPV6_ONLY value */
            IPV6_ONLY = 2,

            /** DUAL value */
            DUAL = 3
        }

        /** NetworkMode enum. */
        enum NetworkMode {

            /** STANDARD value */
            STANDARD = 0,

            /** HOST_NETWORK value */
            HOST_NETWORK = 1
        }

        /**
         * Properties of a LoadBalancing.
         * @deprecated Use istio.workload.LoadBalancing.$Properties instead.
         */
        interface ILoadBalancing extends istio.workload.LoadBalancing.$Properties {
        }

        /** Represents a LoadBalancing. */
        class LoadBalancing {

            /**
             * Constructs a new LoadBalancing.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.LoadBalancing.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** LoadBalancing routingPreference. */
            routingPreference: istio.workload.LoadBalancing.Scope[];

            /** LoadBalancing mode. */
            mode: istio.workload.LoadBalancing.Mode;

            /** LoadBalancing healthPolicy. */
            healthPolicy: istio.workload.LoadBalancing.HealthPolicy;

            /**
             * Encodes the specified LoadBalancing message. Does not implicitly {@link istio.workload.LoadBalancing.verify|verify} messages.
             * @param message LoadBalancing message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.LoadBalancing.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a LoadBalancing message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.LoadBalancing & istio.workload.LoadBalancing.$Shape} LoadBalancing
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.LoadBalancing & istio.workload.LoadBalancing.$Shape;
        }

        namespace LoadBalancing {

            /** Properties of a LoadBalancing. */
            interface $Properties {

                /** LoadBalancing routingPreference */
                routingPreference?: istio.workload.LoadBalancing.Scope[];

                /** LoadBalancing mode */
                mode?: istio.workload.LoadBalancing.Mode;

                /** LoadBalancing healthPolicy */
                healthPolicy?: istio.workload.LoadBalancing.HealthPolicy;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a LoadBalancing. */
            type $Shape = istio.workload.LoadBalancing.$Properties;

            /** Scope enum. */
            enum Scope {

                /** UNSPECIFIED_SCOPE value */
                UNSPECIFIED_SCOPE = 0,

                /** REGION value */
                REGION = 1,

                /** ZONE value */
                ZONE = 2,

                /** SUBZONE value */
                SUBZONE = 3,

                /** NODE value */
                NODE = 4,

                /** CLUSTER value */
                CLUSTER = 5,

                /** NETWORK value */
                NETWORK = 6
            }

            /** Mode enum. */
            enum Mode {

                /** UNSPECIFIED_MODE value */
                UNSPECIFIED_MODE = 0,

                /** STRICT value */
                STRICT = 1,

                /** FAILOVER value */
                FAILOVER = 2,

                /** PASSTHROUGH value */
                PASSTHROUGH = 3
            }

            /** HealthPolicy enum. */
            enum HealthPolicy {

                /** ONLY_HEALTHY value */
                ONLY_HEALTHY = 0,

                /** ALLOW_ALL value */
                ALLOW_ALL = 1
            }
        }

        /**
         * Properties of a Workload.
         * @deprecated Use istio.workload.Workload.$Properties instead.
         */
        interface IWorkload extends istio.workload.Workload.$Properties {
        }

        /** Represents a Workload. */
        class Workload {

            /**
             * Constructs a new Workload.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.Workload.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Workload uid. */
            uid: string;

            /** Workload name. */
            name: string;

            /** Workload namespace. */
            namespace: string;

            /** Workload addresses. */
            addresses: Uint8Array[];

            /** Workload hostname. */
            hostname: string;

            /** Workload network. */
            network: string;

            /** Workload tunnelProtocol. */
            tunnelProtocol: istio.workload.TunnelProtocol;

            /** Workload trustDomain. */
            trustDomain: string;

            /** Workload serviceAccount. */
            serviceAccount: string;

            /** Workload waypoint. */
            waypoint: istio.workload.GatewayAddress;

            /** Workload networkGateway. */
            networkGateway: istio.workload.GatewayAddress;

            /** Workload node. */
            node: string;

            /** Workload canonicalName. */
            canonicalName: string;

            /** Workload canonicalRevision. */
            canonicalRevision: string;

            /** Workload workloadType. */
            workloadType: istio.workload.WorkloadType;

            /** Workload workloadName. */
            workloadName: string;

            /** Workload nativeTunnel. */
            nativeTunnel: boolean;

            /** Workload applicationTunnel. */
            applicationTunnel: istio.workload.ApplicationTunnel;

            /** Workload services. */
            services: { [k: string]: istio.workload.PortList };

            /** Workload authorizationPolicies. */
            authorizationPolicies: string[];

            /** Workload status. */
            status: istio.workload.WorkloadStatus;

            /** Workload clusterId. */
            clusterId: string;

            /** Workload locality. */
            locality: istio.workload.Locality;

            /** Workload networkMode. */
            networkMode: istio.workload.NetworkMode;

            /** Workload extensions. */
            extensions: istio.workload.Extension[];

            /** Workload capacity. */
            capacity: google.protobuf.UInt32Value;

            /**
             * Encodes the specified Workload message. Does not implicitly {@link istio.workload.Workload.verify|verify} messages.
             * @param message Workload message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.Workload.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Workload message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.Workload & istio.workload.Workload.$Shape} Workload
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.Workload & istio.workload.Workload.$Shape;
        }

        namespace Workload {

            /** Properties of a Workload. */
            interface $Properties {

                /** Workload uid */
                uid?: string;

                /** Workload name */
                name?: string;

                /** Workload namespace */
                namespace?: string;

                /** Workload addresses */
                addresses?: Uint8Array[];

                /** Workload hostname */
                hostname?: string;

                /** Workload network */
                network?: string;

                /** Workload tunnelProtocol */
                tunnelProtocol?: istio.workload.TunnelProtocol;

                /** Workload trustDomain */
                trustDomain?: string;

                /** Workload serviceAccount */
                serviceAccount?: string;

                /** Workload waypoint */
                waypoint?: istio.workload.GatewayAddress.$Properties;

                /** Workload networkGateway */
                networkGateway?: istio.workload.GatewayAddress.$Properties;

                /** Workload node */
                node?: string;

                /** Workload canonicalName */
                canonicalName?: string;

                /** Workload canonicalRevision */
                canonicalRevision?: string;

                /** Workload workloadType */
                workloadType?: istio.workload.WorkloadType;

                /** Workload workloadName */
                workloadName?: string;

                /** Workload nativeTunnel */
                nativeTunnel?: boolean;

                /** Workload applicationTunnel */
                applicationTunnel?: istio.workload.ApplicationTunnel.$Properties;

                /** Workload services */
                services?: { [k: string]: istio.workload.PortList.$Properties };

                /** Workload authorizationPolicies */
                authorizationPolicies?: string[];

                /** Workload status */
                status?: istio.workload.WorkloadStatus;

                /** Workload clusterId */
                clusterId?: string;

                /** Workload locality */
                locality?: istio.workload.Locality.$Properties;

                /** Workload networkMode */
                networkMode?: istio.workload.NetworkMode;

                /** Workload extensions */
                extensions?: istio.workload.Extension.$Properties[];

                /** Workload capacity */
                capacity?: google.protobuf.UInt32Value.$Properties;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Workload. */
            type $Shape = {
              uid?: string;
              name?: string;
              namespace?: string;
              addresses?: Uint8Array[];
              hostname?: string;
              network?: string;
              tunnelProtocol?: istio.workload.TunnelProtocol;
              trustDomain?: string;
              serviceAccount?: string;
              waypoint?: istio.workload.GatewayAddress.$Shape;
              networkGateway?: istio.workload.GatewayAddress.$Shape;
              node?: string;
              canonicalName?: string;
              canonicalRevision?: string;
              workloadType?: istio.workload.WorkloadType;
              workloadName?: string;
              nativeTunnel?: boolean;
              applicationTunnel?: istio.workload.ApplicationTunnel.$Shape;
              services?: { [k: string]: istio.workload.PortList.$Shape };
              authorizationPolicies?: string[];
              status?: istio.workload.WorkloadStatus;
              clusterId?: string;
              locality?: istio.workload.Locality.$Shape;
              networkMode?: istio.workload.NetworkMode;
              extensions?: istio.workload.Extension.$Shape[];
              capacity?: google.protobuf.UInt32Value.$Shape;
              $unknowns?: Uint8Array[];
            };
        }

        /**
         * Properties of a Locality.
         * @deprecated Use istio.workload.Locality.$Properties instead.
         */
        interface ILocality extends istio.workload.Locality.$Properties {
        }

        /** Represents a Locality. */
        class Locality {

            /**
             * Constructs a new Locality.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.Locality.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Locality region. */
            region: string;

            /** Locality zone. */
            zone: string;

            /** Locality subzone. */
            subzone: string;

            /**
             * Encodes the specified Locality message. Does not implicitly {@link istio.workload.Locality.verify|verify} messages.
             * @param message Locality message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.Locality.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Locality message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.Locality & istio.workload.Locality.$Shape} Locality
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.Locality & istio.workload.Locality.$Shape;
        }

        namespace Locality {

            /** Properties of a Locality. */
            interface $Properties {

                /** Locality region */
                region?: string;

                /** Locality zone */
                zone?: string;

                /** Locality subzone */
                subzone?: string;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Locality. */
            type $Shape = istio.workload.Locality.$Properties;
        }

        /** WorkloadStatus enum. */
        enum WorkloadStatus {

            /** HEALTHY value */
            HEALTHY = 0,

            /** UNHEALTHY value */
            UNHEALTHY = 1
        }

        /** WorkloadType enum. */
        enum WorkloadType {

            /** DEPLOYMENT value */
            DEPLOYMENT = 0,

            /** CRONJOB value */
            CRONJOB = 1,

            /** POD value */
            POD = 2,

            /** JOB value */
            JOB = 3
        }

        /**
         * Properties of a PortList.
         * @deprecated Use istio.workload.PortList.$Properties instead.
         */
        interface IPortList extends istio.workload.PortList.$Properties {
        }

        /** Represents a PortList. */
        class PortList {

            /**
             * Constructs a new PortList.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.PortList.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** PortList ports. */
            ports: istio.workload.Port[];

            /**
             * Encodes the specified PortList message. Does not implicitly {@link istio.workload.PortList.verify|verify} messages.
             * @param message PortList message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.PortList.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a PortList message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.PortList & istio.workload.PortList.$Shape} PortList
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.PortList & istio.workload.PortList.$Shape;
        }

        namespace PortList {

            /** Properties of a PortList. */
            interface $Properties {

                /** PortList ports */
                ports?: istio.workload.Port.$Properties[];

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a PortList. */
            type $Shape = istio.workload.PortList.$Properties;
        }

        /**
         * Properties of a Port.
         * @deprecated Use istio.workload.Port.$Properties instead.
         */
        interface IPort extends istio.workload.Port.$Properties {
        }

        /** Represents a Port. */
        class Port {

            /**
             * Constructs a new Port.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.Port.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Port servicePort. */
            servicePort: number;

            /** Port targetPort. */
            targetPort: number;

            /** Port appProtocol. */
            appProtocol: istio.workload.AppProtocol;

            /**
             * Encodes the specified Port message. Does not implicitly {@link istio.workload.Port.verify|verify} messages.
             * @param message Port message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.Port.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Port message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.Port & istio.workload.Port.$Shape} Port
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.Port & istio.workload.Port.$Shape;
        }

        namespace Port {

            /** Properties of a Port. */
            interface $Properties {

                /** Port servicePort */
                servicePort?: number;

                /** Port targetPort */
                targetPort?: number;

                /** Port appProtocol */
                appProtocol?: istio.workload.AppProtocol;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a Port. */
            type $Shape = istio.workload.Port.$Properties;
        }

        /** AppProtocol enum. */
        enum AppProtocol {

            /** UNKNOWN value */
            UNKNOWN = 0,

            /** HTTP11 value */
            HTTP11 = 1,

            /** HTTP2 value */
            HTTP2 = 2,

            /** GRPC value */
            GRPC = 3,

            /** TCP value */
            TCP = 4,

            /** TLS value */
            TLS = 5
        }

        /** TunnelProtocol enum. */
        enum TunnelProtocol {

            /** NONE value */
            NONE = 0,

            /** HBONE value */
            HBONE = 1,

            /** LEGACY_ISTIO_MTLS value */
            LEGACY_ISTIO_MTLS = 2
        }

        /**
         * Properties of an ApplicationTunnel.
         * @deprecated Use istio.workload.ApplicationTunnel.$Properties instead.
         */
        interface IApplicationTunnel extends istio.workload.ApplicationTunnel.$Properties {
        }

        /** Represents an ApplicationTunnel. */
        class ApplicationTunnel {

            /**
             * Constructs a new ApplicationTunnel.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.ApplicationTunnel.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** ApplicationTunnel protocol. */
            protocol: istio.workload.ApplicationTunnel.Protocol;

            /** ApplicationTunnel port. */
            port: number;

            /**
             * Encodes the specified ApplicationTunnel message. Does not implicitly {@link istio.workload.ApplicationTunnel.verify|verify} messages.
             * @param message ApplicationTunnel message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.ApplicationTunnel.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an ApplicationTunnel message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.ApplicationTunnel & istio.workload.ApplicationTunnel.$Shape} ApplicationTunnel
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.ApplicationTunnel & istio.workload.ApplicationTunnel.$Shape;
        }

        namespace ApplicationTunnel {

            /** Properties of an ApplicationTunnel. */
            interface $Properties {

                /** ApplicationTunnel protocol */
                protocol?: istio.workload.ApplicationTunnel.Protocol;

                /** ApplicationTunnel port */
                port?: number;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an ApplicationTunnel. */
            type $Shape = istio.workload.ApplicationTunnel.$Properties;

            /** Protocol enum. */
            enum Protocol {

                /** NONE value */
                NONE = 0,

                /** PROXY value */
                PROXY = 1
            }
        }

        /**
         * Properties of a GatewayAddress.
         * @deprecated Use istio.workload.GatewayAddress.$Properties instead.
         */
        interface IGatewayAddress extends istio.workload.GatewayAddress.$Properties {
        }

        /** Represents a GatewayAddress. */
        class GatewayAddress {

            /**
             * Constructs a new GatewayAddress.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.GatewayAddress.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** GatewayAddress hostname. */
            hostname: (istio.workload.NamespacedHostname|null);

            /** GatewayAddress address. */
            address: (istio.workload.NetworkAddress|null);

            /** GatewayAddress hboneMtlsPort. */
            hboneMtlsPort: number;

            /** GatewayAddress destination. */
            destination?: ("hostname"|"address");

            /**
             * Encodes the specified GatewayAddress message. Does not implicitly {@link istio.workload.GatewayAddress.verify|verify} messages.
             * @param message GatewayAddress message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.GatewayAddress.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a GatewayAddress message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.GatewayAddress & istio.workload.GatewayAddress.$Shape} GatewayAddress
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.GatewayAddress & istio.workload.GatewayAddress.$Shape;
        }

        namespace GatewayAddress {

            /** Properties of a GatewayAddress. */
            interface $Properties {

                /** GatewayAddress hostname */
                hostname?: (istio.workload.NamespacedHostname.$Properties|null);

                /** GatewayAddress address */
                address?: (istio.workload.NetworkAddress.$Properties|null);

                /** GatewayAddress hboneMtlsPort */
                hboneMtlsPort?: number;

                /** GatewayAddress destination */
                destination?: ("hostname"|"address");

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Narrowed shape of a GatewayAddress. */
            type $Shape = {
              hostname?: istio.workload.NamespacedHostname.$Shape|null;
              address?: istio.workload.NetworkAddress.$Shape|null;
              hboneMtlsPort?: number;
              $unknowns?: Uint8Array[];
            } & (
              ({ destination?: undefined; hostname?: null; address?: null }|{ destination?: "hostname"; hostname: istio.workload.NamespacedHostname.$Shape; address?: null }|{ destination?: "address"; hostname?: null; address: istio.workload.NetworkAddress.$Shape })
            );
        }

        /**
         * Properties of a WeightedWaypoint.
         * @deprecated Use istio.workload.WeightedWaypoint.$Properties instead.
         */
        interface IWeightedWaypoint extends istio.workload.WeightedWaypoint.$Properties {
        }

        /** Represents a WeightedWaypoint. */
        class WeightedWaypoint {

            /**
             * Constructs a new WeightedWaypoint.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.WeightedWaypoint.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** WeightedWaypoint destination. */
            destination: istio.workload.GatewayAddress;

            /** WeightedWaypoint weight. */
            weight: number;

            /**
             * Encodes the specified WeightedWaypoint message. Does not implicitly {@link istio.workload.WeightedWaypoint.verify|verify} messages.
             * @param message WeightedWaypoint message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.WeightedWaypoint.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a WeightedWaypoint message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.WeightedWaypoint & istio.workload.WeightedWaypoint.$Shape} WeightedWaypoint
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.WeightedWaypoint & istio.workload.WeightedWaypoint.$Shape;
        }

        namespace WeightedWaypoint {

            /** Properties of a WeightedWaypoint. */
            interface $Properties {

                /** WeightedWaypoint destination */
                destination?: istio.workload.GatewayAddress.$Properties;

                /** WeightedWaypoint weight */
                weight?: number;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a WeightedWaypoint. */
            type $Shape = {
              destination?: istio.workload.GatewayAddress.$Shape;
              weight?: number;
              $unknowns?: Uint8Array[];
            };
        }

        /**
         * Properties of a NetworkAddress.
         * @deprecated Use istio.workload.NetworkAddress.$Properties instead.
         */
        interface INetworkAddress extends istio.workload.NetworkAddress.$Properties {
        }

        /** Represents a NetworkAddress. */
        class NetworkAddress {

            /**
             * Constructs a new NetworkAddress.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.NetworkAddress.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** NetworkAddress network. */
            network: string;

            /** NetworkAddress address. */
            address: Uint8Array;

            /** NetworkAddress length. */
            length: (number|null);

            /**
             * Encodes the specified NetworkAddress message. Does not implicitly {@link istio.workload.NetworkAddress.verify|verify} messages.
             * @param message NetworkAddress message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.NetworkAddress.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a NetworkAddress message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.NetworkAddress & istio.workload.NetworkAddress.$Shape} NetworkAddress
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.NetworkAddress & istio.workload.NetworkAddress.$Shape;
        }

        namespace NetworkAddress {

            /** Properties of a NetworkAddress. */
            interface $Properties {

                /** NetworkAddress network */
                network?: string;

                /** NetworkAddress address */
                address?: Uint8Array;

                /** NetworkAddress length */
                length?: (number|null);

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a NetworkAddress. */
            type $Shape = istio.workload.NetworkAddress.$Properties;
        }

        /**
         * Properties of a NamespacedHostname.
         * @deprecated Use istio.workload.NamespacedHostname.$Properties instead.
         */
        interface INamespacedHostname extends istio.workload.NamespacedHostname.$Properties {
        }

        /** Represents a NamespacedHostname. */
        class NamespacedHostname {

            /**
             * Constructs a new NamespacedHostname.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.NamespacedHostname.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** NamespacedHostname namespace. */
            namespace: string;

            /** NamespacedHostname hostname. */
            hostname: string;

            /**
             * Encodes the specified NamespacedHostname message. Does not implicitly {@link istio.workload.NamespacedHostname.verify|verify} messages.
             * @param message NamespacedHostname message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.NamespacedHostname.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a NamespacedHostname message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.NamespacedHostname & istio.workload.NamespacedHostname.$Shape} NamespacedHostname
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.NamespacedHostname & istio.workload.NamespacedHostname.$Shape;
        }

        namespace NamespacedHostname {

            /** Properties of a NamespacedHostname. */
            interface $Properties {

                /** NamespacedHostname namespace */
                namespace?: string;

                /** NamespacedHostname hostname */
                hostname?: string;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of a NamespacedHostname. */
            type $Shape = istio.workload.NamespacedHostname.$Properties;
        }

        /**
         * Properties of an Extension.
         * @deprecated Use istio.workload.Extension.$Properties instead.
         */
        interface IExtension extends istio.workload.Extension.$Properties {
        }

        /** Represents an Extension. */
        class Extension {

            /**
             * Constructs a new Extension.
             * @param [properties] Properties to set
             */
            constructor(properties?: istio.workload.Extension.$Properties);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];

            /** Extension name. */
            name: string;

            /** Extension config. */
            config: google.protobuf.Any;

            /**
             * Encodes the specified Extension message. Does not implicitly {@link istio.workload.Extension.verify|verify} messages.
             * @param message Extension message or plain object to encode
             * @param [writer] Writer to encode to
             * @returns Writer
             */
            static encode(message: istio.workload.Extension.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an Extension message from the specified reader or buffer.
             * @param reader Reader or buffer to decode from
             * @param [length] Message length if known beforehand
             * @returns {istio.workload.Extension & istio.workload.Extension.$Shape} Extension
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): istio.workload.Extension & istio.workload.Extension.$Shape;
        }

        namespace Extension {

            /** Properties of an Extension. */
            interface $Properties {

                /** Extension name */
                name?: string;

                /** Extension config */
                config?: google.protobuf.Any.$Properties;

                /** Unknown fields preserved while decoding when enabled */
                $unknowns?: Uint8Array[];
            }

            /** Shape of an Extension. */
            type $Shape = istio.workload.Extension.$Properties;
        }
    }
}
