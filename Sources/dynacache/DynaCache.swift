import ArgumentParser

/// `dynacache`: the proxy and its companions, one binary.
@main
struct DynaCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dynacache",
        abstract: "A caching read-through proxy for Amazon DynamoDB.",
        subcommands: [Serve.self],
        defaultSubcommand: nil
    )
}
