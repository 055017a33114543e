import ArgumentParser
import Foundation
import Logging
import Server

/// `dynacache`: the proxy and its companions, one binary.

struct DynaCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dynacache",
        abstract: "A caching read-through proxy for Amazon DynamoDB.",
        subcommands: [Serve.self, Store.self, Stats.self, SeedCommand.self],
        defaultSubcommand: nil
    )
}

/// A subcommand whose work is asynchronous; `main.swift` calls `start()` on it.
protocol AsyncEntryPoint {
    mutating func start() async throws
}

/// Starts a server with `settings` and runs until it stops: shared by `serve` and `store`.
func runServer(_ settings: ProxyConfiguration, label: String, logLevel: String) async throws {
    var logger = Logger(label: label)
    logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
    let server = try DynaCacheServer(
        configuration: settings,
        logger: logger,
        environment: ProcessInfo.processInfo.environment
    )
    try await server.start()
    try await server.waitUntilClosed()
}
