import Cache
import ChangeStream
import EmbeddedStore
import SigV4
import TableStore
import WritePipeline

/// Everything `dynacache serve` needs to run, after the config file, `DYNACACHE_*` variables and
/// flags have been merged (in that order, later wins).
public struct ProxyConfiguration: Sendable {
    /// How clients prove who they are.
    public enum ClientAuthMode: String, Sendable, Codable {
        /// No check: for a proxy on loopback, in front of an emulator or for development.
        case none
        /// AWS Signature Version 4 against `clientKeys`, as DynamoDB itself checks.
        case sigv4
    }

    /// Where tables live.
    public enum Upstream: Sendable, Equatable {
        case url(String)
        case embedded
    }

    public var listen = HostPort(host: "127.0.0.1", port: 8000)
    public var adminListen = HostPort(host: "127.0.0.1", port: 8081)
    /// Off for `dynacache store`, which serves the table store alone.
    public var adminEnabled = true
    /// Off for `dynacache store`: the store itself never answers from Redis.
    public var cacheEnabled = true
    public var upstream: Upstream? = nil
    public var streamsUpstream: String? = nil
    /// The signing region; derived from an AWS endpoint's host when not given.
    public var region: String? = nil
    public var dataDirectory = "./data"
    public var redisURL = "redis://127.0.0.1:6379"
    /// The proxy's own credentials for the upstream; the AWS environment variables when not given.
    public var upstreamCredentials: Credentials? = nil
    public var upstreamConnectTimeoutMilliseconds: Int64 = 2_000
    public var upstreamTimeoutMilliseconds: Int64 = 10_000

    public var clientAuth: ClientAuthMode = .none
    /// Access key id → secret key, for `clientAuth: sigv4`.
    public var clientKeys: [String: String] = [:]
    /// `clientAuth: none` on a non-loopback address needs this explicit consent.
    public var allowUnauthenticatedNonLoopback = false
    /// Forward requests that are no DynamoDB operation (an emulator's own endpoints) verbatim.
    /// Unset means on only with `clientAuth: none`: the proxy must never relay unverified
    /// requests to an upstream that trusts the proxy's network position.
    public var forwardOtherRequests: Bool? = nil
    /// DynamoDB's largest request is 16 MB; the headroom is for JSON escaping and base64.
    public var maximumRequestBytes = 16 * 1024 * 1024 + 1024 * 1024

    /// Item cache policies per table, with a default.
    public var cache = CachePolicies()
    /// The in-process L1 tier in front of Redis; nil turns it off.
    public var l1: L1Tier.Configuration? = L1Tier.Configuration()
    /// Concurrent GetItem misses joined into one BatchGetItem within this window; nil: off.
    public var missBatchWindowMicroseconds: Int64?
    /// Required on every admin endpoint but /health when set; required to bind the admin
    /// listener to a non-loopback address.
    public var adminToken: String?
    /// On-demand prices in dollars per million request units, for the cost the cache saved
    /// (us-east-1 standard table class, as published from 2024-11-01).
    public var readRequestUnitPrice = 0.125
    public var writeRequestUnitPrice = 0.625
    /// The change-stream consumer that invalidates the cache from each table's stream.
    public var changeStream = ChangeStreamSettings()
    /// Write batching and coalescing, per table.
    public var writes = WritePolicies()
    /// The embedded store's settings: streams' aging, TTL sweeps, injected latency.
    public var embedded = EmbeddedStoreSettings()

    /// How calls to the table store are retried (throttles, 5xx, dropped connections).
    public var retry = RetryPolicy()

    public init() {}

    public var effectiveForwardOtherRequests: Bool { forwardOtherRequests ?? (clientAuth == .none) }
}
