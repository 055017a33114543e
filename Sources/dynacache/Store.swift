import ArgumentParser
import Foundation
import Logging
import Server

/// `dynacache store`: the embedded table store as its own DynamoDB endpoint, for any SDK.
struct Store: AsyncParsableCommand, AsyncEntryPoint {
    static let configuration = CommandConfiguration(
        abstract: "Serve the embedded SQLite table store as a DynamoDB endpoint (default 127.0.0.1:8001)."
    )

    @Option(help: "Listen address, HOST:PORT.")
    var listen: String = "127.0.0.1:8001"

    @Option(help: "Directory of the store's SQLite file.")
    var data: String = "./data"

    @Option(
        help: """
            Client authentication: none or sigv4 (keys from DYNACACHE_AUTH_KEYS, ID:SECRET,...), as for \
            `serve`: a shared development store checks signatures as DynamoDB does.
            """)
    var auth: String?

    @Flag(name: .customLong("allow-unauthenticated"), help: "Allow listening on a non-loopback address.")
    var allowUnauthenticated = false

    @Option(help: "A delay added to every request, MS or MS±MS, to model a remote DynamoDB.")
    var latency: String?

    @Option(
        name: .customLong("replica-lag"),
        help: "Eventually consistent reads may see the table as it was this many milliseconds ago.")
    var replicaLag: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func run() async throws {
        try await start()
    }

    func start() async throws {
        var settings = ProxyConfiguration()
        try settings.apply(environment: [
            "DYNACACHE_LISTEN": listen,
            "DYNACACHE_UPSTREAM": "embedded",
            "DYNACACHE_DATA": data,
            "DYNACACHE_FORWARD_OTHER_REQUESTS": "false",
        ])
        // The embedded store's own settings (streams' aging, TTL sweeps, latency).
        try settings.apply(
            environment: ProcessInfo.processInfo.environment.filter {
                $0.key.hasPrefix("DYNACACHE_STREAM_") || $0.key.hasPrefix("DYNACACHE_TTL_")
                    || $0.key == "DYNACACHE_CAPACITY_BURST_S"
                    || $0.key == "DYNACACHE_LATENCY" || $0.key == "DYNACACHE_REPLICA_LAG_MS"
                    || $0.key == "DYNACACHE_AUTH_MODE" || $0.key == "DYNACACHE_AUTH_KEYS"
            })
        if let auth { try settings.apply(environment: ["DYNACACHE_AUTH_MODE": auth]) }
        if let latency { try settings.apply(environment: ["DYNACACHE_LATENCY": latency]) }
        if let replicaLag { try settings.apply(environment: ["DYNACACHE_REPLICA_LAG_MS": replicaLag]) }
        // The store answers as DynamoDB would, throttles included: retrying is its clients' job.
        settings.retry.maxAttempts = 1
        settings.retry.adaptive = false
        settings.adminEnabled = false
        settings.cacheEnabled = false
        settings.allowUnauthenticatedNonLoopback = allowUnauthenticated
        try await runServer(settings, label: "dynacache-store", logLevel: logLevel)
    }
}
