import ArgumentParser
import Foundation
import Logging
import NIOPosix
import Seed
import Server
import TableStore

/// `dynacache seed`: the load tests' tables and data, in the embedded store or at any endpoint.
struct SeedCommand: AsyncParsableCommand, AsyncEntryPoint {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Create the seed tables (Users, Accounts, …, App) and fill them with deterministic data."
    )

    @Option(help: "A DynamoDB-compatible URL, or 'embedded' for the embedded store in --data.")
    var endpoint: String = "embedded"

    @Option(help: "Directory of the embedded store's SQLite file.")
    var data: String = "./data"

    @Option(help: "small, medium or large (10x and 100x small).")
    var profile: String = "small"

    func run() async throws {
        var me = self
        try await me.start()
    }

    mutating func start() async throws {
        guard let profile = SeedData.Profile(rawValue: profile) else {
            throw ValidationError("--profile: expected small, medium or large, got \(self.profile)")
        }
        var settings = ProxyConfiguration()
        try settings.apply(environment: ["DYNACACHE_UPSTREAM": endpoint, "DYNACACHE_DATA": data])
        settings.embedded.ttlSweepIntervalSeconds = 0
        let base = try DynaCacheServer.makeStore(
            configuration: settings, group: MultiThreadedEventLoopGroup.singleton,
            environment: ProcessInfo.processInfo.environment)
        let store = RetryingTableStore(wrapping: base, policy: settings.retry)
        let seeder = Seeder(store: store) { line in
            FileHandle.standardError.write(Data("seed: \(line)\n".utf8))
        }
        do {
            let written = try await seeder.run(profile)
            let summary = written.keys.sorted().map { "\($0) \(written[$0]!)" }.joined(separator: ", ")
            print("seeded \(profile.rawValue) profile at \(endpoint): \(summary)")
        } catch {
            try? await store.shutdown()
            throw error
        }
        try? await store.shutdown()
    }
}
