import Cache
import ChangeStream
import EmbeddedStore
import Foundation
import SigV4
import TableStore
import WritePipeline
import Yams

/// A configuration problem, reported before anything starts listening.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The YAML file's shape (`Config/dynacache.yaml` documents each member).
struct ConfigurationFile: Decodable {
    struct Auth: Decodable {
        var mode: ProxyConfiguration.ClientAuthMode?
        var keys: [String: String]?
        var allowUnauthenticatedNonLoopback: Bool?
    }
    struct UpstreamCredentials: Decodable {
        var accessKeyId: String
        var secretAccessKey: String
        var sessionToken: String?
    }
    struct Retry: Decodable {
        var maxAttempts: Int?
        var baseDelayMs: Double?
        var maxDelayMs: Double?
        var deadlineMs: Double?
        var budgetTokens: Int?
        var adaptive: Bool?
    }
    struct Policy: Decodable {
        var enabled: Bool?
        var staleTime: Int64?
        var staleWhileRevalidate: Int64?
        var staleIfError: Int64?
        var negativeTTL: Int64?
        var tombstone: Int64?
        var cacheQueries: Bool?
        var cacheScans: Bool?

        func apply(to policy: inout CachePolicy) {
            if let v = enabled { policy.enabled = v }
            if let v = staleTime { policy.staleTime = v }
            if let v = staleWhileRevalidate { policy.staleWhileRevalidate = v }
            if let v = staleIfError { policy.staleIfError = v }
            if let v = negativeTTL { policy.negativeTTL = v }
            if let v = tombstone { policy.tombstone = v }
            if let v = cacheQueries { policy.cacheQueries = v }
            if let v = cacheScans { policy.cacheScans = v }
        }
    }
    /// `cache: {default: {...}, tables: {Name: {...}}}`; times in milliseconds.
    struct CacheSection: Decodable {
        var `default`: Policy?
        var tables: [String: Policy]?
        var l1: L1?
        var missBatching: MissBatching?
    }
    /// `cache.missBatching`: joining concurrent GetItem misses into BatchGetItem.
    struct MissBatching: Decodable {
        var enabled: Bool?
        var windowUs: Int64?
    }
    /// `cache.l1`: the in-process tier.
    struct L1: Decodable {
        var enabled: Bool?
        var maxBytes: Int?
        var ttlMs: Int64?
    }
    var listen: String?
    var adminListen: String?
    var retry: Retry?
    var cache: CacheSection?
    /// `embedded`: settings of the embedded table store; times in seconds.
    struct Embedded: Decodable {
        var streamRetentionSeconds: Double?
        var streamIteratorLifetimeSeconds: Double?
        var streamShardPeriodSeconds: Double?
        var ttlSweepIntervalSeconds: Double?
        /// `MS` or `MS±MS`.
        var latencyMs: String?
        var replicaLagMs: Double?
        var capacityBurstSeconds: Double?
    }
    var embedded: Embedded?
    /// `writes: {default: {...}, tables: {Name: {...}}}`.
    struct Writes: Decodable {
        struct Settings: Decodable {
            var batching: Bool?
            var windowMs: Double?
            var coalesce: Bool?
            var sendWhenIdle: Bool?

            func apply(to settings: inout WriteSettings) {
                if let v = sendWhenIdle { settings.sendWhenIdle = v }
                if let v = batching { settings.batching = v }
                if let v = windowMs { settings.windowMilliseconds = max(0, v) }
                if let v = coalesce { settings.coalesce = v }
            }
        }
        var `default`: Settings?
        var tables: [String: Settings]?
    }
    var writes: Writes?
    /// `changeStream`: the consumer that invalidates from each table's stream.
    struct ChangeStreamSection: Decodable {
        var enabled: Bool?
        var tables: [String]?
        var idlePollMinMs: Double?
        var idlePollMaxMs: Double?
        var describeIntervalMs: Double?
        var leaseMs: Double?
    }
    var changeStream: ChangeStreamSection?
    var upstream: String?
    var streamsUpstream: String?
    var region: String?
    var data: String?
    var redis: String?
    var upstreamCredentials: UpstreamCredentials?
    var upstreamConnectTimeoutMs: Int64?
    var upstreamTimeoutMs: Int64?
    var auth: Auth?
    var forwardOtherRequests: Bool?
    var maxRequestBytes: Int?
    var adminToken: String?
    /// `cost: {readRequestUnitPrice, writeRequestUnitPrice}`: dollars per million units.
    struct Cost: Decodable {
        var readRequestUnitPrice: Double?
        var writeRequestUnitPrice: Double?
    }
    var cost: Cost?
}

extension ProxyConfiguration {
    /// Applies a YAML config file's settings.
    public mutating func apply(yaml text: String, source: String) throws {
        let meaningful = text.split(separator: "\n").contains { line in
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            return !trimmed.isEmpty && !trimmed.hasPrefix("#") && trimmed != "---"
        }
        guard meaningful else { return }  // an empty document: defaults only
        let file: ConfigurationFile
        do {
            file = try YAMLDecoder().decode(ConfigurationFile.self, from: text)
        } catch {
            throw ConfigurationError("\(source): \(error)")
        }
        if let v = file.listen { listen = try Self.hostPort(v, "listen") }
        if let v = file.adminListen { adminListen = try Self.hostPort(v, "adminListen") }
        if let v = file.upstream { upstream = try Self.upstream(v) }
        if let v = file.streamsUpstream { streamsUpstream = v }
        if let v = file.region { region = v }
        if let v = file.data { dataDirectory = v }
        if let v = file.redis { redisURL = v }
        if let c = file.upstreamCredentials {
            upstreamCredentials = Credentials(
                accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken)
        }
        if let v = file.upstreamConnectTimeoutMs { upstreamConnectTimeoutMilliseconds = v }
        if let v = file.upstreamTimeoutMs { upstreamTimeoutMilliseconds = v }
        if let auth = file.auth {
            if let v = auth.mode { clientAuth = v }
            if let v = auth.keys { clientKeys = v }
            if let v = auth.allowUnauthenticatedNonLoopback { allowUnauthenticatedNonLoopback = v }
        }
        if let v = file.forwardOtherRequests { forwardOtherRequests = v }
        if let v = file.maxRequestBytes { maximumRequestBytes = v }
        if let v = file.adminToken { adminToken = v }
        if let v = file.cost?.readRequestUnitPrice { readRequestUnitPrice = v }
        if let v = file.cost?.writeRequestUnitPrice { writeRequestUnitPrice = v }
        if let e = file.embedded {
            if let v = e.streamRetentionSeconds { embedded.streams.retentionSeconds = v }
            if let v = e.streamIteratorLifetimeSeconds { embedded.streams.iteratorLifetimeSeconds = v }
            if let v = e.streamShardPeriodSeconds { embedded.streams.shardPeriodSeconds = v }
            if let v = e.ttlSweepIntervalSeconds { embedded.ttlSweepIntervalSeconds = v }
            if let v = e.replicaLagMs { embedded.replicaLagMilliseconds = max(0, v) }
            if let v = e.capacityBurstSeconds { embedded.capacityBurstSeconds = max(0, v) }
            if let v = e.latencyMs, !embedded.setLatency(v) {
                throw ConfigurationError("\(source): embedded.latencyMs: expected MS or MS±MS, got \(v)")
            }
        }
        if let c = file.changeStream {
            if let v = c.enabled { changeStream.enabled = v }
            if let v = c.tables { changeStream.tables = v }
            if let v = c.idlePollMinMs { changeStream.idlePollMinMilliseconds = max(1, v) }
            if let v = c.idlePollMaxMs { changeStream.idlePollMaxMilliseconds = max(1, v) }
            if let v = c.describeIntervalMs { changeStream.describeIntervalMilliseconds = max(1, v) }
            if let v = c.leaseMs { changeStream.leaseMilliseconds = max(100, v) }
        }
        if let w = file.writes {
            w.default?.apply(to: &writes.defaultSettings)
            for (table, settings) in w.tables ?? [:] {
                var merged = writes.defaultSettings
                settings.apply(to: &merged)
                writes.tables[table] = merged
            }
        }
        if let c = file.cache {
            if let l1 = c.l1 {
                if l1.enabled == false {
                    self.l1 = nil
                } else {
                    var settings = self.l1 ?? L1Tier.Configuration()
                    if let v = l1.maxBytes { settings.maxBytes = v }
                    if let v = l1.ttlMs { settings.ttlMilliseconds = v }
                    self.l1 = settings
                }
            }
            if let batching = c.missBatching {
                missBatchWindowMicroseconds =
                    batching.enabled == false ? nil : batching.windowUs ?? missBatchWindowMicroseconds ?? 300
            }
            c.default?.apply(to: &cache.defaultPolicy)
            for (table, policy) in c.tables ?? [:] {
                var merged = cache.defaultPolicy
                policy.apply(to: &merged)
                cache.tables[table] = merged
            }
        }
        if let r = file.retry {
            if let v = r.maxAttempts { retry.maxAttempts = v }
            if let v = r.baseDelayMs { retry.baseDelaySeconds = v / 1000 }
            if let v = r.maxDelayMs { retry.maxDelaySeconds = v / 1000 }
            if let v = r.deadlineMs { retry.deadlineSeconds = v / 1000 }
            if let v = r.budgetTokens { retry.budget = RetryBudget(capacity: v) }
            if let v = r.adaptive { retry.adaptive = v }
        }
    }

    /// Applies `DYNACACHE_*` environment variables.
    public mutating func apply(environment env: [String: String]) throws {
        if let v = env["DYNACACHE_LISTEN"] { listen = try Self.hostPort(v, "DYNACACHE_LISTEN") }
        if let v = env["DYNACACHE_ADMIN_LISTEN"] { adminListen = try Self.hostPort(v, "DYNACACHE_ADMIN_LISTEN") }
        if let v = env["DYNACACHE_UPSTREAM"] { upstream = try Self.upstream(v) }
        if let v = env["DYNACACHE_STREAMS_UPSTREAM"] { streamsUpstream = v }
        if let v = env["DYNACACHE_REGION"] { region = v }
        if let v = env["DYNACACHE_DATA"] { dataDirectory = v }
        if let v = env["DYNACACHE_REDIS"] { redisURL = v }
        if let v = env["DYNACACHE_L1_MAX_BYTES"] {
            guard let bytes = Int(v), bytes >= 0 else {
                throw ConfigurationError("DYNACACHE_L1_MAX_BYTES: not a non-negative integer: \(v)")
            }
            // 0 turns the tier off.
            l1 = bytes == 0 ? nil : L1Tier.Configuration(maxBytes: bytes, ttlMilliseconds: l1?.ttlMilliseconds ?? 1_000)
        }
        for (name, path) in [
            ("DYNACACHE_STREAM_RETENTION_S", \EmbeddedStoreSettings.streams.retentionSeconds),
            ("DYNACACHE_STREAM_ITERATOR_LIFETIME_S", \EmbeddedStoreSettings.streams.iteratorLifetimeSeconds),
            ("DYNACACHE_STREAM_SHARD_PERIOD_S", \EmbeddedStoreSettings.streams.shardPeriodSeconds),
            ("DYNACACHE_TTL_SWEEP_INTERVAL_S", \EmbeddedStoreSettings.ttlSweepIntervalSeconds),
            ("DYNACACHE_CAPACITY_BURST_S", \EmbeddedStoreSettings.capacityBurstSeconds),
        ] {
            guard let v = env[name] else { continue }
            guard let seconds = Double(v), seconds > 0 else {
                throw ConfigurationError("\(name): not a positive number of seconds: \(v)")
            }
            embedded[keyPath: path] = seconds
        }
        for (name, path) in [
            ("DYNACACHE_WRITE_BATCHING", \WriteSettings.batching),
            ("DYNACACHE_WRITE_COALESCE", \WriteSettings.coalesce),
            ("DYNACACHE_WRITE_SEND_WHEN_IDLE", \WriteSettings.sendWhenIdle),
        ] {
            guard let v = env[name] else { continue }
            let flag = try Self.bool(v, name)
            writes.defaultSettings[keyPath: path] = flag
            for table in writes.tables.keys { writes.tables[table]![keyPath: path] = flag }
        }
        if let v = env["DYNACACHE_ADMIN_TOKEN"] { adminToken = v }
        if let v = env["DYNACACHE_CHANGE_STREAM"] {
            changeStream.enabled = try Self.bool(v, "DYNACACHE_CHANGE_STREAM")
        }
        if let v = env["DYNACACHE_CHANGE_STREAM_TABLES"] {
            changeStream.tables = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        if let v = env["DYNACACHE_WRITE_WINDOW_MS"] {
            guard let ms = Double(v), ms >= 0 else {
                throw ConfigurationError("DYNACACHE_WRITE_WINDOW_MS: not a non-negative number: \(v)")
            }
            writes.defaultSettings.windowMilliseconds = ms
        }
        if let v = env["DYNACACHE_REPLICA_LAG_MS"] {
            guard let ms = Double(v), ms >= 0 else {
                throw ConfigurationError("DYNACACHE_REPLICA_LAG_MS: not a non-negative number: \(v)")
            }
            embedded.replicaLagMilliseconds = ms
        }
        if let v = env["DYNACACHE_LATENCY"], !embedded.setLatency(v) {
            throw ConfigurationError("DYNACACHE_LATENCY: expected MS or MS±MS, got \(v)")
        }
        if let v = env["DYNACACHE_MISS_BATCH_WINDOW_US"] {
            guard let us = Int64(v), us >= 0 else {
                throw ConfigurationError("DYNACACHE_MISS_BATCH_WINDOW_US: not a non-negative integer: \(v)")
            }
            missBatchWindowMicroseconds = us == 0 ? nil : us  // 0 turns it off
        }
        if let v = env["DYNACACHE_L1_TTL_MS"], l1 != nil {
            guard let ms = Int64(v), ms >= 0 else {
                throw ConfigurationError("DYNACACHE_L1_TTL_MS: not a non-negative integer: \(v)")
            }
            l1?.ttlMilliseconds = ms
        }
        if let v = env["DYNACACHE_UPSTREAM_TIMEOUT_MS"] {
            guard let ms = Int64(v), ms > 0 else {
                throw ConfigurationError("DYNACACHE_UPSTREAM_TIMEOUT_MS: not a positive integer: \(v)")
            }
            upstreamTimeoutMilliseconds = ms
        }
        if let v = env["DYNACACHE_AUTH_MODE"] {
            guard let mode = ClientAuthMode(rawValue: v) else {
                throw ConfigurationError("DYNACACHE_AUTH_MODE: expected none or sigv4, got \(v)")
            }
            clientAuth = mode
        }
        if let v = env["DYNACACHE_AUTH_KEYS"] { clientKeys = try Self.keyList(v, "DYNACACHE_AUTH_KEYS") }
        if let v = env["DYNACACHE_FORWARD_OTHER_REQUESTS"] {
            forwardOtherRequests = try Self.bool(v, "DYNACACHE_FORWARD_OTHER_REQUESTS")
        }
        if let v = env["DYNACACHE_ALLOW_UNAUTHENTICATED_NON_LOOPBACK"] {
            allowUnauthenticatedNonLoopback = try Self.bool(v, "DYNACACHE_ALLOW_UNAUTHENTICATED_NON_LOOPBACK")
        }
        if let v = env["DYNACACHE_RETRY_MAX_ATTEMPTS"] {
            guard let n = Int(v), n >= 1 else {
                throw ConfigurationError("DYNACACHE_RETRY_MAX_ATTEMPTS: at least 1, got \(v)")
            }
            retry.maxAttempts = n
        }
        if let v = env["DYNACACHE_RETRY_DEADLINE_MS"] {
            guard let ms = Double(v), ms >= 0 else {
                throw ConfigurationError("DYNACACHE_RETRY_DEADLINE_MS: not a number: \(v)")
            }
            retry.deadlineSeconds = ms / 1000
        }
        if let v = env["DYNACACHE_MAX_REQUEST_BYTES"] {
            guard let n = Int(v), n > 0 else {
                throw ConfigurationError("DYNACACHE_MAX_REQUEST_BYTES: not a positive integer: \(v)")
            }
            maximumRequestBytes = n
        }
    }

    /// Checks the combination before the proxy starts.
    public func validate() throws {
        if adminEnabled && !adminListen.isLoopback && (adminToken ?? "").isEmpty {
            throw ConfigurationError(
                "refusing to bind the admin listener to \(adminListen) without a token: set adminToken (or DYNACACHE_ADMIN_TOKEN)"
            )
        }
        if clientAuth == .none && !listen.isLoopback && !allowUnauthenticatedNonLoopback {
            throw ConfigurationError(
                "refusing to listen on \(listen) without client authentication: set auth.mode: sigv4, or pass --allow-unauthenticated to accept any client on the network"
            )
        }
        if clientAuth == .sigv4 && clientKeys.isEmpty {
            throw ConfigurationError(
                "auth.mode sigv4 needs at least one key in auth.keys (or DYNACACHE_AUTH_KEYS=AKID:SECRET)")
        }
        if let streamsUpstream, Endpoint(streamsUpstream) == nil {
            throw ConfigurationError("streamsUpstream: not an http(s) URL: \(streamsUpstream)")
        }
        if maximumRequestBytes < 1024 { throw ConfigurationError("maxRequestBytes: at least 1024") }
        if retry.maxAttempts < 1 { throw ConfigurationError("retry.maxAttempts: at least 1") }
        if retry.baseDelaySeconds < 0 || retry.maxDelaySeconds < retry.baseDelaySeconds {
            throw ConfigurationError("retry: need 0 <= baseDelayMs <= maxDelayMs")
        }
        if retry.deadlineSeconds * 1000 >= Double(upstreamTimeoutMilliseconds) * 10 {
            throw ConfigurationError("retry.deadlineMs should stay well inside clients' timeouts")
        }
    }

    static func hostPort(_ text: String, _ name: String) throws -> HostPort {
        guard let hp = HostPort(text) else { throw ConfigurationError("\(name): expected HOST:PORT, got \(text)") }
        return hp
    }

    static func upstream(_ text: String) throws -> Upstream {
        if text == "embedded" { return .embedded }
        guard Endpoint(text) != nil else {
            throw ConfigurationError("upstream: expected an http(s) URL or 'embedded', got \(text)")
        }
        return .url(text)
    }

    /// Every boolean setting in the environment and on the command line reads the same way.
    static func bool(_ text: String, _ name: String) throws -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError("\(name): expected true or false, got \(text)")
        }
    }

    /// `AKID:SECRET,AKID2:SECRET2`.
    static func keyList(_ text: String, _ name: String) throws -> [String: String] {
        var keys: [String: String] = [:]
        for pair in text.split(separator: ",") {
            guard let colon = pair.firstIndex(of: ":") else {
                throw ConfigurationError("\(name): expected AKID:SECRET pairs")
            }
            keys[String(pair[..<colon])] = String(pair[pair.index(after: colon)...])
        }
        return keys
    }
}
