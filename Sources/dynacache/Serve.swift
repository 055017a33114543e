import ArgumentParser
import Foundation
import Logging
import Server

/// `dynacache serve`: the proxy. Settings come from the config file, then `DYNACACHE_*`
/// variables, then these flags.
struct Serve: AsyncParsableCommand, AsyncEntryPoint {
    static let configuration = CommandConfiguration(
        abstract: "Run the proxy: DynamoDB API on --listen, /health on --admin-listen."
    )

    @Option(help: "YAML config file (default: Config/dynacache.yaml when it exists).")
    var config: String?

    @Option(help: "Data listener, HOST:PORT (default 127.0.0.1:8000).")
    var listen: String?

    @Option(name: .customLong("admin-listen"), help: "Admin listener, HOST:PORT (default 127.0.0.1:8081).")
    var adminListen: String?

    @Option(help: "Table store: a DynamoDB-compatible URL, or 'embedded'.")
    var upstream: String?

    @Option(name: .customLong("streams-upstream"), help: "DynamoDB Streams URL (default: derived from --upstream).")
    var streamsUpstream: String?

    @Option(help: "Directory for the embedded table store and the proxy's state (default ./data).")
    var data: String?

    @Option(help: "Redis URL, redis://HOST:PORT (default redis://127.0.0.1:6379).")
    var redis: String?

    @Option(help: "Signing region for the upstream (default: from the endpoint, AWS_REGION, or us-east-1).")
    var region: String?

    @Option(help: "Client authentication: none or sigv4.")
    var auth: String?

    @Flag(name: .customLong("allow-unauthenticated"), help: "Allow --auth none on a non-loopback address.")
    var allowUnauthenticated = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func run() async throws {
        try await start()
    }

    func start() async throws {
        let environment = ProcessInfo.processInfo.environment
        var settings = ProxyConfiguration()
        let configPath =
            config ?? environment["DYNACACHE_CONFIG"]
            ?? (FileManager.default.fileExists(atPath: "Config/dynacache.yaml") ? "Config/dynacache.yaml" : nil)
        if let configPath {
            guard let handle = FileHandle(forReadingAtPath: configPath),
                let data = try? handle.readToEnd() ?? Data(),
                let text = String(data: data, encoding: .utf8)
            else {
                throw ConfigurationError("cannot read config file \(configPath)")
            }
            try settings.apply(yaml: text, source: configPath)
        }
        try settings.apply(environment: environment)
        try applyFlags(to: &settings)

        try await runServer(settings, label: "dynacache", logLevel: logLevel)
    }

    func applyFlags(to settings: inout ProxyConfiguration) throws {
        var overrides: [String: String] = [:]
        if let listen { overrides["DYNACACHE_LISTEN"] = listen }
        if let adminListen { overrides["DYNACACHE_ADMIN_LISTEN"] = adminListen }
        if let upstream { overrides["DYNACACHE_UPSTREAM"] = upstream }
        if let streamsUpstream { overrides["DYNACACHE_STREAMS_UPSTREAM"] = streamsUpstream }
        if let data { overrides["DYNACACHE_DATA"] = data }
        if let redis { overrides["DYNACACHE_REDIS"] = redis }
        if let region { overrides["DYNACACHE_REGION"] = region }
        if let auth { overrides["DYNACACHE_AUTH_MODE"] = auth }
        if allowUnauthenticated { overrides["DYNACACHE_ALLOW_UNAUTHENTICATED_NON_LOOPBACK"] = "true" }
        try settings.apply(environment: overrides)
    }
}
