import ArgumentParser

/// `dynacache`: the proxy and its companions, one binary.

struct DynaCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dynacache",
        abstract: "A caching read-through proxy for Amazon DynamoDB.",
        subcommands: [Serve.self, Store.self],
        defaultSubcommand: nil
    )
}

/// A subcommand whose work is asynchronous; `main.swift` calls `start()` on it.
protocol AsyncEntryPoint {
    mutating func start() async throws
}
