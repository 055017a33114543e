import ArgumentParser
import AsyncHTTPClient
import DynamoModel
import Foundation
import NIOCore
import Server

/// `dynacache stats`: a running proxy's `/stats`, as tables, once or every two seconds.
struct Stats: AsyncParsableCommand, AsyncEntryPoint {
    static let configuration = CommandConfiguration(abstract: "Show a running proxy's hit rates and counters.")

    @Option(help: "The admin listener's URL.")
    var admin: String = "http://127.0.0.1:8081"

    @Option(help: "The admin token (default: DYNACACHE_ADMIN_TOKEN).")
    var token: String?

    @Flag(help: "Refresh every two seconds until interrupted.")
    var watch = false

    func run() async throws {
        var me = self
        try await me.start()
    }

    mutating func start() async throws {
        let client = HTTPClient.shared
        let token = self.token ?? ProcessInfo.processInfo.environment["DYNACACHE_ADMIN_TOKEN"]
        repeat {
            var request = HTTPClientRequest(url: admin.hasSuffix("/") ? admin + "stats" : admin + "/stats")
            if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
            let response = try await client.execute(request, timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 16 << 20)
            guard response.status == .ok else {
                throw ValidationError("\(admin)/stats answered \(response.status.code): \(String(buffer: body))")
            }
            let stats = try JSONParser.parse(Array(body.readableBytesView))
            if watch { print("\u{1B}[2J\u{1B}[H", terminator: "") }
            print(StatsTable.render(stats), terminator: "")
            if watch {
                // Each frame out now, also into a pipe (`| tee`), where stdout is block-buffered.
                fflush(nil)
                try await Task.sleep(nanoseconds: 2_000_000_000)
            }
        } while watch
    }
}
