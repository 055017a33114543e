import Cache
import Testing

@testable import Server
@testable import TableStore

struct ConfigurationTests {
    @Test func theShippedConfigFileLoads() throws {
        let path = #filePath.replacingOccurrences(
            of: "Tests/ServerTests/ConfigurationTests.swift", with: "Config/dynacache.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var config = ProxyConfiguration()
        try config.apply(yaml: text, source: path)
        try config.validate()
        #expect(config.listen == HostPort(host: "127.0.0.1", port: 8000))
        #expect(config.adminListen == HostPort(host: "127.0.0.1", port: 8081))
        #expect(config.clientAuth == .none)
        #expect(config.effectiveForwardOtherRequests)
        #expect(config.cache.defaultPolicy.staleTime == 5000)
        #expect(config.cache.defaultPolicy.cacheQueries && !config.cache.defaultPolicy.cacheScans)
        #expect(config.l1 == L1Tier.Configuration(maxBytes: 64 << 20, ttlMilliseconds: 1_000))
        #expect(config.missBatchWindowMicroseconds == nil)
        #expect(config.retry.maxAttempts == 8)
    }

    @Test func theL1TierAndScanCachingAreSettings() throws {
        var config = ProxyConfiguration()
        try config.apply(
            yaml: "cache:\n  default:\n    cacheScans: true\n  l1:\n    maxBytes: 1000\n    ttlMs: 50\n", source: "test"
        )
        #expect(config.cache.defaultPolicy.cacheScans)
        #expect(config.l1 == L1Tier.Configuration(maxBytes: 1000, ttlMilliseconds: 50))
        try config.apply(environment: ["DYNACACHE_L1_TTL_MS": "20"])
        #expect(config.l1?.ttlMilliseconds == 20)
        try config.apply(yaml: "cache:\n  missBatching:\n    enabled: true\n", source: "test")
        #expect(config.missBatchWindowMicroseconds == 300)
        try config.apply(environment: ["DYNACACHE_MISS_BATCH_WINDOW_US": "0"])
        #expect(config.missBatchWindowMicroseconds == nil)
        try config.apply(environment: ["DYNACACHE_L1_MAX_BYTES": "0"])
        #expect(config.l1 == nil)
        try config.apply(yaml: "cache:\n  l1:\n    enabled: false\n", source: "test")
        #expect(config.l1 == nil)
        #expect(throws: ConfigurationError.self) { try config.apply(environment: ["DYNACACHE_L1_MAX_BYTES": "lots"]) }
    }

    @Test func perTablePoliciesInheritTheDefault() throws {
        var config = ProxyConfiguration()
        try config.apply(
            yaml: "cache:\n  default:\n    staleTime: 100\n  tables:\n    Tokens:\n      enabled: false\n",
            source: "test"
        )
        #expect(config.cache.policy(for: "Other").staleTime == 100)
        #expect(config.cache.policy(for: "Tokens").enabled == false)
        #expect(config.cache.policy(for: "Tokens").staleTime == 100)
    }

    @Test func theAWSExampleLoads() throws {
        let path = #filePath.replacingOccurrences(
            of: "Tests/ServerTests/ConfigurationTests.swift", with: "Config/aws.example.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var config = ProxyConfiguration()
        try config.apply(yaml: text, source: path)
        try config.validate()
        #expect(config.clientAuth == .sigv4)
        #expect(!config.effectiveForwardOtherRequests)
        guard case .url(let url) = config.upstream else {
            Issue.record("expected an upstream URL")
            return
        }
        #expect(Endpoint(url)?.awsRegion == "eu-west-1")
    }

    @Test func environmentOverridesTheFileAndFlagsOverrideTheEnvironment() throws {
        var config = ProxyConfiguration()
        try config.apply(
            yaml: "listen: 127.0.0.1:9000\nupstream: http://localhost:5000\nauth:\n  mode: none\n", source: "test")
        try config.apply(environment: [
            "DYNACACHE_LISTEN": "127.0.0.1:9100", "DYNACACHE_AUTH_MODE": "sigv4", "DYNACACHE_AUTH_KEYS": "A:a,B:b:c",
        ])
        #expect(config.listen.port == 9100)
        #expect(config.clientAuth == .sigv4)
        #expect(config.clientKeys == ["A": "a", "B": "b:c"])
        #expect(config.upstream == .url("http://localhost:5000"))
        try config.apply(environment: ["DYNACACHE_LISTEN": "127.0.0.1:9200"])
        #expect(config.listen.port == 9200)
    }

    /// Every boolean variable reads 1/true/yes/on and 0/false/no/off alike (they used to differ).
    @Test func booleansReadTheSameEverywhere() throws {
        for (text, value) in [("1", true), ("yes", true), ("ON", true), ("true", true), ("0", false), ("off", false)] {
            var config = ProxyConfiguration()
            try config.apply(environment: [
                "DYNACACHE_WRITE_COALESCE": text, "DYNACACHE_CHANGE_STREAM": text,
                "DYNACACHE_FORWARD_OTHER_REQUESTS": text,
            ])
            #expect(config.writes.defaultSettings.coalesce == value)
            #expect(config.changeStream.enabled == value)
            #expect(config.forwardOtherRequests == value)
        }
        var config = ProxyConfiguration()
        #expect(throws: ConfigurationError.self) {
            try config.apply(environment: ["DYNACACHE_WRITE_BATCHING": "maybe"])
        }
    }

    @Test func refusesUnsafeOrBrokenSettings() throws {
        var open = ProxyConfiguration()
        open.listen = HostPort(host: "0.0.0.0", port: 8000)
        #expect(throws: ConfigurationError.self) { try open.validate() }
        open.allowUnauthenticatedNonLoopback = true
        #expect(throws: Never.self) { try open.validate() }

        var sigv4 = ProxyConfiguration()
        sigv4.clientAuth = .sigv4
        #expect(throws: ConfigurationError.self) { try sigv4.validate() }
        #expect(!sigv4.effectiveForwardOtherRequests)

        var config = ProxyConfiguration()
        #expect(throws: ConfigurationError.self) { try config.apply(environment: ["DYNACACHE_LISTEN": "8000"]) }
        #expect(throws: ConfigurationError.self) { try config.apply(environment: ["DYNACACHE_UPSTREAM": "ftp://x"]) }
        #expect(throws: ConfigurationError.self) { try config.apply(environment: ["DYNACACHE_AUTH_MODE": "maybe"]) }
        #expect(throws: ConfigurationError.self) { try config.apply(yaml: "listen: [1, 2]", source: "test") }
        #expect(throws: Never.self) { try config.apply(yaml: "# nothing\n---\n", source: "test") }
    }
}

struct AddressTests {
    @Test func hostPorts() {
        #expect(HostPort("127.0.0.1:8000") == HostPort(host: "127.0.0.1", port: 8000))
        #expect(HostPort("[::1]:8000") == HostPort(host: "::1", port: 8000))
        #expect(HostPort("[::1]:8000")?.isLoopback == true)
        #expect(HostPort("0.0.0.0:80")?.isLoopback == false)
        #expect(HostPort("localhost") == nil)
        #expect(HostPort(":80") == nil)
        #expect(HostPort("h:99999") == nil)
    }

    @Test func endpoints() {
        let aws = Endpoint("https://dynamodb.eu-west-1.amazonaws.com/")!
        #expect(aws.awsRegion == "eu-west-1")
        #expect(aws.hostHeader == "dynamodb.eu-west-1.amazonaws.com")
        #expect(aws.defaultStreamsEndpoint.description == "https://streams.dynamodb.eu-west-1.amazonaws.com")
        let moto = Endpoint("http://127.0.0.1:5000")!
        #expect(moto.awsRegion == nil)
        #expect(moto.hostHeader == "127.0.0.1:5000")
        #expect(moto.defaultStreamsEndpoint == moto)
        #expect(Endpoint("127.0.0.1:5000") == nil)
        #expect(Endpoint("http://h/path") == nil)
        #expect(Endpoint("http://h:0") == nil)
    }
}

struct WriteConfigurationTests {
    @Test func writeSettingsPerTableAndFromTheEnvironment() throws {
        var config = ProxyConfiguration()
        try config.apply(
            yaml: "writes:\n  default:\n    windowMs: 5\n  tables:\n    Counters:\n      coalesce: true\n",
            source: "test")
        #expect(config.writes.settings(for: "Other").windowMilliseconds == 5)
        #expect(config.writes.settings(for: "Counters").coalesce && config.writes.settings(for: "Counters").batching)
        #expect(!config.writes.settings(for: "Other").coalesce)
        try config.apply(environment: ["DYNACACHE_WRITE_BATCHING": "false"])
        #expect(!config.writes.settings(for: "Counters").batching && !config.writes.settings(for: "Other").batching)
        #expect(throws: ConfigurationError.self) {
            try config.apply(environment: ["DYNACACHE_WRITE_COALESCE": "maybe"])
        }
    }

    @Test func sendWhenIdleIsOnUnlessATableOrTheEnvironmentSaysOtherwise() throws {
        var config = ProxyConfiguration()
        #expect(config.writes.settings(for: "Any").sendWhenIdle)
        try config.apply(yaml: "writes:\n  tables:\n    Slow:\n      sendWhenIdle: false\n", source: "test")
        #expect(!config.writes.settings(for: "Slow").sendWhenIdle && config.writes.settings(for: "Other").sendWhenIdle)
        try config.apply(environment: ["DYNACACHE_WRITE_SEND_WHEN_IDLE": "false"])
        #expect(!config.writes.settings(for: "Other").sendWhenIdle)
        #expect(throws: ConfigurationError.self) {
            try config.apply(environment: ["DYNACACHE_WRITE_SEND_WHEN_IDLE": "sometimes"])
        }
    }
}

struct ChangeStreamConfigurationTests {
    @Test func changeStreamSettings() throws {
        var config = ProxyConfiguration()
        #expect(config.changeStream.enabled && config.changeStream.tables.isEmpty)
        try config.apply(
            yaml: "changeStream:\n  tables: [Orders, Users]\n  idlePollMaxMs: 500\n  leaseMs: 3000\n", source: "test")
        #expect(config.changeStream.tables == ["Orders", "Users"])
        #expect(config.changeStream.idlePollMaxMilliseconds == 500 && config.changeStream.leaseMilliseconds == 3000)
        try config.apply(environment: ["DYNACACHE_CHANGE_STREAM": "false", "DYNACACHE_CHANGE_STREAM_TABLES": "A, B"])
        #expect(!config.changeStream.enabled && config.changeStream.tables == ["A", "B"])
    }
}
